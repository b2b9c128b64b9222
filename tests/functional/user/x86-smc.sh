#!/bin/sh
# Self-modifying code under emu-x86_64: tests/guest/x86-smc rewrites code
# it already ran and checks the new code runs (native run first, as a
# check of the test itself).
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
PROG="$top_builddir/tests/guest/x86-smc"

run "$PROG"
expect_ok "native"
expect_out "native" "smc ok"
for backend in interp x86_64; do
    run "$EMU_USER" -jit "$backend" "$PROG"
    expect_ok "$backend"
    expect_out "$backend" "smc ok"
    run "$EMU_USER" -jit "$backend" -singlestep "$PROG"
    expect_ok "$backend singlestep"
    expect_out "$backend singlestep" "smc ok"
done
finish
