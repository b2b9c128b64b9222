# Block layer and emu-img functional tests (qemu-img is the peer).
TESTS += \
	tests/functional/block/emu-to-qemu.sh \
	tests/functional/block/qemu-to-emu.sh
EXTRA_DIST += tests/functional/block/common.sh \
	tests/functional/block/emu-to-qemu.sh tests/functional/block/qemu-to-emu.sh \
	tests/functional/block/crash.sh tests/functional/block/bad-input.sh \
	tests/functional/block/tools.sh
TESTS += tests/functional/block/crash.sh
TESTS += tests/functional/block/bad-input.sh
TESTS += tests/functional/block/tools.sh
