/*
 * The i8254 plugin programmed through its ports the way a BIOS and Linux
 * do, with the virtual clock paused and stepped (emu_clock_step) so every
 * count and IRQ0 edge is checked exactly.  IRQ0 goes to a stand-in PIC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "device-test.h"

#define PIT_HZ 1193182

static TestSink *pic;
static EmuObject *pit;

/* ---- helpers ---- */

/* Steps the clock to `ticks` PIT pulses after the last count was loaded
 * (counts are loaded with the clock at a whole nanosecond `t0`). */
static int64_t t0;

static void at_tick(int64_t ticks)
{
    int64_t ns = (ticks * 1000000000LL + PIT_HZ - 1) / PIT_HZ;
    emu_clock_step(t0 + ns - emu_clock_get_ns(EMU_CLOCK_VIRTUAL));
}

static void load_word(unsigned counter, unsigned control, uint16_t count)
{
    outb(0x43, control);
    outb(0x40 + counter, count & 0xff);
    outb(0x40 + counter, count >> 8);
    t0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
}

static uint16_t latched_word(unsigned counter)
{
    outb(0x43, counter << 6);                   /* counter latch command */
    uint16_t lo = inb(0x40 + counter);
    return lo | inb(0x40 + counter) << 8;
}

static uint8_t status(unsigned counter)
{
    outb(0x43, 0xe0 | 2 << counter);            /* read-back: status only */
    return inb(0x40 + counter);
}

/* ---- fixtures ---- */

static int build(void **state)
{
    static const char *const props[] = { "irq", "pic.0", NULL };

    emu_clock_pause(true);
    pic = (TestSink *)test_add("test-sink", "pic", NULL, true);
    pit = test_add("i8254", "pit", props, true);
    return 0;
}

static int setup(void **state)
{
    emu_irq_set(emu_irq_get(pit, "gate", 2), 0);
    emu_object_reset(pit);
    test_sink_clear(pic);
    return 0;
}

/* ---- tests ---- */

static void test_linux_periodic_tick(void **state)
{
    load_word(0, 0x34, PIT_HZ / 100);           /* mode 2, HZ=100 */
    assert_int_equal(pic->level[0], 1);
    at_tick(PIT_HZ);                            /* one second */
    assert_int_equal(pic->rises[0], 100);
    at_tick(2 * PIT_HZ);
    assert_int_equal(pic->rises[0], 200);
}

static void test_latch_reads_frozen_count(void **state)
{
    load_word(0, 0x34, 1000);
    at_tick(300);
    assert_int_equal(latched_word(0), 700);
    outb(0x43, 0x00);
    at_tick(400);
    uint16_t lo = inb(0x40);
    assert_int_equal(lo | inb(0x40) << 8, 700); /* latched at 300 */
    assert_int_equal(latched_word(0), 600);
    at_tick(1000 + 250);
    assert_int_equal(latched_word(0), 750);     /* reloaded at 1000 */
}

static void test_mode0_terminal_count(void **state)
{
    load_word(0, 0x30, 100);
    assert_int_equal(pic->level[0], 0);
    at_tick(99);
    assert_int_equal(pic->level[0], 0);
    at_tick(100);
    assert_int_equal(pic->level[0], 1);
    assert_int_equal(pic->rises[0], 1);
    at_tick(70000);
    assert_int_equal(pic->rises[0], 1);            /* once only */
    assert_int_equal(latched_word(0), (100 - 70000 + 3 * 65536) % 65536);
}

static void test_mode3_square_wave(void **state)
{
    load_word(0, 0x36, 10);
    at_tick(4);
    assert_int_equal(pic->level[0], 1);
    assert_int_equal(latched_word(0), 2);       /* counts by two */
    at_tick(5);
    assert_int_equal(pic->level[0], 0);
    at_tick(10);
    assert_int_equal(pic->level[0], 1);
    at_tick(10000);
    assert_int_equal(pic->rises[0], 1000);
}

static void test_read_back_status(void **state)
{
    outb(0x43, 0x34);
    assert_int_equal(status(0), 0x80 | 0x40 | 0x30 | 0x04); /* null count */
    outb(0x40, 0x10);
    outb(0x40, 0x00);
    assert_int_equal(status(0), 0x80 | 0x30 | 0x04);
    outb(0x43, 0x10);                           /* LSB only, mode 0 */
    outb(0x40, 50);
    t0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    assert_int_equal(status(0), 0x10);          /* OUT low, counting */
    at_tick(20);
    assert_int_equal((outb(0x43, 0x00), inb(0x40)), 30);
}

static void test_bcd(void **state)
{
    load_word(0, 0x35, 0x1000);                 /* mode 2, BCD 1000 */
    at_tick(250);
    assert_int_equal(latched_word(0), 0x0750);
    at_tick(1000);
    assert_int_equal(pic->rises[0], 1);
}

static void test_gate_pauses_mode0(void **state)
{
    load_word(2, 0xb0, 100);                    /* counter 2, gate low */
    at_tick(500);
    assert_int_equal(status(2) & 0x80, 0);
    assert_int_equal(latched_word(2), 100);     /* not counting */
    emu_irq_set(emu_irq_get(pit, "gate", 2), 1);
    t0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    at_tick(60);
    emu_irq_set(emu_irq_get(pit, "gate", 2), 0);
    at_tick(200);
    assert_int_equal(latched_word(2), 40);      /* paused at 60 pulses */
    emu_irq_set(emu_irq_get(pit, "gate", 2), 1);
    t0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    at_tick(39);
    assert_int_equal(status(2) & 0x80, 0);
    at_tick(40);
    assert_int_equal(status(2) & 0x80, 0x80);
}

static void test_mode1_one_shot(void **state)
{
    load_word(2, 0xb2, 30);
    at_tick(100);
    assert_int_equal(status(2) & 0xc0, 0xc0);   /* high, waiting trigger */
    emu_irq_set(emu_irq_get(pit, "gate", 2), 1);
    t0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    at_tick(29);
    assert_int_equal(status(2) & 0xc0, 0x00);   /* low while counting */
    at_tick(30);
    assert_int_equal(status(2) & 0x80, 0x80);
}

static void test_word_reads_without_latch(void **state)
{
    load_word(1, 0x74, 0x1234);                 /* counter 1, mode 2 */
    uint8_t lo = inb(0x41);
    uint8_t hi = inb(0x41);
    assert_int_equal(lo | hi << 8, 0x1234);     /* clock has not moved */
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
        T(test_linux_periodic_tick), T(test_latch_reads_frozen_count),
        T(test_mode0_terminal_count), T(test_mode3_square_wave),
        T(test_read_back_status), T(test_bcd), T(test_gate_pauses_mode0),
        T(test_mode1_one_shot), T(test_word_reads_without_latch),
#undef T
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, build, NULL);
}
