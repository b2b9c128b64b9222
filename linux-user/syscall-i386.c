/*
 * i386 guest system calls (int $0x80) on an x86_64 host.
 *
 * Arguments come in ebx, ecx, edx, esi, edi, ebp, zero-extended; the
 * result goes to eax and nothing else changes.  Guest addresses are host
 * addresses (guest_base 0, every guest mapping below 4 GiB), so a call
 * whose structures have the same layout on both ABIs goes to the x86_64
 * path (user_syscall: pointer arguments work unchanged, and the
 * emulator's own interceptions apply).  The i386 numbers map to x86_64
 * ones by name (the *32 uid calls and the *_time64 calls, whose
 * structures are the 64-bit ones, by their base name).
 *
 * Calls whose layouts differ are converted here: 32-bit time, stat64,
 * statfs, iovec, msghdr, rlimit, rusage, sigaction, sigaltstack, fd_set
 * timeouts, socketcall, 64-bit offsets split over two registers, TLS
 * descriptors, clone's argument order.  A call known to differ and not
 * converted returns ENOSYS rather than passing through wrongly.
 */
#include "config.h"
#include "user.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const names32[] = {
#include "syscall-names-i386.h"
};
#define NR32_MAX G_N_ELEMENTS(names32)

/* i386 calls that reach a host call of another name with the same
 * argument layout */
static const char *const aliases[][2] = {
    { "getuid32", "getuid" }, { "getgid32", "getgid" },
    { "geteuid32", "geteuid" }, { "getegid32", "getegid" },
    { "setuid32", "setuid" }, { "setgid32", "setgid" },
    { "setreuid32", "setreuid" }, { "setregid32", "setregid" },
    { "setresuid32", "setresuid" }, { "getresuid32", "getresuid" },
    { "setresgid32", "setresgid" }, { "getresgid32", "getresgid" },
    { "getgroups32", "getgroups" }, { "setgroups32", "setgroups" },
    { "chown32", "chown" }, { "lchown32", "lchown" }, { "fchown32", "fchown" },
    { "setfsuid32", "setfsuid" }, { "setfsgid32", "setfsgid" },
    { "clock_gettime64", "clock_gettime" }, { "clock_settime64", "clock_settime" },
    { "clock_getres_time64", "clock_getres" },
    { "clock_nanosleep_time64", "clock_nanosleep" },
    { "futex_time64", "futex" }, { "utimensat_time64", "utimensat" },
    { "ppoll_time64", "ppoll" }, { "timer_gettime64", "timer_gettime" },
    { "timer_settime64", "timer_settime" },
    { "timerfd_gettime64", "timerfd_gettime" },
    { "timerfd_settime64", "timerfd_settime" },
    { "sched_rr_get_interval_time64", "sched_rr_get_interval" },
    { "mq_timedsend_time64", "mq_timedsend" },
    { "mq_timedreceive_time64", "mq_timedreceive" },
    { "sendfile64", "sendfile" }, { "semtimedop_time64", "semtimedop" },
};

/* Same name on both, different layout or meaning, not converted below. */
static const char *const unsupported[] = {
    "readdir", "stime", "ptrace", "sysctl", "_sysctl", "adjtimex",
    "clock_adjtime", "clock_adjtime64", "io_setup", "io_submit",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_cancel",
    "kexec_load", "kexec_file_load",
    "process_vm_readv", "process_vm_writev",
    "move_pages", "migrate_pages", "get_mempolicy", "set_mempolicy", "mbind",
    "vm86", "vm86old", "modify_ldt", "uselib", "signal", "sgetmask",
    "ssetmask", "olduname", "oldolduname", "oldstat", "oldfstat",
    "oldlstat", "stat", "lstat", "fstat",
    "lookup_dcookie", "keyctl", "clone3", "rseq",
    /* longs, pointers or split 64-bit values inside */
    "vmsplice", "process_madvise", "seccomp", "fanotify_mark", "ustat",
    /* converted in ipc-i386.c and compat-i386.c; never passed through */
    "ipc", "shmat", "shmdt", "shmctl", "semctl", "msgctl", "msgsnd", "msgrcv",
    "mq_open", "mq_getsetattr", "mq_notify", "mq_timedsend",
    "mq_timedreceive", "getdents", "set_robust_list", "get_robust_list",
    "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sync_file_range", "utime",
    "futimesat", "sched_rr_get_interval", "clock_settime", "settimeofday",
    "sigpending", "sigsuspend", "preadv2", "pwritev2", "sendfile",
    "chown", "lchown", "fchown", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "getresuid", "getresgid", "getgroups",
    "setgroups", "setfsuid", "setfsgid", "getuid", "getgid", "geteuid",
    "getegid",
};

static int16_t host_nr[NR32_MAX];   /* x86_64 number, -1: ENOSYS */
static GOnce table_once = G_ONCE_INIT;

static gpointer build_table(gpointer unused)
{
    (void)unused;
    for (size_t i = 0; i < NR32_MAX; i++) {
        const char *n = names32[i];
        host_nr[i] = -1;
        if (!n) {
            continue;
        }
        bool skip = false;
        for (size_t k = 0; k < G_N_ELEMENTS(unsupported); k++) {
            skip |= !strcmp(n, unsupported[k]);
        }
        for (size_t k = 0; k < G_N_ELEMENTS(aliases); k++) {
            if (!strcmp(n, aliases[k][0])) {
                n = aliases[k][1];
            }
        }
        if (!skip) {
            host_nr[i] = (int16_t)user_syscall_number(n);
        }
    }
    return NULL;
}

static const char *name32(uint32_t nr)
{
    return nr < NR32_MAX && names32[nr] ? names32[nr] : "unknown";
}

static int64_t host_result(long r)
{
    return r < 0 ? -errno : r;
}

static uint64_t pair64(uint32_t lo, uint32_t hi)
{
    return ((uint64_t)hi << 32) | lo;
}

#define P(a) g2h(a)

/* ---- time ---- */

typedef struct { int32_t sec, nsec; } Ts32;
typedef struct { int32_t sec, usec; } Tv32;

static struct timespec ts_in(uint32_t a)
{
    Ts32 t;
    memcpy(&t, P(a), sizeof(t));
    return (struct timespec){ t.sec, t.nsec };
}

static int64_t ts_out(uint32_t a, const struct timespec *ts)
{
    if (a) {
        if (ts->tv_sec != (int32_t)ts->tv_sec) {
            return -EOVERFLOW;
        }
        Ts32 t = { (int32_t)ts->tv_sec, (int32_t)ts->tv_nsec };
        memcpy(P(a), &t, sizeof(t));
    }
    return 0;
}

