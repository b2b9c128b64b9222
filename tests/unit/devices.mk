# Device plugins, loaded the way emu loads them and driven through the
# I/O space as a guest would.  Public API only: they link libemu.
EXTRA_DIST += tests/unit/device-test.h

# The 16550A UART plugin (plugins/dev-serial/) over a real socket chardev.
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

# The 8259A PIC plugin (plugins/dev-pic/) wired as in the PC.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-i8259
TESTS += tests/unit/test-i8259
tests_unit_test_i8259_SOURCES = tests/unit/test-i8259.c
tests_unit_test_i8259_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-pic"'
tests_unit_test_i8259_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_i8259_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_i8259_DEPENDENCIES = plugins/dev-pic/dev-pic.la
endif

# The 8254 PIT plugin (plugins/dev-pit/) on a stepped virtual clock.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-i8254
TESTS += tests/unit/test-i8254
tests_unit_test_i8254_SOURCES = tests/unit/test-i8254.c
tests_unit_test_i8254_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-pit"'
tests_unit_test_i8254_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_i8254_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_i8254_DEPENDENCIES = plugins/dev-pit/dev-pit.la
endif

# The MC146818A RTC plugin (plugins/dev-rtc/) on a stepped virtual clock.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-mc146818
TESTS += tests/unit/test-mc146818
tests_unit_test_mc146818_SOURCES = tests/unit/test-mc146818.c
tests_unit_test_mc146818_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-rtc"'
tests_unit_test_mc146818_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_mc146818_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_mc146818_DEPENDENCIES = plugins/dev-rtc/dev-rtc.la
endif

# The fw-cfg plugin (plugins/dev-fw-cfg/), read as SeaBIOS reads it.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-fw-cfg
TESTS += tests/unit/test-fw-cfg
tests_unit_test_fw_cfg_SOURCES = tests/unit/test-fw-cfg.c
tests_unit_test_fw_cfg_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-fw-cfg"'
tests_unit_test_fw_cfg_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_fw_cfg_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_fw_cfg_DEPENDENCIES = plugins/dev-fw-cfg/dev-fw-cfg.la
endif

# PCI (core/pci.c) behind the i440fx host bridge (plugins/dev-i440fx/),
# with the PIIX3 interrupt router (plugins/dev-piix3/).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-pci
TESTS += tests/unit/test-pci
tests_unit_test_pci_SOURCES = tests/unit/test-pci.c
tests_unit_test_pci_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-i440fx:$(abs_top_builddir)/plugins/dev-piix3"'
tests_unit_test_pci_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_pci_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_pci_DEPENDENCIES = plugins/dev-i440fx/dev-i440fx.la \
	plugins/dev-piix3/dev-piix3.la
endif

# The i8042 keyboard controller with PS/2 keyboard and mouse
# (plugins/dev-ps2/), fed through the input core.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-i8042
TESTS += tests/unit/test-i8042
tests_unit_test_i8042_SOURCES = tests/unit/test-i8042.c
tests_unit_test_i8042_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/dev-ps2"'
tests_unit_test_i8042_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_i8042_LDADD = libemu.la $(CMOCKA_LIBS) $(GLIB_LIBS)
EXTRA_tests_unit_test_i8042_DEPENDENCIES = plugins/dev-ps2/dev-ps2.la
endif
