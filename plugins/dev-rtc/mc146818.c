/*
 * mc146818: the Motorola MC146818A real-time clock and CMOS RAM of the PC
 * (index port 0x70, data port 0x71, IRQ8).
 *
 * Written from the MC146818A data sheet: time and alarm registers in BCD
 * or binary and 12 or 24-hour form, registers A-D (UIP, rate select, SET,
 * PIE/AIE/UIE, the IRQF/PF/AF/UF flags cleared by reading C, VRT), the
 * periodic, alarm and update-ended interrupts, and 114 bytes of RAM.  The
 * PC keeps the century at 0x32; with ram-size set the device also writes
 * the memory-size bytes PC BIOSes read (0x15-0x18, 0x30-0x31, 0x34-0x35,
 * 0x5b-0x5d).
 *
 * The clock is not ticked: the guest's time is an offset from the virtual
 * clock, so it stops when the VM is paused.  Time registers are computed
 * when read; flags for periods that passed unobserved are raised when
 * register C is read.  Device code runs under the big lock.
 */
#include <string.h>
#include <glib.h>
#include <emu/emu.h>

#define NS_PER_SEC 1000000000LL
#define UIP_NS 244000               /* UIP is set this long before update */

enum {
    SEC = 0x00, SEC_ALARM = 0x01, MIN = 0x02, MIN_ALARM = 0x03,
    HOUR = 0x04, HOUR_ALARM = 0x05, WDAY = 0x06, MDAY = 0x07, MONTH = 0x08,
    YEAR = 0x09, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
    CENTURY = 0x32,
};

#define A_UIP   0x80
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_DM    0x04                /* binary, not BCD */
#define B_24H   0x02
#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80

typedef struct Mc146818 {
    EmuObject parent;
    /* properties */
    uint32_t io_base;
    EmuIrq *irq;
    char *base;                     /* "utc", "localtime" or a date */
    uint64_t ram_size;              /* 0: leave the BIOS bytes alone */
    /* state */
    uint8_t cmos[128];
    uint8_t index;
    int64_t offset_ns;              /* guest UTC ns = virtual ns + offset */
    int64_t flags_ns;               /* virtual time flags were raised to */
    /* runtime */
    EmuMemoryRegion *mr;
    EmuTimer *periodic, *second;
    int64_t periodic_due;           /* virtual ns of the next PF */
    int irq_level;
} Mc146818;

#define RTC(obj) EMU_CAST(Mc146818, obj, "mc146818")

static int64_t virt_now(void)
{
    return emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
}

/* ---- register encoding ---- */

static uint8_t encode(const Mc146818 *s, int v)
{
    return (s->cmos[REG_B] & B_DM) ? v : (v / 10) << 4 | v % 10;
}

static int decode(const Mc146818 *s, uint8_t v)
{
    return (s->cmos[REG_B] & B_DM) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t encode_hour(const Mc146818 *s, int hour)
{
    if (s->cmos[REG_B] & B_24H) {
        return encode(s, hour);
    }
    int h12 = hour % 12 ? hour % 12 : 12;
    return encode(s, h12) | (hour >= 12 ? 0x80 : 0);
}

static int decode_hour(const Mc146818 *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_24H) {
        return decode(s, v);
    }
    int h12 = decode(s, v & 0x7f) % 12;
    return (v & 0x80) ? h12 + 12 : h12;
}

/* ---- the calendar ---- */

static void store_time(Mc146818 *s, int64_t unix_sec)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_sec);

    if (!t) {
        return;
    }
    s->cmos[SEC] = encode(s, g_date_time_get_second(t));
    s->cmos[MIN] = encode(s, g_date_time_get_minute(t));
    s->cmos[HOUR] = encode_hour(s, g_date_time_get_hour(t));
    s->cmos[WDAY] = encode(s, g_date_time_get_day_of_week(t) % 7 + 1);
    s->cmos[MDAY] = encode(s, g_date_time_get_day_of_month(t));
    s->cmos[MONTH] = encode(s, g_date_time_get_month(t));
    s->cmos[YEAR] = encode(s, g_date_time_get_year(t) % 100);
    s->cmos[CENTURY] = encode(s, g_date_time_get_year(t) / 100);
}

/* The time the guest wrote, in Unix seconds; false if it is no date. */
static bool load_time(const Mc146818 *s, int64_t *unix_sec)
{
    int year = decode(s, s->cmos[CENTURY]) * 100 + decode(s, s->cmos[YEAR]);
    g_autoptr(GDateTime) t = g_date_time_new_utc(
        year, decode(s, s->cmos[MONTH]), decode(s, s->cmos[MDAY]),
        decode_hour(s, s->cmos[HOUR]), decode(s, s->cmos[MIN]),
        decode(s, s->cmos[SEC]));

    if (!t) {
        return false;
    }
    *unix_sec = g_date_time_to_unix(t);
    return true;
}

