/*
 * fw-cfg: the firmware configuration device SeaBIOS and OVMF built for
 * QEMU expect (selector 0x510, data 0x511, DMA address 0x514 on the PC).
 *
 * Written from the interface description in QEMU's documentation
 * (docs/specs/fw_cfg): numbered items and named files read byte by byte
 * through the data port or copied by DMA descriptors in guest memory
 * (control, length, address; all big-endian), and the file directory.
 *
 * The machine file fills it through properties: the RAM size (also as a
 * PC "etc/e820" map), CPU counts, boot order, the nographic flag, and
 * extra files "NAME=PATH[;NAME=PATH...]" read from the host at realize.
 * Items are read-only to the guest.  Device code runs under the big lock.
 */
#include <string.h>
#include <glib.h>
#include <emu/emu.h>

enum {
    KEY_SIGNATURE = 0x00, KEY_ID = 0x01, KEY_UUID = 0x02, KEY_RAM_SIZE = 0x03,
    KEY_NOGRAPHIC = 0x04, KEY_NB_CPUS = 0x05, KEY_BOOT_MENU = 0x0e,
    KEY_MAX_CPUS = 0x0f, KEY_FILE_DIR = 0x19, KEY_FILE_FIRST = 0x20,
};
#define KEY_COUNT 0x1000            /* keys we index, files included */
#define KEY_INDEX_MASK 0x3fff       /* bit 14: write channel, 15: arch */
#define FILE_NAME_LEN 56

#define ID_TRADITIONAL 0x01
#define ID_DMA 0x02

#define DMA_ERROR  0x01
#define DMA_READ   0x02
#define DMA_SKIP   0x04
#define DMA_SELECT 0x08
#define DMA_WRITE  0x10
#define DMA_SIGNATURE 0x51454d5520434647ull    /* "QEMU CFG" */

/* The PC keeps 0xe0000000-4G for PCI; RAM beyond continues above 4G. */
#define PC_BELOW_4G_MAX 0xe0000000ull

typedef struct FwCfg {
    EmuObject parent;
    /* properties */
    uint32_t io_base;
    bool dma;
    uint64_t ram_size;
    uint32_t cpus, max_cpus;
    char *bootorder;
    bool nographic;
    char *files;
    /* state */
    GBytes *items[KEY_COUNT];
    uint16_t selector;
    uint32_t offset;                /* in the selected item */
    uint64_t dma_addr;
    GPtrArray *file_names;          /* in key order from KEY_FILE_FIRST */
    /* runtime */
    EmuMemoryRegion *mr, *dma_mr;
} FwCfg;

#define FW_CFG(obj) EMU_CAST(FwCfg, obj, "fw-cfg")

/* ---- items ---- */

static void set_item(FwCfg *s, unsigned key, const void *data, size_t len)
{
    g_clear_pointer(&s->items[key], g_bytes_unref);
    s->items[key] = g_bytes_new(data, len);
}

static void set_u16(FwCfg *s, unsigned key, uint16_t v)
{
    uint8_t le[2] = { v, v >> 8 };
    set_item(s, key, le, sizeof(le));
}

static void set_u32(FwCfg *s, unsigned key, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);
    set_item(s, key, &le, sizeof(le));
}

static void set_u64(FwCfg *s, unsigned key, uint64_t v)
{
    uint64_t le = GUINT64_TO_LE(v);
    set_item(s, key, &le, sizeof(le));
}

/* Adds a named file; false when the name is unusable or taken. */
static bool add_file(FwCfg *s, const char *name, const void *data,
                     size_t len, GError **errp)
{
    unsigned key = KEY_FILE_FIRST + s->file_names->len;

    if (!*name || strlen(name) >= FILE_NAME_LEN || key >= KEY_COUNT) {
        g_set_error(errp, EMU_ERROR, 0, "fw-cfg: file name '%s' is empty, "
                    "too long (55 bytes at most) or one too many", name);
        return false;
    }
    for (guint i = 0; i < s->file_names->len; i++) {
        if (!strcmp(s->file_names->pdata[i], name)) {
            g_set_error(errp, EMU_ERROR, 0, "fw-cfg: file '%s' given twice",
                        name);
            return false;
        }
    }
    g_ptr_array_add(s->file_names, g_strdup(name));
    set_item(s, key, data, len);
    return true;
}

