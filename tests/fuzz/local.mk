# libFuzzer target over qcow2 open+read+write+check, built with clang by
# the script itself; make check runs it for FUZZ_SECONDS (default 60).
TESTS += tests/fuzz/run-fuzz.sh
# Files, not the folder: the build tree keeps the fuzzer binary there.
EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/fuzz-qcow2.c tests/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz-qcow2 tests/fuzz/*.o tests/fuzz/fuzz.log \
	tests/fuzz/build.log tests/fuzz/config.h
