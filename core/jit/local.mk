# The JIT: IR, optimizer, interpreter backend, TB cache, logging.
core_libemucore_la_SOURCES += \
	core/jit/jit-internal.h \
	core/jit/ir.c \
	core/jit/opt.c \
	core/jit/interp.c \
	core/jit/exec.c \
	core/jit/backend-x86_64.c \
	core/jit/disas.c
if HAVE_CAPSTONE
core_libemucore_la_CFLAGS += $(CAPSTONE_CFLAGS)
core_libemucore_la_LIBADD += $(CAPSTONE_LIBS)
endif
