/*
 * i8254: the Intel 8254 programmable interval timer of the PC (ports
 * 0x40-0x43, 1.193182 MHz; counter 0 drives IRQ0, counter 2 the speaker).
 *
 * Written from the 82C54 data sheet: control words, the counter latch and
 * read-back commands, LSB/MSB/word access, binary and BCD counting, and
 * modes 0-5 with their gate rules.  Counters are not ticked: each one
 * remembers the virtual time its count started and derives the count and
 * OUT from the elapsed clock pulses, so reading a counter costs nothing
 * and only counter 0's OUT edges need a timer.
 *
 * Simplifications: a count written in modes 2 and 3 while counting takes
 * effect at once instead of at the end of the current period, and the
 * one-clock delay between writing a count and the counter loading it is
 * not modelled.  Device code runs under the big lock.
 */
#include <emu/emu.h>

#define PIT_HZ 1193182
#define NS_PER_SEC 1000000000LL
/* A timer firing this late skips the OUT edges it missed. */
#define PIT_MAX_CATCH_UP_NS (100 * 1000 * 1000)

enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3 };

typedef struct PitCounter {
    uint8_t mode;
    uint8_t rw;                 /* RW_* of the last control word */
    bool bcd;
    bool gate;
    bool armed;                 /* count loaded (and triggered, modes 1, 5) */
    bool null_count;            /* written, not yet counting */
    bool write_msb_next;        /* RW_WORD: the LSB is in `partial` */
    bool read_msb_next;
    bool count_latched, status_latched;
    uint8_t partial;
    uint8_t status;
    uint16_t latched;
    uint32_t count;             /* 1..65536 (0 written means 65536) */
    int64_t start_ns;           /* virtual time the count started */
    int64_t paused_ticks;       /* modes 0, 4 with gate low: frozen pulses */
} PitCounter;

typedef struct I8254 {
    EmuObject parent;
    /* properties */
    uint32_t io_base;
    EmuIrq *irq;                /* counter 0's OUT */
    /* state */
    PitCounter c[3];
    /* runtime */
    EmuMemoryRegion *mr;
    EmuTimer *timer;
    int64_t next_edge_ns;       /* when the timer is due, counter 0 */
    int irq_level;
} I8254;

#define I8254(obj) EMU_CAST(I8254, obj, "i8254")

/* ---- time ---- */

static int64_t ns_to_ticks(int64_t ns)
{
    return ns / NS_PER_SEC * PIT_HZ + ns % NS_PER_SEC * PIT_HZ / NS_PER_SEC;
}

/* The first nanosecond at which `ticks` pulses have elapsed. */
static int64_t ticks_to_ns(int64_t ticks)
{
    return ticks / PIT_HZ * NS_PER_SEC +
           (ticks % PIT_HZ * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static bool pauses_on_gate(const PitCounter *c)
{
    return c->mode == 0 || c->mode == 4;
}

/* Clock pulses counted since the count started, or -1 when not counting. */
static int64_t elapsed(const PitCounter *c, int64_t now)
{
    if (!c->armed) {
        return -1;
    }
    if (!c->gate && pauses_on_gate(c)) {
        return c->paused_ticks;
    }
    if (!c->gate && (c->mode == 2 || c->mode == 3)) {
        return -1;              /* stopped; 1 and 5 ignore the level */
    }
    return ns_to_ticks(now - c->start_ns);
}

/* ---- count and OUT as functions of elapsed pulses ---- */

static uint32_t counter_value(const PitCounter *c, int64_t d)
{
    uint32_t n = c->count;

    if (d < 0) {
        return n & 0xffff;
    }
    switch (c->mode) {
    case 2:
        return n - d % n;
    case 3: {
        uint32_t high = (n + 1) / 2;        /* pulses OUT stays high */
        uint32_t phase = d % n;
        uint32_t half = phase < high ? phase : phase - high;
        return ((n & ~1u) - 2 * half) & 0xffff;
    }
    default:                                /* 0, 1, 4, 5 wrap on */
        return (uint32_t)((n - d % 65536 + 65536) % 65536);
    }
}

static bool counter_out(const PitCounter *c, int64_t d)
{
    uint32_t n = c->count;

    if (c->mode == 0) {
        return d >= 0 && d >= n;
    }
    if (d < 0) {
        return c->mode != 1 || !c->armed;   /* idle OUT is high */
    }
    switch (c->mode) {
    case 1: return d >= n;
    case 2: return d % n != n - 1;
    case 3: return d % n < (n + 1) / 2;
    default: return d != n;                 /* 4, 5: one low pulse */
    }
}

/* Pulse count (> d) at which OUT next changes, or -1 if it never does. */
static int64_t next_out_change(const PitCounter *c, int64_t d)
{
    int64_t n = c->count, base = d - d % n;

    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : -1;
    case 2:
        return d % n < n - 1 ? base + n - 1 : base + n;
    case 3:
        return d % n < (n + 1) / 2 ? base + (n + 1) / 2 : base + n;
    default:
        return d < n ? n : d == n ? n + 1 : -1;
    }
}

/* ---- counter 0: IRQ0 ---- */

static void set_irq(I8254 *s, int level)
{
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq) {
            emu_irq_set(s->irq, level);
        }
    }
}

