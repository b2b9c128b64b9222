#!/bin/sh
# Whole programs under emu-x86_64 compared with native runs: threads
# (static and dynamic), signals at the faulting instruction, dynamic ELF
# through PT_INTERP (ls, python3), /proc/self/exe, exit status, and the
# command line (-h, -cpu help, bad option), RDRAND/RDSEED/RDTSCP.
. "$top_srcdir/tests/functional/lib.sh"
EMU_USER="$top_builddir/emu-x86_64"
G="$top_builddir/tests/guest"

# same_as_native DESC CMD...: stdout and exit status equal to native
same_as_native() {
    desc=$1; shift
    "$@" > "$TMP/native" 2>&1 </dev/null
    echo "exit $?" >> "$TMP/native"
    "$EMU_USER" "$@" > "$TMP/emu" 2>&1 </dev/null
    echo "exit $?" >> "$TMP/emu"
    if cmp -s "$TMP/native" "$TMP/emu"; then pass; else
        fail "$desc differs from native:"; diff "$TMP/native" "$TMP/emu" | head -10
    fi
}

same_as_native "8 threads (static)" "$G/threads"
same_as_native "8 threads (dynamic)" "$G/threads-dyn"
same_as_native "signals" "$G/signals"
same_as_native "ls -l /usr" /bin/ls -l /usr /bin/ls
same_as_native "exit status" /bin/sh -c 'exit 3'

# vfork: the parent waits until the child exits or execs
cat > "$TMP/vfork.c" <<'EOF'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
    int st;
    pid_t pid = vfork();
    if (pid == 0) {
        usleep(200000);
        write(1, "child first\n", 12);
        _exit(3);
    }
    write(1, "parent after\n", 13);
    waitpid(pid, &st, 0);
    if ((pid = vfork()) == 0) {
        execl("/bin/echo", "echo", "exec'd child", (char *)0);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    write(1, "parent after exec\n", 18);
    return WEXITSTATUS(st);
}
EOF
if ${CC:-cc} -o "$TMP/vfork" "$TMP/vfork.c"; then
    same_as_native "vfork" "$TMP/vfork"
else
    fail "cannot build the vfork program"
fi
if [ -x /usr/bin/python3 ]; then
    same_as_native "python3" /usr/bin/python3 -c \
        'import sys, hashlib, json; print(sum(range(1000)), hashlib.sha256(b"emu").hexdigest(), json.dumps({"a": [1, 2.5]}), sys.argv)'
fi

run "$EMU_USER" -L / /bin/ls /
expect_ok "-L / with a dynamic program"
expect_out "-L / lists /" "usr"

# /proc/self/maps: the mapped files (permissions, offset, device, inode,
# path), [heap] and [stack] as the kernel shows them natively; the layout
# differs, so the lines are compared as a set
maps_view() {
    awk '$6 ~ /^\// || $6 == "[heap]" || $6 == "[stack]" {print $2, $3, $4, $5, $6}' | sort
}
for cat in "/bin/busybox cat" /bin/cat; do
    $cat /proc/self/maps | maps_view > "$TMP/maps.native"
    "$EMU_USER" $cat /proc/self/maps | maps_view > "$TMP/maps.emu"
    if [ -s "$TMP/maps.emu" ] && cmp -s "$TMP/maps.native" "$TMP/maps.emu"; then pass; else
        fail "/proc/self/maps of $cat differs from native:"
        diff "$TMP/maps.native" "$TMP/maps.emu" | head -10
    fi
done

run "$EMU_USER" /bin/busybox readlink /proc/self/exe
expect_ok "readlink /proc/self/exe"
expect_out "/proc/self/exe is the guest program" "/bin/busybox"

run "$EMU_USER" -strace /bin/busybox true
expect_ok "-strace"
expect_err_has "-strace logs exit_group" "exit_group("

run "$EMU_USER" -d in_asm,op,out_asm,exec -D "$TMP/log" /bin/busybox true
expect_ok "-d in_asm,op,out_asm,exec"
for item in "IN:" "OP:" "OP after optimization:" "OUT:" "Trace:"; do
    if grep -q "^$item" "$TMP/log"; then pass; else fail "-d log lacks $item"; fi
done
if grep -q "xor.*eax" "$TMP/log"; then pass; else fail "in_asm is not disassembled"; fi

run "$EMU_USER" -E EMU_TEST_VAR=42 -U HOME /bin/busybox env
expect_out "-E sets a variable" "EMU_TEST_VAR=42"
if printf '%s' "$out" | grep -q '^HOME='; then fail "-U HOME kept HOME"; else pass; fi

run "$EMU_USER" -0 echo /bin/busybox argv0-works
expect_out "-0 sets argv[0]" "argv0-works"

run "$EMU_USER" -s 1M /bin/busybox sh -c 'echo small stack'
expect_out "-s 1M" "small stack"

EMU_STRACE=1 run "$EMU_USER" /bin/busybox true
expect_err_has "EMU_STRACE" "exit_group("

run "$EMU_USER" -h
expect_ok "-h"
expect_out "-h lists -strace" "-strace"

# -perfmap: perf's map of JIT code, /tmp/perf-PID.map (the guest's pid
# is the emulator's), one "START SIZE name" line per translated block
run "$EMU_USER" -perfmap /bin/busybox sh -c 'echo $$'
map=/tmp/perf-$out.map
if [ -s "$map" ] && ! grep -qvE '^[0-9a-f]+ [0-9a-f]+ guest-0x[0-9a-f]+$' "$map"; then
    pass; else fail "-perfmap: $map: $(head -3 "$map" 2>&1)"; fi
rm -f "$map"

run "$EMU_USER" -d help
expect_ok "-d help"
expect_out "-d help lists in_asm" "in_asm"

run "$EMU_USER" -cpu help
expect_ok "-cpu help"
expect_out "-cpu help lists max" "max"

# RDRAND/RDSEED/RDTSCP: advertised by -cpu max only, and then they work
# (the program checks what the SDM promises: random bits cannot be
# compared with a native run; natively it checks what this host has)
run "$G/x86-random"
if printf '%s' "$out" | grep -q bad; then fail "x86-random native: $out"; else pass; fi
run "$EMU_USER" -cpu max "$G/x86-random"
for insn in rdrand rdseed rdtscp; do expect_out "-cpu max $insn" "$insn ok"; done
run "$EMU_USER" "$G/x86-random"
expect_out "emu64 has no rdrand" "rdrand absent"

run "$EMU_USER" -cpu nosuchcpu /bin/busybox true
expect_error "unknown CPU model" "nosuchcpu"

run "$EMU_USER" -frobnicate /bin/true
expect_error "unknown option" "frobnicate"

run "$EMU_USER" /nonexistent/program
expect_error "missing program" "nonexistent"
finish
