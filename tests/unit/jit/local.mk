# The JIT IR: op table, builder, interpreter, optimizer (random programs
# optimized vs not).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/jit/test-jit
TESTS += tests/unit/jit/test-jit
tests_unit_jit_test_jit_SOURCES = tests/unit/jit/test-jit.c
tests_unit_jit_test_jit_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_jit_test_jit_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_jit_test_jit_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif
