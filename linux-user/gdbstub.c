/*
 * -g PORT: the GDB stub for one emulated process.  Each guest thread is a
 * gdb thread (named by its host thread id, which is what the guest sees).
 *
 * All-stop: when one thread stops (breakpoint, step, signal, Ctrl-C) every
 * other thread is kicked out of guest code and parks before running more;
 * threads blocked in a system call park when it returns.  Their CPU state
 * does not change while parked or in a system call, so the stub may read
 * it from the connection's thread.
 *
 * Lock order: the stub's lock, then gdb.lock; nothing calls into the stub
 * while holding gdb.lock.
 */
#include "config.h"
#include "user.h"
#include "../core/gdbstub/gdbstub.h"
#include <emu/object.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A write watchpoint: the bytes it covers as last seen. */
typedef struct Watch {
    uint64_t addr, len;
    uint8_t seen[16];
} Watch;

typedef struct GdbThread {
    EmuJitCpu *cpu;
    pid_t tid;
    bool run;           /* gdb let it run */
    bool in_guest;      /* inside emu_jit_cpu_exec */
    bool step;          /* resumed with a single step */
    bool step_done;     /* the step ended in a system call: report it */
    int resume_sig;     /* signal gdb passed on resuming, 0: none */
} GdbThread;

static struct {
    EmuGdbStub *stub;
    int listen_fd, mem_fd;
    GMutex lock;
    GCond cond;
    GPtrArray *threads;
    GArray *watches;    /* Watch; while any, threads run one insn at a time */
    bool attached;      /* a debugger is in control */
    bool stopped;       /* a stop was reported and not resumed yet */
    bool interrupt;     /* Ctrl-C not reported yet */
} gdb = { .listen_fd = -1, .mem_fd = -1 };

static __thread GdbThread *self;

static bool thread_is_live(const GdbThread *t)
{
    return syscall(SYS_tgkill, getpid(), t->tid, 0) == 0;
}

static GdbThread *find_thread(int64_t tid)
{
    for (guint i = 0; i < gdb.threads->len; i++) {
        GdbThread *t = g_ptr_array_index(gdb.threads, i);
        if (t->tid == tid && thread_is_live(t)) {
            return t;
        }
    }
    return NULL;
}

/* The calling vCPU thread's record, created on its first use. */
static GdbThread *self_locked(EmuJitCpu *cpu)
{
    if (!self) {
        self = g_new0(GdbThread, 1);
        self->cpu = cpu;
        self->tid = (pid_t)syscall(SYS_gettid);
        self->run = !gdb.stopped;
        g_ptr_array_add(gdb.threads, self);
    }
    return self;
}

/* ---- stopping and resuming ---- */

/* Parks every thread but t; waits (a bounded time: a thread stuck in
 * native code must not hang the debugger) for them to leave guest code. */
static void stop_others_locked(GdbThread *t)
{
    bool busy = false;
    for (guint i = 0; i < gdb.threads->len; i++) {
        GdbThread *u = g_ptr_array_index(gdb.threads, i);
        u->run = false;
        if (u != t && u->in_guest) {
            emu_jit_cpu_kick(u->cpu);
            busy = true;
        }
    }
    gint64 deadline = g_get_monotonic_time() + G_TIME_SPAN_SECOND;
    while (busy && g_cond_wait_until(&gdb.cond, &gdb.lock, deadline)) {
        busy = false;
        for (guint i = 0; i < gdb.threads->len; i++) {
            GdbThread *u = g_ptr_array_index(gdb.threads, i);
            busy |= u != t && u->in_guest;
        }
    }
}

static void wait_resumed_locked(GdbThread *t)
{
    while (gdb.attached && !t->run && !gdb.interrupt) {
        g_cond_wait(&gdb.cond, &gdb.lock);
    }
}

/* Stops the process for gdb with t as the reporting thread and waits for
 * gdb to resume t; returns the signal gdb wants delivered (sig when the
 * debugger went away). */
