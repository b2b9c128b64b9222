# dev-fw-cfg: the firmware configuration device.
plugins_LTLIBRARIES += plugins/dev-fw-cfg/dev-fw-cfg.la
plugins_DATA += plugins/dev-fw-cfg/dev-fw-cfg.module
plugins_dev_fw_cfg_dev_fw_cfg_la_SOURCES = plugins/dev-fw-cfg/fw-cfg.c
plugins_dev_fw_cfg_dev_fw_cfg_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_dev_fw_cfg_dev_fw_cfg_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_dev_fw_cfg_dev_fw_cfg_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_dev_fw_cfg_dev_fw_cfg_la_LIBADD = $(PLUGIN_LIBS)
CLEANFILES += plugins/dev-fw-cfg/dev-fw-cfg.module