static int64_t guest_ns(const Mc146818 *s, int64_t virt)
{
    return virt + s->offset_ns;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

/* ---- interrupts ---- */

/* IRQF and the line follow the flags whose enables (PIE, AIE, UIE: the
 * same bit positions in register B) are set. */
static void update_irq(Mc146818 *s)
{
    uint8_t c = s->cmos[REG_C] & (C_PF | C_AF | C_UF);
    int level = (c & s->cmos[REG_B]) != 0;

    s->cmos[REG_C] = level ? c | C_IRQF : c;
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq) {
            emu_irq_set(s->irq, level);
        }
    }
}

/* Nanoseconds between periodic interrupts, or 0 when off. */
static int64_t period_ns(const Mc146818 *s)
{
    unsigned rs = s->cmos[REG_A] & 15, dv = s->cmos[REG_A] >> 4 & 7;

    if (rs == 0 || dv != 2) {
        return 0;                   /* no rate, or divider not 32.768 kHz */
    }
    if (rs < 3) {
        rs += 7;                    /* 1, 2 repeat rates 8, 9 */
    }
    return NS_PER_SEC * (1LL << (rs - 1)) / 32768;
}

static bool alarm_matches(const Mc146818 *s)
{
    static const uint8_t pairs[3][2] = {
        { SEC_ALARM, SEC }, { MIN_ALARM, MIN }, { HOUR_ALARM, HOUR },
    };

    for (int i = 0; i < 3; i++) {
        uint8_t alarm = s->cmos[pairs[i][0]];
        if (alarm < 0xc0 && alarm != s->cmos[pairs[i][1]]) {
            return false;           /* 0xc0-0xff: don't care */
        }
    }
    return true;
}

static bool is_running(const Mc146818 *s)
{
    return !(s->cmos[REG_B] & B_SET) && (s->cmos[REG_A] >> 4 & 7) == 2;
}

/*
 * Raises the flags for what happened between flags_ns and virt: a period
 * boundary (PF), a second boundary (UF), a second that matched the alarm
 * (AF; seconds are checked back to one day at most).
 */
static void raise_flags(Mc146818 *s, int64_t virt)
{
    int64_t p = period_ns(s);

    if (p && floor_div(virt, p) > floor_div(s->flags_ns, p)) {
        s->cmos[REG_C] |= C_PF;
    }
    if (is_running(s)) {
        int64_t from = floor_div(guest_ns(s, s->flags_ns), NS_PER_SEC);
        int64_t to = floor_div(guest_ns(s, virt), NS_PER_SEC);
        if (to > from) {
            s->cmos[REG_C] |= C_UF;
        }
        for (int64_t sec = MAX(from + 1, to - 86400); sec <= to; sec++) {
            store_time(s, sec);
            if (alarm_matches(s)) {
                s->cmos[REG_C] |= C_AF;
                break;
            }
        }
    }
    s->flags_ns = virt;
    update_irq(s);
}

static void arm_timers(Mc146818 *s)
{
    int64_t now = virt_now(), p = period_ns(s);

    if (p && (s->cmos[REG_B] & B_PIE)) {
        s->periodic_due = (floor_div(now, p) + 1) * p;
        emu_timer_mod(s->periodic, s->periodic_due);
    } else {
        emu_timer_del(s->periodic);
    }
    if (is_running(s) && (s->cmos[REG_B] & (B_AIE | B_UIE))) {
        int64_t next = (floor_div(guest_ns(s, now), NS_PER_SEC) + 1) *
                       NS_PER_SEC;
        emu_timer_mod(s->second, next - s->offset_ns);
    } else {
        emu_timer_del(s->second);
    }
}

static void rtc_tick(void *opaque)
{
    Mc146818 *s = opaque;

    raise_flags(s, virt_now());
    arm_timers(s);
}

/* ---- registers ---- */

