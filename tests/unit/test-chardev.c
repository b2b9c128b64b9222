/*
 * Unit tests of the event loop, clocks, timers and chardev backends
 * (core/loop.c, core/chardev/).  Sockets, FIFOs and ptys are real: the
 * test plays the peer on the other end and pumps the main loop until
 * what it expects arrives, or a deadline passes and the test fails.
 */
#include <config.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu-internal.h"
#include "object-internal.h"
#include "loop.h"
#include "chardev/chardev.h"

#define DEADLINE_MS 2000

static char *tmpdir;

/* ---- helpers: the loop ---- */

typedef bool (*CondFn)(void *arg);

/* Iterates the main loop until cond holds or ms pass. */
static bool pump_until(CondFn cond, void *arg, int ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (!cond(arg)) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        if (!emu_loop_iterate(false)) {
            g_usleep(500);
        }
    }
    return true;
}

static bool never(void *arg)
{
    return false;
}

static void pump_for(int ms)
{
    pump_until(never, NULL, ms);
}

/* ---- helpers: a test frontend ---- */

typedef struct TestFe {
    GByteArray *rx;
    int budget;             /* what can_read says; read takes from it */
    size_t biggest_read;
    int events[4];          /* count per EmuCharEvent */
    int event_order[16];
    int n_events;
} TestFe;

static int fe_can_read(void *opaque)
{
    return ((TestFe *)opaque)->budget;
}

static void fe_read(void *opaque, const uint8_t *buf, size_t len)
{
    TestFe *fe = opaque;

    assert_true((int)len <= fe->budget);    /* never more than can_read */
    fe->budget -= len;
    fe->biggest_read = MAX(fe->biggest_read, len);
    g_byte_array_append(fe->rx, buf, len);
}

static void fe_event(void *opaque, EmuCharEvent ev)
{
    TestFe *fe = opaque;

    fe->events[ev]++;
    if (fe->n_events < 16) {
        fe->event_order[fe->n_events++] = ev;
    }
}

static const EmuCharHandlers fe_handlers = {
    .size = sizeof(EmuCharHandlers),
    .can_read = fe_can_read,
    .read = fe_read,
    .event = fe_event,
};

static void fe_init(TestFe *fe, int budget)
{
    memset(fe, 0, sizeof(*fe));
    fe->rx = g_byte_array_new();
    fe->budget = budget;
}

static void fe_clear(TestFe *fe)
{
    g_byte_array_free(fe->rx, true);
}

typedef struct RxWait {
    TestFe *fe;
    const char *want;
} RxWait;

static bool rx_equals(void *arg)
{
    RxWait *w = arg;
    size_t n = strlen(w->want);

    return w->fe->rx->len == n && memcmp(w->fe->rx->data, w->want, n) == 0;
}

static void expect_rx(TestFe *fe, const char *want)
{
    RxWait w = { fe, want };

    if (!pump_until(rx_equals, &w, DEADLINE_MS)) {
        fail_msg("frontend got %u bytes '%.*s', expected '%s'", fe->rx->len,
                 (int)fe->rx->len, (char *)fe->rx->data, want);
    }
}

typedef struct EventWait {
    TestFe *fe;
    EmuCharEvent ev;
    int count;
} EventWait;

static bool event_seen(void *arg)
{
    EventWait *w = arg;

    return w->fe->events[w->ev] >= w->count;
}

static void expect_event(TestFe *fe, EmuCharEvent ev, int count)
{
    EventWait w = { fe, ev, count };

    if (!pump_until(event_seen, &w, DEADLINE_MS)) {
        fail_msg("event %d seen %d times, expected %d", ev, fe->events[ev],
                 count);
    }
}

/* ---- helpers: the peer's side ---- */

