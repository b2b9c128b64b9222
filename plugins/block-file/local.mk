# block-file: block driver plugin.
plugins_LTLIBRARIES += plugins/block-file/block-file.la
plugins_DATA += plugins/block-file/block-file.module
plugins_block_file_block_file_la_SOURCES = plugins/block-file/file.c
plugins_block_file_block_file_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_block_file_block_file_la_CFLAGS = $(PLUGIN_CFLAGS) $(ZLIB_CFLAGS)
plugins_block_file_block_file_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_block_file_block_file_la_LIBADD = $(PLUGIN_LIBS) $(ZLIB_LIBS)
CLEANFILES += plugins/block-file/block-file.module