static struct timeval tv_in(uint32_t a)
{
    Tv32 t;
    memcpy(&t, P(a), sizeof(t));
    return (struct timeval){ t.sec, t.usec };
}

static void tv_out(uint32_t a, const struct timeval *tv)
{
    Tv32 t = { (int32_t)tv->tv_sec, (int32_t)tv->tv_usec };
    memcpy(P(a), &t, sizeof(t));
}

static int64_t sys_clock_gettime(int clk, uint32_t ts, bool res)
{
    struct timespec t;
    if ((res ? clock_getres(clk, &t) : clock_gettime(clk, &t)) < 0) {
        return -errno;
    }
    return ts_out(ts, &t);
}

static int64_t sys_clock_nanosleep(int clk, int flags, uint32_t req,
                                   uint32_t rem)
{
    struct timespec r = ts_in(req), left;
    int e = clock_nanosleep(clk, flags, &r, &left);
    if (e == EINTR && rem && !(flags & TIMER_ABSTIME)) {
        ts_out(rem, &left);
    }
    return -e;
}

static int64_t sys_gettimeofday(uint32_t tv, uint32_t tz)
{
    struct timeval t;
    if (gettimeofday(&t, tz ? P(tz) : NULL) < 0) {
        return -errno;
    }
    if (tv) {
        tv_out(tv, &t);
    }
    return 0;
}

static int64_t sys_time(uint32_t at)
{
    int32_t t = (int32_t)time(NULL);
    if (at) {
        memcpy(P(at), &t, 4);
    }
    return t;
}

static void itimer_out(uint32_t a, const struct itimerval *v)
{
    tv_out(a, &v->it_interval);
    tv_out(a + 8, &v->it_value);
}

static int64_t sys_setitimer(int which, uint32_t nv, uint32_t ov)
{
    struct itimerval n, o;
    if (nv) {
        n.it_interval = tv_in(nv);
        n.it_value = tv_in(nv + 8);
    }
    if (setitimer(which, nv ? &n : NULL, &o) < 0) {
        return -errno;
    }
    if (ov) {
        itimer_out(ov, &o);
    }
    return 0;
}

static int64_t sys_getitimer(int which, uint32_t v)
{
    struct itimerval o;
    if (getitimer(which, &o) < 0) {
        return -errno;
    }
    itimer_out(v, &o);
    return 0;
}

static int64_t sys_times(uint32_t buf)
{
    struct tms t;
    clock_t r = times(&t);
    if (buf) {
        uint32_t w[4] = { (uint32_t)t.tms_utime, (uint32_t)t.tms_stime,
                          (uint32_t)t.tms_cutime, (uint32_t)t.tms_cstime };
        memcpy(P(buf), w, sizeof(w));
    }
    return (int64_t)(uint32_t)r;
}

static void rusage_out(uint32_t a, const struct rusage *ru)
{
    tv_out(a, &ru->ru_utime);
    tv_out(a + 8, &ru->ru_stime);
    const long *rest = &ru->ru_maxrss;
    for (int i = 0; i < 14; i++) {
        uint32_t v = (uint32_t)rest[i];
        memcpy((uint8_t *)P(a) + 16 + 4 * i, &v, 4);
    }
}

static int64_t sys_wait4(int pid, uint32_t status, int options, uint32_t ru)
{
    struct rusage r;
    pid_t p = wait4(pid, status ? P(status) : NULL, options, ru ? &r : NULL);
    if (p < 0) {
        return -errno;
    }
    if (ru && p > 0) {
        rusage_out(ru, &r);
    }
    return p;
}

static int64_t sys_waitid(uint32_t a[6])
{
    siginfo_t info;
    struct rusage r;
    memset(&info, 0, sizeof(info));
    long res = syscall(user_syscall_number("waitid"), (int)a[0], (int)a[1],
                       a[2] ? &info : NULL, (int)a[3], a[4] ? &r : NULL);
    if (res < 0) {
        return -errno;
    }
    if (a[2]) {
        user_i386_siginfo(P(a[2]), &info);
    }
    if (a[4]) {
        rusage_out(a[4], &r);
    }
    return res;
}

static int64_t sys_getrusage(int who, uint32_t ru)
{
    struct rusage r;
    if (getrusage(who, &r) < 0) {
        return -errno;
    }
    rusage_out(ru, &r);
    return 0;
}

/* futex: the time32 form converts the timeout of the waiting operations;
 * for the others that argument is a count passed as is. */
static int64_t sys_futex(int64_t nr64, uint32_t a[6], bool time32)
{
    int op = (int)a[1] & FUTEX_CMD_MASK;
    bool timed = op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET ||
                 op == FUTEX_LOCK_PI || op == FUTEX_WAIT_REQUEUE_PI ||
                 op == FUTEX_LOCK_PI2;
    struct timespec ts;
    void *timeout = (void *)(uintptr_t)a[3];
    if (timed && a[3]) {
        if (time32) {
            ts = ts_in(a[3]);
            timeout = &ts;
        } else {
            timeout = P(a[3]);
        }
    }
    long r = syscall(nr64, P(a[0]), (int)a[1], a[2], timeout, P(a[4]), a[5]);
    return host_result(r);
}

/* itimerspec with 32-bit timespecs: interval, then value */
static void itimerspec_in(uint32_t a, struct itimerspec *v)
{
    v->it_interval = ts_in(a);
    v->it_value = ts_in(a + 8);
}

static void itimerspec_out(uint32_t a, const struct itimerspec *v)
{
    if (a) {
        ts_out(a, &v->it_interval);
        ts_out(a + 8, &v->it_value);
    }
}

/* timer_settime/timerfd_settime (time32): id, flags, new, old */
static int64_t sys_settime32(int64_t nr64, uint32_t a[6])
{
    struct itimerspec n, o;
    itimerspec_in(a[2], &n);
    long r = syscall(nr64, (int)a[0], (int)a[1], &n, a[3] ? &o : NULL);
    if (r == 0) {
        itimerspec_out(a[3], &o);
    }
    return host_result(r);
}

static int64_t sys_gettime32(int64_t nr64, uint32_t a[6])
{
    struct itimerspec c;
    long r = syscall(nr64, (int)a[0], &c);
    if (r == 0) {
        itimerspec_out(a[1], &c);
    }
    return host_result(r);
}

/* struct sigevent: sigval (4 bytes on i386), signo, notify, thread id */
void user_i386_sigevent(uint32_t gev, struct sigevent *ev)
{
    int32_t w[4];
    memcpy(w, P(gev), sizeof(w));
    memset(ev, 0, sizeof(*ev));
    ev->sigev_value.sival_ptr = (void *)(uintptr_t)(uint32_t)w[0];
    ev->sigev_signo = w[1];
    ev->sigev_notify = w[2];
    ev->_sigev_un._tid = w[3];
}