static int tcp_listen_any(int *port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static int tcp_connect(int port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int unix_socket_at(const char *path, bool listening)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int rc;

    g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
    if (listening) {
        rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
        rc = rc ? rc : listen(fd, 1);
    } else {
        rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    }
    assert_int_equal(rc, 0);
    return fd;
}

static void peer_send(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Reads from fd, pumping the main loop, until want has arrived (as a
 * substring) or time is up. */
static char *peer_read_until(int fd, const char *want)
{
    GString *got = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + DEADLINE_MS * 1000;

    while (!strstr(got->str, want) && g_get_monotonic_time() < end) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char buf[512];
        ssize_t n;
        emu_loop_iterate(false);
        if (poll(&pfd, 1, 1) <= 0) {
            continue;
        }
        n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(got, buf, n);
    }
    if (!strstr(got->str, want)) {
        fail_msg("peer got '%s', expected '%s'", got->str, want);
    }
    return g_string_free(got, false);
}

static void peer_expect(int fd, const char *want)
{
    g_free(peer_read_until(fd, want));
}

/* A port nobody listens on right now. */
static int free_port(void)
{
    int port;
    int fd = tcp_listen_any(&port);

    close(fd);
    return port;
}

static EmuObject *new_chardev(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static EmuObject *new_chardev(const char *fmt, ...)
{
    va_list ap;
    g_autofree char *opts = NULL;
    GError *err = NULL;
    EmuObject *obj;

    va_start(ap, fmt);
    opts = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    obj = chardev_new_from_opts(opts, &err);
    if (!obj) {
        fail_msg("-chardev %s: %s", opts, err->message);
    }
    return obj;
}

static int bound_port(const char *id)
{
    int port = chardev_socket_port(emu_chr_find(id));

    assert_true(port > 0);
    return port;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
    GError *err = NULL;

    object_register_core_types();
    if (!chardev_register_types(&err)) {
        fprintf(stderr, "%s\n", err->message);
        return -1;
    }
    tmpdir = g_dir_make_tmp("emu-chardev-XXXXXX", NULL);
    return tmpdir ? 0 : -1;
}

static int group_teardown(void **state)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    object_tree_destroy();
    return system(cmd) == 0 ? 0 : -1;
}

static int test_teardown(void **state)
{
    object_tree_destroy();          /* closes every chardev of the test */
    chardev_set_escape_char(0x01);
    chardev_set_save_hook(NULL, NULL);
    emu_loop_reset_quit();
    emu_clock_pause(false);
    return 0;
}

/* ---- timers and clocks ---- */

typedef struct Fired {
    int order[8];
    int n;
    int64_t when[8];
} Fired;

typedef struct TimerArg {
    Fired *fired;
    int tag;
    EmuClockType clock;
} TimerArg;

static void record_fire(void *opaque)
{
    TimerArg *a = opaque;

    a->fired->when[a->fired->n] = emu_clock_get_ns(a->clock);
    a->fired->order[a->fired->n++] = a->tag;
}

static bool fired_count(void *arg)
{
    Fired *f = ((void **)arg)[0];
    return f->n >= GPOINTER_TO_INT(((void **)arg)[1]);
}

static void wait_fired(Fired *f, int n)
{
    void *arg[2] = { f, GINT_TO_POINTER(n) };
    pump_until(fired_count, arg, DEADLINE_MS);
    assert_int_equal(f->n, n);
}

static void test_timer_deadline_order(void **state)
{
    Fired f = { 0 };
    TimerArg a[5];
    EmuTimer *t[5];
    /* Armed out of order, on both clocks; tag = expected firing rank. */
    static const int64_t offset_ms[5] = { 30, 10, 40, 20, 15 };
    static const EmuClockType clock[5] = {
        EMU_CLOCK_HOST, EMU_CLOCK_VIRTUAL, EMU_CLOCK_VIRTUAL,
        EMU_CLOCK_HOST, EMU_CLOCK_HOST,
    };
    static const int rank[5] = { 3, 1, 4, 2, -1 };  /* #4 gets deleted */
    int64_t armed[5];

    for (int i = 0; i < 5; i++) {
        a[i] = (TimerArg){ &f, rank[i], clock[i] };
        t[i] = emu_timer_new(clock[i], record_fire, &a[i]);
        armed[i] = emu_clock_get_ns(clock[i]) + offset_ms[i] * 1000000;
        emu_timer_mod(t[i], armed[i]);
        assert_true(emu_timer_pending(t[i]));
    }
    emu_timer_del(t[4]);
    assert_false(emu_timer_pending(t[4]));

    wait_fired(&f, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f.order[i], i + 1);
    }
    for (int i = 0; i < 4; i++) {
        int idx = rank[0] == f.order[i] ? 0 : rank[1] == f.order[i] ? 1 :
                  rank[2] == f.order[i] ? 2 : 3;
        assert_true(f.when[i] >= armed[idx]);   /* never early */
        assert_false(emu_timer_pending(t[idx]));
    }
    pump_for(30);
    assert_int_equal(f.n, 4);                   /* the deleted one stays */
    for (int i = 0; i < 5; i++) {
        emu_timer_free(t[i]);
    }
}

static void test_timer_same_deadline_fifo(void **state)
{
    Fired f = { 0 };
    TimerArg a[3];
    EmuTimer *t[3];
    int64_t when = emu_clock_get_ns(EMU_CLOCK_HOST) + 5000000;

    for (int i = 0; i < 3; i++) {
        a[i] = (TimerArg){ &f, i, EMU_CLOCK_HOST };
        t[i] = emu_timer_new(EMU_CLOCK_HOST, record_fire, &a[i]);
        emu_timer_mod(t[i], when);
    }
    /* Re-arming moves a timer behind the others with its deadline. */
    emu_timer_mod(t[0], when);
    wait_fired(&f, 3);
    assert_int_equal(f.order[0], 1);
    assert_int_equal(f.order[1], 2);
    assert_int_equal(f.order[2], 0);
    for (int i = 0; i < 3; i++) {
        emu_timer_free(t[i]);
    }
}

typedef struct Rearm {
    EmuTimer *t;
    int count;
} Rearm;

static void rearm_in_past(void *opaque)
{
    Rearm *r = opaque;

    r->count++;
    emu_timer_mod(r->t, 0);     /* already expired */
}

