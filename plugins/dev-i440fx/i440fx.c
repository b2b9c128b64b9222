/*
 * i440fx: the Intel 440FX PCI host bridge of the PC.
 *
 * Two types, as the silicon has two faces:
 *   i440fx-host  the bridge seen from the CPU: configuration mechanism #1
 *                (CONFIG_ADDRESS at 0xcf8, CONFIG_DATA at 0xcfc-0xcff),
 *                the PCI bus and its memory and I/O decoding, and the four
 *                PIRQ lines the bus ORs device interrupts into;
 *   i440fx       PCI function 00.0 (8086:1237), whose configuration space
 *                holds the chipset registers.
 * Written from the 82441FX data sheet.
 *
 * Memory map: the BIOS image (property "bios") is ROM ending at 4 GiB;
 * its last 128 KiB also appear below 1 MiB where the PAM registers say
 * so.  Each of the 13 PAM segments (0xc0000-0xfffff) shows RAM when its
 * read-enable bit is set and the BIOS (or, below 0xe0000, nothing: the
 * RAM under it) otherwise; write-enable is not modelled separately, so
 * "read ROM, write RAM" drops the writes and "read RAM, write ROM" lets
 * them through.  Main RAM above 0xe0000000 is hidden by PCI there and
 * appears again above 4 GiB, as the fw-cfg e820 map says.
 * SMRAM (register 0x72) is stored, not decoded.
 * Device code runs under the big lock.
 */
#include <string.h>
#include <emu/emu.h>
#include <emu/pci.h>

#define CONFIG_ENABLE 0x80000000u
#define PCI_HOLE_START 0xe0000000ull
#define GIB4 0x100000000ull
#define ISA_BIOS_MAX (128 << 10)
#define PAM_SEGMENTS 13
#define PAM_BASE 0x59
#define PAM_READ 0x1
#define PRIO_BIOS 2                 /* above RAM (0) and PCI BARs (1) */
#define PRIO_PAM 3

typedef struct I440fxHost {
    EmuObject parent;
    /* properties */
    EmuIrq *pirq[4];
    char *bios;
    /* state */
    uint32_t config_address;
    /* runtime */
    EmuPciBus *bus;
    EmuMemoryRegion *pci_mem;
    EmuMemoryRegion *addr_mr, *data_mr;
    EmuMemoryRegion *rom, *high_ram;
    EmuMemoryRegion *pam_ram[PAM_SEGMENTS], *pam_rom[PAM_SEGMENTS];
} I440fxHost;

#define I440FX_HOST(obj) EMU_CAST(I440fxHost, obj, "i440fx-host")

/* ---- configuration mechanism #1 ---- */

/* The bus-0 device and register CONFIG_ADDRESS selects, or -1. */
static int selected_devfn(const I440fxHost *s)
{
    uint32_t a = s->config_address;

    if (!(a & CONFIG_ENABLE) || (a >> 16 & 0xff) != 0) {
        return -1;              /* disabled, or a bus behind a bridge */
    }
    return a >> 8 & 0xff;
}

static uint64_t addr_read(void *opaque, uint64_t addr, unsigned size)
{
    I440fxHost *s = opaque;

    return size == 4 ? s->config_address : ~0ull;
}

static void addr_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    I440fxHost *s = opaque;

    if (size == 4) {            /* byte writes here belong to 0xcf9 */
        s->config_address = val & 0x80fffffcu;
    }
}

static uint64_t data_read(void *opaque, uint64_t addr, unsigned size)
{
    I440fxHost *s = opaque;
    int devfn = selected_devfn(s);

    if (devfn < 0) {
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    return emu_pci_config_read(s->bus, devfn,
                               (s->config_address & 0xfc) + addr, size);
}

static void data_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    I440fxHost *s = opaque;
    int devfn = selected_devfn(s);

    if (devfn >= 0) {
        emu_pci_config_write(s->bus, devfn, (s->config_address & 0xfc) + addr,
                             val, size);
    }
}

static const EmuMemoryOps addr_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = addr_read,
    .write = addr_write,
    .max_access = 4,
};

static const EmuMemoryOps data_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = data_read,
    .write = data_write,
    .max_access = 4,
};

/* ---- interrupts ---- */

static void set_pirq(void *opaque, int pirq, int level)
{
    I440fxHost *s = opaque;

    if (s->pirq[pirq]) {
        emu_irq_set(s->pirq[pirq], level);
    }
}

/* ---- memory map ---- */

static void pam_segment(int i, uint64_t *addr, uint64_t *size, unsigned *reg,
                        unsigned *shift)
{
    if (i == 0) {
        *addr = 0xf0000, *size = 0x10000, *reg = PAM_BASE, *shift = 4;
    } else {
        *addr = 0xc0000 + (i - 1) * 0x4000, *size = 0x4000;
        *reg = PAM_BASE + 1 + (i - 1) / 2, *shift = ((i - 1) & 1) * 4;
    }
}