/* Drives IRQ0 to OUT at time `at` and arms the timer for the next edge. */
static void irq_update(I8254 *s, int64_t at)
{
    PitCounter *c = &s->c[0];
    int64_t d = elapsed(c, at);
    int64_t next = d < 0 ? -1 : next_out_change(c, d);

    set_irq(s, counter_out(c, d));
    if (next < 0 || (!c->gate && pauses_on_gate(c))) {
        emu_timer_del(s->timer);
        return;
    }
    s->next_edge_ns = c->start_ns + ticks_to_ns(next);
    emu_timer_mod(s->timer, s->next_edge_ns);
}

static void pit_timer(void *opaque)
{
    I8254 *s = opaque;
    int64_t now = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);

    /* Evaluate at the edge's own time so a late timer still makes it. */
    irq_update(s, now - s->next_edge_ns > PIT_MAX_CATCH_UP_NS
                  ? now : s->next_edge_ns);
}

static void counter_changed(I8254 *s, PitCounter *c)
{
    if (c == &s->c[0]) {
        irq_update(s, emu_clock_get_ns(EMU_CLOCK_VIRTUAL));
    }
}

/* ---- BCD ---- */

static uint32_t from_bcd(uint32_t v)
{
    return (v >> 12 & 15) * 1000 + (v >> 8 & 15) * 100 + (v >> 4 & 15) * 10 +
           (v & 15);
}

static uint16_t to_bcd(uint32_t v)
{
    v %= 10000;
    return (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 |
           v % 10;
}

/* ---- programming ---- */

static void start_counting(PitCounter *c, int64_t now)
{
    c->armed = true;
    c->null_count = false;
    c->start_ns = now;
    c->paused_ticks = 0;
}

static void load_count(I8254 *s, PitCounter *c, uint16_t raw)
{
    uint32_t n = c->bcd ? from_bcd(raw) : raw;

    c->count = n ? n : c->bcd ? 10000 : 65536;
    if (c->mode == 1 || c->mode == 5) {
        c->null_count = true;   /* waits for a gate trigger */
    } else {
        start_counting(c, emu_clock_get_ns(EMU_CLOCK_VIRTUAL));
    }
    counter_changed(s, c);
}

static void write_count(I8254 *s, PitCounter *c, uint8_t val)
{
    switch (c->rw) {
    case RW_LSB:
        load_count(s, c, val);
        break;
    case RW_MSB:
        load_count(s, c, val << 8);
        break;
    default:
        if (!c->write_msb_next) {
            c->partial = val;
            c->write_msb_next = true;
            if (c->mode == 0) {
                c->armed = false;       /* the first byte stops mode 0 */
                counter_changed(s, c);
            }
        } else {
            c->write_msb_next = false;
            load_count(s, c, c->partial | val << 8);
        }
    }
}

static uint16_t current_count(const PitCounter *c)
{
    int64_t now = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    uint32_t v = counter_value(c, elapsed(c, now));

    return c->bcd ? to_bcd(v) : v;
}

static void latch_count(PitCounter *c)
{
    if (!c->count_latched) {
        c->latched = current_count(c);
        c->count_latched = true;
        c->read_msb_next = false;
    }
}

static void latch_status(PitCounter *c)
{
    if (!c->status_latched) {
        int64_t d = elapsed(c, emu_clock_get_ns(EMU_CLOCK_VIRTUAL));
        c->status = counter_out(c, d) << 7 | c->null_count << 6 |
                    c->rw << 4 | c->mode << 1 | c->bcd;
        c->status_latched = true;
    }
}

static void read_back(I8254 *s, uint8_t val)
{
    for (int i = 0; i < 3; i++) {
        if (val & (2 << i)) {
            if (!(val & 0x20)) {
                latch_count(&s->c[i]);
            }
            if (!(val & 0x10)) {
                latch_status(&s->c[i]);
            }
        }
    }
}

static void write_control(I8254 *s, uint8_t val)
{
    unsigned sel = val >> 6, rw = val >> 4 & 3;
    PitCounter *c;

    if (sel == 3) {
        read_back(s, val);
        return;
    }
    c = &s->c[sel];
    if (rw == RW_LATCH) {
        latch_count(c);
        return;
    }
    c->rw = rw;
    c->mode = val >> 1 & 7;
    if (c->mode > 5) {
        c->mode -= 4;           /* 6 and 7 are modes 2 and 3 */
    }
    c->bcd = val & 1;
    c->armed = false;
    c->null_count = true;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
    counter_changed(s, c);
}

static uint8_t read_counter(PitCounter *c)
{
    uint16_t v;

    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    v = c->count_latched ? c->latched : current_count(c);
    bool msb = c->rw == RW_MSB || (c->rw == RW_WORD && c->read_msb_next);
    if (c->rw == RW_WORD) {
        c->read_msb_next = !c->read_msb_next;
    }
    if (c->count_latched && (c->rw != RW_WORD || !c->read_msb_next)) {
        c->count_latched = false;       /* all of the latch has been read */
    }
    return msb ? v >> 8 : v & 0xff;
}

/* ---- gates (counter 2's comes from the speaker port) ---- */

static void set_gate(void *opaque, int n, int level)
{
    I8254 *s = opaque;
    PitCounter *c = &s->c[n];
    int64_t now = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    bool rising = level && !c->gate;

    if (!level && c->gate && pauses_on_gate(c) && c->armed) {
        c->paused_ticks = elapsed(c, now);
    }
    c->gate = level;
    if (rising && pauses_on_gate(c) && c->armed) {
        c->start_ns = now - ticks_to_ns(c->paused_ticks);
    } else if (rising && (c->null_count || c->armed) &&
               c->mode != 0 && c->mode != 4) {
        start_counting(c, now);         /* trigger, or restart of 2 and 3 */
    }
    counter_changed(s, c);
}

/* ---- I/O ports ---- */

static uint64_t pit_io_read(void *opaque, uint64_t addr, unsigned size)
{
    I8254 *s = opaque;

    return addr == 3 ? 0xff : read_counter(&s->c[addr]);
}

static void pit_io_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    I8254 *s = opaque;

    if (addr == 3) {
        write_control(s, val);
    } else {
        write_count(s, &s->c[addr], val);
    }
}