static int64_t sys_timer_create(int64_t nr64, uint32_t clk, uint32_t gev,
                                uint32_t id)
{
    struct sigevent ev;
    if (gev) {
        user_i386_sigevent(gev, &ev);
    }
    return host_result(syscall(nr64, (int)clk, gev ? &ev : NULL, P(id)));
}

/* rt_sigtimedwait (both time forms): the siginfo comes back converted */
static int64_t sys_rt_sigtimedwait(uint32_t a[6], bool time32)
{
    struct timespec ts;
    void *tp = a[2] ? P(a[2]) : NULL;
    if (time32 && a[2]) {
        ts = ts_in(a[2]);
        tp = &ts;
    }
    siginfo_t info;
    long r = syscall(user_syscall_number("rt_sigtimedwait"), P(a[0]), &info,
                     tp, a[3]);
    if (r > 0 && a[1]) {
        user_i386_siginfo(P(a[1]), &info);
    }
    return host_result(r);
}

/* ---- files ---- */

typedef struct __attribute__((packed)) Stat64_i386 {
    uint64_t dev;
    uint8_t pad0[4];
    uint32_t ino32, mode, nlink, uid, gid;
    uint64_t rdev;
    uint8_t pad3[4];
    int64_t size;
    uint32_t blksize;
    uint64_t blocks;
    uint32_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    uint64_t ino;
} Stat64_i386;
_Static_assert(sizeof(Stat64_i386) == 96, "i386 struct stat64");

static int64_t stat64_out(uint32_t a, const struct stat *st)
{
    Stat64_i386 s = {
        .dev = st->st_dev, .ino32 = (uint32_t)st->st_ino, .mode = st->st_mode,
        .nlink = (uint32_t)st->st_nlink, .uid = st->st_uid, .gid = st->st_gid,
        .rdev = st->st_rdev, .size = st->st_size,
        .blksize = (uint32_t)st->st_blksize, .blocks = (uint64_t)st->st_blocks,
        .atime = (uint32_t)st->st_atim.tv_sec,
        .atime_ns = (uint32_t)st->st_atim.tv_nsec,
        .mtime = (uint32_t)st->st_mtim.tv_sec,
        .mtime_ns = (uint32_t)st->st_mtim.tv_nsec,
        .ctime = (uint32_t)st->st_ctim.tv_sec,
        .ctime_ns = (uint32_t)st->st_ctim.tv_nsec, .ino = st->st_ino,
    };
    memcpy(P(a), &s, sizeof(s));
    return 0;
}

static int64_t sys_fstatat64(int dirfd, uint32_t path, uint32_t buf, int flags)
{
    struct stat st;
    char *host = user_path(P(path));
    int r = fstatat(dirfd, host, &st, flags);
    g_free(host);
    return r < 0 ? -errno : stat64_out(buf, &st);
}

static int64_t sys_fstat64(int fd, uint32_t buf)
{
    struct stat st;
    return fstat(fd, &st) < 0 ? -errno : stat64_out(buf, &st);
}

/* struct statfs (all words) and statfs64 (packed, 64-bit counts) */
static int64_t statfs_out(uint32_t a, uint32_t size, const struct statfs *f,
                          bool is64)
{
    uint8_t b[84] = { 0 };
    uint8_t *p = b;
#define PUT4(v) do { uint32_t w_ = (uint32_t)(v); memcpy(p, &w_, 4); p += 4; } while (0)
#define PUT8(v) do { uint64_t w_ = (uint64_t)(v); memcpy(p, &w_, 8); p += 8; } while (0)
    PUT4(f->f_type);
    PUT4(f->f_bsize);
    if (is64) {
        PUT8(f->f_blocks); PUT8(f->f_bfree); PUT8(f->f_bavail);
        PUT8(f->f_files); PUT8(f->f_ffree);
    } else {
        PUT4(f->f_blocks); PUT4(f->f_bfree); PUT4(f->f_bavail);
        PUT4(f->f_files); PUT4(f->f_ffree);
    }
    memcpy(p, &f->f_fsid, 8);
    p += 8;
    PUT4(f->f_namelen);
    PUT4(f->f_frsize);
    PUT4(f->f_flags);
#undef PUT4
#undef PUT8
    size_t len = is64 ? 84 : 64;
    if (is64 && size != len) {
        return -EINVAL;
    }
    memcpy(P(a), b, len);
    return 0;
}

static int64_t sys_statfs(uint32_t path, int fd, uint32_t size, uint32_t buf,
                          bool is64)
{
    struct statfs f;
    int r;
    if (path) {
        char *host = user_path(P(path));
        r = statfs(host, &f);
        g_free(host);
    } else {
        r = fstatfs(fd, &f);
    }
    return r < 0 ? -errno : statfs_out(buf, size, &f, is64);
}

static struct iovec *iov_in(uint32_t a, uint32_t n)
{
    if (n > 1024) {
        return NULL;
    }
    struct iovec *v = g_new0(struct iovec, n + 1);
    const uint32_t *w = P(a);
    for (uint32_t i = 0; i < n; i++) {
        v[i].iov_base = P(w[2 * i]);
        v[i].iov_len = w[2 * i + 1];
    }
    return v;
}

/* readv, writev, preadv, pwritev */
static int64_t sys_rwv(bool write, int fd, uint32_t iov, uint32_t n,
                       int64_t off)
{
    struct iovec *v = iov_in(iov, n);
    if (!v) {
        return -EINVAL;
    }
    ssize_t r;
    if (off < 0) {
        r = write ? writev(fd, v, (int)n) : readv(fd, v, (int)n);
    } else {
        r = write ? pwritev(fd, v, (int)n, off) : preadv(fd, v, (int)n, off);
    }
    int e = errno;
    g_free(v);
    return r < 0 ? -e : r;
}

/* preadv2, pwritev2: offset -1 is the file position */
static int64_t sys_rwv2(bool write, int fd, uint32_t iov, uint32_t n,
                        int64_t off, int flags)
{
    struct iovec *v = iov_in(iov, n);
    if (!v) {
        return -EINVAL;
    }
    ssize_t r = write ? pwritev2(fd, v, (int)n, off, flags)
                      : preadv2(fd, v, (int)n, off, flags);
    int e = errno;
    g_free(v);
    return r < 0 ? -e : r;
}

/* Record locks: F_*LK64 and the OFD commands take the packed i386
 * struct flock64, F_GETLK/F_SETLK/F_SETLKW (through fcntl or fcntl64)
 * the struct flock with 32-bit offsets. */
