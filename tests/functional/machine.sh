#!/bin/sh
# Machine description files: composition, properties, ${var}, includes,
# IRQ wiring, and one clear error line (file:line, group, key) for each
# mistake.
. "$top_srcdir/tests/functional/lib.sh"
export EMU_PLUGIN_PATH="$PLUGINS/good"
M="$TMP/m"
mkdir -p "$M"

cat > "$M/base.inc" <<'EOT'
[machine]
name=base
description=shared part

[device a]
type=test-dev
u8=5
u32=1
EOT
cat > "$M/good.machine" <<'EOT'
# a comment
[machine]
format=1
name=good
description=A test machine
include=base.inc
default-ram=16M

[device a]
u32=2
size=${ram}
label=hello\sworld

[device b]
type=test-dev
peer=a
irq=a.in.1
mode=fast
EOT
run "$EMU" --machine "$M/good.machine" --dump-tree -serial null
expect_ok "good machine builds"
expect_out "machine container" "machine (container)"
expect_out "device a" "a (test-dev)"
expect_out "device b" "b (test-dev)"
expect_out "include kept u8" "u8 = 5"
expect_out "later wins for u32" "u32 = 2"
expect_out "\${ram} from default-ram" "size = 16777216"
expect_out "escapes" "label = hello world"
expect_out "link" "peer = a"
expect_out "enum" "mode = fast"
expect_out "chardev from -serial" "serial0"

run "$EMU" --machine "$M/good.machine" --dump-tree -m 64 -serial null
expect_out "-m fills \${ram}" "size = 67108864"

run "$EMU" --machine "$M/good.machine" --dump-tree -serial null \
    -device test-dev,id=c,u8=9,peer=b
expect_out "-device adds to the machine" "c (test-dev)"
expect_out "-device props" "u8 = 9"

run "$EMU" --machine "$M/good.machine" --dump-tree -serial null \
    -device test-dev,id=c,u8=13
expect_error "-device realize failure" "u8=13 is unlucky"

# Each mistake: one line naming file:line, group and key.
bad() {
    printf '%s\n' "$2" > "$M/bad.machine"
    run "$EMU" --machine "$M/bad.machine" --dump-tree -serial null
    expect_error "$1" "$3"
}
bad "unknown key" "[machine]
name=x
[device a]
type=test-dev
bogus=1" "bad.machine:5: [device a] unknown key 'bogus': type test-dev has no such property"
bad "bad value" "[machine]
[device a]
type=test-dev
u8=300" "bad.machine:4: [device a] property 'u8' of test-dev: '300' is not a valid uint8"
bad "bad enum" "[machine]
[device a]
type=test-dev
mode=warp" "bad.machine:4: [device a] property 'mode' of test-dev: 'warp' is not a valid enum: expected one of fast, slow, off"
bad "unknown variable" "[machine]
[device a]
type=test-dev
label=\${nope}" "bad.machine:4: [device a] label: unknown variable '\${nope}'"
bad "no type" "[machine]
[device a]
u8=1" "bad.machine:2: [device a] needs a 'type' key"
bad "unknown type" "[machine]
[device a]
type=warp-drive" "bad.machine:3: [device a] type: unknown type 'warp-drive'"
bad "newer format" "[machine]
format=7" "bad.machine:2: [machine] format: the file is format 7, this emu reads format 1: upgrade emu"
bad "unknown machine key" "[machine]
colour=red" "bad.machine:2: [machine] unknown key 'colour'"
bad "unknown group" "[machine]
[gizmo]" "bad.machine:2: unknown group [gizmo]"
bad "no machine group" "[device a]
type=test-dev" "bad.machine: no [machine] group"
bad "bad link" "[machine]
[device a]
type=test-dev
peer=ghost" "bad.machine:4: [device a] property 'peer' of test-dev: no object with id 'ghost'"
bad "bad irq" "[machine]
[device a]
type=test-dev
irq=a.in.9" "bad.machine:4: [device a] property 'irq' of test-dev: IRQ line 'a.in.9': a has no such input"
bad "garbage line" "[machine]
what is this" "bad.machine:2: expected KEY=VALUE"
bad "missing include" "[machine]
include=nothere.inc" "bad.machine:2: [machine] include: cannot find 'nothere.inc'"
bad "realize failure" "[machine]
[device a]
type=test-dev
u8=13" "bad.machine:2: [device a]: test-dev: u8=13 is unlucky"
printf '[machine]\ninclude=loop.inc\n' > "$M/loop.inc"
bad "include loop" "[machine]
include=loop.inc" "nested more than 8 deep"

run "$EMU" --machine "$M/none.machine"
expect_error "missing file" "--machine: no such file"
run "$EMU" -M no-such-machine
expect_error "unknown machine name" "-M: unknown machine 'no-such-machine' (-M help lists them)"

# The shipped PC: every device builds, realizes and is torn down cleanly.
run "$EMU" -M pc -m 1G -smp 2 --dump-tree -serial null
expect_ok "-M pc builds"
for dev in "pcihost (i440fx-host)" "pmc (i440fx)" "piix3 (piix3)" "pic2 (i8259)" \
           "pit (i8254)" "rtc (mc146818)" "kbc (i8042)" "fw-cfg (fw-cfg)" \
           "com1 (uart-16550)"; do
    expect_out "-M pc has $dev" "$dev"
done
[ -z "$err" ] && pass || fail "-M pc --dump-tree wrote to stderr: $err"

export EMU_MACHINE_PATH="$M"
run "$EMU" -M help
expect_ok "-M help"
expect_out "-M help lists good" "good                 A test machine"
run "$EMU" -M good --dump-tree -serial null
expect_ok "-M NAME from EMU_MACHINE_PATH"

finish
