# linux-user whole-program tests: the host CPU as oracle for emu-x86_64.
if HOST_X86_64
TESTS += \
	tests/functional/user/x86-diff.sh \
	tests/functional/user/x86-diff32.sh \
	tests/functional/user/x86-fpe.sh \
	tests/functional/user/x86-smc.sh \
	tests/functional/user/busybox.sh \
	tests/functional/user/programs.sh \
	tests/functional/user/busybox-i386.sh \
	tests/functional/user/i386.sh \
	tests/functional/user/gdb.sh \
	tests/functional/user/jit-flush.sh \
	tests/functional/user/abi.sh
endif
EXTRA_DIST += tests/functional/user/x86-diff.sh tests/functional/user/x86-fpe.sh \
	tests/functional/user/x86-diff32.sh \
	tests/functional/user/x86-smc.sh \
	tests/functional/user/busybox.sh tests/functional/user/programs.sh \
	tests/functional/user/busybox-applets.sh \
	tests/functional/user/busybox-i386.sh tests/functional/user/i386.sh \
	tests/functional/user/i386-lib.sh tests/guest/syscalls32.c \
	tests/guest/ipc32.c tests/guest/robust32.c tests/guest/sigframe32.c \
	tests/functional/user/gdb.sh tests/functional/user/jit-flush.sh \
	tests/functional/user/abi.sh tests/guest/abi.c