/* The directory: a big-endian count, then size, key and name per file,
 * sorted by name as firmware expects. */
static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void build_directory(FwCfg *s)
{
    GPtrArray *sorted = g_ptr_array_sized_new(s->file_names->len);
    GByteArray *dir = g_byte_array_new();
    uint32_t count = GUINT32_TO_BE(s->file_names->len);

    for (guint i = 0; i < s->file_names->len; i++) {
        g_ptr_array_add(sorted, s->file_names->pdata[i]);    /* borrowed */
    }
    g_ptr_array_sort(sorted, by_name);
    g_byte_array_append(dir, (uint8_t *)&count, 4);
    for (guint i = 0; i < sorted->len; i++) {
        const char *name = sorted->pdata[i];
        unsigned key = 0;
        while (strcmp(s->file_names->pdata[key], name)) {
            key++;
        }
        key += KEY_FILE_FIRST;
        uint8_t entry[8 + FILE_NAME_LEN] = { 0 };
        uint32_t size = g_bytes_get_size(s->items[key]);
        entry[0] = size >> 24; entry[1] = size >> 16;
        entry[2] = size >> 8; entry[3] = size;
        entry[4] = key >> 8; entry[5] = key;
        memcpy(entry + 8, name, strlen(name));
        g_byte_array_append(dir, entry, sizeof(entry));
    }
    g_clear_pointer(&s->items[KEY_FILE_DIR], g_bytes_unref);
    s->items[KEY_FILE_DIR] = g_byte_array_free_to_bytes(dir);
    g_ptr_array_unref(sorted);
}

/* "etc/e820": RAM ranges as (u64 address, u64 length, u32 type) records,
 * little-endian; the firmware adds the reserved ranges itself. */
static bool add_e820(FwCfg *s, GError **errp)
{
    uint64_t low = MIN(s->ram_size, PC_BELOW_4G_MAX);
    uint64_t high = s->ram_size - low;
    uint8_t rec[2][20] = { { 0 } };
    int n = 0;

    for (int i = 0; i < 2; i++) {
        uint64_t addr = i ? 1ull << 32 : 0, len = i ? high : low;
        if (!len) {
            continue;
        }
        uint64_t a = GUINT64_TO_LE(addr), l = GUINT64_TO_LE(len);
        uint32_t type = GUINT32_TO_LE(1);      /* usable RAM */
        memcpy(rec[n], &a, 8);
        memcpy(rec[n] + 8, &l, 8);
        memcpy(rec[n] + 16, &type, 4);
        n++;
    }
    return add_file(s, "etc/e820", rec, 20 * n, errp);
}

static bool add_host_files(FwCfg *s, GError **errp)
{
    g_auto(GStrv) specs = g_strsplit(s->files ? s->files : "", ";", -1);

    for (char **spec = specs; *spec; spec++) {
        char *eq = strchr(*spec, '=');
        g_autofree char *data = NULL;
        gsize len;
        if (!**spec) {
            continue;
        }
        if (!eq) {
            g_set_error(errp, EMU_ERROR, 0, "fw-cfg: files: '%s' is not "
                        "NAME=PATH", *spec);
            return false;
        }
        *eq = '\0';
        if (!g_file_get_contents(eq + 1, &data, &len, errp) ||
            !add_file(s, *spec, data, len, errp)) {
            g_prefix_error(errp, "fw-cfg: files: ");
            return false;
        }
    }
    return true;
}

static bool build_items(FwCfg *s, GError **errp)
{
    static const uint8_t uuid[16];

    set_item(s, KEY_SIGNATURE, "QEMU", 4);  /* what firmware probes for */
    set_u32(s, KEY_ID, ID_TRADITIONAL | (s->dma ? ID_DMA : 0));
    set_item(s, KEY_UUID, uuid, sizeof(uuid));
    set_u64(s, KEY_RAM_SIZE, s->ram_size);
    set_u16(s, KEY_NOGRAPHIC, s->nographic);
    set_u16(s, KEY_NB_CPUS, s->cpus);
    set_u16(s, KEY_MAX_CPUS, MAX(s->max_cpus, s->cpus));
    set_u16(s, KEY_BOOT_MENU, 0);
    if (s->ram_size && !add_e820(s, errp)) {
        return false;
    }
    if (s->bootorder && *s->bootorder &&
        !add_file(s, "bootorder", s->bootorder, strlen(s->bootorder) + 1,
                  errp)) {
        return false;
    }
    if (!add_host_files(s, errp)) {
        return false;
    }
    build_directory(s);
    return true;
}

