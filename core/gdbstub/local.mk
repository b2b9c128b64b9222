# The GDB stub: remote protocol, x86 registers, TCP transport.
core_libemucore_la_SOURCES += \
	core/gdbstub/gdbstub.h \
	core/gdbstub/gdbstub.c \
	core/gdbstub/x86.c \
	core/gdbstub/tcp.c
