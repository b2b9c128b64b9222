/*
 * i8259: one Intel 8259A programmable interrupt controller, as in the PC
 * (two of them, cascaded: master at 0x20, slave at 0xa0 on its input 2).
 *
 * Written from the 8259A data sheet: the ICW1-ICW4 initialization
 * sequence, OCW1 (mask), OCW2 (EOI, specific EOI, rotations, set priority),
 * OCW3 (IRR/ISR read, poll, special mask mode), automatic EOI with optional
 * rotation, special fully nested mode and cascading, plus the PIIX edge/
 * level control register (ELCR) that overrides the trigger mode per line.
 *
 * Edge-triggered requests latch on the rising edge and stay latched until
 * acknowledged even if the line drops first: emulated devices often pulse
 * a line within one call, which real silicon would see as a glitch.
 * Device code runs under the big lock.
 */
#include <emu/emu.h>
#include <emu/intc.h>

typedef struct I8259 {
    EmuObject parent;
    /* properties */
    uint32_t io_base;
    uint32_t elcr_port;         /* 0: no ELCR */
    uint8_t elcr_mask;          /* ELCR bits the guest may set */
    EmuIrq *out;                /* INT: to the CPU or the master's input */
    EmuObject *slave;           /* master: the chip on its cascade input */
    /* registers */
    uint8_t irr, isr, imr;
    uint8_t elcr;
    uint8_t lines;              /* input pin levels, for edge detection */
    uint8_t vector_base;        /* ICW2 */
    uint8_t icw3;               /* master: cascade inputs; slave: its id */
    uint8_t lowest;             /* level of lowest priority */
    uint8_t init_step;          /* next ICW expected: 0 none, 2, 3, 4 */
    bool level_mode;            /* ICW1 LTIM */
    bool single;                /* ICW1 SNGL */
    bool need_icw4;             /* ICW1 IC4 */
    bool aeoi;                  /* ICW4 AEOI */
    bool sfnm;                  /* ICW4 SFNM */
    bool rotate_aeoi;
    bool special_mask;
    bool read_isr;              /* OCW3: port 0 reads ISR, else IRR */
    bool poll;                  /* OCW3 P: next port 0 read polls */
    /* runtime */
    EmuMemoryRegion *mr, *elcr_mr;
    int out_level;
} I8259;

#define I8259(obj) EMU_CAST(I8259, obj, "i8259")

#define NO_LEVEL 8

/* Levels in priority order: the one after the lowest comes first. */
static unsigned level_at(const I8259 *s, unsigned rank)
{
    return (s->lowest + 1 + rank) & 7;
}

static unsigned highest_in(const I8259 *s, uint8_t bits)
{
    for (unsigned rank = 0; rank < 8; rank++) {
        if (bits & (1u << level_at(s, rank))) {
            return level_at(s, rank);
        }
    }
    return NO_LEVEL;
}

static unsigned rank_of(const I8259 *s, unsigned level)
{
    return (level - s->lowest - 1) & 7;
}

/*
 * The level whose request would interrupt now, or NO_LEVEL.  A request
 * needs a higher priority than every level in service; in special mask
 * mode masked levels in service block nothing, and in special fully
 * nested mode a cascade input in service does not block itself.
 */
static unsigned pending_level(const I8259 *s)
{
    unsigned req = highest_in(s, s->irr & ~s->imr);
    uint8_t blocking = s->special_mask ? s->isr & ~s->imr : s->isr;

    if (req == NO_LEVEL) {
        return NO_LEVEL;
    }
    unsigned serv = highest_in(s, blocking);
    if (serv == NO_LEVEL || rank_of(s, req) < rank_of(s, serv)) {
        return req;
    }
    if (req == serv && s->sfnm && (s->icw3 & (1u << req)) && !s->single) {
        return req;
    }
    return NO_LEVEL;
}

static void update_output(I8259 *s)
{
    int level = pending_level(s) != NO_LEVEL;

    if (level != s->out_level) {
        s->out_level = level;
        if (s->out) {
            emu_irq_set(s->out, level);
        }
    }
}

static bool is_level_triggered(const I8259 *s, unsigned n)
{
    return s->level_mode || (s->elcr & (1u << n));
}

static void set_input(void *opaque, int n, int level)
{
    I8259 *s = opaque;
    uint8_t bit = 1u << n;

    if (is_level_triggered(s, n)) {
        s->irr = level ? s->irr | bit : s->irr & ~bit;
    } else if (level && !(s->lines & bit)) {
        s->irr |= bit;
    }
    s->lines = level ? s->lines | bit : s->lines & ~bit;
    update_output(s);
}

/* ---- acknowledge (INTA cycle, or a poll read) ---- */

static bool is_cascade_input(const I8259 *s, unsigned level)
{
    return !s->single && s->slave && (s->icw3 & (1u << level));
}

