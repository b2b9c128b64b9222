# libemu: the core, as a convenience library (linked whole into libemu.la,
# and statically into unit tests that reach internals).
noinst_LTLIBRARIES += core/libemucore.la
core_libemucore_la_CPPFLAGS = $(CORE_CPPFLAGS)
core_libemucore_la_CFLAGS = $(CORE_CFLAGS)
core_libemucore_la_LIBADD = $(CORE_LIBS)
core_libemucore_la_SOURCES = \
	core/emu-internal.h \
	core/error.c \
	core/log.c \
	core/plugin.c core/plugin.h \
	core/object.c core/object-internal.h \
	core/memory.c core/memory-internal.h \
	core/loop.c core/loop.h \
	core/machine.c core/machine.h \
	core/input.c \
	core/pci.c \
	core/runtime.c \
	core/cmdline.c core/cmdline.h
include core/chardev/local.mk
include core/block/local.mk
include core/jit/local.mk
include core/gdbstub/local.mk

lib_LTLIBRARIES += libemu.la
libemu_la_SOURCES =
libemu_la_LIBADD = core/libemucore.la $(CORE_LIBS)
libemu_la_LDFLAGS = $(AM_LDFLAGS) -no-undefined -version-info $(LIBEMU_LT_VERSION) \
	-export-symbols-regex '^emu_'

emuinclude_HEADERS += \
	plugin-api/emu/emu.h \
	plugin-api/emu/plugin.h \
	plugin-api/emu/object.h \
	plugin-api/emu/memory.h \
	plugin-api/emu/timer.h \
	plugin-api/emu/chardev.h \
	plugin-api/emu/log.h \
	plugin-api/emu/runtime.h \
	plugin-api/emu/cpu.h \
	plugin-api/emu/intc.h \
	plugin-api/emu/pci.h \
	plugin-api/emu/input.h \
	plugin-api/emu/jit.h

bin_PROGRAMS += emu
emu_SOURCES = core/main.c
emu_LDADD = libemu.la $(GLIB_LIBS)