/* ---- the traditional interface ---- */

static GBytes *selected(FwCfg *s)
{
    unsigned key = s->selector & KEY_INDEX_MASK;

    return key < KEY_COUNT ? s->items[key] : NULL;
}

static void select_key(FwCfg *s, uint16_t key)
{
    s->selector = key;
    s->offset = 0;
}

/* Copies up to len bytes from the current offset; zeros past the end. */
static void read_data(FwCfg *s, uint8_t *buf, uint32_t len)
{
    GBytes *item = selected(s);
    gsize size = item ? g_bytes_get_size(item) : 0;
    const uint8_t *data = item ? g_bytes_get_data(item, NULL) : NULL;

    for (uint32_t i = 0; i < len; i++, s->offset++) {
        buf[i] = s->offset < size ? data[s->offset] : 0;
    }
}

static uint64_t fw_cfg_io_read(void *opaque, uint64_t addr, unsigned size)
{
    FwCfg *s = opaque;
    uint8_t b = 0;

    if (addr == 1) {
        read_data(s, &b, 1);
    }
    return b;
}

static void fw_cfg_io_write(void *opaque, uint64_t addr, uint64_t val,
                            unsigned size)
{
    FwCfg *s = opaque;

    if (addr == 0 && size == 2) {
        select_key(s, val);
    }
    /* Data writes are ignored: every item is read-only. */
}

static const EmuMemoryOps fw_cfg_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = fw_cfg_io_read,
    .write = fw_cfg_io_write,
    .max_access = 2,
};

/* ---- DMA ---- */

static void dma_transfer(FwCfg *s, uint32_t control, uint32_t len,
                         uint64_t addr, bool *error)
{
    uint8_t chunk[4096];

    if (control & DMA_WRITE) {
        *error = true;          /* read-only items */
        return;
    }
    while (len) {
        uint32_t n = MIN(len, sizeof(chunk));
        read_data(s, chunk, n);
        if ((control & DMA_READ) &&
            emu_as_write_buf(emu_system_memory(), addr, chunk, n) !=
                EMU_MEM_OK) {
            *error = true;
            return;
        }
        addr += n;
        len -= n;
    }
}

/* Runs the descriptor at guest address desc and writes its status back. */
static void dma_run(FwCfg *s, uint64_t desc)
{
    uint8_t raw[16];
    bool error = false;

    if (emu_as_read_buf(emu_system_memory(), desc, raw, sizeof(raw)) !=
        EMU_MEM_OK) {
        return;
    }
    uint32_t control = (uint32_t)raw[0] << 24 | raw[1] << 16 | raw[2] << 8 | raw[3];
    uint32_t len = (uint32_t)raw[4] << 24 | raw[5] << 16 | raw[6] << 8 | raw[7];
    uint64_t addr = 0;
    for (int i = 8; i < 16; i++) {
        addr = addr << 8 | raw[i];
    }
    if (control & DMA_SELECT) {
        select_key(s, control >> 16);
    }
    if (control & (DMA_READ | DMA_SKIP | DMA_WRITE)) {
        dma_transfer(s, control, len, addr, &error);
    }
    uint8_t status[4] = { 0, 0, 0, error ? DMA_ERROR : 0 };
    emu_as_write_buf(emu_system_memory(), desc, status, sizeof(status));
}

static uint64_t bswap_n(uint64_t v, unsigned size)
{
    uint64_t r = 0;

    for (unsigned i = 0; i < size; i++) {
        r = r << 8 | ((v >> (8 * i)) & 0xff);
    }
    return r;
}

/* Reads give the signature in memory order, so firmware can probe. */
static uint64_t dma_read(void *opaque, uint64_t addr, unsigned size)
{
    uint64_t part = DMA_SIGNATURE >> (8 * (8 - addr - size));

    return bswap_n(part, size);
}

/* The address register is big-endian; a write to its low half starts the
 * operation, so 32-bit firmware needs only one write. */
