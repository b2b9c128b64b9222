/*
 * libFuzzer target over the qcow2 driver: open (read-only and read-write),
 * read every cluster through block status, write a little, check, close.
 * The block core and the file, raw and qcow2 drivers are compiled in; this
 * file stands in for the object model with a minimal type registry so the
 * drivers run exactly as they do when loaded as plugins.
 * Build and run with tests/fuzz/run-fuzz.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <emu/block.h>
#include <emu/runtime.h>

extern const EmuPluginInfo emu_plugin_info_file, emu_plugin_info_raw,
                           emu_plugin_info_qcow2;

/* --- the few object-model calls the block layer makes ----------------- */

static const EmuTypeInfo *registry[8];
static int nb_types;

struct EmuType { int unused; };

bool emu_type_register(const EmuTypeInfo *info, GError **errp)
{
    registry[nb_types++] = info;
    return true;
}

const EmuType *emu_type_find(const char *name, GError **errp)
{
    for (int i = 0; i < nb_types; i++) {
        if (!strcmp(registry[i]->name, name)) {
            return (const EmuType *)registry[i];
        }
    }
    g_set_error(errp, EMU_ERROR, 0, "no type %s", name);
    return NULL;
}

bool emu_type_is_a(const EmuType *t, const char *ancestor)
{
    return !strcmp(((const EmuTypeInfo *)t)->parent, ancestor);
}

const void *emu_type_class_data(const EmuType *t)
{
    return ((const EmuTypeInfo *)t)->class_data;
}

const char *emu_type_name(const EmuType *t)
{
    return ((const EmuTypeInfo *)t)->name;
}

GPtrArray *emu_type_list(const char *ancestor)
{
    GPtrArray *list = g_ptr_array_new();
    for (int i = 0; i < nb_types; i++) {
        g_ptr_array_add(list, (gpointer)registry[i]);
    }
    return list;
}

bool emu_plugins_load_kind(const char *kind, GError **errp)
{
    return true;
}

GQuark emu_error_quark(void)
{
    return g_quark_from_static_string("emu-error");
}

/* --- the target ------------------------------------------------------- */

static void exercise(const char *path, unsigned flags)
{
    GError *err = NULL;
    EmuBlockNode *n = emu_block_open(path, "qcow2",
                                     flags | EMU_BLOCK_NO_BACKING, &err);
    if (!n) {
        g_clear_error(&err);
        return;
    }
    uint64_t size = emu_block_length(n), limit = MIN(size, 4u << 20);
    uint8_t *buf = g_malloc(65536);
    for (uint64_t off = 0; off < limit;) {
        uint64_t pnum, map;
        unsigned st;
        if (!emu_block_status(n, off, limit - off, &pnum, &st, &map, &err)) {
            g_clear_error(&err);
            break;
        }
        pnum = MIN(pnum, 65536);
        if (!emu_block_pread(n, off, pnum, buf, &err)) {
            g_clear_error(&err);
        }
        off += pnum;
    }
    if ((flags & EMU_BLOCK_RDWR) && size >= 8192) {
        memset(buf, 0x5a, 4096);
        if (!emu_block_pwrite(n, 512, 4096, buf, 0, &err) ||
            !emu_block_pwrite_zeroes(n, size / 2 & ~4095ull, 4096, 0, &err)) {
            g_clear_error(&err);
        }
    }
    const EmuBlockDriver *drv = emu_block_node_driver(n);
    EmuBlockCheckResult res = { .size = sizeof(res) };
    if (!drv->check(n, &res, 0, &err)) {
        g_clear_error(&err);
    }
    GPtrArray *snaps = drv->snapshot_list(n, NULL);
    emu_block_snapshot_list_free(snaps);
    g_free(buf);
    emu_block_close(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        emu_plugin_info_file.init(NULL, NULL);
        emu_plugin_info_raw.init(NULL, NULL);
        emu_plugin_info_qcow2.init(NULL, NULL);
        ready = true;
    }
    int fd = memfd_create("fuzz-image", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    exercise(path, 0);
    exercise(path, EMU_BLOCK_RDWR);
    close(fd);
    return 0;
}
