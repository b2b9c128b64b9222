/*
 * piix3: the PCI-to-ISA bridge function of the Intel PIIX3 (PCI 01.0 on
 * the PC, 8086:7000), with its PCI interrupt router.
 *
 * Written from the 82371SB data sheet: PIRQRC[A:D] (config 0x60-0x63)
 * send each of the four PCI interrupt lines to one ISA IRQ of the 8259
 * pair, or nowhere when bit 7 is set (the reset value).  Several PIRQs may
 * share an IRQ; the IRQ is the OR of them.  The ELCR that makes routed
 * IRQs level-triggered lives in the i8259 device.  The other functions of
 * the chip (IDE, USB, power management) are devices of their own.
 * Device code runs under the big lock.
 */
#include <emu/emu.h>
#include <emu/intc.h>
#include <emu/pci.h>

#define PIRQRC 0x60
#define PIRQ_DISABLED 0x80
#define ISA_IRQS 16

typedef struct Piix3 {
    EmuPciDevice parent;
    /* properties */
    EmuObject *pic, *pic2;
    /* state */
    uint8_t pirq_level[4];          /* inputs from the host bridge */
    /* runtime */
    uint16_t driven;                /* ISA IRQs the router has raised */
} Piix3;

/* Which IRQs may be routed (not 0-2, 8, 13). */
static bool routable(unsigned irq)
{
    return irq < ISA_IRQS && ((0xdef8 >> irq) & 1);
}

static EmuIrq *isa_irq(Piix3 *s, unsigned irq)
{
    EmuObject *chip = irq < 8 ? s->pic : s->pic2;

    return chip ? emu_irq_get(chip, NULL, irq & 7) : NULL;
}

/* Recomputes every ISA IRQ as the OR of the PIRQs routed to it; IRQs no
 * PIRQ is routed to any more are lowered once and then left alone. */
static void route(Piix3 *s)
{
    const uint8_t *rc = s->parent.config + PIRQRC;
    uint16_t want = 0, routed = 0;

    for (int p = 0; p < 4; p++) {
        unsigned irq = rc[p] & 15;
        if (!(rc[p] & PIRQ_DISABLED) && routable(irq)) {
            routed |= 1u << irq;
            want |= s->pirq_level[p] ? 1u << irq : 0;
        }
    }
    for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
        uint16_t bit = 1u << irq;
        EmuIrq *line = isa_irq(s, irq);
        if (line && (routed & bit || s->driven & bit)) {
            emu_irq_set(line, (want & bit) != 0);
        }
    }
    s->driven = want;
}

static void set_pirq(void *opaque, int n, int level)
{
    Piix3 *s = opaque;

    s->pirq_level[n] = level != 0;
    route(s);
}

static void piix3_written(EmuPciDevice *dev, unsigned off, unsigned size)
{
    if (off < PIRQRC + 4 && off + size > PIRQRC) {
        route((Piix3 *)dev);
    }
}

static void piix3_reset(EmuPciDevice *dev)
{
    for (int p = 0; p < 4; p++) {
        dev->config[PIRQRC + p] = PIRQ_DISABLED;
    }
    route((Piix3 *)dev);
}

static bool piix3_realize(EmuPciDevice *dev, GError **errp)
{
    for (int p = 0; p < 4; p++) {
        dev->wmask[PIRQRC + p] = 0x8f;
    }
    piix3_reset(dev);
    return true;
}

static void piix3_init(EmuObject *obj)
{
    emu_irq_init_in(obj, "pirq", 4, set_pirq, obj);
}

static const EmuProperty piix3_props[] = {
    EMU_PROP_LINK("pic", Piix3, pic, EMU_TYPE_INTC, "master 8259 (IRQ 0-7)"),
    EMU_PROP_LINK("pic2", Piix3, pic2, EMU_TYPE_INTC,
                  "slave 8259 (IRQ 8-15)"),
    EMU_PROP_END
};

static const EmuPciDeviceClass piix3_class = {
    .size = sizeof(EmuPciDeviceClass),
    .vendor_id = 0x8086,
    .device_id = 0x7000,
    .class_code = 0x060100,             /* PCI-to-ISA bridge */
    .header_type = 0x80,                /* IDE and USB are functions 1, 2 */
    .realize = piix3_realize,
    .reset = piix3_reset,
    .config_written = piix3_written,
};

static const EmuTypeInfo piix3_type = {
    EMU_TYPE_HEADER,
    .name = "piix3",
    .parent = EMU_TYPE_PCI_DEVICE,
    .description = "Intel PIIX3 PCI-to-ISA bridge and PCI interrupt router",
    .instance_size = sizeof(Piix3),
    .props = piix3_props,
    .init = piix3_init,
    .class_data = &piix3_class,
};

static bool dev_piix3_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&piix3_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-piix3",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "The Intel PIIX3 ISA bridge and PCI interrupt router",
    .provides = (const char *const[]){ "device:piix3", NULL },
    .init = dev_piix3_init,
};
