# block-qcow2: block driver plugin.
plugins_LTLIBRARIES += plugins/block-qcow2/block-qcow2.la
plugins_DATA += plugins/block-qcow2/block-qcow2.module
plugins_block_qcow2_block_qcow2_la_SOURCES = plugins/block-qcow2/qcow2.c plugins/block-qcow2/qcow2.h \
	plugins/block-qcow2/qcow2-header.c plugins/block-qcow2/qcow2-refcount.c \
	plugins/block-qcow2/qcow2-cluster.c plugins/block-qcow2/qcow2-snapshot.c \
	plugins/block-qcow2/qcow2-check.c
plugins_block_qcow2_block_qcow2_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_block_qcow2_block_qcow2_la_CFLAGS = $(PLUGIN_CFLAGS) $(ZLIB_CFLAGS)
plugins_block_qcow2_block_qcow2_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_block_qcow2_block_qcow2_la_LIBADD = $(PLUGIN_LIBS) $(ZLIB_LIBS)
CLEANFILES += plugins/block-qcow2/block-qcow2.module
