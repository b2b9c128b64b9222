#!/bin/sh
# Whole i386 programs (gcc -m32) under emu-i386 compared with the oracle
# (the host when it runs i386 programs, else qemu-i386): eight pthreads
# in a dynamic program loaded through PT_INTERP with -L / (clone with a
# TLS descriptor, futexes, %gs TLS), signals at the faulting instruction
# with rt and plain frames and sigreturn (static), system calls whose
# structures differ between the ABIs (SysV IPC, mq, getdents, 16-bit
# uids), robust mutexes, the FPU state and segment registers of signal
# frames; then exec between i386 and x86-64
# programs, execveat, EFAULT, and the command line.
. "$top_srcdir/tests/functional/lib.sh"
. "$top_srcdir/tests/functional/user/i386-lib.sh"
G="$top_srcdir/tests/guest"
CC=${CC:-cc}

printf 'int main(void) { return 0; }\n' > "$TMP/true.c"
if ! $CC -m32 -o "$TMP/true32" "$TMP/true.c" 2>/dev/null; then
    echo "SKIP: $CC -m32 cannot build i386 programs (package gcc-multilib)"
    exit 77
fi
find_i386_oracle "$TMP/true32"

build() {
    out=$1; shift
    $CC -m32 -O1 -msse2 -o "$TMP/$out" "$@" || fail "cannot build $out"
}
build threads-dyn -pthread "$G/threads.c"
build signals -static "$G/signals.c"
# both ABIs of 32-bit glibc: 64-bit off_t and time_t (*64 and *_time64
# calls), and the old 32-bit ones
build syscalls32 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 "$G/syscalls32.c"
build syscalls32-old -w "$G/syscalls32.c"    # offsets past 2G wrap there
build ipc32 "$G/ipc32.c"
build robust32 -pthread "$G/robust32.c"
build sigframe32 "$G/sigframe32.c"
# bad pointers: EFAULT from the calls the emulator converts or reads itself
cat > "$TMP/efault.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
int main(void)
{
    void *bad = (void *)16;
    int r1 = open(bad, O_RDONLY), e1 = errno;
    int r2 = (int)writev(1, bad, 1), e2 = errno;
    int r3 = (int)read(open("/proc/self/exe", O_RDONLY), bad, 4), e3 = errno;
    printf("open %d %d, writev %d %d, read %d %d\n", r1, e1, r2, e2, r3, e3);
    return 0;
}
EOF
build efault -w "$TMP/efault.c"
# fexecve: execveat(fd, "", AT_EMPTY_PATH)
cat > "$TMP/fexecve.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    if (argc > 1) {
        printf("re-executed with %s\n", argv[1]);
        return 0;
    }
    char *args[] = { argv[0], "an-argument", NULL };
    fexecve(open("/proc/self/exe", O_RDONLY), args, environ);
    perror("fexecve");
    return 1;
}
EOF
build fexecve "$TMP/fexecve.c"
cat > "$TMP/maps.c" <<'EOF'
#include <stdio.h>
int main(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int c;
    while (f && (c = getc(f)) != EOF) {
        putchar(c);
    }
    return !f;
}
EOF
build maps "$TMP/maps.c"

# same_as_oracle DESC PROGRAM ARGS...: output and exit status
same_as_oracle() {
    desc=$1; shift
    $ORACLE "$@" > "$TMP/oracle" 2>&1 </dev/null
    echo "exit $?" >> "$TMP/oracle"
    "$EMU_I386" -L / "$@" > "$TMP/emu" 2>&1 </dev/null
    echo "exit $?" >> "$TMP/emu"
    if cmp -s "$TMP/oracle" "$TMP/emu"; then pass; else
        fail "$desc differs from ${ORACLE:-native}:"
        diff "$TMP/oracle" "$TMP/emu" | head -10
    fi
}

same_as_oracle "8 threads (dynamic)" "$TMP/threads-dyn"
same_as_oracle "signals (static)" "$TMP/signals"
same_as_oracle "EFAULT" "$TMP/efault"
same_as_oracle "converted system calls (time64)" "$TMP/syscalls32" "$TMP/scratch"
same_as_oracle "converted system calls (time32)" "$TMP/syscalls32-old" "$TMP/scratch"
mkdir "$TMP/ipc-oracle" "$TMP/ipc-emu"
$ORACLE "$TMP/ipc32" "$TMP/ipc-oracle" > "$TMP/oracle" 2>&1 </dev/null
echo "exit $?" >> "$TMP/oracle"
"$EMU_I386" -L / "$TMP/ipc32" "$TMP/ipc-emu" > "$TMP/emu" 2>&1 </dev/null
echo "exit $?" >> "$TMP/emu"
if cmp -s "$TMP/oracle" "$TMP/emu"; then pass; else
    fail "SysV IPC, mq, getdents, 16-bit uids differ from ${ORACLE:-native}:"
    diff "$TMP/oracle" "$TMP/emu" | head -10
fi
# robust futex lists and mq_notify: qemu-i386 has neither, the program
# checks itself
run "$EMU_I386" -L / "$TMP/robust32"
if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^ok ')" -eq 10 ]; then
    pass; else fail "robust mutexes, mq_notify (exit $rc): $out"; fi
# the FPU state and segment registers in a signal frame, read and changed
# by the handler (self-checking: qemu-i386 crashes on it)
run "$EMU_I386" -L / "$TMP/sigframe32"
if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^ok ')" -eq 10 ]; then
    pass; else fail "signal frame FPU state and segments (exit $rc): $out"; fi
# (qemu-i386 cannot be the oracle here: it execs i386 programs natively)
run "$EMU_I386" "$TMP/fexecve"
expect_out "fexecve (execveat)" "re-executed with an-argument"

BB386=${EMU_TEST_I386_BUSYBOX:-/usr/local/lib/emu-test/i386/busybox}
if [ -f "$BB386" ]; then
    run "$EMU_I386" "$BB386" sh -c 'exit 3'
    if [ "$rc" -eq 3 ]; then pass; else fail "exit status 3: got $rc"; fi
    run "$EMU_I386" "$BB386" readlink /proc/self/exe
    expect_out "/proc/self/exe is the guest program" "$BB386"
    # an i386 shell running an x86-64 program and back
    run "$EMU_I386" "$BB386" sh -c "/bin/echo from-x86-64; $BB386 echo from-i386"
    expect_out "exec of an x86-64 program" "from-x86-64"
    expect_out "exec of an i386 program" "from-i386"
    run "$EMU_I386" -strace "$BB386" true
    expect_err_has "-strace names i386 calls" "exit_group("
    run "$EMU_I386" -R 64M "$BB386" true
    expect_error "-R 64M with a program linked at 128 MiB" "cannot map segment"
fi

run "$EMU_I386" "$TMP/true32"
expect_ok "a trivial dynamic program"
# -R 64M: every area of a PIE program and its loader ends by 64 MiB
run "$EMU_I386" -R 64M "$TMP/maps"
expect_ok "-R 64M"
high=$(printf '%s\n' "$out" | awk -F'[- ]' 'length($2) > 8 || $2 > "04000000"')
if printf '%s' "$out" | grep -q ld-linux && [ -z "$high" ]; then pass; else
    fail "-R 64M: areas above 64 MiB: $high"; fi
run "$EMU_I386" -R 1k "$TMP/true32"
expect_error "-R too small" "-R"
run "$EMU_I386" /bin/true
expect_error "an x86-64 program under emu-i386" "not for i386"
finish