/* Shows RAM or ROM in each segment as the function's PAM bytes say. */
static void pam_update(I440fxHost *s, const uint8_t *config)
{
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        uint64_t addr, size;
        unsigned reg, shift;
        pam_segment(i, &addr, &size, &reg, &shift);
        bool ram = (config[reg] >> shift) & PAM_READ;
        if (s->pam_ram[i]) {
            emu_mr_set_enabled(s->pam_ram[i], ram);
        }
        if (s->pam_rom[i]) {
            emu_mr_set_enabled(s->pam_rom[i], !ram);
        }
    }
}

static void map_alias(I440fxHost *s, EmuMemoryRegion **slot,
                      EmuMemoryRegion *target, uint64_t offset, uint64_t size,
                      uint64_t addr, int prio)
{
    *slot = emu_mr_new_alias(&s->parent, emu_mr_name(target), target, offset,
                             size);
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), addr, *slot, prio);
}

static void map_pam(I440fxHost *s)
{
    EmuMemoryRegion *ram = emu_machine_ram();
    uint64_t rom_size = s->rom ? emu_mr_size(s->rom) : 0;
    uint64_t isa_size = MIN(rom_size, ISA_BIOS_MAX);

    for (int i = 0; i < PAM_SEGMENTS; i++) {
        uint64_t addr, size;
        unsigned reg, shift;
        pam_segment(i, &addr, &size, &reg, &shift);
        if (ram && emu_mr_size(ram) >= addr + size) {
            map_alias(s, &s->pam_ram[i], ram, addr, size, addr, PRIO_PAM);
        }
        if (isa_size && addr >= 0x100000 - isa_size) {
            map_alias(s, &s->pam_rom[i], s->rom,
                      rom_size - (0x100000 - addr), size, addr, PRIO_PAM);
        }
    }
}

/* RAM the PCI hole covers comes back at the top of memory above 4 GiB. */
static void map_high_ram(I440fxHost *s)
{
    EmuMemoryRegion *ram = emu_machine_ram();
    uint64_t size = ram ? emu_mr_size(ram) : 0;

    if (size > PCI_HOLE_START) {
        map_alias(s, &s->high_ram, ram, PCI_HOLE_START,
                  MIN(size, GIB4) - PCI_HOLE_START, MAX(size, GIB4), 0);
    }
}

static bool load_bios(I440fxHost *s, GError **errp)
{
    g_autofree char *data = NULL;
    gsize len;

    if (!s->bios || !*s->bios) {
        return true;
    }
    if (!g_file_get_contents(s->bios, &data, &len, errp)) {
        g_prefix_error(errp, "i440fx-host: bios: ");
        return false;
    }
    if (len == 0 || len % 0x10000 || len > (16 << 20)) {
        g_set_error(errp, EMU_ERROR, 0, "i440fx-host: bios=%s: %" G_GSIZE_FORMAT
                    " bytes is not a multiple of 64 KiB up to 16 MiB",
                    s->bios, len);
        return false;
    }
    s->rom = emu_mr_new_rom(&s->parent, "pc.bios", len, errp);
    if (!s->rom) {
        return false;
    }
    memcpy(emu_mr_ram_ptr(s->rom), data, len);
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), GIB4 - len, s->rom,
                         PRIO_BIOS);
    return true;
}

/* ---- lifecycle ---- */

static bool host_realize(EmuObject *obj, GError **errp)
{
    I440fxHost *s = I440FX_HOST(obj);
    EmuMemoryRegion *io = emu_as_root(emu_system_io());

    if (!load_bios(s, errp)) {
        return false;
    }
    map_pam(s);
    map_high_ram(s);
    /* BARs go in a container over all of memory: transparent where no
     * BAR is, and above RAM where the firmware placed one. */
    s->pci_mem = emu_mr_new_container(obj, "pci-memory", UINT64_MAX);
    emu_mr_add_subregion(emu_as_root(emu_system_memory()), 0, s->pci_mem, 1);
    s->bus = emu_pci_bus_new(obj, s->pci_mem, io);
    emu_pci_bus_set_pirq_handler(s->bus, set_pirq, s);
    s->addr_mr = emu_mr_new_io(obj, "pci-config-address", 4, &addr_ops, s);
    s->data_mr = emu_mr_new_io(obj, "pci-config-data", 4, &data_ops, s);
    emu_mr_add_subregion(io, 0xcf8, s->addr_mr, 0);
    emu_mr_add_subregion(io, 0xcfc, s->data_mr, 0);
    return true;
}

