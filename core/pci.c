/*
 * PCI: buses, the abstract "pci-device" type, configuration space, BAR
 * decoding and INTx (plugin-api/emu/pci.h).
 *
 * A device's realize (the core's, inherited by every PCI device type)
 * puts it on its bus at its address, writes the standard header from the
 * class and then runs the class's realize, which registers BARs and marks
 * its own writable registers.  Every configuration write goes through
 * wmask/w1cmask; writes touching the command register or a BAR re-decode
 * all BARs of the device, mapping each enabled one with a valid address
 * into the bus's memory or I/O container.  INTx levels are ORed per PIRQ
 * line on the bus (a count per line) and changes go to the host's
 * handler.  Runs under the big lock.
 */
#include "config.h"
#include "emu-internal.h"
#include <stdio.h>
#include <string.h>
#include <emu/pci.h>

#define PCI_SLOTS 32
#define PCI_DEVFNS 256

struct EmuPciBus {
    EmuObject *host;
    EmuMemoryRegion *mem, *io;
    EmuPciDevice *devices[PCI_DEVFNS];
    EmuPciPirqHandler pirq_fn;
    void *pirq_opaque;
    int pirq_count[4];
};

typedef struct PciBar {
    EmuMemoryRegion *mr;
    unsigned kind;
    uint64_t size;
    uint64_t mapped_at;         /* UINT64_MAX: not mapped */
} PciBar;

struct EmuPciDevicePriv {
    const EmuPciDeviceClass *cls;
    PciBar bar[EMU_PCI_BARS];
    int pin_level;              /* what the device drives */
    bool asserted;              /* what the bus counts */
    uint8_t config[EMU_PCI_CONFIG_SIZE];
    uint8_t wmask[EMU_PCI_CONFIG_SIZE];
    uint8_t w1cmask[EMU_PCI_CONFIG_SIZE];
};

static GHashTable *buses;       /* host object -> EmuPciBus */

/* ---- buses ---- */

EmuPciBus *emu_pci_bus_new(EmuObject *host, EmuMemoryRegion *mem,
                           EmuMemoryRegion *io)
{
    EmuPciBus *bus = g_new0(EmuPciBus, 1);

    bus->host = host;
    bus->mem = mem;
    bus->io = io;
    if (!buses) {
        buses = g_hash_table_new(NULL, NULL);
    }
    g_hash_table_insert(buses, host, bus);
    return bus;
}

void emu_pci_bus_free(EmuPciBus *bus)
{
    if (bus) {
        g_hash_table_remove(buses, bus->host);
        g_free(bus);
    }
}

EmuPciBus *emu_pci_bus_of(EmuObject *host)
{
    return buses && host ? g_hash_table_lookup(buses, host) : NULL;
}

EmuObject *emu_pci_bus_host(EmuPciBus *bus)
{
    return bus->host;
}

void emu_pci_bus_set_pirq_handler(EmuPciBus *bus, EmuPciPirqHandler fn,
                                  void *opaque)
{
    bus->pirq_fn = fn;
    bus->pirq_opaque = opaque;
}

EmuPciDevice *emu_pci_bus_device(EmuPciBus *bus, unsigned devfn)
{
    return devfn < PCI_DEVFNS ? bus->devices[devfn] : NULL;
}

/* ---- config space ---- */

static uint16_t get_word(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t get_long(const uint8_t *p)
{
    return get_word(p) | (uint32_t)get_word(p + 2) << 16;
}

uint32_t emu_pci_default_config_read(EmuPciDevice *dev, unsigned off,
                                     unsigned size)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < size && off + i < EMU_PCI_CONFIG_SIZE; i++) {
        v |= (uint32_t)dev->config[off + i] << (8 * i);
    }
    return v;
}

static bool range_touches(unsigned off, unsigned size, unsigned lo,
                          unsigned hi)
{
    return off < hi && off + size > lo;
}

/* ---- BARs ---- */

static unsigned bar_offset(int n)
{
    return EMU_PCI_BAR0 + 4 * n;
}

