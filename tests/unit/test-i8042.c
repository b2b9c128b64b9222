/*
 * The i8042 plugin driven as a BIOS and Linux's i8042/atkbd/psmouse
 * drivers drive it, with keys and motion injected through the input core
 * as a frontend would.  Its output lines go to a stand-in: IRQ1, IRQ12,
 * A20 and reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include <emu/input.h>
#include "device-test.h"

enum { KBD_IRQ, AUX_IRQ, A20, RESET };

static TestSink *sink;
static EmuObject *kbc;

/* ---- helpers ---- */

/* Reads every byte waiting, as a driver polling the status does. */
static int drain(uint8_t *buf, int max, bool *aux)
{
    int n = 0;

    while ((inb(0x64) & 0x01) && n < max) {
        if (aux) {
            aux[n] = inb(0x64) & 0x20;
        }
        buf[n++] = inb(0x60);
    }
    return n;
}

#define EXPECT_BYTES(...) do { \
        static const uint8_t want_[] = { __VA_ARGS__ }; \
        uint8_t got_[32]; \
        int n_ = drain(got_, 32, NULL); \
        assert_int_equal(n_, sizeof(want_)); \
        assert_memory_equal(got_, want_, sizeof(want_)); \
    } while (0)

/* ---- fixtures ---- */

static int build(void **state)
{
    static const char *const props[] = {
        "irq", "sink.0", "aux-irq", "sink.1", "a20", "sink.2",
        "reset", "sink.3", NULL
    };

    sink = (TestSink *)test_add("test-sink", "sink", NULL, true);
    kbc = test_add("i8042", "kbc", props, true);
    return 0;
}

static int setup(void **state)
{
    uint8_t junk[64];

    emu_object_reset(kbc);
    drain(junk, 64, NULL);
    test_sink_clear(sink);
    return 0;
}

/* ---- tests ---- */

static void test_controller_self_tests(void **state)
{
    outb(0x64, 0xaa);
    assert_int_equal(inb(0x64) & 0x0d, 0x0d);   /* OBF, SYS, command */
    EXPECT_BYTES(0x55);
    outb(0x64, 0xab);
    EXPECT_BYTES(0x00);
    outb(0x64, 0xa9);
    EXPECT_BYTES(0x00);
    outb(0x64, 0x20);
    EXPECT_BYTES(0x43);                         /* IRQs on, translating */
    outb(0x64, 0x60);
    outb(0x60, 0x65);
    outb(0x64, 0x20);
    EXPECT_BYTES(0x65);
}

static void test_keyboard_reset_and_identify(void **state)
{
    outb(0x60, 0xff);
    assert_int_equal(sink->level[KBD_IRQ], 1);
    EXPECT_BYTES(0xfa, 0xaa);
    assert_int_equal(sink->level[KBD_IRQ], 0);
    assert_int_equal(sink->rises[KBD_IRQ], 2);  /* one edge per byte */
    outb(0x60, 0xf2);
    EXPECT_BYTES(0xfa, 0xab, 0x41);             /* translated ID */
    outb(0x64, 0x60);
    outb(0x60, 0x03);                           /* translation off */
    outb(0x60, 0xf2);
    EXPECT_BYTES(0xfa, 0xab, 0x83);
    outb(0x60, 0xee);
    EXPECT_BYTES(0xee);
    outb(0x60, 0xed);
    outb(0x60, 0x07);
    EXPECT_BYTES(0xfa, 0xfa);
    outb(0x60, 0x12);                           /* no such command */
    EXPECT_BYTES(0xfe);
}

static void test_keys_in_both_sets(void **state)
{
    assert_true(emu_input_key(30, true));       /* KEY_A */
    emu_input_key(30, false);
    emu_input_key(103, true);                   /* KEY_UP */
    emu_input_key(103, false);
    EXPECT_BYTES(0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8);
    outb(0x64, 0x60);
    outb(0x60, 0x03);                           /* set 2 as sent */
    emu_input_key(30, true);
    emu_input_key(30, false);
    emu_input_key(65, true);                    /* KEY_F7: 0x83 */
    emu_input_key(103, false);
    EXPECT_BYTES(0x1c, 0xf0, 0x1c, 0x83, 0xe0, 0xf0, 0x75);
    outb(0x60, 0xf5);                           /* scanning off */
    EXPECT_BYTES(0xfa);
    emu_input_key(30, true);
    EXPECT_BYTES();
}

static void test_disabled_keyboard_holds_bytes(void **state)
{
    outb(0x64, 0xad);
    emu_input_key(57, true);                    /* KEY_SPACE */
    EXPECT_BYTES();
    outb(0x64, 0xae);
    EXPECT_BYTES(0x39);
}

static void test_mouse_stream_and_wheel(void **state)
{
    uint8_t got[16];
    bool aux[16];

    outb(0x64, 0xd4);
    outb(0x60, 0xf2);
    assert_int_equal(drain(got, 16, aux), 2);
    assert_true(aux[0] && aux[1]);              /* from the mouse */
    assert_int_equal(got[1], 0x00);             /* plain PS/2 mouse */
    assert_int_equal(sink->rises[AUX_IRQ], 2);
    assert_int_equal(sink->rises[KBD_IRQ], 0);

    static const uint8_t knock[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        outb(0x64, 0xd4); outb(0x60, 0xf3);
        outb(0x64, 0xd4); outb(0x60, knock[i]);
    }
    outb(0x64, 0xd4); outb(0x60, 0xf2);
    outb(0x64, 0xd4); outb(0x60, 0xf4);         /* stream on */
    assert_int_equal(drain(got, 16, NULL), 6 + 2 + 1);
    assert_int_equal(got[7], 0x03);             /* now an IntelliMouse */

    emu_input_mouse(5, -3, 1, EMU_INPUT_BUTTON_LEFT);
    assert_int_equal(drain(got, 16, NULL), 4);
    assert_int_equal(got[0], 0x09);             /* left, always-1 bit */
    assert_int_equal(got[1], 5);
    assert_int_equal(got[2], 3);                /* up is positive */
    assert_int_equal(got[3], 1);
    emu_input_mouse(-2, 0, 0, 0);
    assert_int_equal(drain(got, 16, NULL), 4);
    assert_int_equal(got[0], 0x18);             /* X sign */
    assert_int_equal(got[1], 0xfe);
}

static void test_a20_and_reset_lines(void **state)
{
    assert_int_equal(sink->level[A20], 1);
    outb(0x64, 0xd1);
    outb(0x60, 0xdd);                           /* A20 off */
    assert_int_equal(sink->level[A20], 0);
    outb(0x64, 0xd0);
    EXPECT_BYTES(0xdd);
    outb(0x64, 0xdf);
    assert_int_equal(sink->level[A20], 1);
    assert_int_equal(sink->rises[RESET], 0);
    outb(0x64, 0xfe);                           /* pulse reset */
    assert_int_equal(sink->rises[RESET], 1);
    assert_int_equal(sink->level[RESET], 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
        T(test_controller_self_tests), T(test_keyboard_reset_and_identify),
        T(test_keys_in_both_sets), T(test_disabled_keyboard_holds_bytes),
        T(test_mouse_stream_and_wheel), T(test_a20_and_reset_lines),
#undef T
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, build, NULL);
}