static int64_t sys_fcntl(int fd, int cmd, uint32_t arg)
{
    enum { GETLK64 = 12, SETLK64 = 13, SETLKW64 = 14 };
    int host_cmd = cmd;
    bool lk64 = false, lk32 = false;
    switch (cmd) {
    case GETLK64: host_cmd = F_GETLK; lk64 = true; break;
    case SETLK64: host_cmd = F_SETLK; lk64 = true; break;
    case SETLKW64: host_cmd = F_SETLKW; lk64 = true; break;
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        lk64 = true;
        break;
    case F_GETLK: case F_SETLK: case F_SETLKW:
        lk32 = true;
        break;
    default:
        return host_result(fcntl(fd, cmd, (unsigned long)arg));
    }
    struct flock fl;
    uint8_t *g = P(arg);
    memcpy(&fl.l_type, g, 2);
    memcpy(&fl.l_whence, g + 2, 2);
    if (lk64) {
        int64_t v;
        memcpy(&v, g + 4, 8); fl.l_start = v;
        memcpy(&v, g + 12, 8); fl.l_len = v;
        memcpy(&fl.l_pid, g + 20, 4);
    } else {
        int32_t v;
        memcpy(&v, g + 4, 4); fl.l_start = v;
        memcpy(&v, g + 8, 4); fl.l_len = v;
        memcpy(&fl.l_pid, g + 12, 4);
    }
    if (fcntl(fd, host_cmd, &fl) < 0) {
        return -errno;
    }
    if (host_cmd == F_GETLK || host_cmd == F_OFD_GETLK) {
        memcpy(g, &fl.l_type, 2);
        memcpy(g + 2, &fl.l_whence, 2);
        if (lk32) {
            int32_t s = (int32_t)fl.l_start, l = (int32_t)fl.l_len;
            memcpy(g + 4, &s, 4);
            memcpy(g + 8, &l, 4);
            memcpy(g + 12, &fl.l_pid, 4);
        } else {
            int64_t s = fl.l_start, l = fl.l_len;
            memcpy(g + 4, &s, 8);
            memcpy(g + 12, &l, 8);
            memcpy(g + 20, &fl.l_pid, 4);
        }
    }
    return 0;
}

static int64_t sys_llseek(int fd, uint32_t hi, uint32_t lo, uint32_t result,
                          int whence)
{
    off_t r = lseek(fd, (off_t)pair64(lo, hi), whence);
    if (r < 0) {
        return -errno;
    }
    int64_t v = r;
    memcpy(P(result), &v, 8);
    return 0;
}

/* rlimit: 32-bit values, RLIM_INFINITY is all ones in either width */
static int64_t sys_getrlimit(int res, uint32_t a)
{
    struct rlimit r;
    if (getrlimit(res, &r) < 0) {
        return -errno;
    }
    uint32_t w[2] = {
        r.rlim_cur > UINT32_MAX ? UINT32_MAX : (uint32_t)r.rlim_cur,
        r.rlim_max > UINT32_MAX ? UINT32_MAX : (uint32_t)r.rlim_max,
    };
    memcpy(P(a), w, sizeof(w));
    return 0;
}

static int64_t sys_setrlimit(int res, uint32_t a)
{
    uint32_t w[2];
    memcpy(w, P(a), sizeof(w));
    struct rlimit r = {
        w[0] == UINT32_MAX ? RLIM_INFINITY : w[0],
        w[1] == UINT32_MAX ? RLIM_INFINITY : w[1],
    };
    return setrlimit(res, &r) < 0 ? -errno : 0;
}

static int64_t sys_sysinfo(uint32_t a)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        return -errno;
    }
    uint32_t w[16] = { 0 };
    unsigned unit = si.mem_unit ? si.mem_unit : 1;
    uint64_t total = (uint64_t)si.totalram * unit;
    /* scale the memory unit up until the counts fit 32 bits */
    while (total / unit > UINT32_MAX) {
        unit <<= 1;
    }
    uint64_t scale = unit / (si.mem_unit ? si.mem_unit : 1);
    w[0] = (uint32_t)si.uptime;
    for (int i = 0; i < 3; i++) {
        w[1 + i] = (uint32_t)si.loads[i];
    }
    w[4] = (uint32_t)(si.totalram / scale);
    w[5] = (uint32_t)(si.freeram / scale);
    w[6] = (uint32_t)(si.sharedram / scale);
    w[7] = (uint32_t)(si.bufferram / scale);
    w[8] = (uint32_t)(si.totalswap / scale);
    w[9] = (uint32_t)(si.freeswap / scale);
    w[10] = si.procs;                   /* u16 procs, u16 pad */
    w[11] = (uint32_t)(si.totalhigh / scale);
    w[12] = (uint32_t)(si.freehigh / scale);
    w[13] = unit;
    memcpy(P(a), w, 64);
    return 0;
}

/* select and _newselect: fd_set bytes are the same; the timeout is a
 * timeval32, updated like the kernel does. */
static int64_t sys_select(int n, uint32_t r, uint32_t w, uint32_t e, uint32_t tv)
{
    struct timeval t, *tp = NULL;
    if (tv) {
        t = tv_in(tv);
        tp = &t;
    }
    int res = select(n, r ? P(r) : NULL, w ? P(w) : NULL, e ? P(e) : NULL, tp);
    int err = errno;
    if (tv) {
        tv_out(tv, &t);
    }
    return res < 0 ? -err : res;
}

static int64_t sys_old_select(uint32_t args)
{
    uint32_t a[5];
    memcpy(a, P(args), sizeof(a));
    return sys_select((int)a[0], a[1], a[2], a[3], a[4]);
}

/* pselect6 and pselect6_time64: the last argument points at
 * { sigset pointer, size } in 32-bit words. */
static int64_t sys_pselect6(int64_t nr64, uint32_t a[6], bool time32)
{
    struct timespec ts;
    void *tp = a[4] ? P(a[4]) : NULL;
    if (time32 && a[4]) {
        ts = ts_in(a[4]);
        tp = &ts;
    }
    uint64_t sig[2] = { 0, 0 };
    if (a[5]) {
        uint32_t w[2];
        memcpy(w, P(a[5]), sizeof(w));
        sig[0] = w[0];
        sig[1] = w[1];
    }
    long r = syscall(nr64, (int)a[0], P(a[1]), P(a[2]), P(a[3]), tp,
                     a[5] ? sig : NULL);
    int err = errno;
    if (time32 && a[4]) {
        ts_out(a[4], &ts);
    }
    return r < 0 ? -err : r;
}

