# dev-rtc: the MC146818A real-time clock and CMOS RAM.
plugins_LTLIBRARIES += plugins/dev-rtc/dev-rtc.la
plugins_DATA += plugins/dev-rtc/dev-rtc.module
plugins_dev_rtc_dev_rtc_la_SOURCES = plugins/dev-rtc/mc146818.c
plugins_dev_rtc_dev_rtc_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_rtc_dev_rtc_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_rtc_dev_rtc_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_rtc_dev_rtc_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-rtc/dev-rtc.module