static int stop_and_wait_locked(GdbThread *t, int sig, EmuGdbStopReason why,
                                uint64_t watch_addr)
{
    wait_resumed_locked(t);     /* another thread's stop comes first */
    if (!gdb.attached) {
        return sig;
    }
    gdb.interrupt = false;
    stop_others_locked(t);
    t->step = t->step_done = false;
    gdb.stopped = true;
    g_mutex_unlock(&gdb.lock);
    if (why == EMU_GDB_STOP_WATCH) {
        emu_gdb_report_watch(gdb.stub, t->tid, watch_addr);
    } else {
        emu_gdb_report_stop(gdb.stub, t->tid, sig, why);
    }
    g_mutex_lock(&gdb.lock);
    while (gdb.attached && !t->run) {
        g_cond_wait(&gdb.cond, &gdb.lock);
    }
    int resume_sig = t->resume_sig;
    t->resume_sig = 0;
    return gdb.attached ? resume_sig : sig;
}

void user_gdb_cpu_enter(EmuJitCpu *cpu)
{
    if (!gdb.stub) {
        return;
    }
    g_mutex_lock(&gdb.lock);
    GdbThread *t = self_locked(cpu);
    for (;;) {
        wait_resumed_locked(t);
        if (gdb.attached && gdb.interrupt) {
            stop_and_wait_locked(t, SIGINT, EMU_GDB_STOP_SIGNAL, 0);
        } else if (gdb.attached && t->step_done) {
            stop_and_wait_locked(t, SIGTRAP, EMU_GDB_STOP_SIGNAL, 0);
        } else {
            break;
        }
    }
    t->in_guest = true;
    emu_jit_cpu_set_single_step(cpu, gdb.attached &&
                                     (t->step || gdb.watches->len));
    g_mutex_unlock(&gdb.lock);
}

static bool target_read_mem(void *opaque, uint64_t addr, void *buf,
                            size_t len);

/* A watched range that changed (every range's new bytes are kept). */
static bool watch_hit_locked(uint64_t *addr)
{
    bool hit = false;
    for (guint i = 0; i < gdb.watches->len; i++) {
        Watch *w = &g_array_index(gdb.watches, Watch, i);
        uint8_t now[16];
        if (target_read_mem(NULL, w->addr, now, w->len) &&
            memcmp(now, w->seen, w->len)) {
            memcpy(w->seen, now, w->len);
            if (!hit) {
                *addr = w->addr;
            }
            hit = true;
        }
    }
    return hit;
}

/* EMU_EXCP_DEBUG: a breakpoint, a step gdb asked for, or a step to check
 * the watchpoints after.  When another thread's stop came first, nothing
 * is lost by not reporting: the breakpoint is hit again on resuming (if
 * gdb still wants it), a watched change is still there for the next step,
 * and gdb asks for steps anew. */
static void debug_stop_locked(GdbThread *t, uint64_t aux)
{
    uint64_t addr = 0;
    if (!t->run) {
        return;
    }
    if (aux == EMU_JIT_DEBUG_BREAKPOINT) {
        stop_and_wait_locked(t, SIGTRAP, EMU_GDB_STOP_SWBREAK, 0);
    } else if (watch_hit_locked(&addr)) {
        stop_and_wait_locked(t, SIGTRAP, EMU_GDB_STOP_WATCH, addr);
    } else if (t->step) {
        stop_and_wait_locked(t, SIGTRAP, EMU_GDB_STOP_SIGNAL, 0);
    }
}

int user_gdb_cpu_exit(EmuJitCpu *cpu, int excp, uint64_t aux)
{
    if (!gdb.stub) {
        return excp;
    }
    g_mutex_lock(&gdb.lock);
    GdbThread *t = self_locked(cpu);
    t->in_guest = false;
    g_cond_broadcast(&gdb.cond);
    if (!gdb.attached) {
        if (excp == EMU_EXCP_DEBUG) {
            /* a forked child: the breakpoints are the parent's */
            emu_jit_breakpoint_remove_all();
            emu_jit_cpu_set_single_step(cpu, false);
            excp = EMU_EXCP_NONE;
        }
    } else if (excp == EMU_EXCP_DEBUG) {
        debug_stop_locked(t, aux);
        excp = EMU_EXCP_NONE;
    } else if (excp == EMU_EXCP_SYSCALL && t->step) {
        t->step_done = true;    /* reported once the call is done */
    }
    g_mutex_unlock(&gdb.lock);
    return excp;
}

int user_gdb_signal(EmuJitCpu *cpu, int sig)
{
    if (!gdb.stub) {
        return sig;
    }
    g_mutex_lock(&gdb.lock);
    if (gdb.attached) {
        sig = stop_and_wait_locked(self_locked(cpu), sig, EMU_GDB_STOP_SIGNAL,
                                   0);
    }
    g_mutex_unlock(&gdb.lock);
    return sig;
}

