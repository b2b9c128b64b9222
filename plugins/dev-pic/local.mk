# dev-pic: interrupt controllers (the 8259A PIC).
plugins_LTLIBRARIES += plugins/dev-pic/dev-pic.la
plugins_DATA += plugins/dev-pic/dev-pic.module
plugins_dev_pic_dev_pic_la_SOURCES = plugins/dev-pic/i8259.c
plugins_dev_pic_dev_pic_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_pic_dev_pic_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_pic_dev_pic_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_pic_dev_pic_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-pic/dev-pic.module