static void test_timer_rearm_in_callback(void **state)
{
    Rearm r = { 0 };

    r.t = emu_timer_new(EMU_CLOCK_HOST, rearm_in_past, &r);
    emu_timer_mod(r.t, 0);
    /* One dispatch fires it once, even though it re-arms in the past. */
    emu_loop_iterate(false);
    assert_int_equal(r.count, 1);
    emu_loop_iterate(false);
    assert_int_equal(r.count, 2);
    emu_timer_free(r.t);
    pump_for(5);
    assert_int_equal(r.count, 2);
}

static void test_virtual_clock_pause(void **state)
{
    Fired f = { 0 };
    TimerArg vt = { &f, 1, EMU_CLOCK_VIRTUAL };
    TimerArg ht = { &f, 2, EMU_CLOCK_HOST };
    EmuTimer *tv = emu_timer_new(EMU_CLOCK_VIRTUAL, record_fire, &vt);
    EmuTimer *th = emu_timer_new(EMU_CLOCK_HOST, record_fire, &ht);
    int64_t v0, v1, h0, h1, v2;

    emu_clock_pause(true);
    v0 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    h0 = emu_clock_get_ns(EMU_CLOCK_HOST);
    emu_timer_mod(tv, v0 + 5000000);
    emu_timer_mod(th, h0 + 5000000);
    pump_for(40);
    v1 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    h1 = emu_clock_get_ns(EMU_CLOCK_HOST);
    assert_true(v1 == v0);                      /* stopped */
    assert_true(h1 - h0 >= 40000000);           /* host went on */
    assert_int_equal(f.n, 1);                   /* only the host timer */
    assert_int_equal(f.order[0], 2);
    assert_true(emu_timer_pending(tv));

    emu_clock_pause(false);
    v2 = emu_clock_get_ns(EMU_CLOCK_VIRTUAL);
    assert_true(v2 >= v0 && v2 - v0 < 5000000); /* resumes where it stopped */
    wait_fired(&f, 2);
    assert_int_equal(f.order[1], 1);
    emu_timer_free(tv);
    emu_timer_free(th);
}

static gpointer quit_later(gpointer arg)
{
    g_usleep(20000);
    emu_request_quit(GPOINTER_TO_INT(arg));
    emu_request_quit(9);        /* the first status wins */
    return NULL;
}

static void test_loop_run_quit(void **state)
{
    GThread *th = g_thread_new("quit", quit_later, GINT_TO_POINTER(3));
    gint64 t0 = g_get_monotonic_time();

    assert_false(emu_quit_requested());
    emu_loop_run();
    assert_true(g_get_monotonic_time() - t0 >= 15000);
    assert_int_equal(emu_loop_exit_status(), 3);
    g_thread_join(th);
}

static GMutex big_lock;
static bool big_lock_held;          /* by the loop thread */

static void take_big_lock(void)
{
    g_mutex_lock(&big_lock);
    big_lock_held = true;
}

static void drop_big_lock(void)
{
    big_lock_held = false;
    g_mutex_unlock(&big_lock);
}

static gpointer lock_then_quit(gpointer arg)
{
    g_usleep(20000);
    g_mutex_lock(&big_lock);        /* only while the loop waits in poll */
    *(bool *)arg = true;
    emu_request_quit(0);
    g_mutex_unlock(&big_lock);
    return NULL;
}

static void check_lock_held(void *opaque)
{
    /* Callbacks run with the big lock held by the loop thread. */
    *(int *)opaque = big_lock_held ? 2 : 1;
}

static void test_loop_big_lock(void **state)
{
    bool other_got_lock = false;
    int in_callback = 0;
    EmuTimer *t = emu_timer_new(EMU_CLOCK_HOST, check_lock_held,
                                &in_callback);
    GThread *th;

    emu_loop_set_big_lock(take_big_lock, drop_big_lock);
    emu_timer_mod(t, emu_clock_get_ns(EMU_CLOCK_HOST) + 5000000);
    th = g_thread_new("locker", lock_then_quit, &other_got_lock);
    emu_loop_run();
    g_thread_join(th);
    emu_loop_set_big_lock(NULL, NULL);
    assert_true(other_got_lock);
    assert_int_equal(in_callback, 2);
    emu_timer_free(t);
}

/* ---- sockets ---- */

