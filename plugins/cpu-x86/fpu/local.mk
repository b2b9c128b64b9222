# cpu-x86/fpu: portable x87 80-bit soft-float library (integer C only),
# linked into the x86 CPU plugin and tested by tests/unit/x87.
noinst_LTLIBRARIES += plugins/cpu-x86/fpu/libx87.la
plugins_cpu_x86_fpu_libx87_la_SOURCES = \
	plugins/cpu-x86/fpu/softfloat-x80.c \
	plugins/cpu-x86/fpu/softfloat-x80.h \
	plugins/cpu-x86/fpu/x80-internal.h \
	plugins/cpu-x86/fpu/x80-fast.h \
	plugins/cpu-x86/fpu/x80-arith.c \
	plugins/cpu-x86/fpu/x80-convert.c \
	plugins/cpu-x86/fpu/x80-trans.c
plugins_cpu_x86_fpu_libx87_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_cpu_x86_fpu_libx87_la_CFLAGS = $(PLUGIN_CFLAGS) -fPIC
