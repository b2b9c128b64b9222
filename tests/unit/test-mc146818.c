/*
 * The mc146818 plugin through ports 0x70/0x71 as a BIOS and Linux use
 * them, with the virtual clock paused and stepped so every flag and IRQ8
 * edge lands at a known time.  IRQ8 goes to a stand-in PIC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "device-test.h"

#define MS 1000000LL
#define SEC (1000 * MS)

static TestSink *pic;
static EmuObject *rtc;

/* ---- helpers ---- */

static uint8_t cmos_read(uint8_t reg)
{
    uint64_t v = 0;

    assert_int_equal(emu_as_write(emu_system_io(), 0x70, reg, 1), EMU_MEM_OK);
    assert_int_equal(emu_as_read(emu_system_io(), 0x71, &v, 1), EMU_MEM_OK);
    return v;
}

static void cmos_write(uint8_t reg, uint8_t val)
{
    assert_int_equal(emu_as_write(emu_system_io(), 0x70, reg, 1), EMU_MEM_OK);
    assert_int_equal(emu_as_write(emu_system_io(), 0x71, val, 1), EMU_MEM_OK);
}

/* Sets the clock as a BIOS setup screen does: SET, registers, release.
 * The new second starts at the release. */
static void set_time(uint8_t century, uint8_t year, uint8_t month,
                     uint8_t mday, uint8_t hour, uint8_t min, uint8_t sec)
{
    uint8_t b = cmos_read(0x0b);

    cmos_write(0x0b, b | 0x80);
    cmos_write(0x32, century);
    cmos_write(0x09, year);
    cmos_write(0x08, month);
    cmos_write(0x07, mday);
    cmos_write(0x04, hour);
    cmos_write(0x02, min);
    cmos_write(0x00, sec);
    cmos_write(0x0b, b & ~0x80);
}

static void expect_time(uint8_t month, uint8_t mday, uint8_t hour,
                        uint8_t min, uint8_t sec)
{
    assert_int_equal(cmos_read(0x08), month);
    assert_int_equal(cmos_read(0x07), mday);
    assert_int_equal(cmos_read(0x04), hour);
    assert_int_equal(cmos_read(0x02), min);
    assert_int_equal(cmos_read(0x00), sec);
}

static int bcd(int v)
{
    return (v / 10) << 4 | v % 10;
}

static int unbcd(int v)
{
    return (v >> 4) * 10 + (v & 15);
}

/* ---- fixtures ---- */

static int build(void **state)
{
    static const char *const props[] = { "irq", "pic.0", "ram-size", "128M",
                                          NULL };

    pic = (TestSink *)test_add("test-sink", "pic", NULL, true);
    rtc = test_add("mc146818", "rtc", props, true);
    return 0;
}

static int setup(void **state)
{
    emu_clock_pause(true);
    emu_object_reset(rtc);
    cmos_write(0x0a, 0x20);                     /* no periodic rate */
    cmos_write(0x0b, 0x02);                     /* BCD, 24 hours */
    cmos_read(0x0c);
    test_sink_clear(pic);
    return 0;
}

/* ---- tests ---- */

/* Runs first, while the device still holds the host's time. */
static void test_starts_at_host_utc(void **state)
{
    int year = unbcd(cmos_read(0x32)) * 100 + unbcd(cmos_read(0x09));
    g_autoptr(GDateTime) t = g_date_time_new_utc(
        year, unbcd(cmos_read(0x08)), unbcd(cmos_read(0x07)),
        unbcd(cmos_read(0x04)), unbcd(cmos_read(0x02)),
        unbcd(cmos_read(0x00)));
    int64_t host = g_get_real_time() / G_USEC_PER_SEC;

    assert_non_null(t);
    assert_in_range(g_date_time_to_unix(t), host - 3, host + 1);
    assert_int_equal(cmos_read(0x0d), 0x80);    /* valid RAM and time */
}

static void test_set_time_and_leap_day(void **state)
{
    set_time(0x20, 0x24, 0x02, 0x28, 0x23, 0x59, 0x58);
    expect_time(0x02, 0x28, 0x23, 0x59, 0x58);
    emu_clock_step(3 * SEC);
    expect_time(0x02, 0x29, 0x00, 0x00, 0x01);
    assert_int_equal(cmos_read(0x06), 5);       /* Thursday (Sunday = 1) */
    assert_int_equal(cmos_read(0x09), 0x24);
}

static void test_binary_12_hour(void **state)
{
    cmos_write(0x0b, 0x04);                     /* binary, 12 hours */
    set_time(20, 99, 12, 31, 0x80 | 11, 59, 59); /* 11:59:59 PM */
    emu_clock_step(1 * SEC);
    assert_int_equal(cmos_read(0x04), 12);      /* 12 AM */
    assert_int_equal(cmos_read(0x09), 0);
    assert_int_equal(cmos_read(0x32), 21);
    assert_int_equal(cmos_read(0x08), 1);
    emu_clock_step(12 * 3600 * SEC);
    assert_int_equal(cmos_read(0x04), 0x80 | 12); /* 12 PM */
}

