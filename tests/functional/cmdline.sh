#!/bin/sh
# The command line: help, version, errors, and options whose backends come
# later refusing clearly rather than being ignored.
. "$top_srcdir/tests/functional/lib.sh"

run "$EMU" -version
expect_ok "-version"
expect_out "-version" "emu version"
run "$EMU" --version
expect_ok "--version (double dash)"
run "$EMU" -h
expect_out "-h lists -machine" "-M NAME|FILE"
run "$EMU" -frobnicate
expect_error "unknown option" "-frobnicate: unknown option"
run "$EMU" stray
expect_error "stray argument" "stray: unexpected argument"
run "$EMU" -m
expect_error "missing argument" "-m: requires an argument"
run "$EMU" -m lots
expect_error "bad -m" "-m: 'lots' is not a valid size"
run "$EMU" -smp 0
expect_error "bad -smp" "-smp: '0' is not a CPU count"
run "$EMU" -d help
expect_out "-d help" "unimp"
run "$EMU" -d nonsense
expect_error "bad -d" "-d: unknown log item 'nonsense'"
run "$EMU" -D /nonexistent/dir/log
expect_error "bad -D" "-D: cannot open '/nonexistent/dir/log'"
run "$EMU" -echr toolong
expect_error "bad -echr" "-echr: 'toolong' is not a character"
for opt in "-vnc :0" "-monitor stdio" "-qmp tcp:1:2" "-gdb tcp::1234" "-s" \
           "-hda x.img" "-cdrom x.iso" "-drive file=x" "-netdev user,id=n" \
           "-accel tcg" "-enable-kvm" "-snapshot" "--boot c" "-display gtk"; do
    # shellcheck disable=SC2086
    run "$EMU" $opt
    name=${opt%% *}
    expect_error "$opt" "not supported yet"
    expect_err_has "$opt names itself" "$name"
done
printf '[machine]\nname=empty\n' > "$TMP/empty.machine"
run "$EMU" -chardev bogus,id=x --machine "$TMP/empty.machine"
expect_error "bad -chardev" "-chardev"
run "$EMU" --machine "$TMP/empty.machine" -device no-such-device
expect_error "unknown device" "unknown type 'no-such-device'"
run "$EMU" -device no-such-device,help
expect_error "help of unknown device" "unknown type 'no-such-device'"
finish
