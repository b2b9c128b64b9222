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
 * Written from the 82441FX data sheet.  The PAM and SMRAM registers are
 * stored but do not yet switch the BIOS shadow areas: that needs the
 * firmware loader, which does not exist yet.
 * Device code runs under the big lock.
 */
#include <emu/emu.h>
#include <emu/pci.h>

#define CONFIG_ENABLE 0x80000000u

typedef struct I440fxHost {
    EmuObject parent;
    /* properties */
    EmuIrq *pirq[4];
    /* state */
    uint32_t config_address;
    /* runtime */
    EmuPciBus *bus;
    EmuMemoryRegion *pci_mem;
    EmuMemoryRegion *addr_mr, *data_mr;
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

/* ---- lifecycle ---- */

static bool host_realize(EmuObject *obj, GError **errp)
{
    I440fxHost *s = I440FX_HOST(obj);
    EmuMemoryRegion *io = emu_as_root(emu_system_io());

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

static void unmap(EmuMemoryRegion *parent, EmuMemoryRegion **mr)
{
    if (*mr) {
        emu_mr_del_subregion(parent, *mr);
        emu_mr_unref(*mr);
        *mr = NULL;
    }
}

static void host_unrealize(EmuObject *obj)
{
    I440fxHost *s = I440FX_HOST(obj);
    EmuMemoryRegion *io = emu_as_root(emu_system_io());

    unmap(io, &s->addr_mr);
    unmap(io, &s->data_mr);
    unmap(emu_as_root(emu_system_memory()), &s->pci_mem);
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
    dev->config[0x72] = 0x02;           /* compatible SMRAM at 0xa0000 */
    return true;
}

static const EmuPciDeviceClass func_class = {
    .size = sizeof(EmuPciDeviceClass),
    .vendor_id = 0x8086,
    .device_id = 0x1237,
    .revision = 0x02,
    .class_code = 0x060000,             /* host bridge */
    .realize = func_realize,
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