static int64_t sys_ppoll32(uint32_t a[6])
{
    struct timespec ts;
    if (a[2]) {
        ts = ts_in(a[2]);
    }
    int r = ppoll(P(a[0]), a[1], a[2] ? &ts : NULL, a[3] ? P(a[3]) : NULL);
    int err = errno;
    if (a[2]) {
        ts_out(a[2], &ts);
    }
    return r < 0 ? -err : r;
}

/* ---- sockets ---- */

typedef struct Msg32 {
    uint32_t name, namelen, iov, iovlen, control, controllen, flags;
} Msg32;

/* Control messages: cmsghdr is { u32 len; int level, type; } with 4-byte
 * alignment on i386, { u64 len; int level, type; } with 8 on x86_64. */
static size_t cmsg_to_host(const uint8_t *g, size_t glen, uint8_t *h, size_t hcap)
{
    size_t gi = 0, hi = 0;
    while (gi + 12 <= glen) {
        uint32_t len;
        int32_t lt[2];
        memcpy(&len, g + gi, 4);
        memcpy(lt, g + gi + 4, 8);
        if (len < 12 || gi + len > glen) {
            break;
        }
        size_t data = len - 12;
        if (hi + CMSG_SPACE(data) > hcap) {
            break;
        }
        struct cmsghdr *c = (struct cmsghdr *)(h + hi);
        c->cmsg_len = CMSG_LEN(data);
        c->cmsg_level = lt[0];
        c->cmsg_type = lt[1];
        memcpy(CMSG_DATA(c), g + gi + 12, data);
        hi += CMSG_SPACE(data);
        gi += (len + 3) & ~3u;
    }
    return hi;
}

static size_t cmsg_to_guest(struct msghdr *m, uint8_t *g, size_t gcap)
{
    size_t gi = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        size_t data = c->cmsg_len - CMSG_LEN(0);
        if (gi + 12 + data > gcap) {
            m->msg_flags |= MSG_CTRUNC;
            break;
        }
        uint32_t len = (uint32_t)(12 + data);
        int32_t lt[2] = { c->cmsg_level, c->cmsg_type };
        memcpy(g + gi, &len, 4);
        memcpy(g + gi + 4, lt, 8);
        memcpy(g + gi + 12, CMSG_DATA(c), data);
        gi += (len + 3) & ~3u;
    }
    return MIN(gi, gcap);
}

enum { CTL_HOST_SIZE = 4096 };

/* A guest msghdr as a host one; its iovec and control buffer are
 * allocated (msg_release frees them).  False: too many iovecs. */
static bool msg_in(uint32_t gmsg, bool send, struct msghdr *m)
{
    Msg32 g;
    memcpy(&g, P(gmsg), sizeof(g));
    struct iovec *v = iov_in(g.iov, g.iovlen);
    if (!v) {
        return false;
    }
    *m = (struct msghdr){
        .msg_name = g.name ? P(g.name) : NULL, .msg_namelen = g.namelen,
        .msg_iov = v, .msg_iovlen = g.iovlen,
    };
    if (g.controllen) {
        uint8_t *ctl = g_malloc0(CTL_HOST_SIZE);
        m->msg_control = ctl;
        m->msg_controllen = send ? cmsg_to_host(P(g.control), g.controllen,
                                                ctl, CTL_HOST_SIZE)
                                 : CTL_HOST_SIZE;
        if (!m->msg_controllen) {
            g_free(ctl);
            m->msg_control = NULL;
        }
    }
    return true;
}

/* After a receive: name length, control messages and flags back */
static void msg_out(uint32_t gmsg, struct msghdr *m)
{
    Msg32 *out = P(gmsg);
    uint32_t gctl = out->control, gctl_len = out->controllen;
    out->namelen = m->msg_namelen;
    out->controllen = gctl_len && m->msg_control && m->msg_controllen ?
        (uint32_t)cmsg_to_guest(m, P(gctl), gctl_len) : 0;
    out->flags = (uint32_t)m->msg_flags;
}

static void msg_release(struct msghdr *m)
{
    g_free(m->msg_iov);
    g_free(m->msg_control);
}

static int64_t sys_msg(bool send, int fd, uint32_t gmsg, int flags)
{
    struct msghdr m;
    if (!msg_in(gmsg, send, &m)) {
        return -EINVAL;
    }
    ssize_t r = send ? sendmsg(fd, &m, flags) : recvmsg(fd, &m, flags);
    int err = errno;
    if (r >= 0 && !send) {
        msg_out(gmsg, &m);
    }
    msg_release(&m);
    return r < 0 ? -err : r;
}

/* sendmmsg and recvmmsg: the host's own call on converted headers (so
 * recvmmsg's timeout behaves as the kernel's: checked after each
 * datagram, the time left written back).  struct mmsghdr is a msghdr
 * and a 32-bit length; ts is a 32-bit or 64-bit timespec, or 0. */
static int64_t sys_mmsg(bool send, int fd, uint32_t vec, uint32_t n, int flags,
                        uint32_t ts, bool time32)
{
    enum { MMSG32 = sizeof(Msg32) + 4 };
    n = MIN(n, 1024u);                  /* UIO_MAXIOV, as the kernel */
    struct mmsghdr *h = g_new0(struct mmsghdr, n + 1);
    uint32_t ok = 0;
    while (ok < n && msg_in(vec + ok * MMSG32, send, &h[ok].msg_hdr)) {
        ok++;
    }
    struct timespec t, *tp = NULL;
    if (ts) {
        t = time32 ? ts_in(ts) : *(struct timespec *)P(ts);
        tp = &t;
    }
    /* a header with too many iovecs ends the vector there */
    bool bad = ok < n && ok == 0;
    int r = bad ? -1 : send ? sendmmsg(fd, h, ok, flags)
                            : recvmmsg(fd, h, ok, flags, tp);
    int err = bad ? EINVAL : errno;
    for (int i = 0; i < r; i++) {
        if (!send) {
            msg_out(vec + (uint32_t)i * MMSG32, &h[i].msg_hdr);
        }
        memcpy((uint8_t *)P(vec + (uint32_t)i * MMSG32) + sizeof(Msg32),
               &h[i].msg_len, 4);
    }
    if (r > 0 && tp) {
        if (time32) {
            ts_out(ts, tp);
        } else {
            memcpy(P(ts), tp, sizeof(*tp));
        }
    }
    for (uint32_t i = 0; i < ok; i++) {
        msg_release(&h[i].msg_hdr);
    }
    g_free(h);
    return r < 0 ? -err : r;
}

