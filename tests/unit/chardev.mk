# Event loop, timers and chardev backends (core/loop.c, core/chardev/).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-chardev
TESTS += tests/unit/test-chardev
tests_unit_test_chardev_SOURCES = tests/unit/test-chardev.c
tests_unit_test_chardev_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_chardev_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_chardev_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif

