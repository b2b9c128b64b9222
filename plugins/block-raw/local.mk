# block-raw: block driver plugin.
plugins_LTLIBRARIES += plugins/block-raw/block-raw.la
plugins_DATA += plugins/block-raw/block-raw.module
plugins_block_raw_block_raw_la_SOURCES = plugins/block-raw/raw.c
plugins_block_raw_block_raw_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_block_raw_block_raw_la_CFLAGS = $(PLUGIN_CFLAGS) $(ZLIB_CFLAGS)
plugins_block_raw_block_raw_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_block_raw_block_raw_la_LIBADD = $(PLUGIN_LIBS) $(ZLIB_LIBS)
CLEANFILES += plugins/block-raw/block-raw.module
