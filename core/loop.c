/*
 * The event loop, the two clocks and timers (plugin-api/emu/timer.h).
 *
 * The loop is GLib's default main context.  All timers of both clocks hang
 * off one GSource whose ready time is kept at the earliest deadline (in
 * host monotonic time, which is what GLib's ready times use); its dispatch
 * fires the expired timers in deadline order.  A timer re-armed by a
 * callback to a time already past fires in the next dispatch, not in a
 * loop inside this one.
 *
 * EMU_CLOCK_HOST is CLOCK_MONOTONIC.  EMU_CLOCK_VIRTUAL starts at 0 when
 * the loop is first used and is the host clock plus an offset while
 * running; emu_clock_pause(true) freezes it and resuming picks up where it
 * stopped.  Virtual timers never fire while it is paused.
 *
 * Everything here is thread-safe: vCPU threads arm timers and read clocks;
 * callbacks run on the thread iterating the loop, with no lock held.
 */
#include <config.h>
#include <time.h>
#include "loop.h"

struct EmuTimer {
    EmuClockType clock;
    EmuTimerCb cb;
    void *opaque;
    int64_t expire_ns;
    uint64_t seq;           /* loop_state.mod_seq when last armed */
    bool pending;
};

static struct {
    GMutex lock;            /* guards everything below */
    GSource *source;
    GList *active[2];       /* per clock, sorted by expire_ns */
    uint64_t mod_seq;
    bool paused;
    int64_t virt_offset;    /* virtual = host + offset, while running */
    int64_t virt_frozen;    /* virtual time, while paused */

    GMutex quit_lock;
    bool quit;
    int exit_status;

    void (*big_lock)(void);
    void (*big_unlock)(void);
} loop_state;

/* True on the thread inside emu_loop_run() while it holds the big lock. */
static __thread bool loop_holds_big_lock;

static int64_t host_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t virt_now_locked(void)
{
    if (loop_state.paused) {
        return loop_state.virt_frozen;
    }
    return host_now_ns() + loop_state.virt_offset;
}

/* The host time at which a timer's deadline falls, or INT64_MAX when its
 * clock is stopped. */
static int64_t host_deadline_locked(const EmuTimer *t)
{
    if (t->clock == EMU_CLOCK_HOST) {
        return t->expire_ns;
    }
    if (loop_state.paused) {
        return INT64_MAX;
    }
    return t->expire_ns - loop_state.virt_offset;
}

static void update_ready_time_locked(void)
{
    int64_t best = INT64_MAX;

    for (int c = 0; c < 2; c++) {
        if (loop_state.active[c]) {
            int64_t d = host_deadline_locked(loop_state.active[c]->data);
            best = MIN(best, d);
        }
    }
    if (best == INT64_MAX) {
        g_source_set_ready_time(loop_state.source, -1);
    } else {
        /* Round up: GLib counts microseconds. */
        int64_t us = best <= 0 ? 0 : (best + 999) / 1000;
        g_source_set_ready_time(loop_state.source, us);
    }
}

/* The expired timer (armed before this dispatch began) with the earliest
 * deadline, or NULL. */
static EmuTimer *next_expired_locked(uint64_t seq_limit)
{
    int64_t host_now = host_now_ns();
    EmuTimer *best = NULL;
    int64_t best_deadline = INT64_MAX;

    for (int c = 0; c < 2; c++) {
        for (GList *l = loop_state.active[c]; l; l = l->next) {
            EmuTimer *t = l->data;
            int64_t d = host_deadline_locked(t);
            if (d > host_now) {
                break;
            }
            if (t->seq <= seq_limit) {
                if (d < best_deadline) {
                    best = t;
                    best_deadline = d;
                }
                break;
            }
        }
    }
    return best;
}

static void timer_unlink_locked(EmuTimer *t)
{
    if (t->pending) {
        loop_state.active[t->clock] =
            g_list_remove(loop_state.active[t->clock], t);
        t->pending = false;
    }
}

static gboolean timers_dispatch(GSource *source, GSourceFunc unused_cb,
                                gpointer unused)
{
    EmuTimer *t;
    uint64_t limit;

    g_mutex_lock(&loop_state.lock);
    limit = loop_state.mod_seq;
    while ((t = next_expired_locked(limit)) != NULL) {
        EmuTimerCb cb = t->cb;
        void *opaque = t->opaque;

        timer_unlink_locked(t);
        g_mutex_unlock(&loop_state.lock);
        cb(opaque);
        g_mutex_lock(&loop_state.lock);
    }
    update_ready_time_locked();
    g_mutex_unlock(&loop_state.lock);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .dispatch = timers_dispatch,
};

static gpointer loop_init_once(gpointer unused)
{
    g_mutex_init(&loop_state.lock);
    g_mutex_init(&loop_state.quit_lock);
    loop_state.virt_offset = -host_now_ns();
    loop_state.source = g_source_new(&timer_source_funcs, sizeof(GSource));
    g_source_set_name(loop_state.source, "emu-timers");
    g_source_set_priority(loop_state.source, G_PRIORITY_DEFAULT);
    g_source_attach(loop_state.source, g_main_context_default());
    return NULL;
}

static void loop_init(void)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, loop_init_once, NULL);
}

GMainContext *emu_main_context(void)
{
    loop_init();
    return g_main_context_default();
}

int64_t emu_clock_get_ns(EmuClockType clock)
{
    int64_t now;

    if (clock == EMU_CLOCK_HOST) {
        return host_now_ns();
    }
    loop_init();
    g_mutex_lock(&loop_state.lock);
    now = virt_now_locked();
    g_mutex_unlock(&loop_state.lock);
    return now;
}

