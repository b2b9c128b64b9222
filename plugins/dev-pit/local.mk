# dev-pit: the 8254 programmable interval timer.
plugins_LTLIBRARIES += plugins/dev-pit/dev-pit.la
plugins_DATA += plugins/dev-pit/dev-pit.module
plugins_dev_pit_dev_pit_la_SOURCES = plugins/dev-pit/i8254.c
plugins_dev_pit_dev_pit_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_pit_dev_pit_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_pit_dev_pit_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_pit_dev_pit_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-pit/dev-pit.module