static void test_tcp_server_nowait(void **state)
{
    TestFe fe;
    EmuChardev *chr;
    int port, peer;

    fe_init(&fe, 100);
    new_chardev("socket,id=s0,host=127.0.0.1,port=0,server=on,wait=off");
    chr = emu_chr_find("s0");
    assert_non_null(chr);
    port = bound_port("s0");
    assert_int_equal(emu_chr_attach(chr, &fe_handlers, &fe, NULL), 0);
    assert_int_equal(emu_chr_write(chr, "lost", 4), -1);    /* no peer */
    assert_int_equal(fe.events[EMU_CHR_EVENT_OPENED], 0);

    peer = tcp_connect(port);
    assert_true(peer >= 0);
    expect_event(&fe, EMU_CHR_EVENT_OPENED, 1);
    peer_send(peer, "hello");
    expect_rx(&fe, "hello");
    assert_int_equal(emu_chr_write(chr, "world", 5), 5);
    peer_expect(peer, "world");

    /* The peer leaves: CLOSED, writes fail, and the server listens again. */
    close(peer);
    expect_event(&fe, EMU_CHR_EVENT_CLOSED, 1);
    assert_int_equal(emu_chr_write(chr, "x", 1), -1);
    peer = tcp_connect(port);
    assert_true(peer >= 0);
    expect_event(&fe, EMU_CHR_EVENT_OPENED, 2);
    peer_send(peer, "again");
    expect_rx(&fe, "helloagain");
    assert_int_equal(emu_chr_write(chr, "back", 4), 4);
    peer_expect(peer, "back");
    close(peer);
    fe_clear(&fe);
}

typedef struct LateClient {
    int port;
    int fd;
    gint64 connected_at;
} LateClient;

static gpointer connect_late(gpointer opaque)
{
    LateClient *lc = opaque;
    gint64 end = g_get_monotonic_time() + DEADLINE_MS * 1000;

    g_usleep(100000);       /* realize must wait for us */
    while ((lc->fd = tcp_connect(lc->port)) < 0 &&
           g_get_monotonic_time() < end) {
        g_usleep(2000);
    }
    lc->connected_at = g_get_monotonic_time();
    if (lc->fd >= 0 && write(lc->fd, "early", 5) != 5) {
        close(lc->fd);
        lc->fd = -1;
    }
    return NULL;
}

/* Runs fn with stderr going to a file; returns what it printed. */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    g_autofree char *path = g_build_filename(tmpdir, "stderr.txt", NULL);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char *text = NULL;

    fflush(stderr);
    dup2(fd, 2);
    close(fd);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    g_file_get_contents(path, &text, NULL, NULL);
    return text;
}

static void make_wait_server(void *arg)
{
    new_chardev("socket,id=sw,host=127.0.0.1,port=%d,server=on,wait=on",
                *(int *)arg);
}

static void test_tcp_server_wait(void **state)
{
    LateClient lc = { .port = free_port(), .fd = -1 };
    gint64 t0 = g_get_monotonic_time();     /* before the client sleeps */
    GThread *th = g_thread_new("client", connect_late, &lc);
    g_autofree char *msg = capture_stderr(make_wait_server, &lc.port);
    g_autofree char *want = g_strdup_printf(
        "emu: info: waiting for connection on: tcp:127.0.0.1:%d,server=on",
        lc.port);
    TestFe fe;
    EmuChardev *chr = emu_chr_find("sw");

    g_thread_join(th);
    assert_true(g_get_monotonic_time() - t0 >= 100000);  /* it blocked */
    assert_true(lc.fd >= 0);
    assert_non_null(strstr(msg, want));
    /* Already connected when a frontend attaches: OPENED at once, and the
     * bytes sent before the attach are waiting. */
    fe_init(&fe, 100);
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    assert_int_equal(fe.events[EMU_CHR_EVENT_OPENED], 1);
    expect_rx(&fe, "early");
    assert_int_equal(emu_chr_write(chr, "ok", 2), 2);
    peer_expect(lc.fd, "ok");
    close(lc.fd);
    fe_clear(&fe);
}

static void test_tcp_client(void **state)
{
    int port, lfd = tcp_listen_any(&port), peer;
    g_autofree char *opts = NULL;
    TestFe fe;
    EmuChardev *chr;
    GError *err = NULL;

    fe_init(&fe, 100);
    new_chardev("socket,id=c0,host=127.0.0.1,port=%d", port);
    chr = emu_chr_find("c0");
    peer = accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    assert_int_equal(fe.events[EMU_CHR_EVENT_OPENED], 1);
    assert_int_equal(emu_chr_write(chr, "to-server", 9), 9);
    peer_expect(peer, "to-server");
    peer_send(peer, "to-client");
    expect_rx(&fe, "to-client");
    close(peer);
    expect_event(&fe, EMU_CHR_EVENT_CLOSED, 1);
    close(lfd);

    /* Nobody listening: a clear error at creation. */
    opts = g_strdup_printf("socket,id=c1,host=127.0.0.1,port=%d",
                           free_port());
    assert_null(chardev_new_from_opts(opts, &err));
    assert_non_null(strstr(err->message, "cannot connect"));
    g_error_free(err);
    assert_null(emu_object_find("c1"));
    fe_clear(&fe);
}

