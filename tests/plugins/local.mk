# Plugins for the loader tests: one source, built with different flags,
# each in its own folder so that a test picks its set via EMU_PLUGIN_PATH.
TEST_PLUGIN_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
TEST_PLUGIN_SRC = tests/plugins/test-plugin.c

check_LTLIBRARIES += tests/plugins/good/test-good.la
tests_plugins_good_test_good_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_good_test_good_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
tests_plugins_good_test_good_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_good_test_good_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_good_test_good_la_LIBADD = $(PLUGIN_LIBS)

check_LTLIBRARIES += tests/plugins/abi2/test-abi2.la
tests_plugins_abi2_test_abi2_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_abi2_test_abi2_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_ABI_MAJOR=2 -DTEST_PLUGIN_NAME='"test-abi2"'
tests_plugins_abi2_test_abi2_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_abi2_test_abi2_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi2_test_abi2_la_LIBADD = $(PLUGIN_LIBS)

check_LTLIBRARIES += tests/plugins/minor/test-minor.la
tests_plugins_minor_test_minor_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_minor_test_minor_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_ABI_MINOR=99 -DTEST_PLUGIN_NAME='"test-minor"'
tests_plugins_minor_test_minor_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_minor_test_minor_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_minor_test_minor_la_LIBADD = $(PLUGIN_LIBS)

# built for ABI 1.0: a core of a newer minor still loads it
check_LTLIBRARIES += tests/plugins/minor0/test-minor0.la
tests_plugins_minor0_test_minor0_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_minor0_test_minor0_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_ABI_MINOR=0 -DTEST_PLUGIN_NAME='"test-minor0"'
tests_plugins_minor0_test_minor0_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_minor0_test_minor0_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_minor0_test_minor0_la_LIBADD = $(PLUGIN_LIBS)

check_LTLIBRARIES += tests/plugins/initfail/test-initfail.la
tests_plugins_initfail_test_initfail_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_initfail_test_initfail_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_INIT_FAIL -DTEST_PLUGIN_NAME='"test-initfail"'
tests_plugins_initfail_test_initfail_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_initfail_test_initfail_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_initfail_test_initfail_la_LIBADD = $(PLUGIN_LIBS)

check_LTLIBRARIES += tests/plugins/noreg/test-noreg.la
tests_plugins_noreg_test_noreg_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_noreg_test_noreg_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_NO_REGISTER -DTEST_PLUGIN_NAME='"test-noreg"'
tests_plugins_noreg_test_noreg_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_noreg_test_noreg_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_noreg_test_noreg_la_LIBADD = $(PLUGIN_LIBS)

# A second provider of test-dev, beside a copy of the good one.
check_LTLIBRARIES += tests/plugins/dup/test-dup.la
tests_plugins_dup_test_dup_la_SOURCES = $(TEST_PLUGIN_SRC)
tests_plugins_dup_test_dup_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-DTEST_PLUGIN_NAME='"test-dup"'
tests_plugins_dup_test_dup_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_dup_test_dup_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_dup_test_dup_la_LIBADD = $(PLUGIN_LIBS)

check_LTLIBRARIES += tests/plugins/notplugin/not-a-plugin.la
tests_plugins_notplugin_not_a_plugin_la_SOURCES = tests/plugins/not-a-plugin.c
tests_plugins_notplugin_not_a_plugin_la_LDFLAGS = $(AM_LDFLAGS) -module \
	-avoid-version -shared -rpath /nowhere
