# dev-ps2: the i8042 keyboard controller with PS/2 keyboard and mouse.
plugins_LTLIBRARIES += plugins/dev-ps2/dev-ps2.la
plugins_DATA += plugins/dev-ps2/dev-ps2.module
plugins_dev_ps2_dev_ps2_la_SOURCES = plugins/dev-ps2/i8042.c \
	plugins/dev-ps2/scancodes.h
plugins_dev_ps2_dev_ps2_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_ps2_dev_ps2_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_ps2_dev_ps2_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_ps2_dev_ps2_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-ps2/dev-ps2.module
