# Guest programs for the linux-user tests, built for the host (x86_64) as
# static executables.  No sanitizers: they run under the emulator.
if HOST_X86_64
check_PROGRAMS += tests/guest/x86-diff tests/guest/x86-smc tests/guest/x86-fpe
tests_guest_x86_diff_SOURCES = tests/guest/x86-diff.c
tests_guest_x86_diff_CFLAGS = -O1 $(WARN_CFLAGS)
tests_guest_x86_diff_LDFLAGS = -all-static
# 32-bit (i386) code: needs gcc-multilib
check_PROGRAMS += tests/guest/x86-diff32
tests_guest_x86_diff32_SOURCES = tests/guest/x86-diff32.c
tests_guest_x86_diff32_CFLAGS = -m32 -msse2 -O1 $(WARN_CFLAGS)
tests_guest_x86_diff32_LDFLAGS = -m32 -all-static
tests_guest_x86_fpe_SOURCES = tests/guest/x86-fpe.c
tests_guest_x86_fpe_CFLAGS = -O1 $(WARN_CFLAGS)
tests_guest_x86_fpe_LDFLAGS = -all-static
tests_guest_x86_smc_SOURCES = tests/guest/x86-smc.c
tests_guest_x86_smc_CFLAGS = -O1 $(WARN_CFLAGS)
tests_guest_x86_smc_LDFLAGS = -all-static
check_PROGRAMS += tests/guest/threads tests/guest/threads-dyn tests/guest/signals
tests_guest_threads_SOURCES = tests/guest/threads.c
tests_guest_threads_CFLAGS = -O1 -pthread $(WARN_CFLAGS)
tests_guest_threads_LDFLAGS = -all-static -pthread
tests_guest_threads_dyn_SOURCES = tests/guest/threads.c
tests_guest_threads_dyn_CFLAGS = -O1 -pthread $(WARN_CFLAGS)
tests_guest_threads_dyn_LDFLAGS = -pthread
tests_guest_signals_SOURCES = tests/guest/signals.c
tests_guest_signals_CFLAGS = -O1 $(WARN_CFLAGS)
tests_guest_signals_LDFLAGS = -all-static
# -O0 -g: the program tests/functional/user/gdb.sh debugs
check_PROGRAMS += tests/guest/gdb-target
tests_guest_gdb_target_SOURCES = tests/guest/gdb-target.c
tests_guest_gdb_target_CFLAGS = -O0 -g -pthread $(WARN_CFLAGS)
tests_guest_gdb_target_LDFLAGS = -all-static -pthread
endif
