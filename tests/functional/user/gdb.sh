#!/bin/sh
# emu-x86_64 -g PORT against Debian's gdb: the same gdb session on
# tests/guest/gdb-target run natively (the oracle) and under the emulator
# must show the same breakpoint hits, values, backtraces, steps, memory,
# the program's output after gdb changed variables, and its exit code;
# threads and a SIGSEGV show up as they do natively.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
PROG="$top_builddir/tests/guest/gdb-target"
command -v gdb >/dev/null || { echo "gdb is not installed"; exit 77; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# wait_listen PORT: until some socket listens on PORT (5 s at most)
wait_listen() {
    hex=$(printf '%04X' "$1")
    for _ in $(seq 100); do
        if awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
               { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 \
               2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# What both runs must agree on: gdb's reports, not addresses of the stack
# or how the program was started.
essentials() {
    sed -n -e 's/(process [0-9]*)/(PROC)/' -e 's/(Remote target)/(PROC)/' \
        -e 's/=0x7[0-9a-f]\{10,\}/=STACK/g' -e '/^eflags /p' \
        -e '/^Breakpoint [0-9]*,/p' -e '/^Thread [0-9]* .* hit Breakpoint/p' \
        -e '/^#[0-9]/p' -e '/^\$[0-9]* = /p' -e '/^[0-9][0-9]*	/p' \
        -e '/^rip /p' -e '/^Value returned/p' -e '/^Run till exit/p' \
        -e '/^0x[0-9a-f]* <counter>/p' -e '/^Program received signal/p' \
        -e '/^Program terminated/p' -e '/exited with code/p' \
        -e '/exited normally/p' -e '/^Old value/p' -e '/^New value/p' \
        -e '/^[a-z_]* (.*) at /p' \
        -e '/^0x[0-9a-f]* in [a-z_]* (/p'
}

# run_gdb OUT WATCH GDB-ARGS...: gdb in batch mode.  With $interrupt set,
# gdb gets a SIGINT (the user's Ctrl-C) once the file WATCH shows the
# program printed $interrupt.  --foreground: timeout forwards a signal to
# its process group as well as to gdb, and a second SIGINT while the
# first is pending makes gdb give up on the target ("Disconnected").
run_gdb() {
    out=$1 watch=$2; shift 2
    timeout --foreground 60 gdb -nx -batch -ex 'set confirm off' "$@" >"$out" 2>&1 </dev/null &
    gdb_pid=$!
    if [ -n "${interrupt:-}" ]; then
        for _ in $(seq 200); do
            grep -qs "$interrupt" "$watch" && break
            sleep 0.05
        done
        kill -INT "$gdb_pid"
    fi
    wait "$gdb_pid"
}

# session NAME ARGS -- GDB-COMMANDS...: runs the session both ways; leaves
# gdb's output in $TMP/NAME.native and $TMP/NAME.emu, and the emulated
# program's own output and status in $TMP/NAME.prog, $TMP/NAME.rc.
# $emu_only skips the native run; $native_setup is one more command for
# it alone.
session() {
    name=$1; shift
    args=
    while [ "$1" != -- ]; do args="$args $1"; shift; done
    shift
    port=$(free_port)
    # shellcheck disable=SC2086
    if [ "$name" = threads ]; then      # the environment variable instead
        EMU_GDB=$port timeout 30 "$EMU_USER" "$PROG" $args \
            >"$TMP/$name.prog" 2>"$TMP/$name.err" </dev/null &
    else
        timeout 30 "$EMU_USER" -g "$port" "$PROG" $args \
            >"$TMP/$name.prog" 2>"$TMP/$name.err" </dev/null &
    fi
    emu_pid=$!
    if ! wait_listen "$port"; then
        fail "$name: emu-x86_64 -g $port does not listen"
    fi
    run_gdb "$TMP/$name.emu" "$TMP/$name.prog" -ex "target remote :$port" "$@" "$PROG"
    wait "$emu_pid"
    echo $? >"$TMP/$name.rc"
    # shellcheck disable=SC2086
    [ -n "${emu_only:-}" ] && return
    run_gdb "$TMP/$name.native" "$TMP/$name.native" -ex "set args $args" \
        -ex "${native_setup:-set confirm off}" -ex starti "$@" "$PROG"
}

# compare NAME: the essentials of both sessions agree
compare() {
    essentials <"$TMP/$1.native" >"$TMP/$1.native.ess"
    essentials <"$TMP/$1.emu" >"$TMP/$1.emu.ess"
    if [ ! -s "$TMP/$1.native.ess" ]; then
        fail "$1: native gdb session shows nothing: $(cat "$TMP/$1.native")"
    elif ! diff "$TMP/$1.native.ess" "$TMP/$1.emu.ess" >"$TMP/$1.diff"; then
        fail "$1: gdb under emu differs from native:
$(cat "$TMP/$1.diff")
--- full emu session:
$(cat "$TMP/$1.emu")"
    else
        pass
    fi
}

# 1. breakpoints, registers, variables, next/step/finish, memory, writes
session basic -- \
    -ex 'break compute' -ex continue -ex 'info registers rip' \
    -ex 'print n' -ex 'print counter' -ex 'set var n = 4' \
    -ex 'set var counter = 7' -ex next -ex next -ex step -ex bt \
    -ex 'print x' -ex 'x/4xw &counter' -ex finish -ex 'break square' \
    -ex continue -ex 'print x' \
    -ex 'info registers eflags' -ex delete -ex continue
compare basic
# the program saw gdb's writes: n = 4 gives 0+1+4+9, counter = 7
if grep -q '^result r=14 x=2 counter=7$' "$TMP/basic.prog" &&
   grep -q '^result r=14 x=2 counter=7$' "$TMP/basic.native"; then pass; else
    fail "basic: program output: $(cat "$TMP/basic.prog")"; fi
if [ "$(cat "$TMP/basic.rc")" = 3 ] &&
   grep -q 'exited with code 03' "$TMP/basic.emu"; then pass; else
    fail "basic: exit status $(cat "$TMP/basic.rc"), gdb: $(tail -3 "$TMP/basic.emu")"; fi

# 2. threads: both workers stop in worker_stop; info threads lists three
session threads threads -- \
    -ex 'break worker_stop' -ex continue -ex 'info threads' -ex 'bt 1' \
    -ex continue -ex 'bt 1' -ex 'delete' -ex continue
for f in emu native; do
    n=$(grep -cE '^[ *] +[0-9]+ +Thread ' "$TMP/threads.$f")
    if [ "$n" -ge 3 ]; then pass; else
        fail "threads ($f): info threads shows $n threads:
$(cat "$TMP/threads.$f")"; fi
    hits=$(grep -c 'hit Breakpoint 1, worker_stop (id=[12])' "$TMP/threads.$f")
    if [ "$hits" -eq 2 ]; then pass; else
        fail "threads ($f): worker_stop hit $hits times:
$(cat "$TMP/threads.$f")"; fi
done
if grep -q 'threads done bump=3' "$TMP/threads.prog" &&
   grep -q 'exited with code 00\|exited normally' "$TMP/threads.emu"; then
    pass; else fail "threads: program: $(cat "$TMP/threads.prog")"; fi

# 3. a guest SIGSEGV stops gdb at the faulting line
session segv segv -- -ex continue -ex bt
compare segv
if grep -q 'Program received signal SIGSEGV' "$TMP/segv.emu" &&
   grep -q 'SEGV here' "$TMP/segv.emu"; then pass; else
    fail "segv: $(cat "$TMP/segv.emu")"; fi

# 4. a signal the guest raises stops gdb and still reaches its handler
session usr1 usr1 -- -ex continue -ex 'bt 2' -ex continue
compare usr1
if grep -q 'handler saw 10' "$TMP/usr1.prog"; then pass; else
    fail "usr1: program: $(cat "$TMP/usr1.prog")"; fi

# 5. Ctrl-C in gdb interrupts a guest spinning in translated code; gdb
# can then change what the loop tests (where exactly it stopped depends on
# timing).  The last continue only prints "not being run".
interrupt=spinning
spin_ok() {     # spin_ok emu|native
    prog_out=$TMP/spin.native       # natively the program shares gdb's
    [ "$1" = emu ] && prog_out=$TMP/spin.prog
    grep -q 'Program received signal SIGINT' "$TMP/spin.$1" &&
        grep -q 'spin stopped' "$prog_out" &&
        grep -q 'exited normally' "$TMP/spin.$1"
}
session spin spin -- -ex continue -ex 'set var spin_stop = 1' \
    -ex continue -ex continue
interrupt=
for f in emu native; do
    if spin_ok "$f"; then pass; else
        fail "spin ($f): $(cat "$TMP/spin.$f")"; fi
done

# 6. a write watchpoint (Z2) stops right after each change of the value,
# as gdb's own software watchpoint does natively (hardware watchpoints
# need debug registers the host may not give)
native_setup='set can-use-hw-watchpoints 0'
session watch -- -ex 'break compute' -ex continue -ex next \
    -ex 'watch total' -ex continue -ex continue -ex delete -ex continue
native_setup=
compare watch
if grep -q 'Hardware watchpoint 2: total' "$TMP/watch.emu" &&
   [ "$(grep -c '^New value' "$TMP/watch.emu")" -eq 2 ]; then pass; else
    fail "watch: $(cat "$TMP/watch.emu")"; fi

# 7. the program's own int3: SIGTRAP for its handler without a debugger,
# a stop in gdb with one (gdb does not pass SIGTRAP on)
run "$PROG" int3
expect_out "int3 native" "handler saw 5"
run "$EMU_USER" "$PROG" int3
expect_out "int3 without gdb" "handler saw 5"
session int3 int3 -- -ex continue -ex continue
compare int3
if grep -q 'Program received signal SIGTRAP' "$TMP/int3.emu" &&
   grep -q 'handler saw 0' "$TMP/int3.prog"; then pass; else
    fail "int3: $(cat "$TMP/int3.emu") / $(cat "$TMP/int3.prog")"; fi

# 8. detach: the program runs on to its end without the debugger
emu_only=1
session detach -- -ex 'break square' -ex continue -ex detach
emu_only=
if grep -q '^result r=5 x=2 counter=3$' "$TMP/detach.prog" &&
   [ "$(cat "$TMP/detach.rc")" = 3 ]; then pass; else
    fail "detach: $(cat "$TMP/detach.emu") / $(cat "$TMP/detach.prog")"; fi

# 9. the last thread leaving with SYS_exit ends the process: gdb hears
# the exit status, not a closed connection
session sysexit sysexit -- -ex continue
compare sysexit
if grep -q 'exited with code 05' "$TMP/sysexit.emu"; then pass; else
    fail "sysexit: $(cat "$TMP/sysexit.emu")"; fi

# 10. bad -g arguments and a busy port: one error line, exit 1
run "$EMU_USER" -g nonsense "$PROG"
expect_error "-g nonsense" "-g: 'nonsense' is not a TCP port"
run "$EMU_USER" -g 70000 "$PROG"
expect_error "-g 70000" "is not a TCP port"
port=$(free_port)
timeout 30 "$EMU_USER" -g "$port" "$PROG" >/dev/null 2>&1 </dev/null &
holder=$!
wait_listen "$port" || fail "busy: first emu-x86_64 does not listen"
run "$EMU_USER" -g "$port" "$PROG"
expect_error "busy port" "cannot listen on port $port"
kill "$holder"
wait "$holder" 2>/dev/null
finish