/* Takes the pending level into service; NO_LEVEL when there is none. */
static unsigned take_pending(I8259 *s)
{
    unsigned level = pending_level(s);
    uint8_t bit = 1u << level;

    if (level == NO_LEVEL) {
        return NO_LEVEL;
    }
    if (!is_level_triggered(s, level)) {
        s->irr &= ~bit;
    }
    if (!s->aeoi) {
        s->isr |= bit;
    } else if (s->rotate_aeoi) {
        s->lowest = level;
    }
    return level;
}

static uint8_t i8259_acknowledge(EmuObject *obj)
{
    I8259 *s = I8259(obj);
    unsigned level = take_pending(s);
    uint8_t vector;

    if (level == NO_LEVEL) {
        vector = s->vector_base | 7;     /* spurious: IR7, nothing in service */
    } else if (is_cascade_input(s, level)) {
        const EmuIntcClass *cls = emu_intc_class(s->slave);
        vector = cls ? cls->acknowledge(s->slave) : (s->vector_base | level);
    } else {
        vector = s->vector_base | level;
    }
    update_output(s);
    return vector;
}

static uint8_t poll_read(I8259 *s)
{
    unsigned level = take_pending(s);

    s->poll = false;
    update_output(s);
    return level == NO_LEVEL ? 0 : 0x80 | level;
}

/* ---- command words ---- */

static void write_icw1(I8259 *s, uint8_t val)
{
    s->level_mode = val & 0x08;
    s->single = val & 0x02;
    s->need_icw4 = val & 0x01;
    s->imr = 0;
    s->isr = 0;
    /* The edge sense is reset: a line already high must rise again. */
    s->irr = s->lines & (s->level_mode ? 0xff : s->elcr);
    s->lowest = 7;
    s->special_mask = false;
    s->read_isr = false;
    s->poll = false;
    s->aeoi = false;
    s->sfnm = false;
    s->rotate_aeoi = false;
    s->icw3 = 0;
    s->init_step = 2;
    update_output(s);
}

static void write_init_data(I8259 *s, uint8_t val)
{
    switch (s->init_step) {
    case 2:
        s->vector_base = val & 0xf8;
        s->init_step = !s->single ? 3 : s->need_icw4 ? 4 : 0;
        break;
    case 3:
        s->icw3 = val;
        s->init_step = s->need_icw4 ? 4 : 0;
        break;
    case 4:
        if (!(val & 0x01)) {
            emu_log_mask_printf(EMU_LOG_UNIMP,
                                "i8259: ICW4 selects 8080 mode; ignored\n");
        }
        s->aeoi = val & 0x02;
        s->sfnm = val & 0x10;
        s->init_step = 0;
        break;
    }
}

static void end_of_interrupt(I8259 *s, unsigned level, bool rotate)
{
    if (level == NO_LEVEL) {
        return;
    }
    s->isr &= ~(1u << level);
    if (rotate) {
        s->lowest = level;
    }
}

static void write_ocw2(I8259 *s, uint8_t val)
{
    unsigned level = val & 7;

    switch (val >> 5) {
    case 1: end_of_interrupt(s, highest_in(s, s->isr), false); break;
    case 3: end_of_interrupt(s, level, false); break;
    case 5: end_of_interrupt(s, highest_in(s, s->isr), true); break;
    case 7: end_of_interrupt(s, level, true); break;
    case 4: s->rotate_aeoi = true; break;
    case 0: s->rotate_aeoi = false; break;
    case 6: s->lowest = level; break;
    default: break;             /* 2: no operation */
    }
}

static void write_ocw3(I8259 *s, uint8_t val)
{
    if (val & 0x40) {
        s->special_mask = val & 0x20;
    }
    if (val & 0x02) {
        s->read_isr = val & 0x01;
    }
    s->poll = val & 0x04;
}

/* ---- I/O ports ---- */

static uint64_t i8259_io_read(void *opaque, uint64_t addr, unsigned size)
{
    I8259 *s = opaque;

    if (s->poll) {
        return poll_read(s);
    }
    if (addr == 1) {
        return s->imr;
    }
    return s->read_isr ? s->isr : s->irr;
}

static void i8259_io_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    I8259 *s = opaque;

    if (addr == 0 && (val & 0x10)) {
        write_icw1(s, val);
    } else if (addr == 1 && s->init_step) {
        write_init_data(s, val);
    } else if (addr == 1) {
        s->imr = val;
    } else if (val & 0x08) {
        write_ocw3(s, val);
    } else {
        write_ocw2(s, val);
    }
    update_output(s);
}

static const EmuMemoryOps i8259_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = i8259_io_read,
    .write = i8259_io_write,
    .max_access = 1,
};

static uint64_t elcr_read(void *opaque, uint64_t addr, unsigned size)
{
    return ((I8259 *)opaque)->elcr;
}

static void elcr_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    I8259 *s = opaque;

    s->elcr = val & s->elcr_mask;
    s->irr = (s->irr & ~s->elcr) | (s->lines & s->elcr);
    update_output(s);
}

static const EmuMemoryOps elcr_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = elcr_read,
    .write = elcr_write,
    .max_access = 1,
};

