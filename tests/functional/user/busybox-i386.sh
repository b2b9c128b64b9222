#!/bin/sh
# Debian's static i386 busybox under emu-i386: the script of applets of
# busybox.sh (busybox-applets.sh) must give byte-identical output under
# emu-i386 and under the oracle: the host itself when its kernel runs
# i386 programs, else Debian's qemu-i386.  scripts/install-deps puts the
# i386 busybox at /usr/local/lib/emu-test/i386/busybox.
. "$top_srcdir/tests/functional/lib.sh"
. "$top_srcdir/tests/functional/user/i386-lib.sh"
BB386=${EMU_TEST_I386_BUSYBOX:-/usr/local/lib/emu-test/i386/busybox}
if [ ! -f "$BB386" ]; then
    echo "SKIP: no $BB386 (scripts/install-deps downloads it)"
    exit 77
fi
find_i386_oracle "$BB386"

APPLETS="$top_srcdir/tests/functional/user/busybox-applets.sh"
mkdir "$TMP/oracle" "$TMP/emu"
# $BB stays unquoted in the script: "qemu-i386 busybox" splits in two
WORK="$TMP/oracle" BB="$ORACLE $BB386" $ORACLE "$BB386" sh "$APPLETS" \
    > "$TMP/oracle.out" 2>&1
echo "exit $?" >> "$TMP/oracle.out"
# one JIT backend: busybox.sh covers the others on the same script
WORK="$TMP/emu" BB="$BB386" "$EMU_I386" "$BB386" sh "$APPLETS" \
    > "$TMP/emu.out" 2>&1
echo "exit $?" >> "$TMP/emu.out"
if cmp -s "$TMP/oracle.out" "$TMP/emu.out"; then
    echo "$(wc -l < "$TMP/emu.out") lines identical to ${ORACLE:-native}"
    pass
else
    fail "output differs from ${ORACLE:-native}:"
    diff "$TMP/oracle.out" "$TMP/emu.out" | head -30
fi
finish
