# dev-piix3: the Intel PIIX3 PCI-to-ISA bridge and interrupt router.
plugins_LTLIBRARIES += plugins/dev-piix3/dev-piix3.la
plugins_DATA += plugins/dev-piix3/dev-piix3.module
plugins_dev_piix3_dev_piix3_la_SOURCES = plugins/dev-piix3/piix3.c
plugins_dev_piix3_dev_piix3_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_piix3_dev_piix3_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_piix3_dev_piix3_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_piix3_dev_piix3_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-piix3/dev-piix3.module
