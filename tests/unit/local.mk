# cmocka unit tests.  Each test links the core convenience library
# statically, so it can reach internals declared in core/*-internal.h.
# One block per test program.
if HAVE_CMOCKA

# The memory bus (core/memory.c).
check_PROGRAMS += tests/unit/test-memory
TESTS += tests/unit/test-memory
tests_unit_test_memory_SOURCES = tests/unit/test-memory.c
tests_unit_test_memory_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_memory_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_memory_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)

endif