static void host_unrealize(EmuObject *obj)
{
    I440fxHost *s = I440FX_HOST(obj);
    EmuMemoryRegion *io = emu_as_root(emu_system_io());

    EmuMemoryRegion *mem = emu_as_root(emu_system_memory());

    emu_mr_remove(io, &s->addr_mr);
    emu_mr_remove(io, &s->data_mr);
    emu_mr_remove(mem, &s->pci_mem);
    emu_mr_remove(mem, &s->rom);
    emu_mr_remove(mem, &s->high_ram);
    for (int i = 0; i < PAM_SEGMENTS; i++) {
        emu_mr_remove(mem, &s->pam_ram[i]);
        emu_mr_remove(mem, &s->pam_rom[i]);
    }
    emu_pci_bus_free(s->bus);
    s->bus = NULL;
}

static void host_reset(EmuObject *obj)
{
    I440FX_HOST(obj)->config_address = 0;
}

static const EmuProperty host_props[] = {
    EMU_PROP_IRQ("pirqa", I440fxHost, pirq[0], "PIRQA# (PIIX3 router input)"),
    EMU_PROP_IRQ("pirqb", I440fxHost, pirq[1], "PIRQB#"),
    EMU_PROP_IRQ("pirqc", I440fxHost, pirq[2], "PIRQC#"),
    EMU_PROP_IRQ("pirqd", I440fxHost, pirq[3], "PIRQD#"),
    EMU_PROP_STRING("bios", I440fxHost, bios, NULL,
                    "firmware image, ROM ending at 4 GiB (SeaBIOS)"),
    EMU_PROP_END
};

static const EmuStateField host_state_fields[] = {
    EMU_STATE_U32(I440fxHost, config_address),
    EMU_STATE_END
};

static const EmuStateDesc host_state = {
    .name = "i440fx-host",
    .version = 1,
    .fields = host_state_fields,
};

static const EmuTypeInfo host_type = {
    EMU_TYPE_HEADER,
    .name = "i440fx-host",
    .parent = "device",
    .description = "Intel 440FX PCI host bridge (configuration ports, bus)",
    .instance_size = sizeof(I440fxHost),
    .props = host_props,
    .realize = host_realize,
    .unrealize = host_unrealize,
    .reset = host_reset,
    .state = &host_state,
};

/* ---- function 00.0: the chipset registers ---- */

static I440fxHost *host_of(EmuPciDevice *dev)
{
    EmuObject *host = emu_pci_bus_host(dev->bus);

    return emu_object_is_a(host, "i440fx-host") ? I440FX_HOST(host) : NULL;
}

static void func_written(EmuPciDevice *dev, unsigned off, unsigned size)
{
    I440fxHost *host = host_of(dev);

    if (host && off < PAM_BASE + 7 && off + size > PAM_BASE) {
        pam_update(host, dev->config);
    }
}

static void func_reset(EmuPciDevice *dev)
{
    I440fxHost *host = host_of(dev);

    dev->config[0x72] = 0x02;           /* compatible SMRAM at 0xa0000 */
    for (unsigned off = PAM_BASE; off < PAM_BASE + 7; off++) {
        dev->config[off] = 0;           /* every segment: BIOS or PCI */
    }
    if (host) {
        pam_update(host, dev->config);
    }
}

static bool func_realize(EmuPciDevice *dev, GError **errp)
{
    /* PAM0-6 (BIOS shadowing), DRAM row boundaries, SMRAM: guest-set. */
    for (unsigned off = 0x59; off <= 0x5f; off++) {
        dev->wmask[off] = 0xff;
    }
    for (unsigned off = 0x60; off <= 0x67; off++) {
        dev->wmask[off] = 0xff;
    }
    dev->wmask[0x72] = 0x78;            /* SMRAM: D_OPEN, D_CLS, D_LCK... */
    func_reset(dev);
    return true;
}

static const EmuPciDeviceClass func_class = {
    .size = sizeof(EmuPciDeviceClass),
    .vendor_id = 0x8086,
    .device_id = 0x1237,
    .revision = 0x02,
    .class_code = 0x060000,             /* host bridge */
    .realize = func_realize,
    .reset = func_reset,
    .config_written = func_written,
};

static const EmuTypeInfo func_type = {
    EMU_TYPE_HEADER,
    .name = "i440fx",
    .parent = EMU_TYPE_PCI_DEVICE,
    .description = "Intel 440FX PMC (PCI 00.0, chipset registers)",
    .instance_size = sizeof(EmuPciDevice),
    .class_data = &func_class,
};

static bool dev_i440fx_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&host_type, errp) &&
           emu_type_register(&func_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-i440fx",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "The Intel 440FX PCI host bridge",
    .provides = (const char *const[]){ "device:i440fx-host", "device:i440fx",
                                       NULL },
    .init = dev_i440fx_init,
};
