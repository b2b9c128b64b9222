#!/bin/sh
# The plugin loader through the emu program: discovery, listing, lazy
# loading, ABI refusals, init failures, conflicts, search order.
. "$top_srcdir/tests/functional/lib.sh"

so() { echo "$PLUGINS/$1/.libs/test-$1.so"; }

export EMU_PLUGIN_PATH="$PLUGINS/good"
run "$EMU" --list-plugins
expect_ok "list-plugins"
expect_out "list shows the good plugin" "test-good"
expect_out "list shows what it provides" "device:test-dev"
expect_out "list shows its ABI" " $EMU_ABI "
expect_out "list shows its path" "$(so good)"

run "$EMU" -d plugin --list-plugins
if printf '%s' "$err" | grep -q "plugin: loading"; then
    fail "listing loaded a plugin: $err"; else pass; fi

run "$EMU" -d plugin -device test-dev,help
expect_ok "-device test-dev,help"
expect_err_has "the type was loaded on demand" "plugin: loading test-good"
expect_out "props listed" "u8=<uint8> (default: 7)"
expect_out "enum values listed" "mode=<enum(fast|slow|off)> (default: slow)"

run "$EMU" -device help
expect_out "-device help lists test-dev" "test-dev"

export EMU_PLUGIN_PATH="$PLUGINS/abi2"
run "$EMU" -device test-dev,help
expect_error "ABI major 2 refused" "$(so abi2): emu plugin of ABI 2.$EMU_ABI_MINOR, but this emu provides ABI $EMU_ABI: upgrade emu"
run "$EMU" --list-plugins
expect_err_has "listing names the refused plugin" "$(so abi2): emu plugin of ABI 2.$EMU_ABI_MINOR"
if printf '%s' "$out" | grep -q "test-abi2"; then
    fail "refused plugin listed as usable"; else pass; fi

export EMU_PLUGIN_PATH="$PLUGINS/minor"
run "$EMU" -device test-dev,help
expect_error "newer minor refused" "emu plugin of ABI 1.99, but this emu provides ABI $EMU_ABI: upgrade emu"

export EMU_PLUGIN_PATH="$PLUGINS/minor0"
run "$EMU" --list-plugins
expect_ok "older minor accepted"
expect_out "older minor listed" " 1.0 "

export EMU_PLUGIN_PATH="$PLUGINS/notplugin"
run "$EMU" --list-plugins
expect_err_has "foreign .so recognised" "not-a-plugin.so: not an emu plugin"

export EMU_PLUGIN_PATH="$PLUGINS/initfail"
run "$EMU" -device test-dev,help
expect_error "init failure names the plugin" "plugin test-initfail ($(so initfail)): init failed: deliberate failure"

export EMU_PLUGIN_PATH="$PLUGINS/noreg"
run "$EMU" -device test-dev,help
expect_error "a declared type must be registered" "declares device:test-dev but did not register it"

mkdir -p "$TMP/dup"
cp "$(so good)" "$(so dup)" "$TMP/dup/"
export EMU_PLUGIN_PATH="$TMP/dup"
run "$EMU" -device test-dev,help
expect_error "two providers refused" "type 'test-dev' is provided by two plugins"

# The first directory of the path wins over later ones.
export EMU_PLUGIN_PATH="$PLUGINS/good:$PLUGINS/abi2"
run "$EMU" -device test-dev,help
expect_ok "earlier directory wins"

# An index file beside the plugin is trusted for discovery...
mkdir -p "$TMP/indexed"
cp "$(so good)" "$TMP/indexed/test-good.so"
run "$EMU" --describe-plugin "$TMP/indexed/test-good.so"
expect_ok "describe-plugin"
printf '%s\n' "$out" > "$TMP/indexed/test-good.module"
expect_out "module names the ABI" "abi=$EMU_ABI"
expect_out "module lists provides" "provides=device:test-dev;"
export EMU_PLUGIN_PATH="$TMP/indexed"
run "$EMU" -d plugin -device test-dev,help
expect_ok "plugin loaded through its index file"
# ...but the descriptor decides at load time.
cp "$(so abi2)" "$TMP/indexed/test-good.so"
run "$EMU" -device test-dev,help
expect_error "stale index: descriptor checked" "emu plugin of ABI 2.$EMU_ABI_MINOR"
run "$EMU" --describe-plugin /bin/sh
expect_error "describe-plugin on a non-plugin" "cannot open plugin"

finish
