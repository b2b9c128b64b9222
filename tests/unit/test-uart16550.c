/*
 * The uart-16550 device plugin, driven through the I/O address space as a
 * guest would, with a socket chardev whose far end the test holds.  Only
 * the public API is used: the plugin is found through EMU_PLUGIN_PATH and
 * loaded on the first use of its type.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device-test.h"

#define COM1 0x3f8
#define DEADLINE_US 2000000

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static TestSink *pic;     /* stand-in interrupt controller */
static int peer = -1;
static int rig_serial;

/* ---- helpers ---- */

static uint8_t io_in(unsigned reg)
{
    return inb(COM1 + reg);
}

static void io_out(unsigned reg, uint8_t val)
{
    outb(COM1 + reg, val);
}

/* Creates and realizes an object; in_tree: the tree owns it, else the
 * caller does (and unrefs it). */
static EmuObject *make(const char *type, const char *id, const char **props,
                       bool in_tree)
{
    GError *err = NULL;
    EmuObject *obj = emu_object_new(type, id, &err);

    if (!obj) {
        fail_msg("%s: %s", type, err->message);
    }
    for (; props && *props; props += 2) {
        if (!emu_object_set_prop(obj, props[0], props[1], &err)) {
            fail_msg("%s %s=%s: %s", type, props[0], props[1], err->message);
        }
    }
    if (!emu_object_realize(obj, &err) ||
        (in_tree && !emu_object_add_child(emu_object_root(), obj, &err))) {
        fail_msg("%s: %s", type, err->message);
    }
    return obj;
}

/* Pumps the main loop until the UART's LSR has all of bits, or fails. */
static void wait_lsr(uint8_t bits)
{
    gint64 end = g_get_monotonic_time() + DEADLINE_US;

    while ((io_in(LSR) & bits) != bits) {
        if (g_get_monotonic_time() > end) {
            fail_msg("LSR 0x%02x never got bits 0x%02x", io_in(LSR), bits);
        }
        if (!emu_loop_iterate(false)) {
            g_usleep(200);
        }
    }
}

static void pump_ms(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    while (g_get_monotonic_time() < end) {
        if (!emu_loop_iterate(false)) {
            g_usleep(200);
        }
    }
}

static void peer_send(const char *s)
{
    assert_int_equal(write(peer, s, strlen(s)), (ssize_t)strlen(s));
}

