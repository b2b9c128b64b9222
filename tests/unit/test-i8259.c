/*
 * The i8259 plugin as the PC wires it: master at 0x20 (ELCR 0x4d0), slave
 * at 0xa0 (ELCR 0x4d1) on the master's input 2, the master's INT going to
 * a stand-in CPU.  The guest side is driven through the I/O space the way
 * a BIOS and Linux program it; the CPU side through EmuIntcClass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include <emu/intc.h>
#include "device-test.h"

/* The master's INT goes to a stand-in CPU's line 0 (INTR). */
static TestSink *cpu;
static EmuObject *master, *slave;

/* ---- helpers ---- */

static void set(EmuObject *obj, const char *name, const char *value)
{
    GError *err = NULL;

    if (!emu_object_set_prop(obj, name, value, &err)) {
        fail_msg("%s=%s: %s", name, value, err->message);
    }
}

static void realize(EmuObject *obj)
{
    GError *err = NULL;

    if (!emu_object_realize(obj, &err)) {
        fail_msg("realize: %s", err->message);
    }
}

static void line(EmuObject *pic, int n, int level)
{
    emu_irq_set(emu_irq_get(pic, NULL, n), level);
}

static uint8_t ack(void)
{
    return emu_intc_class(master)->acknowledge(master);
}

/* The sequence SeaBIOS and Linux use: vectors 0x08 and 0x70, cascade on
 * input 2, 8086 mode; everything unmasked. */
static void program_pc(uint8_t icw4)
{
    outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, icw4);
    outb(0xa0, 0x11); outb(0xa1, 0x70); outb(0xa1, 0x02); outb(0xa1, icw4);
    outb(0x21, 0x00);
    outb(0xa1, 0x00);
}

static uint8_t read_isr(unsigned base)
{
    outb(base, 0x0b);
    uint8_t v = inb(base);
    outb(base, 0x0a);
    return v;
}

/* ---- fixtures ---- */

/* The pair is built once (the tree keeps objects for good); each test
 * starts from all lines low, a reset and the PC programming. */
static int build_pair(void **state)
{
    cpu = (TestSink *)test_add("test-sink", "cpu", NULL, false);
    master = test_add("i8259", "pic", NULL, false);
    slave = test_add("i8259", "pic2", NULL, false);
    set(master, "io", "0x20");
    set(master, "elcr", "0x4d0");
    set(master, "elcr-mask", "0xf8");
    set(master, "int", "cpu.0");
    set(master, "slave", "pic2");
    set(slave, "io", "0xa0");
    set(slave, "elcr", "0x4d1");
    set(slave, "elcr-mask", "0xde");
    set(slave, "int", "pic.2");
    realize(&cpu->parent);
    realize(slave);
    realize(master);
    return 0;
}

static int setup(void **state)
{
    for (int n = 0; n < 8; n++) {
        line(master, n, 0);
        line(slave, n, 0);
    }
    emu_object_reset(slave);
    emu_object_reset(master);
    program_pc(0x01);
    assert_int_equal(cpu->level[0], 0);
    return 0;
}

/* ---- tests ---- */

static void test_deliver_and_eoi(void **state)
{
    assert_int_equal(cpu->level[0], 0);
    line(master, 0, 1);
    assert_int_equal(cpu->level[0], 1);
    assert_int_equal(inb(0x20), 0x01);          /* IRR (OCW3 default) */
    assert_int_equal(ack(), 0x08);
    assert_int_equal(cpu->level[0], 0);
    assert_int_equal(read_isr(0x20), 0x01);
    assert_int_equal(inb(0x20), 0x00);          /* edge request consumed */
    outb(0x20, 0x20);                           /* non-specific EOI */
    assert_int_equal(read_isr(0x20), 0x00);
    assert_int_equal(cpu->level[0], 0);             /* no new edge */
}

static void test_priority_and_nesting(void **state)
{
    line(master, 3, 1);
    line(master, 1, 1);
    assert_int_equal(ack(), 0x09);              /* IRQ1 beats IRQ3 */
    assert_int_equal(cpu->level[0], 0);             /* IRQ3 waits behind it */
    line(master, 0, 1);
    assert_int_equal(cpu->level[0], 1);             /* IRQ0 nests */
    assert_int_equal(ack(), 0x08);
    assert_int_equal(read_isr(0x20), 0x03);
    outb(0x20, 0x20);                           /* ends IRQ0, the highest */
    assert_int_equal(read_isr(0x20), 0x02);
    assert_int_equal(cpu->level[0], 0);
    outb(0x20, 0x61);                           /* specific EOI for IRQ1 */
    assert_int_equal(cpu->level[0], 1);
    assert_int_equal(ack(), 0x0b);
}

static void test_mask(void **state)
{
    outb(0x21, 0x10);
    assert_int_equal(inb(0x21), 0x10);
    line(master, 4, 1);
    assert_int_equal(cpu->level[0], 0);
    assert_int_equal(inb(0x20), 0x10);          /* requested, masked */
    outb(0x21, 0x00);
    assert_int_equal(cpu->level[0], 1);
    assert_int_equal(ack(), 0x0c);
}

