#!/bin/sh
# A full native code buffer is flushed at a safe point and translation
# goes on natively: with a 64 KiB buffer (EMU_JIT_CODE_BUFFER_KB, a test
# knob) multi-threaded and dynamic programs flush many times while their
# threads run, and must still print what they print natively.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
G="$top_builddir/tests/guest"

for prog in "$G/threads" "$G/threads-dyn" "/bin/ls -l /usr"; do
    # shellcheck disable=SC2086
    $prog > "$TMP/native" 2>&1
    echo "exit $?" >> "$TMP/native"
    # shellcheck disable=SC2086
    EMU_JIT_CODE_BUFFER_KB=64 "$EMU_USER" -jit x86_64 $prog > "$TMP/emu" 2>&1
    echo "exit $?" >> "$TMP/emu"
    if cmp -s "$TMP/native" "$TMP/emu"; then pass; else
        fail "$prog with a 64 KiB code buffer differs from native:"
        diff "$TMP/native" "$TMP/emu" | head -10
    fi
done
finish
