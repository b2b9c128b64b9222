#!/bin/sh
# Debian's static busybox under emu-x86_64: the script of applets
# (busybox-applets.sh) must give byte-identical output natively and
# emulated.  The script calls every applet through $BB, so under
# emulation each one is an exec of busybox that re-enters the emulator.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
BB=/bin/busybox
if [ ! -x "$BB" ] || ! file -L "$BB" 2>/dev/null | grep -q "x86-64.*statically"; then
    echo "SKIP: no static x86-64 /bin/busybox (package busybox-static)"
    exit 77
fi

mkdir "$TMP/native" "$TMP/emu"
APPLETS="$top_srcdir/tests/functional/user/busybox-applets.sh"
export BB
WORK="$TMP/native" $BB sh "$APPLETS" > "$TMP/native.out" 2>&1
echo "native exit $?" >> "$TMP/native.out"
for config in interp:emu64 x86_64:emu64 x86_64:max; do
    backend=${config%:*} model=${config#*:}
    rm -rf "$TMP/emu"; mkdir "$TMP/emu"
    WORK="$TMP/emu" "$EMU_USER" -jit "$backend" -cpu "$model" $BB sh \
        "$APPLETS" > "$TMP/emu.out" 2>&1
    echo "native exit $?" >> "$TMP/emu.out"
    if cmp -s "$TMP/native.out" "$TMP/emu.out"; then
        echo "$config: $(wc -l < "$TMP/emu.out") lines identical"
        pass
    else
        fail "$config: output differs from native:"
        diff "$TMP/native.out" "$TMP/emu.out" | head -30
    fi
done
finish