/* socketcall numbers (linux/net.h) to call names */
static int64_t sys_socket_op(int op, const uint32_t *a)
{
    long r;
    switch (op) {
    case 1: r = socket((int)a[0], (int)a[1], (int)a[2]); break;
    case 2: r = bind((int)a[0], P(a[1]), a[2]); break;
    case 3: r = connect((int)a[0], P(a[1]), a[2]); break;
    case 4: r = listen((int)a[0], (int)a[1]); break;
    case 5: r = accept((int)a[0], a[1] ? P(a[1]) : NULL, a[2] ? P(a[2]) : NULL); break;
    case 6: r = getsockname((int)a[0], P(a[1]), P(a[2])); break;
    case 7: r = getpeername((int)a[0], P(a[1]), P(a[2])); break;
    case 8: r = socketpair((int)a[0], (int)a[1], (int)a[2], P(a[3])); break;
    case 9: r = send((int)a[0], P(a[1]), a[2], (int)a[3]); break;
    case 10: r = recv((int)a[0], P(a[1]), a[2], (int)a[3]); break;
    case 11: r = sendto((int)a[0], P(a[1]), a[2], (int)a[3],
                        a[4] ? P(a[4]) : NULL, a[5]); break;
    case 12: r = recvfrom((int)a[0], P(a[1]), a[2], (int)a[3],
                          a[4] ? P(a[4]) : NULL, a[5] ? P(a[5]) : NULL); break;
    case 13: r = shutdown((int)a[0], (int)a[1]); break;
    case 14: r = setsockopt((int)a[0], (int)a[1], (int)a[2], P(a[3]), a[4]); break;
    case 15: r = getsockopt((int)a[0], (int)a[1], (int)a[2], P(a[3]), P(a[4])); break;
    case 16: return sys_msg(true, (int)a[0], a[1], (int)a[2]);
    case 17: return sys_msg(false, (int)a[0], a[1], (int)a[2]);
    case 18: r = accept4((int)a[0], a[1] ? P(a[1]) : NULL,
                         a[2] ? P(a[2]) : NULL, (int)a[3]); break;
    case 19: return sys_mmsg(false, (int)a[0], a[1], a[2], (int)a[3], a[4], true);
    case 20: return sys_mmsg(true, (int)a[0], a[1], a[2], (int)a[3], 0, false);
    default: return -ENOSYS;
    }
    return host_result(r);
}

static int64_t sys_socketcall(int op, uint32_t args)
{
    static const uint8_t nargs[21] = { 0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6,
                                       6, 2, 5, 5, 3, 3, 4, 5, 4 };
    uint32_t a[6] = { 0 };
    if (op < 1 || op > 20) {
        return -EINVAL;
    }
    memcpy(a, P(args), 4u * nargs[op]);
    return sys_socket_op(op, a);
}

/* direct socket calls (i386 numbers 359..373, 345 sendmmsg, 337 recvmmsg) */
static int socket_op_of(const char *name)
{
    static const char *const ops[] = {
        NULL, "socket", "bind", "connect", "listen", "accept", "getsockname",
        "getpeername", "socketpair", "send", "recv", "sendto", "recvfrom",
        "shutdown", "setsockopt", "getsockopt", "sendmsg", "recvmsg", "accept4",
        "recvmmsg", "sendmmsg",
    };
    for (int i = 1; i < (int)G_N_ELEMENTS(ops); i++) {
        if (!strcmp(name, ops[i])) {
            return i;
        }
    }
    return 0;
}

/* ---- signals ---- */

static int64_t sys_rt_sigaction(int sig, uint32_t act, uint32_t oact,
                                uint32_t size)
{
    /* { handler, flags, restorer, mask[2] } in 32-bit words */
    uint32_t w[5];
    GuestSigaction n, o;
    if (size != 8) {
        return -EINVAL;
    }
    if (act) {
        memcpy(w, P(act), sizeof(w));
        n = (GuestSigaction){ w[0], w[1], w[2], pair64(w[3], w[4]) };
    }
    int64_t r = user_sigaction(sig, act ? &n : NULL, &o);
    if (r == 0 && oact) {
        uint32_t ow[5] = { (uint32_t)o.handler, (uint32_t)o.flags,
                           (uint32_t)o.restorer, (uint32_t)o.mask,
                           (uint32_t)(o.mask >> 32) };
        memcpy(P(oact), ow, sizeof(ow));
    }
    return r;
}

static int64_t sys_sigaction(int sig, uint32_t act, uint32_t oact)
{
    /* old: { handler, mask (32 bits), flags, restorer } */
    uint32_t w[4];
    GuestSigaction n, o;
    if (act) {
        memcpy(w, P(act), sizeof(w));
        n = (GuestSigaction){ w[0], w[2], w[3], w[1] };
    }
    int64_t r = user_sigaction(sig, act ? &n : NULL, &o);
    if (r == 0 && oact) {
        uint32_t ow[4] = { (uint32_t)o.handler, (uint32_t)o.mask,
                           (uint32_t)o.flags, (uint32_t)o.restorer };
        memcpy(P(oact), ow, sizeof(ow));
    }
    return r;
}

static int64_t sys_sigprocmask(int how, uint32_t set, uint32_t oset)
{
    uint64_t old = user_sigmask_get();
    if (set) {
        uint32_t s;
        memcpy(&s, P(set), 4);
        switch (how) {
        case SIG_BLOCK: user_sigmask_set(old | s); break;
        case SIG_UNBLOCK: user_sigmask_set(old & ~(uint64_t)s); break;
        case SIG_SETMASK: user_sigmask_set((old & ~0xffffffffull) | s); break;
        default: return -EINVAL;
        }
    }
    if (oset) {
        uint32_t o = (uint32_t)old;
        memcpy(P(oset), &o, 4);
    }
    return 0;
}

static int64_t sys_sigaltstack(EmuJitCpu *cpu, uint32_t ss, uint32_t oss)
{
    uint32_t w[3];
    GuestStack n, o;
    if (ss) {
        memcpy(w, P(ss), sizeof(w));
        n = (GuestStack){ w[0], (int32_t)w[1], 0, w[2] };
    }
    int64_t r = user_sigaltstack_do(cpu, ss ? &n : NULL, &o);
    if (oss) {
        uint32_t ow[3] = { (uint32_t)o.sp, (uint32_t)o.flags, (uint32_t)o.size };
        memcpy(P(oss), ow, sizeof(ow));
    }
    return r;
}

/* ---- TLS: GDT entries 12..14, as a 32-bit process on x86_64 sees them */

enum { TLS_FIRST = 12, TLS_COUNT = 3 };

typedef struct UserDesc {
    uint32_t entry, base, limit, flags;
} UserDesc;

