# Shared by the emu-i386 tests (sourced after lib.sh).
EMU_I386="$top_builddir/emu-i386"

# find_i386_oracle I386-PROGRAM: sets ORACLE to the command prefix that
# runs i386 programs for reference: empty when the host kernel runs them
# (IA-32 emulation), else qemu-i386.  Fails the test when neither works.
find_i386_oracle() {
    if "$1" --help >/dev/null 2>&1 || [ $? -lt 126 ]; then
        ORACLE=
    elif command -v qemu-i386 >/dev/null 2>&1; then
        ORACLE=qemu-i386
    else
        echo "FAIL: this host runs no i386 programs and has no qemu-i386 (qemu-user)"
        exit 1
    fi
}