/* The bus address BAR n decodes now, or UINT64_MAX. */
static uint64_t bar_decode(EmuPciDevice *dev, int n)
{
    PciBar *b = &dev->priv->bar[n];
    uint16_t cmd = get_word(dev->config + EMU_PCI_COMMAND);
    bool io = b->kind & EMU_PCI_BAR_IO;
    uint64_t addr = get_long(dev->config + bar_offset(n));
    uint64_t width_mask = io ? 0xffff : 0xffffffffull;

    if (!(cmd & (io ? EMU_PCI_COMMAND_IO : EMU_PCI_COMMAND_MEMORY))) {
        return UINT64_MAX;
    }
    addr &= io ? ~3ull : ~15ull;
    if (b->kind & EMU_PCI_BAR_MEM64) {
        addr |= (uint64_t)get_long(dev->config + bar_offset(n + 1)) << 32;
        width_mask = UINT64_MAX;
    }
    addr &= width_mask;
    /* 0 is unprogrammed; all ones above the size is a sizing probe. */
    if (addr == 0 || (addr | (b->size - 1)) == width_mask ||
        addr + b->size - 1 > width_mask) {
        return UINT64_MAX;
    }
    return addr;
}

static void bars_update(EmuPciDevice *dev)
{
    for (int n = 0; n < EMU_PCI_BARS; n++) {
        PciBar *b = &dev->priv->bar[n];
        EmuMemoryRegion *space;
        uint64_t addr;

        if (!b->mr) {
            continue;
        }
        space = (b->kind & EMU_PCI_BAR_IO) ? dev->bus->io : dev->bus->mem;
        addr = bar_decode(dev, n);
        if (addr == b->mapped_at) {
            continue;
        }
        if (b->mapped_at != UINT64_MAX) {
            emu_mr_del_subregion(space, b->mr);
        }
        if (addr != UINT64_MAX) {
            emu_mr_add_subregion(space, addr, b->mr, 1);
        }
        b->mapped_at = addr;
    }
}

void emu_pci_register_bar(EmuPciDevice *dev, int n, unsigned kind,
                          EmuMemoryRegion *mr)
{
    PciBar *b = &dev->priv->bar[n];
    uint64_t size = emu_mr_size(mr);
    bool io = kind & EMU_PCI_BAR_IO;
    unsigned off = bar_offset(n);

    g_assert(n >= 0 && n < EMU_PCI_BARS && (size & (size - 1)) == 0);
    g_assert(!(kind & EMU_PCI_BAR_MEM64) || n + 1 < EMU_PCI_BARS);
    size = MAX(size, io ? 4u : 16u);
    b->mr = mr;
    b->kind = kind;
    b->size = size;
    b->mapped_at = UINT64_MAX;
    emu_pci_set_long(dev->config + off, kind & (io ? 1 : 0xf));
    emu_pci_set_long(dev->wmask + off, (uint32_t)~(size - 1) &
                     (io ? 0xfffffffcu : 0xfffffff0u));
    if (kind & EMU_PCI_BAR_MEM64) {
        emu_pci_set_long(dev->config + off + 4, 0);
        emu_pci_set_long(dev->wmask + off + 4, (uint32_t)(~(size - 1) >> 32));
    }
}

uint64_t emu_pci_bar_address(EmuPciDevice *dev, int n)
{
    return n >= 0 && n < EMU_PCI_BARS ? dev->priv->bar[n].mapped_at
                                      : UINT64_MAX;
}

/* ---- INTx ---- */

static void intx_update(EmuPciDevice *dev)
{
    EmuPciDevicePriv *p = dev->priv;
    bool disabled = get_word(dev->config + EMU_PCI_COMMAND) &
                    EMU_PCI_COMMAND_INTX_OFF;
    bool assert_it = p->pin_level && !disabled && p->cls->interrupt_pin;
    int pirq = ((dev->devfn >> 3) + p->cls->interrupt_pin - 1) & 3;
    EmuPciBus *bus = dev->bus;

    if (assert_it == p->asserted) {
        return;
    }
    p->asserted = assert_it;
    bus->pirq_count[pirq] += assert_it ? 1 : -1;
    if (bus->pirq_count[pirq] == (assert_it ? 1 : 0) && bus->pirq_fn) {
        bus->pirq_fn(bus->pirq_opaque, pirq, assert_it);
    }
}

void emu_pci_set_irq(EmuPciDevice *dev, int level)
{
    uint8_t *status = dev->config + EMU_PCI_STATUS;

    dev->priv->pin_level = level != 0;
    status[0] = level ? status[0] | EMU_PCI_STATUS_INTERRUPT
                      : status[0] & ~EMU_PCI_STATUS_INTERRUPT;
    intx_update(dev);
}

/* ---- configuration cycles ---- */

uint32_t emu_pci_config_read(EmuPciBus *bus, unsigned devfn, unsigned off,
                             unsigned size)
{
    EmuPciDevice *dev = emu_pci_bus_device(bus, devfn);

    if (!dev || off + size > EMU_PCI_CONFIG_SIZE) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    if (dev->priv->cls->config_read) {
        return dev->priv->cls->config_read(dev, off, size);
    }
    return emu_pci_default_config_read(dev, off, size);
}

