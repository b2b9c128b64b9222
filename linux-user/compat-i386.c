/*
 * Old i386 system calls that x86_64 lacks or lays out differently, and
 * that 32-bit programs still make: getdents (struct linux_dirent with
 * 32-bit inode and offset), the 16-bit uid/gid calls, robust futex lists
 * (the host kernel walks only 64-bit ones, so the emulator walks the
 * guest's at thread exit), and a few calls with 32-bit times, sigsets or
 * siginfo.
 */
#include "config.h"
#include "user.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define P(a) g2h(a)

static int64_t host_result(long r)
{
    return r < 0 ? -errno : r;
}

/* ---- getdents: linux_dirent { u32 ino, off; u16 reclen; name; 0; type } */

static int64_t sys_getdents(int fd, uint32_t dirp, uint32_t count)
{
    /* an i386 record is never longer than the dirent64 one, so what the
     * host returns for count bytes always fits */
    uint8_t *h = g_try_malloc(count);
    if (!h) {
        return -ENOMEM;
    }
    off_t pos = lseek(fd, 0, SEEK_CUR);     /* of the next entry */
    long n = syscall(SYS_getdents64, fd, h, count);
    int e = errno;
    int64_t out = 0;
    uint8_t *g = P(dirp);
    for (long at = 0; n > 0 && at < n;) {
        uint64_t ino, off;
        uint16_t reclen;
        memcpy(&ino, h + at, 8);
        memcpy(&off, h + at + 8, 8);
        memcpy(&reclen, h + at + 16, 2);
        uint8_t type = h[at + 18];
        const char *name = (const char *)h + at + 19;
        if (ino != (uint32_t)ino) {
            /* as the kernel: what fits so far, or the error; this entry
             * comes first the next time */
            lseek(fd, pos, SEEK_SET);
            out = out ? out : -EOVERFLOW;
            break;
        }
        pos = (off_t)off;
        size_t len = strlen(name);
        uint16_t glen = (uint16_t)((10 + len + 2 + 3) & ~3u);
        uint32_t w[2] = { (uint32_t)ino, (uint32_t)off };
        memcpy(g + out, w, 8);
        memcpy(g + out + 8, &glen, 2);
        memcpy(g + out + 10, name, len + 1);
        g[out + glen - 1] = type;
        out += glen;
        at += reclen;
    }
    g_free(h);
    return n < 0 ? -e : out;
}

/* ---- 16-bit uids: -1 passes as -1, ids above 65535 read as the
 * overflow id (/proc/sys/kernel/overflow[ug]id) ---- */

static uint32_t overflow_id(bool gid)
{
    static uint32_t ids[2];
    uint32_t *id = &ids[gid];
    if (!__atomic_load_n(id, __ATOMIC_RELAXED)) {
        unsigned v = 65534;
        FILE *f = fopen(gid ? "/proc/sys/kernel/overflowgid"
                            : "/proc/sys/kernel/overflowuid", "re");
        if (f) {
            if (fscanf(f, "%u", &v) != 1) {
                v = 65534;
            }
            fclose(f);
        }
        __atomic_store_n(id, v, __ATOMIC_RELAXED);
    }
    return *id;
}

static uint16_t low_id(uint32_t id, bool gid)
{
    return (uint16_t)(id > 0xffff ? overflow_id(gid) : id);
}

static uint32_t high_id(uint32_t id16)
{
    return (uint16_t)id16 == 0xffff ? UINT32_MAX : (uint16_t)id16;
}

static int64_t get_ids16(long nr, uint32_t r, uint32_t e, uint32_t s, bool gid)
{
    uint32_t id[3];
    if (syscall(nr, &id[0], &id[1], &id[2]) < 0) {
        return -errno;
    }
    uint32_t at[3] = { r, e, s };
    for (int i = 0; i < 3; i++) {
        uint16_t v = low_id(id[i], gid);
        memcpy(P(at[i]), &v, 2);
    }
    return 0;
}

