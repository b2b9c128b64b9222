#!/bin/sh
# Floating-point exceptions against the host CPU: tests/guest/x86-fpe runs
# SSE arithmetic on special operands under every MXCSR exception mask
# (and DAZ/FTZ) natively and under emu-x86_64 (each JIT backend); the
# results, MXCSR flags and each SIGFPE's si_code and address must match.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
PROG="$top_builddir/tests/guest/x86-fpe"

"$PROG" > "$TMP/native" || fail "native run failed"
grep -q SIGFPE "$TMP/native" || fail "no SIGFPE natively: the test tests nothing"
for backend in interp x86_64; do
    if ! "$EMU_USER" -jit "$backend" -cpu max "$PROG" > "$TMP/emu" 2> "$TMP/emu.err"; then
        fail "$backend: emu-x86_64 failed: $(head -c 500 "$TMP/emu.err")"
        continue
    fi
    expect_same "$backend" "$TMP/native" "$TMP/emu"
done
finish