void emu_pci_config_write(EmuPciBus *bus, unsigned devfn, unsigned off,
                          uint32_t val, unsigned size)
{
    EmuPciDevice *dev = emu_pci_bus_device(bus, devfn);

    if (!dev || off + size > EMU_PCI_CONFIG_SIZE) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint8_t v = val >> (8 * i), *c = dev->config + off + i;
        uint8_t wm = dev->wmask[off + i], w1c = dev->w1cmask[off + i];
        *c = ((*c & ~wm) | (v & wm)) & ~(v & w1c);
    }
    if (range_touches(off, size, EMU_PCI_COMMAND, EMU_PCI_COMMAND + 2) ||
        range_touches(off, size, EMU_PCI_BAR0, bar_offset(EMU_PCI_BARS))) {
        bars_update(dev);
        intx_update(dev);
    }
    if (dev->priv->cls->config_written) {
        dev->priv->cls->config_written(dev, off, size);
    }
}

/* ---- the pci-device type ---- */

static const EmuPciDeviceClass *pci_class(EmuObject *obj)
{
    const EmuType *type = emu_type_find(emu_object_type_name(obj), NULL);
    const EmuPciDeviceClass *cls = type ? emu_type_class_data(type) : NULL;

    return cls && cls->size >= sizeof(EmuPciDeviceClass) ? cls : NULL;
}

/* The bus named by "bus", or the only one there is. */
static EmuPciBus *find_bus(EmuPciDevice *dev, GError **errp)
{
    EmuObject *host = dev->bus_link;
    EmuPciBus *bus = emu_pci_bus_of(host);

    if (!host && buses && g_hash_table_size(buses) == 1) {
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, buses);
        g_hash_table_iter_next(&it, NULL, &value);
        bus = value;
    }
    if (!bus) {
        g_set_error(errp, EMU_ERROR, 0, "%s: bus='%s' is not a PCI host "
                    "bridge", emu_object_type_name(&dev->parent),
                    host ? emu_object_id(host) : "");
    }
    return bus;
}

/* "SLOT[.FN]" in hex as QEMU writes it; empty: the first free slot. */
static int parse_addr(EmuPciDevice *dev, EmuPciBus *bus, GError **errp)
{
    const char *text = dev->addr;
    unsigned slot, fn = 0;
    char *end;

    if (!text || !*text) {
        for (slot = 0; slot < PCI_SLOTS; slot++) {
            if (!bus->devices[slot << 3]) {
                return slot << 3;
            }
        }
        g_set_error(errp, EMU_ERROR, 0, "%s: the PCI bus is full",
                    emu_object_type_name(&dev->parent));
        return -1;
    }
    slot = strtoul(text, &end, 16);
    if (*end == '.') {
        fn = strtoul(end + 1, &end, 16);
    }
    if (*end || end == text || slot >= PCI_SLOTS || fn > 7) {
        g_set_error(errp, EMU_ERROR, 0, "%s: addr='%s' is not SLOT[.FN] "
                    "(hex, slot < 0x20, function < 8)",
                    emu_object_type_name(&dev->parent), text);
        return -1;
    }
    if (bus->devices[slot << 3 | fn]) {
        g_set_error(errp, EMU_ERROR, 0, "%s: addr=%s is taken by %s",
                    emu_object_type_name(&dev->parent), text,
                    emu_object_id(&bus->devices[slot << 3 | fn]->parent));
        return -1;
    }
    return slot << 3 | fn;
}

static void write_header(EmuPciDevice *dev)
{
    const EmuPciDeviceClass *cls = dev->priv->cls;
    uint8_t *c = dev->config;

    memset(c, 0, EMU_PCI_CONFIG_SIZE);
    memset(dev->wmask, 0, EMU_PCI_CONFIG_SIZE);
    memset(dev->w1cmask, 0, EMU_PCI_CONFIG_SIZE);
    emu_pci_set_word(c + EMU_PCI_VENDOR_ID, cls->vendor_id);
    emu_pci_set_word(c + EMU_PCI_DEVICE_ID, cls->device_id);
    c[EMU_PCI_REVISION] = cls->revision;
    c[EMU_PCI_CLASS_PROG] = cls->class_code;
    c[EMU_PCI_CLASS_PROG + 1] = cls->class_code >> 8;
    c[EMU_PCI_CLASS_PROG + 2] = cls->class_code >> 16;
    c[EMU_PCI_HEADER_TYPE] = cls->header_type;
    emu_pci_set_word(c + EMU_PCI_SUBSYSTEM_VENDOR_ID, cls->subsystem_vendor_id);
    emu_pci_set_word(c + EMU_PCI_SUBSYSTEM_ID, cls->subsystem_id);
    c[EMU_PCI_INTERRUPT_PIN] = cls->interrupt_pin;
    /* Writable: I/O, memory, bus master, SERR, INTx disable; cache line
     * size, latency timer, interrupt line.  Status error bits clear on 1. */
    emu_pci_set_word(dev->wmask + EMU_PCI_COMMAND, 0x0547);
    dev->wmask[0x0c] = dev->wmask[0x0d] = 0xff;
    dev->wmask[EMU_PCI_INTERRUPT_LINE] = 0xff;
    emu_pci_set_word(dev->w1cmask + EMU_PCI_STATUS, 0xf900);
}

