# cpu-x86: the x86 CPUs (translator to JIT IR, helpers, models).
plugins_LTLIBRARIES += plugins/cpu-x86/cpu-x86.la
plugins_DATA += plugins/cpu-x86/cpu-x86.module
plugins_cpu_x86_cpu_x86_la_SOURCES = \
	plugins/cpu-x86/x86-cpu.h \
	plugins/cpu-x86/cpu.c \
	plugins/cpu-x86/flags.c \
	plugins/cpu-x86/helpers.c \
	plugins/cpu-x86/sse.c \
	plugins/cpu-x86/sse42.c \
	plugins/cpu-x86/legacy.c \
	plugins/cpu-x86/x87.c \
	plugins/cpu-x86/translate.c
EXTRA_DIST += plugins/cpu-x86/translate-int.inc plugins/cpu-x86/translate-sse.inc \
	plugins/cpu-x86/translate-legacy.inc
plugins_cpu_x86_cpu_x86_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
# -frounding-math: sse.c switches the host rounding mode around guest
# arithmetic, which the compiler must not move or constant-fold across.
plugins_cpu_x86_cpu_x86_la_CFLAGS = $(PLUGIN_CFLAGS) $(ZYDIS_CFLAGS) -frounding-math
plugins_cpu_x86_cpu_x86_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cpu_x86_cpu_x86_la_LIBADD = plugins/cpu-x86/fpu/libx87.la $(PLUGIN_LIBS) \
	$(ZYDIS_LIBS) -latomic -lm
CLEANFILES += plugins/cpu-x86/cpu-x86.module