static bool still_attached(void)
{
    g_mutex_lock(&gdb.lock);
    bool a = gdb.stub && gdb.attached;
    g_mutex_unlock(&gdb.lock);
    return a;
}

void user_gdb_exit(int status)
{
    if (gdb.stub && still_attached()) {
        emu_gdb_report_exit(gdb.stub, status);
    }
}

void user_gdb_killed(int sig)
{
    if (gdb.stub && still_attached()) {
        emu_gdb_report_killed(gdb.stub, sig);
    }
}

/* ---- the target the stub sees (called under the stub's lock) ---- */

static size_t target_list_threads(void *opaque, int64_t *tids, size_t max)
{
    size_t n = 0;
    g_mutex_lock(&gdb.lock);
    for (guint i = 0; i < gdb.threads->len && n < max; i++) {
        GdbThread *t = g_ptr_array_index(gdb.threads, i);
        if (thread_is_live(t)) {
            tids[n++] = t->tid;
        }
    }
    g_mutex_unlock(&gdb.lock);
    return n;
}

static void *target_thread_env(void *opaque, int64_t tid)
{
    g_mutex_lock(&gdb.lock);
    GdbThread *t = find_thread(tid);
    g_mutex_unlock(&gdb.lock);
    return t ? emu_jit_cpu_env(t->cpu) : NULL;
}

/* Only guest mappings are reachable; /proc/self/mem reads and writes
 * them like ptrace would, whatever their protection (code included). */
static bool guest_range_mapped(uint64_t addr, size_t len)
{
    if (addr + len < addr) {
        return false;
    }
    for (uint64_t p = addr & ~(GUEST_PAGE - 1); p < addr + len; p += GUEST_PAGE) {
        if (user_mem_prot(p) < 0) {
            return false;
        }
    }
    return true;
}

static bool target_read_mem(void *opaque, uint64_t addr, void *buf,
                            size_t len)
{
    return guest_range_mapped(addr, len) &&
           pread(gdb.mem_fd, buf, len, (off_t)(uintptr_t)g2h(addr)) ==
               (ssize_t)len;
}

static bool target_write_mem(void *opaque, uint64_t addr, const void *buf,
                             size_t len)
{
    return guest_range_mapped(addr, len) &&
           pwrite(gdb.mem_fd, buf, len, (off_t)(uintptr_t)g2h(addr)) ==
               (ssize_t)len;
}

static bool target_watch(void *opaque, uint64_t addr, uint64_t len,
                         bool insert)
{
    Watch w = { .addr = addr, .len = len };
    if (!len || len > sizeof(w.seen) ||
        (insert && !target_read_mem(NULL, addr, w.seen, len))) {
        return false;
    }
    g_mutex_lock(&gdb.lock);
    for (guint i = 0; i < gdb.watches->len; i++) {
        Watch *old = &g_array_index(gdb.watches, Watch, i);
        if (old->addr == addr && old->len == len) {
            g_array_remove_index(gdb.watches, i);
            break;
        }
    }
    if (insert) {
        g_array_append_val(gdb.watches, w);
    }
    g_mutex_unlock(&gdb.lock);
    return true;
}

static const EmuGdbResume *action_for(const GdbThread *t,
                                      const EmuGdbResume *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].tid == -1 || a[i].tid == t->tid) {
            return &a[i];
        }
    }
    return NULL;
}

static void target_resume(void *opaque, const EmuGdbResume *actions, size_t n)
{
    g_mutex_lock(&gdb.lock);
    for (guint i = 0; i < gdb.threads->len; i++) {
        GdbThread *t = g_ptr_array_index(gdb.threads, i);
        const EmuGdbResume *a = action_for(t, actions, n);
        if (a) {
            t->run = true;
            t->step = a->step;
            t->resume_sig = a->sig;
            gdb.stopped = false;
        }
    }
    g_cond_broadcast(&gdb.cond);
    g_mutex_unlock(&gdb.lock);
}