static void test_periodic_interrupt(void **state)
{
    cmos_write(0x0a, 0x2f);                     /* 2 Hz */
    cmos_write(0x0b, 0x42);                     /* PIE */
    int64_t phase = emu_clock_get_ns(EMU_CLOCK_VIRTUAL) % (500 * MS);
    emu_clock_step(500 * MS - phase - 1);
    assert_int_equal(pic->level[0], 0);
    emu_clock_step(1);
    assert_int_equal(pic->level[0], 1);
    assert_int_equal(cmos_read(0x0c), 0xc0);    /* IRQF | PF */
    assert_int_equal(pic->level[0], 0);
    assert_int_equal(cmos_read(0x0c), 0x00);
    cmos_write(0x0a, 0x26);                     /* 1024 Hz */
    for (int i = 0; i < 1024; i++) {
        emu_clock_step(SEC / 1024 + 1);
        assert_int_equal(cmos_read(0x0c) & 0xc0, 0xc0);
    }
    assert_int_equal(pic->rises[0], 1 + 1024);
}

static void test_update_ended_interrupt(void **state)
{
    set_time(0x20, 0x26, 0x11, 0x25, 0x12, 0x00, 0x00);
    cmos_write(0x0b, 0x12);                     /* UIE */
    emu_clock_step(SEC - 1);
    assert_int_equal(pic->level[0], 0);
    emu_clock_step(1);
    assert_int_equal(pic->level[0], 1);
    assert_int_equal(cmos_read(0x0c), 0x90);
    emu_clock_step(10 * SEC);
    assert_int_equal(pic->rises[0], 2);            /* C unread: line stays up */
}

static void test_alarm(void **state)
{
    set_time(0x20, 0x26, 0x11, 0x25, 0x12, 0x30, 0x10);
    cmos_write(0x01, 0x12);                     /* at :12 seconds */
    cmos_write(0x03, 0xff);                     /* any minute */
    cmos_write(0x05, 0xff);                     /* any hour */
    cmos_write(0x0b, 0x22);                     /* AIE */
    emu_clock_step(1 * SEC);
    assert_int_equal(pic->level[0], 0);
    emu_clock_step(1 * SEC);
    assert_int_equal(pic->level[0], 1);
    assert_int_equal(cmos_read(0x0c), 0xb0);    /* IRQF | AF | UF */
    emu_clock_step(59 * SEC);
    assert_int_equal(pic->level[0], 0);
    emu_clock_step(1 * SEC);                    /* 12:31:12 */
    assert_int_equal(pic->level[0], 1);
}

static void test_flags_without_enables(void **state)
{
    cmos_write(0x0a, 0x26);                     /* 1024 Hz */
    emu_clock_step(2 * SEC);
    assert_int_equal(cmos_read(0x0c), 0x50);    /* PF | UF, no IRQF */
    assert_int_equal(pic->rises[0], 0);
}

static void test_update_in_progress(void **state)
{
    set_time(0x20, 0x26, 0x11, 0x25, 0x12, 0x00, 0x00);
    emu_clock_step(SEC - 245000);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0);
    emu_clock_step(2000);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0x80);
    emu_clock_step(243000);
    assert_int_equal(cmos_read(0x0a) & 0x80, 0);
    assert_int_equal(cmos_read(0x00), 0x01);
}

static void test_ram_and_bios_bytes(void **state)
{
    assert_int_equal(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
    assert_int_equal(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
    assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8,
                     (128 - 16) * 16);          /* 64 KiB units over 16M */
    assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) | cmos_read(0x5d), 0);
    for (int reg = 0x40; reg < 0x80; reg++) {
        cmos_write(reg, reg ^ 0xa5);
    }
    for (int reg = 0x40; reg < 0x80; reg++) {
        assert_int_equal(cmos_read(reg | 0x80), reg ^ 0xa5); /* NMI bit */
    }
}

static void test_base_property(void **state)
{
    GError *err = NULL;
    EmuObject *other = emu_object_new("mc146818", NULL, &err);

    must(other != NULL, err);
    must(emu_object_set_prop(other, "io", "0x170", &err), err);
    must(emu_object_set_prop(other, "base", "2006-06-17T16:01:21", &err), err);
    must(emu_object_realize(other, &err), err);
    assert_int_equal(emu_as_write(emu_system_io(), 0x170, 0x04, 1), EMU_MEM_OK);
    uint64_t v = 0;
    assert_int_equal(emu_as_read(emu_system_io(), 0x171, &v, 1), EMU_MEM_OK);
    assert_int_equal(v, bcd(16));
    emu_object_unref(other);

    other = emu_object_new("mc146818", NULL, &err);
    must(emu_object_set_prop(other, "base", "yesterday", &err), err);
    assert_false(emu_object_realize(other, &err));
    assert_non_null(strstr(err->message, "base='yesterday'"));
    g_clear_error(&err);
    emu_object_unref(other);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_at_host_utc),
#define T(fn) cmocka_unit_test_setup(fn, setup)
        T(test_set_time_and_leap_day), T(test_binary_12_hour),
        T(test_periodic_interrupt), T(test_update_ended_interrupt),
        T(test_alarm), T(test_flags_without_enables),
        T(test_update_in_progress), T(test_ram_and_bios_bytes),
        T(test_base_property),
#undef T
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, build, NULL);
}
