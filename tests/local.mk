# Tests: cmocka units under tests/unit/, whole-program tests under
# tests/functional/.  `make check-unit` runs the units alone, plus the
# machine test that builds and tears down every shipped device (CI runs
# them again under the sanitizers).
include tests/plugins/local.mk

FUNCTIONAL_TESTS = \
	tests/functional/plugins.sh \
	tests/functional/machine.sh \
	tests/functional/cmdline.sh \
	tests/functional/console.sh \
	tests/functional/install.sh
TESTS += $(FUNCTIONAL_TESTS)
# install.sh runs `make install` in this build tree: never beside tests
# that use the tree's plugins.
tests/functional/install.log: $(filter-out tests/functional/install.log,$(TEST_LOGS))
# Files, not the folder: a VPATH build keeps its logs in a folder of the
# same name, which must not end up in the tarball.
EXTRA_DIST += $(FUNCTIONAL_TESTS) tests/functional/lib.sh

# Shell tests build nothing, so in a VPATH build the folders for their
# logs must be made before they run.
check_DATA = test-log-dirs
test-log-dirs:
	@for t in $(TESTS); do $(MKDIR_P) "$${t%/*}"; done
.PHONY: test-log-dirs

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-object
TESTS += tests/unit/test-object
tests_unit_test_object_SOURCES = tests/unit/test-object.c
tests_unit_test_object_CPPFLAGS = $(CORE_CPPFLAGS)
tests_unit_test_object_CFLAGS = $(CORE_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_object_LDADD = core/libemucore.la $(CMOCKA_LIBS) $(CORE_LIBS)
endif

check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check \
	    TESTS="$(filter tests/unit/%,$(TESTS)) tests/functional/machine.sh"
.PHONY: check-unit

include tests/unit/local.mk
include tests/unit/chardev.mk
include tests/unit/devices.mk
include tests/unit/gdbstub.mk
include tests/functional/block/local.mk
include tests/unit/x87/local.mk
include tests/guest/local.mk
include tests/functional/user/local.mk
include tests/fuzz/local.mk
include tests/unit/jit/local.mk