static void target_interrupt(void *opaque)
{
    g_mutex_lock(&gdb.lock);
    if (gdb.stopped || gdb.interrupt) {
        g_mutex_unlock(&gdb.lock);
        return;
    }
    GdbThread *reporter = NULL;
    bool any_in_guest = false;
    for (guint i = 0; i < gdb.threads->len; i++) {
        GdbThread *t = g_ptr_array_index(gdb.threads, i);
        t->run = false;
        if (t->in_guest) {
            emu_jit_cpu_kick(t->cpu);
            any_in_guest = true;
        } else if (!reporter && thread_is_live(t)) {
            reporter = t;
        }
    }
    /* The first thread out of guest code reports; when every thread
     * sits in a system call, report for one of them now. */
    bool report_now = !any_in_guest && reporter;
    gdb.interrupt = any_in_guest;
    gdb.stopped = report_now;
    g_mutex_unlock(&gdb.lock);
    if (report_now) {
        emu_gdb_report_stop(gdb.stub, reporter->tid, SIGINT,
                            EMU_GDB_STOP_SIGNAL);
    }
}

static void target_kill(void *opaque)
{
    kill(getpid(), SIGKILL);
}

static void target_detach(void *opaque)
{
    g_mutex_lock(&gdb.lock);
    gdb.attached = false;
    gdb.stopped = gdb.interrupt = false;
    g_array_set_size(gdb.watches, 0);
    for (guint i = 0; i < gdb.threads->len; i++) {
        GdbThread *t = g_ptr_array_index(gdb.threads, i);
        t->run = true;
        t->step = t->step_done = false;
        t->resume_sig = 0;
    }
    g_cond_broadcast(&gdb.cond);
    g_mutex_unlock(&gdb.lock);
}

/* ---- setup ---- */

/* The auxiliary vector the loader put above argv and envp (guest words:
 * 8 bytes for x86_64, 4 for i386). */
static uint64_t guest_word(uint64_t addr)
{
    if (user_cfg.is64) {
        return *(const uint64_t *)g2h(addr);
    }
    return *(const uint32_t *)g2h(addr);
}

static GBytes *initial_auxv(uint64_t sp)
{
    uint64_t w = user_cfg.is64 ? 8 : 4;
    uint64_t p = sp + w * (1 + guest_word(sp) + 1);     /* argc, argv, NULL */
    while (guest_word(p)) {                             /* envp */
        p += w;
    }
    uint64_t start = p += w;
    while (guest_word(p)) {                             /* up to AT_NULL */
        p += 2 * w;
    }
    return g_bytes_new(g2h(start), (gsize)(p + 2 * w - start));
}

static void forked_child(void)
{
    /* the connection belongs to the parent */
    g_mutex_init(&gdb.lock);
    gdb.attached = false;
}

bool user_gdb_listen(const char *spec, GError **errp)
{
    gdb.listen_fd = emu_gdb_tcp_listen(spec, errp);
    return gdb.listen_fd >= 0;
}

bool user_gdb_attach(EmuJitCpu *cpu, const UserImage *img, GError **errp)
{
    if (gdb.listen_fd < 0) {
        return true;
    }
    gdb.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (gdb.mem_fd < 0) {
        g_set_error(errp, EMU_ERROR, 0, "gdb stub: /proc/self/mem: %s",
                    g_strerror(errno));
        return false;
    }
    gdb.threads = g_ptr_array_new();
    gdb.watches = g_array_new(FALSE, FALSE, sizeof(Watch));
    gdb.attached = gdb.stopped = true;
    g_mutex_lock(&gdb.lock);
    self_locked(cpu)->run = false;
    g_mutex_unlock(&gdb.lock);
    EmuGdbTarget target = {
        .size = sizeof(target),
        .cls = user_cfg.cls,
        .linux_user = true,
        .list_threads = target_list_threads,
        .thread_env = target_thread_env,
        .read_mem = target_read_mem,
        .write_mem = target_write_mem,
        .resume = target_resume,
        .interrupt = target_interrupt,
        .kill = target_kill,
        .detach = target_detach,
        .watch = target_watch,
        .auxv = initial_auxv(img->sp),
        .exec_file = user_cfg.exe_path,
    };
    gdb.stub = emu_gdb_new(&target);
    /* stopped at the first instruction until gdb says otherwise */
    emu_gdb_report_stop(gdb.stub, self->tid, SIGTRAP, EMU_GDB_STOP_SIGNAL);
    pthread_atfork(NULL, NULL, forked_child);
    return emu_gdb_tcp_serve(gdb.stub, gdb.listen_fd, errp);
}