static int64_t sys_getgroups16(uint32_t size, uint32_t list)
{
    int n = getgroups(0, NULL);
    if (n < 0) {
        return -errno;
    }
    gid_t *g = g_new(gid_t, n + 1);
    n = getgroups(n, g);
    int64_t r = n;
    if (n < 0) {
        r = -errno;
    } else if (size && (uint32_t)n > size) {
        r = -EINVAL;
    } else if (size) {
        for (int i = 0; i < n; i++) {
            uint16_t v = low_id(g[i], true);
            memcpy((uint8_t *)P(list) + 2 * i, &v, 2);
        }
    }
    g_free(g);
    return r;
}

static int64_t sys_setgroups16(uint32_t size, uint32_t list)
{
    if (size > 65536) {
        return -EINVAL;
    }
    gid_t *g = g_new(gid_t, size + 1);
    for (uint32_t i = 0; i < size; i++) {
        uint16_t v;
        memcpy(&v, (uint8_t *)P(list) + 2 * i, 2);
        g[i] = high_id(v);
    }
    long r = syscall(SYS_setgroups, size, g);
    int e = errno;
    g_free(g);
    return r < 0 ? -e : 0;
}

static bool uid16_call(const char *n, const uint32_t a[6], int64_t *r)
{
#define IS(x) (!strcmp(n, x))
    if (IS("getuid") || IS("geteuid") || IS("getgid") || IS("getegid")) {
        bool gid = n[3] == 'g' || n[4] == 'g';
        long v = syscall(IS("getuid") ? SYS_getuid : IS("geteuid") ? SYS_geteuid
                         : IS("getgid") ? SYS_getgid : SYS_getegid);
        *r = low_id((uint32_t)v, gid);
    } else if (IS("setuid") || IS("setgid") || IS("setfsuid") || IS("setfsgid")) {
        long nr = IS("setuid") ? SYS_setuid : IS("setgid") ? SYS_setgid
                  : IS("setfsuid") ? SYS_setfsuid : SYS_setfsgid;
        *r = host_result(syscall(nr, high_id(a[0])));
        if (*r >= 0 && (IS("setfsuid") || IS("setfsgid"))) {
            *r = low_id((uint32_t)*r, IS("setfsgid"));  /* the old id */
        }
    } else if (IS("setreuid") || IS("setregid")) {
        *r = host_result(syscall(IS("setreuid") ? SYS_setreuid : SYS_setregid,
                                 high_id(a[0]), high_id(a[1])));
    } else if (IS("setresuid") || IS("setresgid")) {
        *r = host_result(syscall(IS("setresuid") ? SYS_setresuid : SYS_setresgid,
                                 high_id(a[0]), high_id(a[1]), high_id(a[2])));
    } else if (IS("getresuid") || IS("getresgid")) {
        *r = get_ids16(IS("getresuid") ? SYS_getresuid : SYS_getresgid,
                       a[0], a[1], a[2], IS("getresgid"));
    } else if (IS("chown") || IS("lchown")) {
        *r = host_result(syscall(IS("chown") ? SYS_chown : SYS_lchown, P(a[0]),
                                 high_id(a[1]), high_id(a[2])));
    } else if (IS("fchown")) {
        *r = host_result(syscall(SYS_fchown, (int)a[0], high_id(a[1]),
                                 high_id(a[2])));
    } else if (IS("getgroups")) {
        *r = sys_getgroups16(a[0], a[1]);
    } else if (IS("setgroups")) {
        *r = sys_setgroups16(a[0], a[1]);
    } else {
        return false;
    }
#undef IS
    return true;
}

/* ---- robust futex lists (struct robust_list_head of 32-bit words:
 * next, futex_offset, list_op_pending) ---- */

enum { ROBUST_HEAD_LEN = 12, ROBUST_LIMIT = 2048 };

static __thread uint32_t robust_head;
static GMutex robust_lock;
static GHashTable *robust_heads;    /* tid -> head, for get_robust_list */