static bool pci_device_realize(EmuObject *obj, GError **errp)
{
    EmuPciDevice *dev = (EmuPciDevice *)obj;
    EmuPciDevicePriv *p = dev->priv;
    int devfn;

    p->cls = pci_class(obj);
    if (!p->cls) {
        g_set_error(errp, EMU_ERROR, 0, "%s: type has no PCI class data",
                    emu_object_type_name(obj));
        return false;
    }
    dev->bus = find_bus(dev, errp);
    if (!dev->bus || (devfn = parse_addr(dev, dev->bus, errp)) < 0) {
        return false;
    }
    dev->devfn = devfn;
    write_header(dev);
    if (p->cls->realize && !p->cls->realize(dev, errp)) {
        return false;
    }
    dev->bus->devices[devfn] = dev;
    return true;
}

static void pci_device_unrealize(EmuObject *obj)
{
    EmuPciDevice *dev = (EmuPciDevice *)obj;

    emu_pci_set_irq(dev, 0);
    emu_pci_set_word(dev->config + EMU_PCI_COMMAND, 0);
    bars_update(dev);
    if (dev->priv->cls->unrealize) {
        dev->priv->cls->unrealize(dev);
    }
    dev->bus->devices[dev->devfn] = NULL;
}

/* Reset keeps the BAR kinds and writable bits the device registered and
 * clears what the guest programmed. */
static void pci_device_reset(EmuObject *obj)
{
    EmuPciDevice *dev = (EmuPciDevice *)obj;

    if (!dev->bus) {
        return;
    }
    emu_pci_set_irq(dev, 0);
    emu_pci_set_word(dev->config + EMU_PCI_COMMAND, 0);
    emu_pci_set_word(dev->config + EMU_PCI_STATUS, 0);
    for (int n = 0; n < EMU_PCI_BARS; n++) {
        PciBar *b = &dev->priv->bar[n];
        if (b->mr) {
            emu_pci_set_long(dev->config + bar_offset(n),
                             b->kind & ((b->kind & EMU_PCI_BAR_IO) ? 1 : 0xf));
        }
    }
    dev->config[EMU_PCI_INTERRUPT_LINE] = 0;
    bars_update(dev);
    if (dev->priv->cls->reset) {
        dev->priv->cls->reset(dev);
    }
}

static void pci_device_init(EmuObject *obj)
{
    EmuPciDevice *dev = (EmuPciDevice *)obj;

    dev->priv = g_new0(EmuPciDevicePriv, 1);
    dev->config = dev->priv->config;
    dev->wmask = dev->priv->wmask;
    dev->w1cmask = dev->priv->w1cmask;
}

static void pci_device_finalize(EmuObject *obj)
{
    EmuPciDevice *dev = (EmuPciDevice *)obj;

    g_free(dev->priv);
}

bool pci_register_types(GError **errp)
{
    static const EmuProperty pci_device_props[] = {
        EMU_PROP_LINK("bus", EmuPciDevice, bus_link, "device",
                      "PCI host bridge (default: the only one)"),
        EMU_PROP_STRING("addr", EmuPciDevice, addr, NULL,
                        "SLOT[.FN] in hex (default: first free slot)"),
        EMU_PROP_END
    };
    static const EmuTypeInfo pci_device_type = {
        EMU_TYPE_HEADER,
        .name = EMU_TYPE_PCI_DEVICE,
        .parent = "device",
        .abstract = true,
        .description = "PCI functions (see emu/pci.h)",
        .instance_size = sizeof(EmuPciDevice),
        .props = pci_device_props,
        .init = pci_device_init,
        .realize = pci_device_realize,
        .unrealize = pci_device_unrealize,
        .reset = pci_device_reset,
        .finalize = pci_device_finalize,
    };

    return emu_type_find(EMU_TYPE_PCI_DEVICE, NULL) ||
           emu_type_register(&pci_device_type, errp);
}
