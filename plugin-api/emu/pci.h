/*
 * PCI: buses, configuration space, BARs and INTx.
 *
 * A host bridge device creates a bus with emu_pci_bus_new() and forwards
 * the guest's configuration cycles to it.  A PCI device type descends from
 * the core's abstract "pci-device" and publishes a const EmuPciDeviceClass
 * as its class_data; it leaves EmuTypeInfo.realize/unrealize/reset NULL and
 * sets the class's hooks instead, which the core calls once the device is
 * on its bus (properties "bus", a host bridge, and "addr", "SLOT[.FN]").
 *
 * The core owns the standard header: IDs from the class, the command and
 * status registers, BARs (sized from the registered regions and mapped
 * into the bus's memory or I/O space while decoding is enabled), the
 * interrupt line and pin.  Device-specific registers are plain bytes of
 * `config` whose guest-writable bits the device marks in `wmask` (and
 * write-one-to-clear bits in `w1cmask`) during realize.
 */
#ifndef EMU_PCI_H
#define EMU_PCI_H

#include <emu/object.h>
#include <emu/memory.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMU_TYPE_PCI_DEVICE "pci-device"
#define EMU_PCI_CONFIG_SIZE 256

/* Standard header offsets. */
enum {
    EMU_PCI_VENDOR_ID = 0x00, EMU_PCI_DEVICE_ID = 0x02,
    EMU_PCI_COMMAND = 0x04, EMU_PCI_STATUS = 0x06,
    EMU_PCI_REVISION = 0x08, EMU_PCI_CLASS_PROG = 0x09,
    EMU_PCI_HEADER_TYPE = 0x0e, EMU_PCI_BAR0 = 0x10,
    EMU_PCI_SUBSYSTEM_VENDOR_ID = 0x2c, EMU_PCI_SUBSYSTEM_ID = 0x2e,
    EMU_PCI_INTERRUPT_LINE = 0x3c, EMU_PCI_INTERRUPT_PIN = 0x3d,
};

/* Command and status bits. */
#define EMU_PCI_COMMAND_IO        0x0001
#define EMU_PCI_COMMAND_MEMORY    0x0002
#define EMU_PCI_COMMAND_MASTER    0x0004
#define EMU_PCI_COMMAND_INTX_OFF  0x0400
#define EMU_PCI_STATUS_INTERRUPT  0x0008

/* BAR kinds for emu_pci_register_bar(). */
#define EMU_PCI_BAR_IO       0x01
#define EMU_PCI_BAR_MEM32    0x00
#define EMU_PCI_BAR_MEM64    0x04
#define EMU_PCI_BAR_PREFETCH 0x08

#define EMU_PCI_BARS 6

typedef struct EmuPciBus EmuPciBus;
typedef struct EmuPciDevicePriv EmuPciDevicePriv;

typedef struct EmuPciDevice {
    EmuObject parent;
    uint8_t *config;            /* EMU_PCI_CONFIG_SIZE bytes each */
    uint8_t *wmask;
    uint8_t *w1cmask;
    EmuPciBus *bus;             /* set before the class's realize runs */
    uint8_t devfn;              /* slot << 3 | function */
    EmuObject *bus_link;        /* property "bus" */
    char *addr;                 /* property "addr" */
    EmuPciDevicePriv *priv;
} EmuPciDevice;

typedef struct EmuPciDeviceClass {
    uint32_t size;              /* sizeof(EmuPciDeviceClass) as built */
    uint16_t vendor_id, device_id;
    uint32_t class_code;        /* base << 16 | sub << 8 | programming if */
    uint8_t revision;
    uint8_t header_type;        /* 0x00, or 0x80 for multi-function */
    uint8_t interrupt_pin;      /* 0: none, 1-4: INTA#-INTD# */
    uint16_t subsystem_vendor_id, subsystem_id;
    bool (*realize)(EmuPciDevice *dev, GError **errp);
    void (*unrealize)(EmuPciDevice *dev);
    /* After the core reset the standard header. */
    void (*reset)(EmuPciDevice *dev);
    /* Optional: a register whose value is computed when read. */
    uint32_t (*config_read)(EmuPciDevice *dev, unsigned off, unsigned size);
    /* Optional: called after a write has been applied to `config`. */
    void (*config_written)(EmuPciDevice *dev, unsigned off, unsigned size);
} EmuPciDeviceClass;

_Static_assert(offsetof(EmuPciDeviceClass, size) == 0, "ABI: size first");

/* ---- host bridges ---- */

/* INTx routing: the bus ORs devices' lines into its four PIRQ lines
 * (pirq = (slot + pin - 1) % 4, the PC's swizzle) and reports changes. */
typedef void (*EmuPciPirqHandler)(void *opaque, int pirq, int level);

/* A bus owned by host, decoding BARs into mem and io (containers). */
EMU_API EmuPciBus *emu_pci_bus_new(EmuObject *host, EmuMemoryRegion *mem,
                                   EmuMemoryRegion *io);
EMU_API void emu_pci_bus_free(EmuPciBus *bus);
/* The bus a host bridge created, or NULL; and the other way round. */
EMU_API EmuPciBus *emu_pci_bus_of(EmuObject *host);
EMU_API EmuObject *emu_pci_bus_host(EmuPciBus *bus);
EMU_API void emu_pci_bus_set_pirq_handler(EmuPciBus *bus,
                                          EmuPciPirqHandler fn,
                                          void *opaque);
/* Configuration cycles; absent functions read as all ones. */
EMU_API uint32_t emu_pci_config_read(EmuPciBus *bus, unsigned devfn,
                                     unsigned off, unsigned size);
EMU_API void emu_pci_config_write(EmuPciBus *bus, unsigned devfn,
                                  unsigned off, uint32_t val, unsigned size);
EMU_API EmuPciDevice *emu_pci_bus_device(EmuPciBus *bus, unsigned devfn);

/* ---- devices ---- */

/* From the class's realize: BAR n decodes region mr (size a power of 2). */
EMU_API void emu_pci_register_bar(EmuPciDevice *dev, int n, unsigned kind,
                                  EmuMemoryRegion *mr);
/* Bus address BAR n is mapped at, or UINT64_MAX when it is not mapped. */
EMU_API uint64_t emu_pci_bar_address(EmuPciDevice *dev, int n);
/* Drives the device's INTx# pin. */
EMU_API void emu_pci_set_irq(EmuPciDevice *dev, int level);
/* The default read of config bytes, for config_read hooks. */
EMU_API uint32_t emu_pci_default_config_read(EmuPciDevice *dev, unsigned off,
                                             unsigned size);

static inline void emu_pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void emu_pci_set_long(uint8_t *p, uint32_t v)
{
    emu_pci_set_word(p, (uint16_t)v);
    emu_pci_set_word(p + 2, (uint16_t)(v >> 16));
}

#ifdef __cplusplus
}
#endif
#endif
