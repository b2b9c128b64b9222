include bench/block/local.mk
include bench/user/local.mk
