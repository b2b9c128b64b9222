#!/bin/sh
# make install into a scratch DESTDIR, then build the out-of-tree example
# plugin against the INSTALLED headers with pkg-config, load it into the
# installed emu, use it from a machine file and -device, and check that a
# copy built for another ABI major is refused.
. "$top_srcdir/tests/functional/lib.sh"
DEST="$TMP/dest"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/plugin-api/emu-plugin.pc")
libdir=$(sed -n 's/^libdir=//p' "$top_builddir/plugin-api/emu-plugin.pc")
libdir=$(printf '%s' "$libdir" | sed "s|\${exec_prefix}|$prefix|")

run make -C "$top_builddir" install DESTDIR="$DEST"
expect_ok "make install"
for f in "$prefix/bin/emu" "$libdir/libemu.so.1" "$libdir/pkgconfig/emu-plugin.pc" \
         "$prefix/include/emu/plugin.h" "$prefix/include/emu/emu.h" \
         "$prefix/share/emu/machines/pc.machine"; do
    [ -e "$DEST$f" ] && pass || fail "not installed: $f"
done
ls "$DEST$libdir/emu/plugins/"*.so >/dev/null 2>&1 && pass || fail "no plugins installed"
ls "$DEST$libdir/emu/plugins/"*.la >/dev/null 2>&1 && fail "libtool .la files installed beside the plugins" || pass
for so in "$DEST$libdir/emu/plugins/"*.so; do
    [ -e "${so%.so}.module" ] && pass || fail "no index file beside $so"
done

# Relocate the installed emu-plugin.pc into DESTDIR; glib's stays as it is.
mkdir -p "$TMP/pc"
sed "s|^prefix=.*|prefix=$DEST$prefix|" "$DEST$libdir/pkgconfig/emu-plugin.pc" \
    > "$TMP/pc/emu-plugin.pc"
export PKG_CONFIG_PATH="$TMP/pc"
PKG_CONFIG=pkg-config
cp -r "$top_srcdir/docs/examples/dev-debugout" "$TMP/ex"
chmod -R u+w "$TMP/ex"
run make -C "$TMP/ex" PKG_CONFIG="$PKG_CONFIG"
expect_ok "example builds against the installed headers"
case "$($PKG_CONFIG --cflags emu-plugin)" in
    *"$DEST"*) pass ;;
    *) fail "pkg-config did not point into DESTDIR" ;;
esac

export LD_LIBRARY_PATH="$DEST$libdir"
export EMU_PLUGIN_PATH="$TMP/ex"
IEMU="$DEST$prefix/bin/emu"
run "$IEMU" --list-plugins
expect_out "installed emu lists the example" "dev-debugout"
expect_out "example provides" "device:debug-out"

cat > "$TMP/dbg.machine" <<'EOT'
[machine]
name=dbg
description=machine with the example device
[device dbg]
type=debug-out
iobase=0x402
chardev=serial0
EOT
run "$IEMU" --machine "$TMP/dbg.machine" -serial null --dump-tree
expect_ok "example instantiated from a machine file"
expect_out "example in the tree" "dbg (debug-out)"
expect_out "its property" "iobase = 1026"
run "$IEMU" --machine "$TMP/dbg.machine" -serial null --dump-tree \
    -device debug-out,id=dbg2,chardev=serial0
expect_out "example instantiated with -device" "dbg2 (debug-out)"

# The same source built for ABI 2: refused with both versions.
mkdir -p "$TMP/ex2"
cat > "$TMP/ex2/abi2.h" <<'EOT'
#include <emu/plugin.h>
#undef EMU_ABI_MAJOR
#define EMU_ABI_MAJOR 2
EOT
cp "$TMP/ex/debugout.c" "$TMP/ex/Makefile" "$TMP/ex2/"
run make -C "$TMP/ex2" PKG_CONFIG="$PKG_CONFIG" CFLAGS="-O2 -include $TMP/ex2/abi2.h"
expect_ok "ABI 2 copy builds"
export EMU_PLUGIN_PATH="$TMP/ex2"
run "$IEMU" -device debug-out,help
expect_error "ABI 2 copy refused" "$TMP/ex2/dev-debugout.so: emu plugin of ABI 2.$EMU_ABI_MINOR, but this emu provides ABI $EMU_ABI: upgrade emu"
finish
