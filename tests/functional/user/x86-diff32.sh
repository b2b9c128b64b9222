#!/bin/sh
# Differential test of 32-bit code: tests/guest/x86-diff32 (an i386
# program: one-byte INC/DEC, BCD, PUSHA, BOUND, 0x66/0x67 prefixes, x87,
# SSE, MMX) under emu-i386, each JIT backend, against the host when it
# runs i386 programs and otherwise against qemu-i386 as the peer.
. "$top_srcdir/tests/functional/lib.sh"
PROG="$top_builddir/tests/guest/x86-diff32"
ITERS=${X86_DIFF_ITERS:-50}
# emu-i386 is emu-x86_64 under another name
EMU_I386="$top_builddir/emu-i386"
if [ ! -e "$EMU_I386" ]; then
    EMU_I386="$TMP/emu-i386"
    ln -s "$(cd "$top_builddir" && pwd)/emu-x86_64" "$EMU_I386"
fi

if "$PROG" "$ITERS" > "$TMP/want" 2> /dev/null; then
    oracle=host
elif command -v qemu-i386 > /dev/null && qemu-i386 "$PROG" "$ITERS" > "$TMP/want"; then
    oracle=qemu-i386
else
    echo "SKIP: neither the host nor qemu-i386 runs i386 programs"
    exit 77
fi
tail -n 1 "$TMP/want" | grep -q '^cases [1-9]' || fail "$oracle: incomplete run"

# qemu-i386 (Debian's 7.2) never sets MXCSR.DE, the denormal-operand
# flag, which the host and emu do (x86-diff checks it against the host):
# against qemu, compare MXCSR without it.
mask_de() {
    if [ "$oracle" = qemu-i386 ]; then
        sed -e 's/\( mx [0-9a-f]*\)2$/\10/' -e 's/\( mx [0-9a-f]*\)3$/\11/' \
            -e 's/\( mx [0-9a-f]*\)6$/\14/' -e 's/\( mx [0-9a-f]*\)7$/\15/' \
            -e 's/\( mx [0-9a-f]*\)a$/\18/' -e 's/\( mx [0-9a-f]*\)b$/\19/' \
            -e 's/\( mx [0-9a-f]*\)e$/\1c/' -e 's/\( mx [0-9a-f]*\)f$/\1d/' "$1"
    else
        cat "$1"
    fi
}
mask_de "$TMP/want" > "$TMP/want.cmp"
if ! "$EMU_I386" "$PROG" 1 > /dev/null 2> "$TMP/probe.err" &&
        grep -q -e "not supported" -e "not for x86_64" "$TMP/probe.err"; then
    # until linux-user runs i386 programs
    echo "SKIP: emu-i386: $(head -n 1 "$TMP/probe.err")"
    exit 77
fi
for backend in interp x86_64; do
    if ! "$EMU_I386" -jit "$backend" -cpu max "$PROG" "$ITERS" > "$TMP/got" 2> "$TMP/emu.err"; then
        fail "$backend: emu-i386 failed: $(head -c 500 "$TMP/emu.err")"
        continue
    fi
    mask_de "$TMP/got" > "$TMP/got.cmp"
    expect_same "$backend against $oracle" "$TMP/want.cmp" "$TMP/got.cmp"
done
finish
