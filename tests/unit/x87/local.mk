# x87 soft-float library checked bit for bit against the host x87
# (skipped, exit 77, on non-x86 hosts), its fast paths against itself.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/x87/test-x87
TESTS += tests/unit/x87/test-x87
tests_unit_x87_test_x87_SOURCES = tests/unit/x87/test-x87.c
tests_unit_x87_test_x87_CPPFLAGS = $(PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/cpu-x86/fpu
tests_unit_x87_test_x87_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_x87_test_x87_LDADD = plugins/cpu-x86/fpu/libx87.la $(CMOCKA_LIBS)
# fpu/x80-fast.h against the library (portable)
check_PROGRAMS += tests/unit/x87/test-x80-fast
TESTS += tests/unit/x87/test-x80-fast
tests_unit_x87_test_x80_fast_SOURCES = tests/unit/x87/test-x80-fast.c \
	tests/guest/xorshift.h
tests_unit_x87_test_x80_fast_CPPFLAGS = $(tests_unit_x87_test_x87_CPPFLAGS)
tests_unit_x87_test_x80_fast_CFLAGS = $(tests_unit_x87_test_x87_CFLAGS)
tests_unit_x87_test_x80_fast_LDADD = $(tests_unit_x87_test_x87_LDADD)
endif