static const EmuMemoryOps pit_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = pit_io_read,
    .write = pit_io_write,
    .max_access = 1,
};

/* ---- lifecycle ---- */

static void pit_reset(EmuObject *obj)
{
    I8254 *s = I8254(obj);

    for (int i = 0; i < 3; i++) {
        bool gate = s->c[i].gate;
        s->c[i] = (PitCounter){ .mode = 3, .rw = RW_WORD, .count = 65536,
                                .gate = gate, .null_count = true };
    }
    emu_timer_del(s->timer);
    set_irq(s, 1);              /* mode 3, idle: OUT high */
}

static void pit_init(EmuObject *obj)
{
    I8254 *s = I8254(obj);

    s->timer = emu_timer_new(EMU_CLOCK_VIRTUAL, pit_timer, s);
    s->c[0].gate = s->c[1].gate = true;     /* tied high on the PC */
    s->irq_level = -1;
    emu_irq_init_in(obj, "gate", 3, set_gate, s);
}

static bool pit_realize(EmuObject *obj, GError **errp)
{
    I8254 *s = I8254(obj);

    if (s->io_base > 0xfffc) {
        g_set_error(errp, EMU_ERROR, 0, "i8254: io=0x%x is beyond the I/O "
                    "space", s->io_base);
        return false;
    }
    pit_reset(obj);
    s->mr = emu_mr_new_io(obj, "i8254", 4, &pit_ops, s);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), s->io_base, s->mr, 0);
    return true;
}

static void pit_unrealize(EmuObject *obj)
{
    I8254 *s = I8254(obj);

    emu_timer_del(s->timer);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->mr);
}

static void pit_finalize(EmuObject *obj)
{
    emu_timer_free(I8254(obj)->timer);
}

/* ---- description ---- */

static const EmuProperty pit_props[] = {
    EMU_PROP_U32("io", I8254, io_base, "0x40", "I/O base port (4 ports)"),
    EMU_PROP_IRQ("irq", I8254, irq, "counter 0 output (PC: pic.0)"),
    EMU_PROP_END
};

static const EmuTypeInfo pit_type = {
    EMU_TYPE_HEADER,
    .name = "i8254",
    .parent = "device",
    .description = "Intel 8254 programmable interval timer",
    .instance_size = sizeof(I8254),
    .props = pit_props,
    .init = pit_init,
    .realize = pit_realize,
    .unrealize = pit_unrealize,
    .reset = pit_reset,
    .finalize = pit_finalize,
};

static bool dev_pit_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&pit_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-pit",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "Timers: the 8254 programmable interval timer",
    .provides = (const char *const[]){ "device:i8254", NULL },
    .init = dev_pit_init,
};
