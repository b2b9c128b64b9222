# Event loop, timers and chardev backends (core/loop.c, core/chardev/).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-chardev
TESTS += tests/unit/test-chardev
tests_unit_test_chardev_SOURCES = tests/unit/test-chardev.c
tests_unit_test_chardev_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_chardev_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_chardev_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif

# The 16550A UART plugin (plugins/dev-serial/), loaded the way emu loads
# it, over a real socket chardev.  Public API only: links libemu.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-uart16550
TESTS += tests/unit/test-uart16550
tests_unit_test_uart16550_SOURCES = tests/unit/test-uart16550.c
tests_unit_test_uart16550_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-serial"'
tests_unit_test_uart16550_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_uart16550_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_uart16550_DEPENDENCIES = plugins/dev-serial/dev-serial.la
endif
