#!/bin/sh
# Kernel ABI details whose output does not depend on the architecture
# (tests/guest/abi.c): the native x86_64 run is the oracle for emu-x86_64
# and for the same source built with -m32 under emu-i386.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
EMU_I386="$top_builddir/emu-i386"
G="$top_srcdir/tests/guest"
CC=${CC:-cc}

$CC -O1 -o "$TMP/abi64" "$G/abi.c" || fail "cannot build abi.c"
"$TMP/abi64" > "$TMP/native" 2>&1 </dev/null
echo "exit $?" >> "$TMP/native"

# same_as_native DESC EMULATOR PROGRAM: output and exit status (a hang
# is a failure: recvmmsg ignoring its timeout would block)
same_as_native() {
    timeout 30 "$2" -L / "$3" > "$TMP/emu" 2>&1 </dev/null
    echo "exit $?" >> "$TMP/emu"
    if cmp -s "$TMP/native" "$TMP/emu"; then pass; else
        fail "$1 differs from native:"; diff "$TMP/native" "$TMP/emu" | head -10
    fi
}
same_as_native "recvmmsg timeout, shmat (x86_64)" "$EMU_USER" "$TMP/abi64"
if $CC -m32 -O1 -o "$TMP/abi32" "$G/abi.c" 2>/dev/null; then
    same_as_native "recvmmsg timeout, shmat (i386)" "$EMU_I386" "$TMP/abi32"
else
    echo "(no gcc -m32: i386 part skipped)"
fi
finish