static void dma_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    FwCfg *s = opaque;
    uint64_t be = bswap_n(val, size);

    if (size == 8) {
        s->dma_addr = be;
    } else if (size == 4 && addr == 0) {
        s->dma_addr = (s->dma_addr & 0xffffffffull) | be << 32;
        return;
    } else if (size == 4 && addr == 4) {
        s->dma_addr = (s->dma_addr & ~0xffffffffull) | be;
    } else {
        return;
    }
    dma_run(s, s->dma_addr);
    s->dma_addr = 0;
}

static const EmuMemoryOps dma_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = dma_read,
    .write = dma_write,
    .min_access = 4,
    .max_access = 8,
};

/* ---- lifecycle ---- */

static void fw_cfg_reset(EmuObject *obj)
{
    FwCfg *s = FW_CFG(obj);

    select_key(s, KEY_SIGNATURE);
    s->dma_addr = 0;
}

static void fw_cfg_init(EmuObject *obj)
{
    FW_CFG(obj)->file_names = g_ptr_array_new_with_free_func(g_free);
}

static bool fw_cfg_realize(EmuObject *obj, GError **errp)
{
    FwCfg *s = FW_CFG(obj);
    EmuMemoryRegion *io = emu_as_root(emu_system_io());

    if (s->io_base > 0xfff0) {
        g_set_error(errp, EMU_ERROR, 0, "fw-cfg: io=0x%x is beyond the I/O "
                    "space", s->io_base);
        return false;
    }
    if (!build_items(s, errp)) {
        return false;
    }
    fw_cfg_reset(obj);
    s->mr = emu_mr_new_io(obj, "fw-cfg", 2, &fw_cfg_ops, s);
    emu_mr_add_subregion(io, s->io_base, s->mr, 0);
    if (s->dma) {
        s->dma_mr = emu_mr_new_io(obj, "fw-cfg-dma", 8, &dma_ops, s);
        emu_mr_add_subregion(io, s->io_base + 4, s->dma_mr, 0);
    }
    return true;
}

static void fw_cfg_unrealize(EmuObject *obj)
{
    FwCfg *s = FW_CFG(obj);

    emu_mr_remove(emu_as_root(emu_system_io()), &s->mr);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->dma_mr);
}

static void fw_cfg_finalize(EmuObject *obj)
{
    FwCfg *s = FW_CFG(obj);

    for (unsigned i = 0; i < KEY_COUNT; i++) {
        g_clear_pointer(&s->items[i], g_bytes_unref);
    }
    g_ptr_array_unref(s->file_names);
}

/* ---- description ---- */

static const EmuProperty fw_cfg_props[] = {
    EMU_PROP_U32("io", FwCfg, io_base, "0x510",
                 "selector port (data at +1, DMA address at +4)"),
    EMU_PROP_BOOL("dma", FwCfg, dma, "on", "offer the DMA interface"),
    EMU_PROP_SIZE("ram-size", FwCfg, ram_size, "0",
                  "guest RAM (item 0x03 and the PC's etc/e820)"),
    EMU_PROP_U32("cpus", FwCfg, cpus, "1", "CPUs present at boot"),
    EMU_PROP_U32("max-cpus", FwCfg, max_cpus, "0", "CPUs possible"),
    EMU_PROP_STRING("bootorder", FwCfg, bootorder, NULL,
                    "the bootorder file (device paths, one per line)"),
    EMU_PROP_BOOL("nographic", FwCfg, nographic, "off", "no display"),
    EMU_PROP_STRING("files", FwCfg, files, NULL,
                    "extra files: NAME=PATH[;NAME=PATH...]"),
    EMU_PROP_END
};

static const EmuTypeInfo fw_cfg_type = {
    EMU_TYPE_HEADER,
    .name = "fw-cfg",
    .parent = "device",
    .description = "firmware configuration device (SeaBIOS, OVMF)",
    .instance_size = sizeof(FwCfg),
    .props = fw_cfg_props,
    .init = fw_cfg_init,
    .realize = fw_cfg_realize,
    .unrealize = fw_cfg_unrealize,
    .reset = fw_cfg_reset,
    .finalize = fw_cfg_finalize,
};

static bool dev_fw_cfg_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&fw_cfg_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-fw-cfg",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "The firmware configuration device",
    .provides = (const char *const[]){ "device:fw-cfg", NULL },
    .init = dev_fw_cfg_init,
};