static void peer_expect(const char *want)
{
    GString *got = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + DEADLINE_US;

    while (got->len < strlen(want) && g_get_monotonic_time() < end) {
        struct pollfd pfd = { .fd = peer, .events = POLLIN };
        char buf[256];
        ssize_t n;
        if (poll(&pfd, 1, 20) <= 0) {
            continue;
        }
        n = read(peer, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(got, buf, n);
    }
    assert_string_equal(got->str, want);
    g_string_free(got, true);
}

static bool peer_quiet(int ms)
{
    struct pollfd pfd = { .fd = peer, .events = POLLIN };

    return poll(&pfd, 1, ms) == 0;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* ---- fixtures: a socket chardev, the PIC, the UART on it ---- */

static int setup(void **state)
{
    static const char *sock_props[] = {
        "host", "127.0.0.1", "port", "0", "server", "on", "wait", "off", NULL
    };
    static const char *uart_props[] = {
        "io", "0x3f8", "irq", "pic.4", NULL, NULL, NULL
    };
    g_autofree char *id = g_strdup_printf("ser%d", rig_serial);
    g_autofree char *port = NULL;
    EmuObject *sock;
    const char *props[8];

    sock = make("chardev-socket", id, sock_props, true);
    port = emu_object_get_prop(sock, "port", NULL);
    if (!pic) {
        pic = (TestSink *)make("test-sink", "pic", NULL, true);
    }
    memcpy(props, uart_props, sizeof(uart_props));
    props[4] = "chardev";
    props[5] = id;
    g_autofree char *uid = g_strdup_printf("com1-%d", rig_serial++);
    *state = make("uart-16550", uid, props, false);
    peer = tcp_connect(atoi(port));
    pump_ms(5);
    test_sink_clear(pic);
    return 0;
}

static int teardown(void **state)
{
    EmuObject *uart = *state;

    close(peer);
    peer = -1;
    /* Take the UART off the bus so the next test's can map COM1. */
    emu_object_unref(uart);
    return 0;
}

/* ---- tests ---- */

static void test_reset_state(void **state)
{
    assert_int_equal(io_in(LSR), 0x60);         /* THRE | TEMT */
    assert_int_equal(io_in(IIR), 0x01);         /* nothing pending */
    assert_int_equal(io_in(IER), 0);
    io_out(SCR, 0x5a);
    assert_int_equal(io_in(SCR), 0x5a);
    io_out(LCR, 0x83);                          /* DLAB: divisor latch */
    io_out(DLL, 0x01);
    io_out(DLM, 0x00);
    assert_int_equal(io_in(DLL), 0x01);
    assert_int_equal(io_in(DLM), 0x00);
    io_out(LCR, 0x03);
    assert_int_equal(io_in(LCR), 0x03);
    assert_int_equal(io_in(IER), 0);            /* DLM did not touch IER */
}

static void test_transmit(void **state)
{
    for (const char *c = "Hello, UART\n"; *c; c++) {
        assert_true(io_in(LSR) & 0x20);
        io_out(THR, *c);
    }
    peer_expect("Hello, UART\n");
}

static void test_receive_fifo(void **state)
{
    char got[4] = { 0 };

    io_out(FCR, 0x07);                          /* FIFO on, cleared */
    assert_int_equal(io_in(IIR) & 0xc0, 0xc0);
    assert_false(io_in(LSR) & 0x01);
    peer_send("abc");
    wait_lsr(0x01);
    pump_ms(10);
    for (int i = 0; i < 3; i++) {
        assert_true(io_in(LSR) & 0x01);
        got[i] = io_in(RBR);
    }
    assert_string_equal(got, "abc");
    assert_false(io_in(LSR) & 0x01);
}

static void test_rx_interrupt(void **state)
{
    io_out(FCR, 0x01);                          /* FIFO, trigger 1 */
    io_out(IER, 0x01);                          /* RDI */
    assert_int_equal(pic->level[4], 0);
    peer_send("q");
    wait_lsr(0x01);
    assert_int_equal(pic->level[4], 1);
    assert_int_equal(io_in(IIR), 0xc4);
    assert_int_equal(io_in(RBR), 'q');
    assert_int_equal(pic->level[4], 0);
    assert_int_equal(io_in(IIR), 0xc1);
}

static void test_thr_interrupt(void **state)
{
    io_out(IER, 0x02);                          /* THRI with THR empty */
    assert_int_equal(pic->level[4], 1);
    assert_int_equal(io_in(IIR), 0x02);         /* reading acknowledges */
    assert_int_equal(pic->level[4], 0);
    assert_int_equal(io_in(IIR), 0x01);
    io_out(THR, '!');                           /* sent: empty again */
    assert_int_equal(pic->level[4], 1);
    io_out(IER, 0);
    assert_int_equal(pic->level[4], 0);
    peer_expect("!");
}

static void test_char_timeout(void **state)
{
    io_out(LCR, 0x80);
    io_out(DLL, 1);                             /* 115200 baud */
    io_out(LCR, 0x03);
    io_out(FCR, 0xc1);                          /* trigger level 14 */
    io_out(IER, 0x01);
    peer_send("xy");
    wait_lsr(0x01);
    /* Below the trigger: only the character timeout raises the line. */
    for (gint64 end = g_get_monotonic_time() + DEADLINE_US;
         !pic->level[4] && g_get_monotonic_time() < end;) {
        pump_ms(1);
    }
    assert_int_equal(pic->level[4], 1);
    assert_int_equal(io_in(IIR), 0xcc);
    assert_int_equal(io_in(RBR), 'x');
    assert_int_equal(io_in(RBR), 'y');
    assert_int_equal(io_in(IIR), 0xc1);
}

static void test_flow_control_no_overrun(void **state)
{
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyzABCD";  /* 40 */
    GString *got = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + DEADLINE_US;

    io_out(FCR, 0x01);
    peer_send(text);
    pump_ms(30);                                /* the FIFO fills up */
    assert_int_equal(io_in(LSR) & 0x03, 0x01);  /* data, no overrun */
    while (got->len < strlen(text) && g_get_monotonic_time() < end) {
        uint8_t lsr = io_in(LSR);
        assert_false(lsr & 0x02);               /* never an overrun */
        if (lsr & 0x01) {
            g_string_append_c(got, io_in(RBR));
        } else {
            pump_ms(1);
        }
    }
    assert_string_equal(got->str, text);
    g_string_free(got, true);
}

static void test_loopback(void **state)
{
    io_out(MCR, 0x10);                          /* LOOP */
    io_out(THR, 'L');
    assert_true(io_in(LSR) & 0x01);
    assert_int_equal(io_in(RBR), 'L');
    /* The modem control outputs come back as status inputs. */
    io_out(MCR, 0x10 | 0x01 | 0x02 | 0x08);     /* DTR RTS OUT2 */
    assert_int_equal(io_in(MSR) & 0xf0, 0x10 | 0x20 | 0x80);
    assert_int_equal(io_in(MSR) & 0x0f, 0);     /* deltas cleared */
    io_out(MCR, 0x10 | 0x04);                   /* OUT1 -> RI */
    assert_int_equal(io_in(MSR) & 0xf0, 0x40);
    io_out(MCR, 0x03);
    assert_true(peer_quiet(30));                /* 'L' never left */
    io_out(THR, 'o');
    peer_expect("o");
}

static void test_break_via_line_status(void **state)
{
    uint8_t lsr;

    io_out(IER, 0x04);                          /* RLSI */
    io_out(FCR, 0x01);
    /* An overrun is reported through LSR and the line status interrupt:
     * make one in loopback, where flow control cannot hold bytes back. */
    io_out(FCR, 0x00);                          /* 1-byte holding reg */
    io_out(MCR, 0x10);
    io_out(THR, '1');
    io_out(THR, '2');
    assert_int_equal(pic->level[4], 1);
    assert_int_equal(io_in(IIR), 0x06);
    lsr = io_in(LSR);
    assert_true(lsr & 0x02);
    assert_false(io_in(LSR) & 0x02);            /* cleared by the read */
    assert_int_equal(pic->level[4], 0);
    assert_int_equal(io_in(RBR), '1');
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thr_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_char_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_control_no_overrun, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_break_via_line_status, setup,
                                        teardown),
    };

    if (!test_runtime_init(argv[0], TEST_PLUGIN_DIR)) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
