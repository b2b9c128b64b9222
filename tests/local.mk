# Tests: cmocka units under tests/unit/, whole-program tests under
# tests/functional/.  `make check-unit` runs the units alone (CI runs them
# again under the sanitizers).
include tests/plugins/local.mk

TESTS += \
	tests/functional/plugins.sh \
	tests/functional/machine.sh \
	tests/functional/cmdline.sh \
	tests/functional/console.sh \
	tests/functional/install.sh
EXTRA_DIST += tests/functional tests/plugins/test-plugin.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-object
TESTS += tests/unit/test-object
tests_unit_test_object_SOURCES = tests/unit/test-object.c
tests_unit_test_object_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_object_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_object_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif

check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(filter tests/unit/%,$(TESTS))"
.PHONY: check-unit

include tests/unit/local.mk
include tests/unit/chardev.mk
include tests/functional/block/local.mk
include tests/unit/x87/local.mk