static void test_unix_server_and_client(void **state)
{
    g_autofree char *spath = g_build_filename(tmpdir, "srv.sock", NULL);
    g_autofree char *cpath = g_build_filename(tmpdir, "cli.sock", NULL);
    TestFe fs, fc;
    int peer, lfd, cpeer;

    fe_init(&fs, 100);
    fe_init(&fc, 100);
    new_chardev("socket,id=us,path=%s,server=on,wait=off", spath);
    emu_chr_attach(emu_chr_find("us"), &fe_handlers, &fs, NULL);
    peer = unix_socket_at(spath, false);
    expect_event(&fs, EMU_CHR_EVENT_OPENED, 1);
    peer_send(peer, "unix-in");
    expect_rx(&fs, "unix-in");
    emu_chr_write(emu_chr_find("us"), "unix-out", 8);
    peer_expect(peer, "unix-out");

    lfd = unix_socket_at(cpath, true);
    new_chardev("socket,id=uc,path=%s", cpath);
    cpeer = accept(lfd, NULL, NULL);
    assert_true(cpeer >= 0);
    emu_chr_attach(emu_chr_find("uc"), &fe_handlers, &fc, NULL);
    peer_send(cpeer, "c-in");
    expect_rx(&fc, "c-in");
    emu_chr_write(emu_chr_find("uc"), "c-out", 5);
    peer_expect(cpeer, "c-out");

    close(peer);
    close(cpeer);
    close(lfd);
    object_tree_destroy();
    assert_int_equal(access(spath, F_OK), -1);  /* server removes its socket */
    fe_clear(&fs);
    fe_clear(&fc);
}

static void test_can_read_flow_control(void **state)
{
    TestFe fe;
    EmuChardev *chr;
    int peer;

    fe_init(&fe, 3);
    new_chardev("socket,id=fc,host=127.0.0.1,port=0,server=on,wait=off");
    chr = emu_chr_find("fc");
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    peer = tcp_connect(bound_port("fc"));
    expect_event(&fe, EMU_CHR_EVENT_OPENED, 1);
    peer_send(peer, "abcdefghij");
    expect_rx(&fe, "abc");
    pump_for(30);
    assert_int_equal(fe.rx->len, 3);            /* nothing beyond can_read */

    fe.budget = 4;
    emu_chr_accept_input(chr);
    expect_rx(&fe, "abcdefg");
    pump_for(20);
    assert_int_equal(fe.rx->len, 7);

    fe.budget = 100;
    emu_chr_accept_input(chr);
    expect_rx(&fe, "abcdefghij");
    close(peer);
    fe_clear(&fe);
}

typedef struct Writer {
    EmuChardev *chr;
    int chunks;
} Writer;

static gpointer write_many(gpointer opaque)
{
    Writer *w = opaque;

    for (int i = 0; i < w->chunks; i++) {
        char line[16];
        int n = g_snprintf(line, sizeof(line), "%05d\n", i);
        if (emu_chr_write(w->chr, line, n) != n) {
            return GINT_TO_POINTER(1);
        }
    }
    return NULL;
}