static int64_t sys_set_thread_area(EmuJitCpu *cpu, uint32_t a)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    void *env = emu_jit_cpu_env(cpu);
    UserDesc *d = P(a);
    uint32_t idx = d->entry;
    if (idx == UINT32_MAX) {
        for (idx = TLS_FIRST; idx < TLS_FIRST + TLS_COUNT; idx++) {
            if (!cls->get_reg(env, EMU_X86_DESC_BASE + (int)idx)) {
                break;
            }
        }
        if (idx == TLS_FIRST + TLS_COUNT) {
            return -ESRCH;
        }
        d->entry = idx;
    }
    if (idx < TLS_FIRST || idx >= TLS_FIRST + TLS_COUNT) {
        return -EINVAL;
    }
    cls->set_reg(env, EMU_X86_DESC_BASE + (int)idx, d->base);
    /* a segment register holding this selector sees the new base */
    for (int r = EMU_X86_DS; r <= EMU_X86_GS; r++) {
        if ((cls->get_reg(env, r) >> 3) == idx) {
            cls->set_reg(env, r == EMU_X86_FS ? EMU_X86_FS_BASE :
                              r == EMU_X86_GS ? EMU_X86_GS_BASE : -1, d->base);
        }
    }
    return 0;
}

static int64_t sys_get_thread_area(EmuJitCpu *cpu, uint32_t a)
{
    const EmuCpuClass *cls = emu_jit_cpu_class(cpu);
    UserDesc *d = P(a);
    if (d->entry < TLS_FIRST || d->entry >= TLS_FIRST + TLS_COUNT) {
        return -EINVAL;
    }
    d->base = (uint32_t)cls->get_reg(emu_jit_cpu_env(cpu),
                                     EMU_X86_DESC_BASE + (int)d->entry);
    d->limit = 0xfffff;
    d->flags = 0x51;        /* seg_32bit, limit_in_pages, useable */
    return 0;
}

void user_i386_set_tls(EmuJitCpu *cpu, uint64_t user_desc)
{
    sys_set_thread_area(cpu, (uint32_t)user_desc);
}

/* ---- memory ---- */

static int64_t sys_old_mmap(uint32_t args)
{
    uint32_t a[6];
    memcpy(a, P(args), sizeof(a));
    if (a[5] & (GUEST_PAGE - 1)) {
        return -EINVAL;
    }
    return user_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
}

static int64_t sys_sendfile32(int out, int in, uint32_t off, uint32_t count)
{
    off_t o;
    if (off) {
        int32_t v;
        memcpy(&v, P(off), 4);
        o = v;
    }
    ssize_t r = sendfile(out, in, off ? &o : NULL, count);
    if (r >= 0 && off) {
        int32_t v = (int32_t)o;
        memcpy(P(off), &v, 4);
    }
    return host_result(r);
}

/* ---- dispatch ---- */

