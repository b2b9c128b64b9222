# dev-serial: serial port devices (the 16550A UART).
plugins_LTLIBRARIES += plugins/dev-serial/dev-serial.la
plugins_DATA += plugins/dev-serial/dev-serial.module
plugins_dev_serial_dev_serial_la_SOURCES = plugins/dev-serial/uart-16550.c
plugins_dev_serial_dev_serial_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_serial_dev_serial_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_serial_dev_serial_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_serial_dev_serial_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-serial/dev-serial.module
