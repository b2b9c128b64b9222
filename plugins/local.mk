include plugins/block-file/local.mk
include plugins/block-raw/local.mk
include plugins/block-qcow2/local.mk
include plugins/dev-serial/local.mk
include plugins/dev-pic/local.mk
include plugins/dev-pit/local.mk
include plugins/cpu-x86/local.mk
include plugins/cpu-x86/fpu/local.mk