static int64_t sys_set_robust_list(uint32_t head, uint32_t len)
{
    if (len != ROBUST_HEAD_LEN) {
        return -EINVAL;
    }
    robust_head = head;
    g_mutex_lock(&robust_lock);
    if (!robust_heads) {
        robust_heads = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    g_hash_table_insert(robust_heads, GINT_TO_POINTER(gettid()),
                        GUINT_TO_POINTER(head));
    g_mutex_unlock(&robust_lock);
    return 0;
}

static int64_t sys_get_robust_list(int pid, uint32_t head_ptr, uint32_t len_ptr)
{
    uint32_t head = robust_head;
    if (pid && pid != gettid()) {
        gpointer v = NULL;
        g_mutex_lock(&robust_lock);
        bool found = robust_heads &&
            g_hash_table_lookup_extended(robust_heads, GINT_TO_POINTER(pid),
                                         NULL, &v);
        g_mutex_unlock(&robust_lock);
        if (!found) {
            return -ESRCH;
        }
        head = GPOINTER_TO_UINT(v);
    }
    uint32_t len = ROBUST_HEAD_LEN;
    memcpy(P(len_ptr), &len, 4);
    memcpy(P(head_ptr), &head, 4);
    return 0;
}

/* A forked child starts without a robust list, as with the kernel */
void user_i386_robust_forget(void)
{
    robust_head = 0;
}

/* The owner died holding the lock word at uaddr: as the kernel does, mark
 * it FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and wake one waiter. */
static void futex_owner_died(uint32_t uaddr, uint32_t tid, bool pi, bool pending)
{
    uint32_t *w = P(uaddr);
    uint32_t v = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    for (;;) {
        if (pending && !pi && v == 0) {
            break;          /* died between lock and list update: wake */
        }
        if ((v & FUTEX_TID_MASK) != tid) {
            return;
        }
        uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (__atomic_compare_exchange_n(w, &v, nv, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            if (pi || !(v & FUTEX_WAITERS)) {
                return;
            }
            break;
        }
    }
    syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* At thread exit (and exit_group): every lock on the guest's list.  Bit 0
 * of an entry pointer marks a PI futex.  Runs under the syscall fault
 * guard: a broken list ends the walk. */
void user_i386_robust_exit(void)
{
    uint32_t head = robust_head;
    if (!head) {
        return;
    }
    robust_head = 0;
    pid_t tid = gettid();
    g_mutex_lock(&robust_lock);
    g_hash_table_remove(robust_heads, GINT_TO_POINTER(tid));
    g_mutex_unlock(&robust_lock);
    sigjmp_buf fault, *outer = user_syscall_fault;
    if (sigsetjmp(fault, 0)) {
        user_syscall_fault = outer;
        return;
    }
    user_syscall_fault = &fault;
    const uint32_t *h = P(head);
    uint32_t entry = h[0], pending = h[2];
    int32_t offset = (int32_t)h[1];
    for (int n = 0; entry != head && n < ROBUST_LIMIT; n++) {
        uint32_t next = *(uint32_t *)P(entry & ~1u);
        if ((entry & ~1u) != (pending & ~1u)) {
            futex_owner_died((entry & ~1u) + (uint32_t)offset, (uint32_t)tid,
                             entry & 1, false);
        }
        entry = next;
    }
    if (pending) {
        futex_owner_died((pending & ~1u) + (uint32_t)offset, (uint32_t)tid,
                         pending & 1, true);
    }
    user_syscall_fault = outer;
}

/* ---- 32-bit siginfo, sigsets and times ---- */

/* compat siginfo from the guest: signo, errno, code, then two ints and a
 * 4-byte sigval (kill, sigqueue, timers) */
static void siginfo_in(uint32_t g, siginfo_t *info)
{
    const uint8_t *s = P(g);
    uint8_t *d = (uint8_t *)info;
    memset(info, 0, sizeof(*info));
    memcpy(d, s, 12);
    memcpy(d + 16, s + 12, 8);
    uint32_t val;
    memcpy(&val, s + 20, 4);
    uint64_t v64 = val;
    memcpy(d + 24, &v64, 8);
}

static int64_t ts32_out(uint32_t a, const struct timespec *ts)
{
    int32_t w[2] = { (int32_t)ts->tv_sec, (int32_t)ts->tv_nsec };
    memcpy(P(a), w, sizeof(w));
    return 0;
}

static struct timespec ts32_in(uint32_t a)
{
    int32_t w[2];
    memcpy(w, P(a), sizeof(w));
    return (struct timespec){ w[0], w[1] };
}

static int64_t sys_utimes_at(int dirfd, uint32_t path, const struct timeval *tv)
{
    struct timespec ts[2];
    for (int i = 0; tv && i < 2; i++) {
        ts[i] = (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
    }
    return host_result(utimensat(dirfd, P(path), tv ? ts : NULL, 0));
}

static bool time_call(EmuJitCpu *cpu, const char *n, const uint32_t a[6],
                      int64_t *r)
{
#define IS(x) (!strcmp(n, x))
    struct timespec ts;
    if (IS("utime")) {              /* struct utimbuf: actime, modtime */
        struct timeval tv[2] = { { 0, 0 }, { 0, 0 } };
        if (a[1]) {
            tv[0].tv_sec = ((int32_t *)P(a[1]))[0];
            tv[1].tv_sec = ((int32_t *)P(a[1]))[1];
        }
        *r = sys_utimes_at(AT_FDCWD, a[0], a[1] ? tv : NULL);
    } else if (IS("futimesat")) {
        struct timeval tv[2];
        for (int i = 0; a[2] && i < 2; i++) {
            const int32_t *w = (const int32_t *)P(a[2]) + 2 * i;
            tv[i] = (struct timeval){ w[0], w[1] };
        }
        *r = sys_utimes_at((int)a[0], a[1], a[2] ? tv : NULL);
    } else if (IS("sched_rr_get_interval")) {
        *r = host_result(sched_rr_get_interval((pid_t)a[0], &ts));
        if (*r == 0) {
            ts32_out(a[1], &ts);
        }
    } else if (IS("clock_settime")) {
        ts = ts32_in(a[1]);
        *r = host_result(clock_settime((clockid_t)a[0], &ts));
    } else if (IS("settimeofday")) {
        struct timeval tv;
        if (a[0]) {
            ts = ts32_in(a[0]);
            tv = (struct timeval){ ts.tv_sec, ts.tv_nsec };
        }
        *r = host_result(syscall(SYS_settimeofday, a[0] ? &tv : NULL,
                                 a[1] ? P(a[1]) : NULL));
    } else if (IS("sigpending")) {
        uint64_t set = 0;
        *r = user_syscall(cpu, SYS_rt_sigpending, (uint64_t)(uintptr_t)&set,
                          8, 0, 0, 0, 0);
        if (*r == 0) {
            memcpy(P(a[0]), &set, 4);
        }
    } else if (IS("sigsuspend")) {  /* (unused, unused, old_sigset_t) */
        uint64_t set = a[2];
        *r = user_syscall(cpu, SYS_rt_sigsuspend, (uint64_t)(uintptr_t)&set,
                          8, 0, 0, 0, 0);
    } else {
        return false;
    }
#undef IS
    return true;
}

bool user_i386_compat(EmuJitCpu *cpu, const char *n, const uint32_t a[6],
                      int64_t *r)
{
#define IS(x) (!strcmp(n, x))
    siginfo_t info;
    if (IS("getdents")) {
        *r = sys_getdents((int)a[0], a[1], a[2]);
    } else if (IS("set_robust_list")) {
        *r = sys_set_robust_list(a[0], a[1]);
    } else if (IS("get_robust_list")) {
        *r = sys_get_robust_list((int)a[0], a[1], a[2]);
    } else if (IS("rt_sigqueueinfo")) {
        siginfo_in(a[2], &info);
        *r = host_result(syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], (int)a[1],
                                 &info));
    } else if (IS("rt_tgsigqueueinfo")) {
        siginfo_in(a[3], &info);
        *r = host_result(syscall(SYS_rt_tgsigqueueinfo, (pid_t)a[0],
                                 (pid_t)a[1], (int)a[2], &info));
    } else if (IS("sync_file_range")) {
        *r = host_result(sync_file_range((int)a[0],
                                         (off_t)(((uint64_t)a[2] << 32) | a[1]),
                                         (off_t)(((uint64_t)a[4] << 32) | a[3]),
                                         a[5]));
    } else {
        return uid16_call(n, a, r) || time_call(cpu, n, a, r);
    }
#undef IS
    return true;
}
