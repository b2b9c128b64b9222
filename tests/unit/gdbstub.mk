# The GDB stub's protocol layer (core/gdbstub/) against a fake target.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-gdbstub
TESTS += tests/unit/test-gdbstub
tests_unit_test_gdbstub_SOURCES = tests/unit/test-gdbstub.c
tests_unit_test_gdbstub_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_gdbstub_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_gdbstub_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif
