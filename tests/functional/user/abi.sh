#!/bin/sh
# Kernel ABI details whose output does not depend on the architecture
# (tests/guest/abi.c): the native x86_64 run is the oracle for emu-x86_64
# and for the same source built with -m32 under emu-i386.  Then -R for
# x86_64 guests and the QEMU_* names of the EMU_* variables.
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

# -R: every guest area lies below the limit, and the space is really
# that small: 48 MiB of malloc fit in -R 256M but not in -R 32M
cat > "$TMP/space.c" <<'EOT'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    unsigned long limit = strtoul(argv[1], NULL, 0), lo, hi, above = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi > limit) {
            above++;
        }
    }
    char *p = malloc(48 << 20);
    printf("areas above the limit: %lu, 48M malloc %s\n", above, p ? "ok" : "failed");
    return 0;
}
EOT
$CC -O1 -o "$TMP/space" "$TMP/space.c" || fail "cannot build space.c"
run "$EMU_USER" -R 256M "$TMP/space" 0x10000000
expect_out "-R 256M (x86_64)" "areas above the limit: 0, 48M malloc ok"
run "$EMU_USER" -R 32M "$TMP/space" 0x2000000
expect_out "-R 32M (x86_64)" "areas above the limit: 0, 48M malloc failed"
run "$EMU_USER" "$TMP/space" 0x2000000
expect_out "no -R: the kernel places areas" "48M malloc ok"
run "$EMU_USER" -R 1k "$TMP/space" 0
expect_error "-R too small (x86_64)" "-R"
run "$EMU_USER" -R 200T "$TMP/space" 0
expect_error "-R too large (x86_64)" "-R"

# QEMU_* variables: the same options as EMU_*, which win when both are set
run env QEMU_RESERVED_VA=256M "$EMU_USER" "$TMP/space" 0x10000000
expect_out "QEMU_RESERVED_VA" "areas above the limit: 0"
run env QEMU_SET_ENV=EMU_T1=one,EMU_T2=two QEMU_UNSET_ENV=HOME,PATH \
    HOME=/home PATH=/bin "$EMU_USER" /usr/bin/env
expect_out "QEMU_SET_ENV with two variables" "EMU_T1=one"
expect_out "QEMU_SET_ENV with two variables" "EMU_T2=two"
if printf '%s\n' "$out" | grep -q '^HOME=\|^PATH='; then
    fail "QEMU_UNSET_ENV=HOME,PATH left: $(printf '%s\n' "$out" | grep '^HOME=\|^PATH=')"
else pass; fi
run env EMU_SET_ENV=EMU_T1=emu QEMU_SET_ENV=EMU_T1=qemu "$EMU_USER" /usr/bin/env
expect_out "EMU_SET_ENV wins over QEMU_SET_ENV" "EMU_T1=emu"
run env QEMU_STRACE=1 "$EMU_USER" /bin/true
expect_err_has "QEMU_STRACE" "exit_group("
run env QEMU_LOG_FILENAME="$TMP/log" QEMU_LOG=strace "$EMU_USER" /bin/true
if grep -q "exit_group(" "$TMP/log" 2>/dev/null; then pass; else
    fail "QEMU_LOG=strace QEMU_LOG_FILENAME: no strace in the log file"; fi
run env QEMU_STACK_SIZE=1k "$EMU_USER" /bin/true
expect_error "QEMU_STACK_SIZE=1k" "stack size"
run env QEMU_CPU=no-such-cpu "$EMU_USER" /bin/true
if [ "$rc" -ne 0 ]; then pass; else fail "QEMU_CPU=no-such-cpu accepted"; fi
run env QEMU_VERSION=1 "$EMU_USER" /bin/true
expect_ok "QEMU_VERSION"
expect_out "QEMU_VERSION" "version"
if $CC -m32 -O1 -o "$TMP/space32" "$TMP/space.c" 2>/dev/null; then
    run env QEMU_LD_PREFIX=/ QEMU_RESERVED_VA=64M "$EMU_I386" "$TMP/space32" 0x4000000
    expect_out "QEMU_LD_PREFIX, QEMU_RESERVED_VA (i386)" "areas above the limit: 0, 48M malloc ok"
fi
finish