/* Two threads write while the main loop reads: every line arrives whole. */
static void test_write_from_threads(void **state)
{
    TestFe fe;
    Writer w;
    GThread *t1, *t2;
    GString *all = g_string_new(NULL);
    int peer;
    gint64 end;

    fe_init(&fe, 1000);
    new_chardev("socket,id=mt,host=127.0.0.1,port=0,server=on,wait=off");
    w = (Writer){ emu_chr_find("mt"), 500 };
    emu_chr_attach(w.chr, &fe_handlers, &fe, NULL);
    peer = tcp_connect(bound_port("mt"));
    expect_event(&fe, EMU_CHR_EVENT_OPENED, 1);
    t1 = g_thread_new("w1", write_many, &w);
    t2 = g_thread_new("w2", write_many, &w);
    peer_send(peer, "in");
    expect_rx(&fe, "in");
    assert_null(g_thread_join(t1));
    assert_null(g_thread_join(t2));
    end = g_get_monotonic_time() + DEADLINE_MS * 1000;
    while (all->len < 2 * 500 * 6 && g_get_monotonic_time() < end) {
        struct pollfd pfd = { .fd = peer, .events = POLLIN };
        char buf[4096];
        ssize_t n;
        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        n = read(peer, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(all, buf, n);
    }
    assert_int_equal(all->len, 2 * 500 * 6);
    for (size_t i = 0; i < all->len; i += 6) {
        assert_int_equal(all->str[i + 5], '\n');
    }
    g_string_free(all, true);
    close(peer);
    fe_clear(&fe);
}

/* ---- mux ---- */

typedef struct MuxRig {
    TestFe a, b;
    EmuChardev *mux;
    int peer;
    int tag_a, tag_b;
} MuxRig;

static void mux_rig_open(MuxRig *r)
{
    EmuObject *obj;

    fe_init(&r->a, 100);
    fe_init(&r->b, 100);
    obj = new_chardev("socket,id=m,host=127.0.0.1,port=0,server=on,"
                      "wait=off,mux=on");
    assert_string_equal(emu_object_type_name(obj), "chardev-mux");
    r->mux = emu_chr_find("m");
    assert_ptr_equal(r->mux, emu_chr_from_object(obj));
    r->tag_a = emu_chr_attach(r->mux, &fe_handlers, &r->a, NULL);
    r->tag_b = emu_chr_attach(r->mux, &fe_handlers, &r->b, NULL);
    assert_true(r->tag_a >= 0 && r->tag_b >= 0 && r->tag_a != r->tag_b);
    r->peer = tcp_connect(bound_port("m-base"));
    expect_event(&r->a, EMU_CHR_EVENT_OPENED, 1);
    expect_event(&r->b, EMU_CHR_EVENT_OPENED, 1);
    /* The first frontend attached has the focus. */
    assert_int_equal(r->a.events[EMU_CHR_EVENT_FOCUS], 1);
    assert_int_equal(r->b.events[EMU_CHR_EVENT_FOCUS], 0);
}

static void mux_rig_close(MuxRig *r)
{
    close(r->peer);
    fe_clear(&r->a);
    fe_clear(&r->b);
}

static void test_mux_focus_and_escapes(void **state)
{
    MuxRig r;

    mux_rig_open(&r);
    peer_send(r.peer, "to-a");
    expect_rx(&r.a, "to-a");

    peer_send(r.peer, "\x01" "c" "to-b");
    expect_rx(&r.b, "to-b");
    assert_int_equal(r.b.events[EMU_CHR_EVENT_FOCUS], 1);
    assert_int_equal(r.a.rx->len, 4);

    /* Ctrl-a Ctrl-a: one Ctrl-a through; Ctrl-a b: a break. */
    peer_send(r.peer, "\x01\x01" "!");
    expect_rx(&r.b, "to-b\x01!");
    peer_send(r.peer, "\x01" "b");
    expect_event(&r.b, EMU_CHR_EVENT_BREAK, 1);
    assert_int_equal(r.a.events[EMU_CHR_EVENT_BREAK], 0);

    /* Back to a, around the ring. */
    peer_send(r.peer, "\x01" "c" "+");
    expect_rx(&r.a, "to-a+");
    assert_int_equal(r.a.events[EMU_CHR_EVENT_FOCUS], 2);
    assert_int_equal(r.b.rx->len, 6);

    /* Output from both frontends goes out, focused or not. */
    emu_chr_write(r.mux, "from-a;", 7);
    emu_chr_write(r.mux, "from-b;", 7);
    peer_expect(r.peer, "from-a;from-b;");
    mux_rig_close(&r);
}

static void test_mux_help_and_quit(void **state)
{
    MuxRig r;
    g_autofree char *help = NULL;

    mux_rig_open(&r);
    peer_send(r.peer, "\x01" "h");
    help = peer_read_until(r.peer, "C-a c");
    assert_non_null(strstr(help, "C-a x"));
    assert_non_null(strstr(help, "C-a h"));
    assert_non_null(strstr(help, "C-a b"));

    assert_false(emu_quit_requested());
    peer_send(r.peer, "\x01" "x");
    peer_expect(r.peer, "quitting");
    assert_true(emu_quit_requested());
    assert_int_equal(emu_loop_exit_status(), 0);
    assert_int_equal(r.a.rx->len, 0);           /* escapes never leak in */
    assert_int_equal(r.b.rx->len, 0);
    mux_rig_close(&r);
}

static void save_hook(void *opaque, GString *msg)
{
    (*(int *)opaque)++;
    g_string_append(msg, "2 disks committed");
}

static void test_mux_save_and_timestamps(void **state)
{
    MuxRig r;
    int saves = 0;
    g_autofree char *out = NULL;
    GRegex *re;

    mux_rig_open(&r);
    peer_send(r.peer, "\x01" "s");
    peer_expect(r.peer, "nothing to save");
    chardev_set_save_hook(save_hook, &saves);
    peer_send(r.peer, "\x01" "s");
    peer_expect(r.peer, "2 disks committed\r\n");
    assert_int_equal(saves, 1);

    peer_send(r.peer, "\x01" "t" "z");
    expect_rx(&r.a, "z");           /* the toggle has been processed */
    emu_chr_write(r.mux, "one\ntwo\n", 8);
    out = peer_read_until(r.peer, "two\n");
    re = g_regex_new("^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d\\] one\n"
                     "\\[\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d\\] two\n$", 0, 0, NULL);
    assert_true(g_regex_match(re, out, 0, NULL));
    g_regex_unref(re);

    peer_send(r.peer, "\x01" "t" "y");
    expect_rx(&r.a, "zy");
    emu_chr_write(r.mux, "plain\n", 6);
    peer_expect(r.peer, "plain\n");
    mux_rig_close(&r);
}

static void test_mux_echr(void **state)
{
    MuxRig r;

    chardev_set_escape_char(0x14);      /* -echr 20: Ctrl-t */
    mux_rig_open(&r);
    peer_send(r.peer, "\x01" "c");      /* plain data now */
    expect_rx(&r.a, "\x01" "c");
    peer_send(r.peer, "\x14" "c" "B");
    expect_rx(&r.b, "B");
    peer_send(r.peer, "\x14\x14");
    expect_rx(&r.b, "B\x14");
    peer_send(r.peer, "\x14" "h");
    peer_expect(r.peer, "C-t c");
    mux_rig_close(&r);
}

static void test_mux_flow_control(void **state)
{
    MuxRig r;

    mux_rig_open(&r);
    r.a.budget = 2;
    peer_send(r.peer, "12345");
    expect_rx(&r.a, "12");
    pump_for(20);
    assert_int_equal(r.a.rx->len, 2);
    r.a.budget = 100;
    emu_chr_accept_input(r.mux);
    expect_rx(&r.a, "12345");
    mux_rig_close(&r);
}

/* ---- file, pipe, pty, null ---- */

static void test_file_backend(void **state)
{
    g_autofree char *out = g_build_filename(tmpdir, "out.txt", NULL);
    g_autofree char *in = g_build_filename(tmpdir, "in.txt", NULL);
    g_autofree char *text = NULL;
    EmuChardev *chr;
    TestFe fe;

    fe_init(&fe, 100);
    g_file_set_contents(out, "old contents", -1, NULL);
    g_file_set_contents(in, "typed input", -1, NULL);
    new_chardev("file,id=f,path=%s,in=%s", out, in);
    chr = emu_chr_find("f");
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    assert_int_equal(emu_chr_write(chr, "guest says hi\n", 14), 14);
    assert_true(g_file_get_contents(out, &text, NULL, NULL));
    assert_string_equal(text, "guest says hi\n");     /* truncated first */
    expect_rx(&fe, "typed input");
    fe_clear(&fe);
}

static void test_pipe_backend(void **state)
{
    g_autofree char *base = g_build_filename(tmpdir, "fifo", NULL);
    g_autofree char *pin = g_strconcat(base, ".in", NULL);
    g_autofree char *pout = g_strconcat(base, ".out", NULL);
    EmuChardev *chr;
    TestFe fe;
    int win, rout;

    fe_init(&fe, 100);
    assert_int_equal(mkfifo(pin, 0600), 0);
    assert_int_equal(mkfifo(pout, 0600), 0);
    new_chardev("pipe,id=pp,path=%s", base);
    chr = emu_chr_find("pp");
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    win = open(pin, O_WRONLY | O_NONBLOCK);
    rout = open(pout, O_RDONLY | O_NONBLOCK);
    assert_true(win >= 0 && rout >= 0);
    peer_send(win, "via fifo");
    expect_rx(&fe, "via fifo");
    assert_int_equal(emu_chr_write(chr, "back", 4), 4);
    peer_expect(rout, "back");
    close(win);
    close(rout);
    fe_clear(&fe);
}

static void make_pty(void *arg)
{
    new_chardev("pty,id=p");
}

static void test_pty_backend(void **state)
{
    g_autofree char *msg = capture_stderr(make_pty, NULL);
    EmuObject *obj = emu_object_find("p");
    g_autofree char *path = emu_object_get_prop(obj, "path", NULL);
    g_autofree char *want = g_strdup_printf(
        "char device redirected to %s (label p)", path);
    EmuChardev *chr = emu_chr_from_object(obj);
    TestFe fe;
    int slave;

    assert_true(g_str_has_prefix(path, "/dev/pts/"));
    assert_non_null(strstr(msg, want));
    fe_init(&fe, 100);
    emu_chr_attach(chr, &fe_handlers, &fe, NULL);
    pump_for(30);
    assert_int_equal(fe.events[EMU_CHR_EVENT_OPENED], 0);  /* no peer yet */

    slave = open(path, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    expect_event(&fe, EMU_CHR_EVENT_OPENED, 1);
    peer_send(slave, "typed\x03\r");                /* raw: no signals */
    expect_rx(&fe, "typed\x03\r");
    assert_int_equal(emu_chr_write(chr, "shown\n", 6), 6);
    peer_expect(slave, "shown\n");
    close(slave);
    expect_event(&fe, EMU_CHR_EVENT_CLOSED, 1);
    fe_clear(&fe);
}

static void test_null_backend(void **state)
{
    TestFe fe;
    EmuChardev *chr;
    GError *err = NULL;

    fe_init(&fe, 100);
    new_chardev("null,id=n");
    chr = emu_chr_find("n");
    assert_int_equal(emu_chr_attach(chr, &fe_handlers, &fe, NULL), 0);
    assert_int_equal(fe.events[EMU_CHR_EVENT_OPENED], 1);
    assert_int_equal(emu_chr_write(chr, "gone", 4), 4);
    /* Only a mux takes a second frontend. */
    assert_int_equal(emu_chr_attach(chr, &fe_handlers, &fe, &err), -1);
    assert_non_null(strstr(err->message, "already in use"));
    g_error_free(err);
    fe_clear(&fe);
}

/* ---- option parsing ---- */

static void expect_opts_error(const char *opts, const char *needle)
{
    GError *err = NULL;

    assert_null(chardev_new_from_opts(opts, &err));
    assert_non_null(err);
    if (!strstr(err->message, needle)) {
        fail_msg("'%s': error '%s' does not mention '%s'", opts,
                 err->message, needle);
    }
    g_error_free(err);
}

static void test_opts_errors(void **state)
{
    GError *err = NULL;

    expect_opts_error("bogus,id=x", "bogus");
    expect_opts_error("null,id=n,frobnicate=1", "frobnicate");
    expect_opts_error("null", "id=");
    expect_opts_error("id=x,null", "backend");
    expect_opts_error("socket,id=s,server=on", "port=");
    expect_opts_error("socket,id=s,server=maybe,port=0", "server");
    expect_opts_error("file,id=f", "path=");
    new_chardev("null,id=dup");
    expect_opts_error("null,id=dup", "duplicate");
    assert_null(chardev_new_from_spec("x", "none", &err));
    assert_null(err);
    assert_null(chardev_new_from_spec("x", "vc", &err));
    assert_non_null(strstr(err->message, "vc"));
    g_clear_error(&err);
    assert_null(chardev_new_from_spec("x", "tcp:nohost", &err));
    assert_non_null(err);
    g_clear_error(&err);
}

static void test_spec_shorthand(void **state)
{
    g_autofree char *file = g_build_filename(tmpdir, "serial,log", NULL);
    g_autofree char *spec = g_strdup_printf("file:%s", file);
    g_autofree char *text = NULL;
    g_autofree char *wait = NULL;
    GError *err = NULL;
    EmuObject *obj;
    int peer;

    obj = chardev_new_from_spec("serial0", spec, &err);
    assert_non_null(obj);
    emu_chr_write(emu_chr_find("serial0"), "abc", 3);
    assert_true(g_file_get_contents(file, &text, NULL, NULL));
    assert_string_equal(text, "abc");           /* a comma in the path */

    obj = chardev_new_from_spec("serial1", "tcp:127.0.0.1:0,server,nowait",
                                &err);
    assert_non_null(obj);
    wait = emu_object_get_prop(obj, "wait", NULL);
    assert_string_equal(wait, "off");
    peer = tcp_connect(bound_port("serial1"));
    assert_true(peer >= 0);
    close(peer);

    obj = chardev_new_from_spec("mon0", "mon:null", &err);
    assert_non_null(obj);
    assert_string_equal(emu_object_type_name(obj), "chardev-mux");
    assert_string_equal(emu_object_type_name(emu_object_find("mon0-base")),
                        "chardev-null");
    assert_non_null(chardev_new_from_spec("n1", "null", &err));
    assert_non_null(chardev_new_from_spec("f1", "pipe:/nonexistent/x", &err)
                    ? NULL : err);
    assert_non_null(strstr(err->message, "/nonexistent/x"));
    g_clear_error(&err);
}

static void test_stdio_once(void **state)
{
    GError *err = NULL;
    EmuObject *obj = chardev_new_from_spec("con", "mon:stdio", &err);

    assert_non_null(obj);
    assert_string_equal(emu_object_type_name(emu_object_find("con-base")),
                        "chardev-stdio");
    assert_null(chardev_new_from_opts("stdio,id=s2,signal=off", &err));
    assert_non_null(strstr(err->message, "already in use"));
    g_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_timer_deadline_order, test_teardown),
        cmocka_unit_test_teardown(test_timer_same_deadline_fifo, test_teardown),
        cmocka_unit_test_teardown(test_timer_rearm_in_callback, test_teardown),
        cmocka_unit_test_teardown(test_virtual_clock_pause, test_teardown),
        cmocka_unit_test_teardown(test_loop_run_quit, test_teardown),
        cmocka_unit_test_teardown(test_loop_big_lock, test_teardown),
        cmocka_unit_test_teardown(test_tcp_server_nowait, test_teardown),
        cmocka_unit_test_teardown(test_tcp_server_wait, test_teardown),
        cmocka_unit_test_teardown(test_tcp_client, test_teardown),
        cmocka_unit_test_teardown(test_unix_server_and_client, test_teardown),
        cmocka_unit_test_teardown(test_can_read_flow_control, test_teardown),
        cmocka_unit_test_teardown(test_write_from_threads, test_teardown),
        cmocka_unit_test_teardown(test_mux_focus_and_escapes, test_teardown),
        cmocka_unit_test_teardown(test_mux_help_and_quit, test_teardown),
        cmocka_unit_test_teardown(test_mux_save_and_timestamps, test_teardown),
        cmocka_unit_test_teardown(test_mux_echr, test_teardown),
        cmocka_unit_test_teardown(test_mux_flow_control, test_teardown),
        cmocka_unit_test_teardown(test_file_backend, test_teardown),
        cmocka_unit_test_teardown(test_pipe_backend, test_teardown),
        cmocka_unit_test_teardown(test_pty_backend, test_teardown),
        cmocka_unit_test_teardown(test_null_backend, test_teardown),
        cmocka_unit_test_teardown(test_opts_errors, test_teardown),
        cmocka_unit_test_teardown(test_spec_shorthand, test_teardown),
        cmocka_unit_test_teardown(test_stdio_once, test_teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