static void test_cascade(void **state)
{
    line(slave, 4, 1);                          /* IRQ12: the PS/2 mouse */
    assert_int_equal(cpu->level[0], 1);
    assert_int_equal(ack(), 0x74);
    assert_int_equal(read_isr(0x20), 0x04);
    assert_int_equal(read_isr(0xa0), 0x10);
    line(master, 3, 1);
    assert_int_equal(cpu->level[0], 0);             /* IRQ3 is below input 2 */
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(read_isr(0xa0), 0);
    assert_int_equal(read_isr(0x20), 0);
    assert_int_equal(ack(), 0x0b);
}

static void test_masked_slave_input(void **state)
{
    outb(0x21, 0x04);                           /* mask the cascade */
    line(slave, 0, 1);                          /* IRQ8: the RTC */
    assert_int_equal(cpu->level[0], 0);
    outb(0x21, 0x00);
    assert_int_equal(cpu->level[0], 1);
    assert_int_equal(ack(), 0x70);
}

static void test_spurious(void **state)
{
    assert_int_equal(ack(), 0x0f);              /* IR7, nothing in service */
    assert_int_equal(read_isr(0x20), 0);
}

static void test_edge_needs_new_rise(void **state)
{
    line(master, 5, 1);
    assert_int_equal(ack(), 0x0d);
    outb(0x20, 0x20);
    assert_int_equal(cpu->level[0], 0);             /* still high: no edge */
    line(master, 5, 0);
    line(master, 5, 1);
    assert_int_equal(cpu->level[0], 1);
}

static void test_elcr_level(void **state)
{
    outb(0x4d0, 0xff);
    assert_int_equal(inb(0x4d0), 0xf8);         /* IRQ0-2 stay edge */
    outb(0x4d1, 0xff);
    assert_int_equal(inb(0x4d1), 0xde);         /* IRQ8 and IRQ13 too */
    outb(0x4d1, 0x04);                          /* IRQ10 level-triggered */
    line(slave, 2, 1);
    assert_int_equal(ack(), 0x72);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(cpu->level[0], 1);             /* line still high */
    assert_int_equal(ack(), 0x72);
    line(slave, 2, 0);                          /* the handler quiets it */
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(cpu->level[0], 0);
    outb(0xa0, 0x0a);
    assert_int_equal(inb(0xa0), 0);             /* IRR follows the line */
}

static void test_poll(void **state)
{
    line(master, 6, 1);
    outb(0x20, 0x0c);                           /* OCW3: poll */
    assert_int_equal(inb(0x20), 0x86);
    assert_int_equal(read_isr(0x20), 0x40);
    outb(0x20, 0x0c);
    assert_int_equal(inb(0x20), 0x00);          /* nothing more */
}

static void test_rotation(void **state)
{
    outb(0x20, 0xc4);                           /* IRQ4 lowest: 5 first */
    line(master, 1, 1);
    line(master, 6, 1);
    assert_int_equal(ack(), 0x0e);              /* IRQ6 outranks IRQ1 */
    outb(0x20, 0xa0);                           /* rotate on EOI: 6 lowest */
    assert_int_equal(ack(), 0x09);
    outb(0x20, 0x20);
    line(master, 6, 0);
    line(master, 6, 1);
    line(master, 0, 1);
    assert_int_equal(ack(), 0x08);              /* 7, 0.. now come first */
}

static void test_auto_eoi(void **state)
{
    program_pc(0x03);
    line(master, 3, 1);
    assert_int_equal(ack(), 0x0b);
    assert_int_equal(read_isr(0x20), 0);
    line(master, 4, 1);
    assert_int_equal(cpu->level[0], 1);             /* nothing blocks IRQ4 */
}

static void test_special_mask(void **state)
{
    line(master, 1, 1);
    assert_int_equal(ack(), 0x09);
    line(master, 5, 1);
    assert_int_equal(cpu->level[0], 0);
    outb(0x21, 0x02);                           /* mask the level in service */
    outb(0x20, 0x68);                           /* set special mask mode */
    assert_int_equal(cpu->level[0], 1);             /* IRQ5 may now interrupt */
    assert_int_equal(ack(), 0x0d);
    outb(0x20, 0x48);                           /* reset special mask mode */
    assert_int_equal(read_isr(0x20), 0x22);
}

static void test_reinit_clears(void **state)
{
    line(master, 7, 1);
    assert_int_equal(ack(), 0x0f);
    program_pc(0x01);
    assert_int_equal(read_isr(0x20), 0);
    assert_int_equal(cpu->level[0], 0);
}

static void test_state_roundtrip(void **state)
{
    GByteArray *saved = g_byte_array_new();
    GError *err = NULL;

    outb(0x21, 0x5a);
    line(master, 0, 1);
    assert_true(emu_object_save_state(master, saved, &err));
    emu_object_reset(master);
    assert_int_equal(inb(0x21), 0);
    assert_true(emu_object_load_state(master, saved->data, saved->len, &err));
    assert_int_equal(inb(0x21), 0x5a);
    assert_int_equal(inb(0x20), 0x01);
    assert_int_equal(cpu->level[0], 1);             /* post_load re-drove INT */
    g_byte_array_unref(saved);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
        T(test_deliver_and_eoi), T(test_priority_and_nesting), T(test_mask),
        T(test_cascade), T(test_masked_slave_input), T(test_spurious),
        T(test_edge_needs_new_rise), T(test_elcr_level), T(test_poll),
        T(test_rotation), T(test_auto_eoi), T(test_special_mask),
        T(test_reinit_clears), T(test_state_roundtrip),
#undef T
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, build_pair, NULL);
}