static uint8_t read_reg(Mc146818 *s, unsigned reg)
{
    int64_t now = virt_now();

    switch (reg) {
    case SEC: case MIN: case HOUR: case WDAY: case MDAY: case MONTH:
    case YEAR: case CENTURY:
        if (is_running(s)) {
            store_time(s, floor_div(guest_ns(s, now), NS_PER_SEC));
        }
        return s->cmos[reg];
    case REG_A: {
        int64_t into = guest_ns(s, now) - floor_div(guest_ns(s, now),
                                                    NS_PER_SEC) * NS_PER_SEC;
        bool uip = is_running(s) && into >= NS_PER_SEC - UIP_NS;
        return (s->cmos[REG_A] & ~A_UIP) | (uip ? A_UIP : 0);
    }
    case REG_C: {
        raise_flags(s, now);
        uint8_t v = s->cmos[REG_C];
        s->cmos[REG_C] = 0;
        update_irq(s);
        return v;
    }
    case REG_D:
        return D_VRT;
    default:
        return s->cmos[reg];
    }
}

static void write_reg(Mc146818 *s, unsigned reg, uint8_t val)
{
    int64_t now = virt_now();

    switch (reg) {
    case REG_A:
        raise_flags(s, now);
        s->cmos[REG_A] = (val & ~A_UIP) | (s->cmos[REG_A] & A_UIP);
        break;
    case REG_B: {
        if ((val & B_SET) && is_running(s)) {
            store_time(s, floor_div(guest_ns(s, now), NS_PER_SEC));
        }
        bool resume = (s->cmos[REG_B] & B_SET) && !(val & B_SET);
        raise_flags(s, now);
        s->cmos[REG_B] = (val & B_SET) ? val & ~B_UIE : val;
        int64_t sec;
        if (resume && load_time(s, &sec)) {
            s->offset_ns = sec * NS_PER_SEC - now;  /* the second starts now */
        }
        s->flags_ns = now;
        update_irq(s);
        break;
    }
    case REG_C:
    case REG_D:
        break;                      /* read-only */
    default:
        if (reg <= YEAR && is_running(s)) {
            store_time(s, floor_div(guest_ns(s, now), NS_PER_SEC));
        }
        s->cmos[reg] = val;
        break;
    }
    arm_timers(s);
}

/* ---- I/O ports ---- */

static uint64_t rtc_io_read(void *opaque, uint64_t addr, unsigned size)
{
    Mc146818 *s = opaque;

    return addr == 0 ? 0xff : read_reg(s, s->index);
}

static void rtc_io_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    Mc146818 *s = opaque;

    if (addr == 0) {
        s->index = val & 0x7f;      /* bit 7 masks NMI on the PC */
    } else {
        write_reg(s, s->index, val);
    }
}

static const EmuMemoryOps rtc_ops = {
    EMU_MEMORY_OPS_HEADER,
    .read = rtc_io_read,
    .write = rtc_io_write,
    .max_access = 1,
};

/* ---- setup ---- */

/* Guest UTC time in ns at realize, from the base property. */
static bool base_time_ns(const Mc146818 *s, int64_t *out, GError **errp)
{
    const char *base = s->base ? s->base : "utc";
    int64_t real_ns = g_get_real_time() * 1000;

    if (!strcmp(base, "utc")) {
        *out = real_ns;
        return true;
    }
    if (!strcmp(base, "localtime")) {
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        *out = real_ns + g_date_time_get_utc_offset(now) * 1000;
        return true;
    }
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(base, utc);
    if (!t) {
        g_set_error(errp, EMU_ERROR, 0, "mc146818: base='%s' is not utc, "
                    "localtime or a date like 2006-06-17T16:01:21", base);
        return false;
    }
    *out = g_date_time_to_unix(t) * NS_PER_SEC;
    return true;
}

/* The memory sizes PC BIOSes read from CMOS, in their units. */
static void store_pc_memory_size(Mc146818 *s)
{
    uint64_t kb = s->ram_size >> 10;
    uint64_t ext_kb = kb > 1024 ? MIN(kb - 1024, 0xffff) : 0;
    uint64_t below4g = MIN(s->ram_size, 0xe0000000ull);
    uint64_t above16m = below4g > (16 << 20) ? (below4g - (16 << 20)) >> 16 : 0;
    uint64_t above4g = s->ram_size > 0xe0000000ull
                       ? (s->ram_size - 0xe0000000ull) >> 16 : 0;

    s->cmos[0x15] = 640 & 0xff;     /* base memory, KiB */
    s->cmos[0x16] = 640 >> 8;
    s->cmos[0x17] = s->cmos[0x30] = ext_kb & 0xff;  /* 1M-65M, KiB */
    s->cmos[0x18] = s->cmos[0x31] = ext_kb >> 8;
    above16m = MIN(above16m, 0xffff);
    s->cmos[0x34] = above16m & 0xff; /* 16M-4G, 64 KiB units */
    s->cmos[0x35] = above16m >> 8;
    s->cmos[0x5b] = above4g & 0xff;  /* above 4G, 64 KiB units */
    s->cmos[0x5c] = above4g >> 8;
    s->cmos[0x5d] = above4g >> 16;
}