void emu_clock_pause(bool paused)
{
    loop_init();
    g_mutex_lock(&loop_state.lock);
    if (paused && !loop_state.paused) {
        loop_state.virt_frozen = virt_now_locked();
        loop_state.paused = true;
    } else if (!paused && loop_state.paused) {
        loop_state.virt_offset = loop_state.virt_frozen - host_now_ns();
        loop_state.paused = false;
    }
    update_ready_time_locked();
    g_mutex_unlock(&loop_state.lock);
}

/*
 * Runs the paused virtual clock forward by ns: each virtual timer due on
 * the way fires with the clock standing at its own deadline, so device
 * tests see exactly the ticks a running guest would.
 */
void emu_clock_step(int64_t ns)
{
    loop_init();
    g_mutex_lock(&loop_state.lock);
    if (!loop_state.paused) {
        g_mutex_unlock(&loop_state.lock);
        g_critical("emu_clock_step: the virtual clock is running");
        return;
    }
    int64_t target = loop_state.virt_frozen + ns;
    for (;;) {
        GList *first = loop_state.active[EMU_CLOCK_VIRTUAL];
        EmuTimer *t = first ? first->data : NULL;
        if (!t || t->expire_ns > target) {
            break;
        }
        loop_state.virt_frozen = MAX(loop_state.virt_frozen, t->expire_ns);
        timer_unlink_locked(t);
        g_mutex_unlock(&loop_state.lock);
        t->cb(t->opaque);
        g_mutex_lock(&loop_state.lock);
    }
    loop_state.virt_frozen = target;
    g_mutex_unlock(&loop_state.lock);
}

EmuTimer *emu_timer_new(EmuClockType clock, EmuTimerCb cb, void *opaque)
{
    EmuTimer *t = g_new0(EmuTimer, 1);

    g_return_val_if_fail(clock == EMU_CLOCK_VIRTUAL || clock == EMU_CLOCK_HOST,
                         NULL);
    loop_init();
    t->clock = clock;
    t->cb = cb;
    t->opaque = opaque;
    return t;
}

/* Never "equal": a new timer goes after those with the same deadline. */
static gint timer_cmp(gconstpointer new_timer, gconstpointer listed)
{
    const EmuTimer *a = new_timer, *b = listed;

    return a->expire_ns < b->expire_ns ? -1 : 1;
}

void emu_timer_mod(EmuTimer *t, int64_t expire_ns)
{
    g_mutex_lock(&loop_state.lock);
    timer_unlink_locked(t);
    t->expire_ns = expire_ns;
    t->seq = ++loop_state.mod_seq;
    loop_state.active[t->clock] =
        g_list_insert_sorted(loop_state.active[t->clock], t, timer_cmp);
    t->pending = true;
    update_ready_time_locked();
    g_mutex_unlock(&loop_state.lock);
}

void emu_timer_del(EmuTimer *t)
{
    if (!t) {
        return;
    }
    g_mutex_lock(&loop_state.lock);
    timer_unlink_locked(t);
    update_ready_time_locked();
    g_mutex_unlock(&loop_state.lock);
}

bool emu_timer_pending(const EmuTimer *t)
{
    bool pending;

    g_mutex_lock(&loop_state.lock);
    pending = t->pending;
    g_mutex_unlock(&loop_state.lock);
    return pending;
}

void emu_timer_free(EmuTimer *t)
{
    if (t) {
        emu_timer_del(t);
        g_free(t);
    }
}

bool emu_loop_iterate(bool may_block)
{
    return g_main_context_iteration(emu_main_context(), may_block);
}

/* GLib's poll, with the big lock dropped while blocked. */
static gint loop_poll(GPollFD *fds, guint nfds, gint timeout)
{
    bool drop = loop_holds_big_lock && loop_state.big_unlock;
    gint ret;

    if (drop) {
        loop_state.big_unlock();
    }
    ret = g_poll(fds, nfds, timeout);
    if (drop) {
        loop_state.big_lock();
    }
    return ret;
}

void emu_loop_set_big_lock(void (*lock)(void), void (*unlock)(void))
{
    loop_init();
    loop_state.big_lock = lock;
    loop_state.big_unlock = unlock;
    g_main_context_set_poll_func(g_main_context_default(), loop_poll);
}

void emu_loop_run(void)
{
    GMainContext *ctx = emu_main_context();

    while (!emu_quit_requested()) {
        bool locking = loop_state.big_lock && loop_state.big_unlock;
        if (locking) {
            loop_state.big_lock();
            loop_holds_big_lock = true;
        }
        g_main_context_iteration(ctx, TRUE);
        if (locking) {
            loop_holds_big_lock = false;
            loop_state.big_unlock();
        }
    }
}

void emu_request_quit(int status)
{
    loop_init();
    g_mutex_lock(&loop_state.quit_lock);
    if (!loop_state.quit) {
        loop_state.quit = true;
        loop_state.exit_status = status;
    }
    g_mutex_unlock(&loop_state.quit_lock);
    g_main_context_wakeup(g_main_context_default());
}

bool emu_quit_requested(void)
{
    bool quit;

    loop_init();
    g_mutex_lock(&loop_state.quit_lock);
    quit = loop_state.quit;
    g_mutex_unlock(&loop_state.quit_lock);
    return quit;
}

int emu_loop_exit_status(void)
{
    int status;

    loop_init();
    g_mutex_lock(&loop_state.quit_lock);
    status = loop_state.exit_status;
    g_mutex_unlock(&loop_state.quit_lock);
    return status;
}

void emu_loop_reset_quit(void)
{
    loop_init();
    g_mutex_lock(&loop_state.quit_lock);
    loop_state.quit = false;
    loop_state.exit_status = 0;
    g_mutex_unlock(&loop_state.quit_lock);
}
