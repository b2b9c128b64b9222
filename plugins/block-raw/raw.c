/*
 * block-raw: the raw image format, a pass-through to the protocol node.
 * It probes with the lowest score, so it is chosen only when no other
 * format recognises the image.  Creation supports preallocation.
 */
#include <string.h>
#include <emu/block.h>

static EmuBlockNode *file_of(EmuBlockNode *node)
{
    return emu_block_node_file(node);
}

static int raw_probe(const uint8_t *buf, size_t len, const char *filename)
{
    return 1;
}

static bool raw_open(EmuBlockNode *node, const char *filename, unsigned flags,
                     GError **errp)
{
    return true;
}

static uint64_t raw_length(EmuBlockNode *node)
{
    return emu_block_length(file_of(node));
}

static bool raw_pread(EmuBlockNode *node, uint64_t off, size_t len, void *buf,
                      GError **errp)
{
    return emu_block_pread(file_of(node), off, len, buf, errp);
}

static bool raw_pwrite(EmuBlockNode *node, uint64_t off, size_t len,
                       const void *buf, unsigned flags, GError **errp)
{
    if (flags & EMU_BLOCK_WRITE_COMPRESSED) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Image format 'raw' does not support compression");
        return false;
    }
    return emu_block_pwrite(file_of(node), off, len, buf, 0, errp);
}

static bool raw_pwrite_zeroes(EmuBlockNode *node, uint64_t off, uint64_t len,
                              unsigned flags, GError **errp)
{
    return emu_block_pwrite_zeroes(file_of(node), off, len, flags, errp);
}

static bool raw_discard(EmuBlockNode *node, uint64_t off, uint64_t len,
                        GError **errp)
{
    return emu_block_discard(file_of(node), off, len, errp);
}

static bool raw_flush(EmuBlockNode *node, GError **errp)
{
    return emu_block_flush(file_of(node), errp);
}

static bool raw_truncate(EmuBlockNode *node, uint64_t size, bool shrink,
                         EmuBlockPrealloc prealloc, GError **errp)
{
    return emu_block_truncate(file_of(node), size, shrink, prealloc, errp);
}

static bool raw_block_status(EmuBlockNode *node, uint64_t off, uint64_t len,
                             uint64_t *pnum, unsigned *status, uint64_t *map,
                             GError **errp)
{
    return emu_block_status(file_of(node), off, len, pnum, status, map,
                            errp);
}

static bool raw_create(EmuBlockNode *file, uint64_t size, GHashTable *opts,
                       GError **errp)
{
    EmuBlockPrealloc prealloc = EMU_PREALLOC_OFF;
    const char *p = opts ? g_hash_table_lookup(opts, "preallocation") : NULL;
    if (p && !emu_block_parse_prealloc(p, &prealloc, errp)) {
        return false;
    }
    if (prealloc == EMU_PREALLOC_METADATA) {
        g_set_error(errp, EMU_ERROR, 0,
                    "Unsupported preallocation mode 'metadata' for raw");
        return false;
    }
    return emu_block_truncate(file, size, true, prealloc, errp);
}

static bool raw_measure(GHashTable *opts, uint64_t size, EmuBlockNode *src,
                        EmuBlockMeasure *out, GError **errp)
{
    out->fully_allocated = size;
    out->required = size;
    if (src) {
        uint64_t used = 0, off = 0;
        while (off < size) {
            uint64_t pnum, map;
            unsigned st;
            int depth;
            if (!emu_block_status_above(src, off, size - off, &pnum, &st,
                                        &map, &depth, errp)) {
                return false;
            }
            if (!(st & EMU_BLOCK_STATUS_ZERO)) {
                used += pnum;
            }
            off += pnum;
        }
        out->required = used;
    }
    return true;
}

static const EmuBlockOptDesc raw_opts[] = {
    { "size", EMU_BLOCK_OPT_SIZE, "Virtual disk size", NULL, true },
    { "preallocation", EMU_BLOCK_OPT_STRING,
      "Preallocation mode (allowed values: off, falloc, full)", "off",
      false },
    { NULL, 0, NULL, NULL, false },
};

static const EmuBlockDriver raw_driver = {
    EMU_BLOCK_DRIVER_HEADER,
    .format_name = "raw",
    .create_opts = raw_opts,
    .probe = raw_probe,
    .create = raw_create,
    .open = raw_open,
    .pread = raw_pread,
    .pwrite = raw_pwrite,
    .pwrite_zeroes = raw_pwrite_zeroes,
    .discard = raw_discard,
    .flush = raw_flush,
    .truncate = raw_truncate,
    .length = raw_length,
    .block_status = raw_block_status,
    .measure = raw_measure,
};

static const EmuTypeInfo raw_type = {
    EMU_TYPE_HEADER,
    .name = "raw",
    .parent = "block",
    .description = "Raw disk image",
    .class_data = &raw_driver,
};

static bool raw_plugin_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&raw_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "block-raw",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "Raw disk image format",
    .provides = (const char *const[]){ "block:raw", NULL },
    .requires = (const char *const[]){ "block:file", NULL },
    .init = raw_plugin_init,
};