static void rtc_reset(EmuObject *obj)
{
    Mc146818 *s = RTC(obj);

    /* Reset clears the interrupt enables and flags; time and RAM stay. */
    s->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
    s->cmos[REG_C] = 0;
    s->flags_ns = virt_now();
    update_irq(s);
    arm_timers(s);
}

static void rtc_init(EmuObject *obj)
{
    Mc146818 *s = RTC(obj);

    s->periodic = emu_timer_new(EMU_CLOCK_VIRTUAL, rtc_tick, s);
    s->second = emu_timer_new(EMU_CLOCK_VIRTUAL, rtc_tick, s);
    s->irq_level = -1;
}

static bool rtc_realize(EmuObject *obj, GError **errp)
{
    Mc146818 *s = RTC(obj);
    int64_t base_ns;

    if (s->io_base > 0xfffe) {
        g_set_error(errp, EMU_ERROR, 0, "mc146818: io=0x%x is beyond the "
                    "I/O space", s->io_base);
        return false;
    }
    if (!base_time_ns(s, &base_ns, errp)) {
        return false;
    }
    s->offset_ns = base_ns - virt_now();
    s->cmos[REG_A] = 0x26;          /* 32.768 kHz, 1024 Hz rate */
    s->cmos[REG_B] = B_24H;         /* BCD, 24-hour, as PC BIOSes set */
    if (s->ram_size) {
        store_pc_memory_size(s);
    }
    rtc_reset(obj);
    s->mr = emu_mr_new_io(obj, "mc146818", 2, &rtc_ops, s);
    emu_mr_add_subregion(emu_as_root(emu_system_io()), s->io_base, s->mr, 0);
    return true;
}

static void rtc_unrealize(EmuObject *obj)
{
    Mc146818 *s = RTC(obj);

    emu_timer_del(s->periodic);
    emu_timer_del(s->second);
    emu_mr_remove(emu_as_root(emu_system_io()), &s->mr);
}

static void rtc_finalize(EmuObject *obj)
{
    Mc146818 *s = RTC(obj);

    emu_timer_free(s->periodic);
    emu_timer_free(s->second);
}

/* ---- description ---- */

static const EmuProperty rtc_props[] = {
    EMU_PROP_U32("io", Mc146818, io_base, "0x70", "index port (data at +1)"),
    EMU_PROP_IRQ("irq", Mc146818, irq, "interrupt line (PC: pic2.0)"),
    EMU_PROP_STRING("base", Mc146818, base, "utc",
                    "starting time: utc, localtime or 2006-06-17T16:01:21"),
    EMU_PROP_SIZE("ram-size", Mc146818, ram_size, "0",
                  "guest RAM to record in the PC BIOS bytes (0: none)"),
    EMU_PROP_END
};

static const EmuStateField rtc_state_fields[] = {
    EMU_STATE_BUFFER(Mc146818, cmos),
    EMU_STATE_U8(Mc146818, index),
    EMU_STATE_U64(Mc146818, offset_ns),
    EMU_STATE_U64(Mc146818, flags_ns),
    EMU_STATE_END
};

static const EmuStateDesc rtc_state = {
    .name = "mc146818",
    .version = 1,
    .fields = rtc_state_fields,
};

static void rtc_post_load(EmuObject *obj)
{
    Mc146818 *s = RTC(obj);

    s->irq_level = -1;
    update_irq(s);
    arm_timers(s);
}

static const EmuTypeInfo rtc_type = {
    EMU_TYPE_HEADER,
    .name = "mc146818",
    .parent = "device",
    .description = "MC146818A real-time clock and CMOS RAM",
    .instance_size = sizeof(Mc146818),
    .props = rtc_props,
    .init = rtc_init,
    .realize = rtc_realize,
    .unrealize = rtc_unrealize,
    .reset = rtc_reset,
    .finalize = rtc_finalize,
    .state = &rtc_state,
    .post_load = rtc_post_load,
};

static bool dev_rtc_init(EmuPlugin *self, GError **errp)
{
    return emu_type_register(&rtc_type, errp);
}

EMU_PLUGIN_EXPORT const EmuPluginInfo emu_plugin_info = {
    EMU_PLUGIN_HEADER,
    .name = "dev-rtc",
    .version = "1.0",
    .license = "GPL-2.0-or-later",
    .description = "Real-time clocks: the MC146818A with CMOS RAM",
    .provides = (const char *const[]){ "device:mc146818", NULL },
    .init = dev_rtc_init,
};
