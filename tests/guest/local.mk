# Guest programs for the linux-user tests, built for the host (x86_64) as
# static executables.  No sanitizers: they run under the emulator.  The
# user's CFLAGS (-O2 by default) come after these and win, so no -O here:
# gdb-target, which must be -O0, says so with a pragma.
if HOST_X86_64
check_PROGRAMS += tests/guest/x86-diff tests/guest/x86-smc tests/guest/x86-fpe
tests_guest_x86_diff_SOURCES = tests/guest/x86-diff.c tests/guest/xorshift.h
tests_guest_x86_diff_CFLAGS = $(WARN_CFLAGS)
tests_guest_x86_diff_LDFLAGS = -all-static
# 32-bit (i386) code: needs gcc-multilib
check_PROGRAMS += tests/guest/x86-diff32
tests_guest_x86_diff32_SOURCES = tests/guest/x86-diff32.c tests/guest/xorshift.h
tests_guest_x86_diff32_CFLAGS = -m32 -msse2 $(WARN_CFLAGS)
tests_guest_x86_diff32_LDFLAGS = -m32 -all-static
tests_guest_x86_fpe_SOURCES = tests/guest/x86-fpe.c
tests_guest_x86_fpe_CFLAGS = $(WARN_CFLAGS)
tests_guest_x86_fpe_LDFLAGS = -all-static
tests_guest_x86_smc_SOURCES = tests/guest/x86-smc.c
tests_guest_x86_smc_CFLAGS = $(WARN_CFLAGS)
tests_guest_x86_smc_LDFLAGS = -all-static
check_PROGRAMS += tests/guest/x86-random
tests_guest_x86_random_SOURCES = tests/guest/x86-random.c
tests_guest_x86_random_CFLAGS = $(WARN_CFLAGS)
tests_guest_x86_random_LDFLAGS = -all-static
check_PROGRAMS += tests/guest/threads tests/guest/threads-dyn tests/guest/signals
tests_guest_threads_SOURCES = tests/guest/threads.c
tests_guest_threads_CFLAGS = -pthread $(WARN_CFLAGS)
tests_guest_threads_LDFLAGS = -all-static -pthread
tests_guest_threads_dyn_SOURCES = tests/guest/threads.c
tests_guest_threads_dyn_CFLAGS = -pthread $(WARN_CFLAGS)
tests_guest_threads_dyn_LDFLAGS = -pthread
tests_guest_signals_SOURCES = tests/guest/signals.c
tests_guest_signals_CFLAGS = $(WARN_CFLAGS)
tests_guest_signals_LDFLAGS = -all-static
# -O0 -g: the program tests/functional/user/gdb.sh debugs
check_PROGRAMS += tests/guest/gdb-target
tests_guest_gdb_target_SOURCES = tests/guest/gdb-target.c
tests_guest_gdb_target_CFLAGS = -g -pthread $(WARN_CFLAGS)
tests_guest_gdb_target_LDFLAGS = -all-static -pthread
endif