static int64_t dispatch(EmuJitCpu *cpu, uint32_t nr, uint32_t a[6], bool *keep_eax)
{
    const char *n = name32(nr);
    int64_t nr64 = nr < NR32_MAX ? host_nr[nr] : -1;
    int s32 = (int)a[0];
/* the first letter settles most comparisons: this runs on every call */
#define IS(x) (n[0] == (x)[0] && !strcmp(n, x))
    /* memory, processes */
    if (IS("mmap2")) {
        return user_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4],
                         (int64_t)a[5] << 12);
    }
    if (IS("mmap")) return sys_old_mmap(a[0]);
    if (IS("clone")) {
        /* i386 order: flags, newsp, parent_tid, tls, child_tid */
        return user_clone(cpu, a[0], a[1], a[2], a[4], a[3]);
    }
    if (IS("set_thread_area")) return sys_set_thread_area(cpu, a[0]);
    if (IS("get_thread_area")) return sys_get_thread_area(cpu, a[0]);
    if (IS("waitpid")) return sys_wait4(s32, a[1], (int)a[2], 0);
    if (IS("wait4")) return sys_wait4(s32, a[1], (int)a[2], a[3]);
    if (IS("getrusage")) return sys_getrusage(s32, a[1]);
    if (IS("waitid")) return sys_waitid(a);
    if (IS("times")) return sys_times(a[0]);
    if (IS("sysinfo")) return sys_sysinfo(a[0]);
    if (IS("getrlimit") || IS("ugetrlimit")) return sys_getrlimit(s32, a[1]);
    if (IS("setrlimit")) return sys_setrlimit(s32, a[1]);
    /* signals */
    if (IS("rt_sigaction")) return sys_rt_sigaction(s32, a[1], a[2], a[3]);
    if (IS("sigaction")) return sys_sigaction(s32, a[1], a[2]);
    if (IS("sigprocmask")) return sys_sigprocmask(s32, a[1], a[2]);
    if (IS("sigaltstack")) return sys_sigaltstack(cpu, a[0], a[1]);
    if (IS("sigreturn") || IS("rt_sigreturn")) {
        *keep_eax = true;
        return user_i386_sigreturn(cpu, IS("rt_sigreturn"));
    }
    /* time */
    if (IS("time")) return sys_time(a[0]);
    if (IS("gettimeofday")) return sys_gettimeofday(a[0], a[1]);
    if (IS("clock_gettime")) return sys_clock_gettime(s32, a[1], false);
    if (IS("clock_getres")) return sys_clock_gettime(s32, a[1], true);
    if (IS("nanosleep")) return sys_clock_nanosleep(CLOCK_REALTIME, 0, a[0], a[1]);
    if (IS("clock_nanosleep")) {
        return sys_clock_nanosleep(s32, (int)a[1], a[2], a[3]);
    }
    if (IS("setitimer")) return sys_setitimer(s32, a[1], a[2]);
    if (IS("getitimer")) return sys_getitimer(s32, a[1]);
    if (IS("futex")) return sys_futex(nr64, a, true);
    if (IS("futex_time64")) return sys_futex(nr64, a, false);
    if (IS("select") || IS("_newselect")) {
        return IS("select") ? sys_old_select(a[0])
                            : sys_select(s32, a[1], a[2], a[3], a[4]);
    }
    if (IS("pselect6")) {
        return sys_pselect6(user_syscall_number("pselect6"), a, true);
    }
    if (IS("timer_settime") || IS("timerfd_settime")) {
        return sys_settime32(user_syscall_number(n), a);
    }
    if (IS("timer_gettime") || IS("timerfd_gettime")) {
        return sys_gettime32(user_syscall_number(n), a);
    }
    if (IS("timer_create")) return sys_timer_create(nr64, a[0], a[1], a[2]);
    if (IS("rt_sigtimedwait") || IS("rt_sigtimedwait_time64")) {
        return sys_rt_sigtimedwait(a, IS("rt_sigtimedwait"));
    }
    if (IS("pselect6_time64")) {
        return sys_pselect6(user_syscall_number("pselect6"), a, false);
    }
    if (IS("ppoll")) return sys_ppoll32(a);
    if (IS("utimes")) {
        struct timeval tv[2];
        if (a[1]) {
            tv[0] = tv_in(a[1]);
            tv[1] = tv_in(a[1] + 8);
        }
        char *host = user_path(P(a[0]));
        int r = utimes(host, a[1] ? tv : NULL);
        g_free(host);
        return r < 0 ? -errno : 0;
    }
    if (IS("utimensat")) {
        struct timespec ts[2];
        if (a[2]) {
            ts[0] = ts_in(a[2]);
            ts[1] = ts_in(a[2] + 8);
        }
        return host_result(syscall(nr64, s32, a[1] ? P(a[1]) : NULL,
                                   a[2] ? ts : NULL, (int)a[3]));
    }
    /* files */
    if (IS("stat64") || IS("lstat64")) {
        return sys_fstatat64(AT_FDCWD, a[0], a[1],
                             IS("lstat64") ? AT_SYMLINK_NOFOLLOW : 0);
    }
    if (IS("fstat64")) return sys_fstat64(s32, a[1]);
    if (IS("fstatat64")) return sys_fstatat64(s32, a[1], a[2], (int)a[3]);
    if (IS("statfs")) return sys_statfs(a[0], -1, 0, a[1], false);
    if (IS("fstatfs")) return sys_statfs(0, s32, 0, a[1], false);
    if (IS("statfs64")) return sys_statfs(a[0], -1, a[1], a[2], true);
    if (IS("fstatfs64")) return sys_statfs(0, s32, a[1], a[2], true);
    if (IS("readv") || IS("writev")) return sys_rwv(IS("writev"), s32, a[1], a[2], -1);
    if (IS("preadv") || IS("pwritev")) {
        return sys_rwv(IS("pwritev"), s32, a[1], a[2], (int64_t)pair64(a[3], a[4]));
    }
    if (IS("preadv2") || IS("pwritev2")) {
        return sys_rwv2(IS("pwritev2"), s32, a[1], a[2],
                        (int64_t)pair64(a[3], a[4]), (int)a[5]);
    }
    if (IS("pread64")) return host_result(pread(s32, P(a[1]), a[2], (off_t)pair64(a[3], a[4])));
    if (IS("pwrite64")) return host_result(pwrite(s32, P(a[1]), a[2], (off_t)pair64(a[3], a[4])));
    if (IS("lseek")) return host_result(lseek(s32, (int32_t)a[1], (int)a[2]));
    if (IS("_llseek")) return sys_llseek(s32, a[1], a[2], a[3], (int)a[4]);
    if (IS("truncate")) return host_result(truncate(P(a[0]), (int32_t)a[1]));
    if (IS("ftruncate")) return host_result(ftruncate(s32, (int32_t)a[1]));
    if (IS("truncate64")) return host_result(truncate(P(a[0]), (off_t)pair64(a[1], a[2])));
    if (IS("ftruncate64")) return host_result(ftruncate(s32, (off_t)pair64(a[1], a[2])));
    if (IS("fallocate")) {
        return host_result(fallocate(s32, (int)a[1], (off_t)pair64(a[2], a[3]),
                                     (off_t)pair64(a[4], a[5])));
    }
    if (IS("fadvise64")) {
        return -posix_fadvise(s32, (off_t)pair64(a[1], a[2]), a[3], (int)a[4]);
    }
    if (IS("fadvise64_64")) {
        return -posix_fadvise(s32, (off_t)pair64(a[1], a[2]),
                              (off_t)pair64(a[3], a[4]), (int)a[5]);
    }
    if (IS("readahead")) {
        return host_result(readahead(s32, (off_t)pair64(a[1], a[2]), a[3]));
    }
    if (IS("fcntl") || IS("fcntl64")) return sys_fcntl(s32, (int)a[1], a[2]);
    if (IS("sendfile")) return sys_sendfile32(s32, (int)a[1], a[2], a[3]);
    /* sockets */
    if (IS("socketcall")) return sys_socketcall(s32, a[1]);
    if (IS("recvmmsg_time64")) {
        return sys_mmsg(false, s32, a[1], a[2], (int)a[3], a[4], false);
    }
    int64_t r;
    if (user_i386_ipc(n, a, &r) || user_i386_compat(cpu, n, a, &r)) {
        return r;
    }
    int sop = socket_op_of(n);
    if (sop) {
        return sys_socket_op(sop, a);
    }
#undef IS
    if (nr64 < 0) {
        return -ENOSYS;
    }
    /* same layout: the x86_64 path; signed int arguments were truncated
     * to 32 bits, which the kernel reads back as the same int */
    return user_syscall(cpu, nr64, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void user_syscall_i386(EmuJitCpu *cpu)
{
    const EmuCpuClass *cls = user_cfg.cls;
    void *env = emu_jit_cpu_env(cpu);
    g_once(&table_once, build_table, NULL);
    uint32_t nr = (uint32_t)cls->get_reg(env, EMU_X86_RAX);
    uint32_t a[6] = {
        (uint32_t)cls->get_reg(env, EMU_X86_RBX),
        (uint32_t)cls->get_reg(env, EMU_X86_RCX),
        (uint32_t)cls->get_reg(env, EMU_X86_RDX),
        (uint32_t)cls->get_reg(env, EMU_X86_RSI),
        (uint32_t)cls->get_reg(env, EMU_X86_RDI),
        (uint32_t)cls->get_reg(env, EMU_X86_RBP),
    };
    if (user_cfg.strace) {
        emu_log("%d %s(0x%x,0x%x,0x%x,0x%x,0x%x,0x%x)", getpid(), name32(nr),
                a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    bool keep_eax = false;
    int64_t r;
    sigjmp_buf fault;
    if (sigsetjmp(fault, 0)) {
        r = -EFAULT;            /* a bad pointer in a converted call */
        keep_eax = false;
    } else {
        user_syscall_fault = &fault;
        r = dispatch(cpu, nr, a, &keep_eax);
    }
    user_syscall_fault = NULL;
    if (user_cfg.strace) {
        if (r < 0 && r > -4096) {
            emu_log(" = -1 errno=%d (%s)\n", (int)-r, g_strerror((int)-r));
        } else {
            emu_log(" = %" G_GINT64_FORMAT "\n", r);
        }
    }
    if (!keep_eax) {
        cls->set_reg(env, EMU_X86_RAX, (uint32_t)r);
    }
}