/* ---- lifecycle ---- */

static void i8259_reset(EmuObject *obj)
{
    I8259 *s = I8259(obj);

    s->elcr = 0;
    write_icw1(s, 0x10);
    s->init_step = 0;
    s->vector_base = 0;
    update_output(s);
}

static void i8259_init(EmuObject *obj)
{
    emu_irq_init_in(obj, NULL, 8, set_input, obj);
}

static void map_io(EmuObject *obj, EmuMemoryRegion **mr, const char *name,
                   uint32_t port, uint64_t size, const EmuMemoryOps *ops)
{
    *mr = emu_mr_new_io(obj, name, size, ops, obj);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), port, *mr, 0);
}

static bool i8259_realize(EmuObject *obj, GError **errp)
{
    I8259 *s = I8259(obj);

    if (s->io_base > 0xfffe || s->elcr_port > 0xffff) {
        g_set_error(errp, EMU_ERROR, 0, "i8259: io=0x%x or elcr=0x%x is "
                    "beyond the I/O space", s->io_base, s->elcr_port);
        return false;
    }
    if (s->slave && !emu_intc_class(s->slave)) {
        g_set_error(errp, EMU_ERROR, 0, "i8259: slave '%s' is not an "
                    "interrupt controller", emu_object_id(s->slave));
        return false;
    }
    i8259_reset(obj);
    map_io(obj, &s->mr, "i8259", s->io_base, 2, &i8259_ops);
    if (s->elcr_port) {
        map_io(obj, &s->elcr_mr, "i8259-elcr", s->elcr_port, 1, &elcr_ops);
    }
    return true;
}

static void i8259_unrealize(EmuObject *obj)
{
    I8259 *s = I8259(obj);

    emu_mr_remove(emu_as_root(emu_system_io()), &s->mr);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->elcr_mr);
}

/* ---- description ---- */

static const EmuProperty i8259_props[] = {
    EMU_PROP_U32("io", I8259, io_base, "0x20", "I/O base port (2 ports)"),
    EMU_PROP_U32("elcr", I8259, elcr_port, "0",
                 "edge/level control register port (PIIX: 0x4d0, 0x4d1), "
                 "0 for none"),
    EMU_PROP_U8("elcr-mask", I8259, elcr_mask, "0xff",
                "ELCR bits that may be set (PIIX: 0xf8 master, 0xde slave)"),
    EMU_PROP_IRQ("int", I8259, out, "INT output (CPU, or master input)"),
    EMU_PROP_LINK("slave", I8259, slave, EMU_TYPE_INTC,
                  "controller on the cascade inputs named by ICW3"),
    EMU_PROP_END
};

static const EmuStateField i8259_state_fields[] = {
    EMU_STATE_U8(I8259, irr),
    EMU_STATE_U8(I8259, isr),
    EMU_STATE_U8(I8259, imr),
    EMU_STATE_U8(I8259, elcr),
    EMU_STATE_U8(I8259, lines),
    EMU_STATE_U8(I8259, vector_base),
    EMU_STATE_U8(I8259, icw3),
    EMU_STATE_U8(I8259, lowest),
    EMU_STATE_U8(I8259, init_step),
    EMU_STATE_BOOL(I8259, level_mode),
    EMU_STATE_BOOL(I8259, single),
    EMU_STATE_BOOL(I8259, need_icw4),
    EMU_STATE_BOOL(I8259, aeoi),
    EMU_STATE_BOOL(I8259, sfnm),
    EMU_STATE_BOOL(I8259, rotate_aeoi),
    EMU_STATE_BOOL(I8259, special_mask),
    EMU_STATE_BOOL(I8259, read_isr),
    EMU_STATE_BOOL(I8259, poll),
    EMU_STATE_END
};

static const EmuStateDesc i8259_state = {
    .name = "i8259",
    .version = 1,
    .fields = i8259_state_fields,
};

static void i8259_post_load(EmuObject *obj)
{
    I8259 *s = I8259(obj);

    s->out_level = -1;          /* drive the line whatever it was */
    update_output(s);
}

static const EmuIntcClass i8259_intc = {
    .size = sizeof(EmuIntcClass),
    .acknowledge = i8259_acknowledge,
};

static const EmuTypeInfo i8259_type = {
    EMU_TYPE_HEADER,
    .name = "i8259",
    .parent = EMU_TYPE_INTC,
    .description = "Intel 8259A interrupt controller (PC: master and slave)",
    .instance_size = sizeof(I8259),
    .props = i8259_props,
    .init = i8259_init,
    .realize = i8259_realize,
    .unrealize = i8259_unrealize,
    .reset = i8259_reset,
    .state = &i8259_state,
    .class_data = &i8259_intc,
    .post_load = i8259_post_load,
};

static bool dev_pic_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&i8259_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-pic",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "Interrupt controllers: the 8259A PIC",
    .provides = (const char *const[]){ "device:i8259", NULL },
    .init = dev_pic_init,
};
