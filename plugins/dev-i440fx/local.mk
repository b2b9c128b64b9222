# dev-i440fx: the Intel 440FX PCI host bridge.
plugins_LTLIBRARIES += plugins/dev-i440fx/dev-i440fx.la
plugins_DATA += plugins/dev-i440fx/dev-i440fx.module
plugins_dev_i440fx_dev_i440fx_la_SOURCES = plugins/dev-i440fx/i440fx.c
plugins_dev_i440fx_dev_i440fx_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_i440fx_dev_i440fx_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_i440fx_dev_i440fx_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_i440fx_dev_i440fx_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-i440fx/dev-i440fx.module
