/*
 * SysV IPC and POSIX message queues for i386 guests.
 *
 * Both come through the ipc(2) multiplexer (Debian's 32-bit glibc uses
 * it) and through their own i386 numbers.  Only the structures with
 * longs, times or pointers in them differ from x86_64: the *_ds control
 * structures (the i386 kernel's ipc64 forms, 32-bit words with each time
 * split in low and high halves), shminfo64 and shm_info, the message
 * buffer's mtype, and struct mq_attr; they are converted field by field
 * from a table.  shmat goes through mmap.c, which knows the guest's map.
 * Only the IPC_64 forms of the control structures are converted (glibc
 * always asks for them); the old ones fail with EINVAL.
 */
#include "config.h"
#include "user.h"
#include <errno.h>
#include <linux/ipc.h>
#include <linux/msg.h>
#include <linux/sem.h>
#include <linux/shm.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define P(a) g2h(a)

/* One field: where it is in the x86_64 structure and its size there,
 * where it is in the i386 one and its size there (8: a time as low and
 * high 32-bit words). */
typedef struct Field {
    uint8_t host_off, host_size, guest_off, guest_size;
} Field;

#define PERM_FIELDS \
    { 0, 4, 0, 4 }, { 4, 4, 4, 4 }, { 8, 4, 8, 4 }, { 12, 4, 12, 4 }, \
    { 16, 4, 16, 4 }, { 20, 4, 20, 2 }, { 24, 2, 24, 2 }

static const Field shmid_fields[] = {
    PERM_FIELDS, { 48, 8, 36, 4 }, { 56, 8, 40, 8 }, { 64, 8, 48, 8 },
    { 72, 8, 56, 8 }, { 80, 4, 64, 4 }, { 84, 4, 68, 4 }, { 88, 8, 72, 4 },
};
static const Field semid_fields[] = {
    PERM_FIELDS, { 48, 8, 36, 8 }, { 64, 8, 44, 8 }, { 80, 8, 52, 4 },
};
static const Field msqid_fields[] = {
    PERM_FIELDS, { 48, 8, 36, 8 }, { 56, 8, 44, 8 }, { 64, 8, 52, 8 },
    { 72, 8, 60, 4 }, { 80, 8, 64, 4 }, { 88, 8, 68, 4 }, { 96, 4, 72, 4 },
    { 100, 4, 76, 4 },
};
static const Field shminfo_fields[] = {    /* nine unsigned longs */
    { 0, 8, 0, 4 }, { 8, 8, 4, 4 }, { 16, 8, 8, 4 }, { 24, 8, 12, 4 },
    { 32, 8, 16, 4 },
};
static const Field shm_info_fields[] = {   /* an int, five unsigned longs */
    { 0, 4, 0, 4 }, { 8, 8, 4, 4 }, { 16, 8, 8, 4 }, { 24, 8, 12, 4 },
    { 32, 8, 16, 4 }, { 40, 8, 20, 4 },
};
static const Field mq_attr_fields[] = {    /* four longs */
    { 0, 8, 0, 4 }, { 8, 8, 4, 4 }, { 16, 8, 8, 4 }, { 24, 8, 12, 4 },
};

typedef struct Layout {
    const Field *f;
    size_t n, host_size, guest_size;
    bool ipc64;                 /* the i386 form asked for with IPC_64 */
} Layout;
#define LAYOUT(t, hs, gs, v) { t, G_N_ELEMENTS(t), hs, gs, v }

static const Layout shmid_layout = LAYOUT(shmid_fields, 112, 84, true);
static const Layout semid_layout = LAYOUT(semid_fields, 104, 64, true);
static const Layout msqid_layout = LAYOUT(msqid_fields, 120, 88, true);
static const Layout shminfo_layout = LAYOUT(shminfo_fields, 72, 36, true);
static const Layout shm_info_layout = LAYOUT(shm_info_fields, 48, 24, false);
static const Layout mq_attr_layout = LAYOUT(mq_attr_fields, 64, 32, false);

static void to_guest(const Layout *l, const uint8_t *h, uint32_t g)
{
    uint8_t *d = P(g);
    memset(d, 0, l->guest_size);
    for (size_t i = 0; i < l->n; i++) {
        const Field *f = &l->f[i];
        uint64_t v = 0;
        memcpy(&v, h + f->host_off, f->host_size);
        memcpy(d + f->guest_off, &v, f->guest_size);
    }
}

static void from_guest(const Layout *l, uint32_t g, uint8_t *h)
{
    const uint8_t *s = P(g);
    memset(h, 0, l->host_size);
    for (size_t i = 0; i < l->n; i++) {
        const Field *f = &l->f[i];
        uint64_t v = 0;
        memcpy(&v, s + f->guest_off, f->guest_size);
        memcpy(h + f->host_off, &v, f->host_size);
    }
}

static int64_t host_result(long r)
{
    return r < 0 ? -errno : r;
}

/* The control calls: which layout the command's buffer has (NULL: the
 * argument passes as is), and whether it is read, written or both. */
enum { BUF_NONE, BUF_IN, BUF_OUT };

static int64_t ctl_call(long nr, int id, int semnum, int cmd, uint32_t arg,
                        const Layout *l, int dir)
{
    if (dir != BUF_NONE && l->ipc64 && !(cmd & IPC_64)) {
        return -EINVAL;         /* the old (pre-ipc64) structures */
    }
    cmd &= ~IPC_64;
    uint8_t buf[128] __attribute__((aligned(8)));
    unsigned long harg = dir == BUF_NONE ? arg : (unsigned long)buf;
    if (dir == BUF_IN) {
        from_guest(l, arg, buf);
    }
    long r = nr == SYS_semctl ? syscall(nr, id, semnum, cmd, harg)
                              : syscall(nr, id, cmd, harg);
    if (r >= 0 && dir == BUF_OUT) {
        to_guest(l, buf, arg);
    }
    return host_result(r);
}

static int64_t sys_shmctl(int id, int cmd, uint32_t buf)
{
    switch (cmd & ~IPC_64) {
    case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY:
        return ctl_call(SYS_shmctl, id, 0, cmd, buf, &shmid_layout, BUF_OUT);
    case IPC_SET:
        return ctl_call(SYS_shmctl, id, 0, cmd, buf, &shmid_layout, BUF_IN);
    case IPC_INFO:
        return ctl_call(SYS_shmctl, id, 0, cmd, buf, &shminfo_layout, BUF_OUT);
    case SHM_INFO:
        return ctl_call(SYS_shmctl, id, 0, cmd, buf, &shm_info_layout, BUF_OUT);
    default:
        return ctl_call(SYS_shmctl, id, 0, cmd, buf, NULL, BUF_NONE);
    }
}

/* arg is the union semun itself: a value or a guest pointer */
static int64_t sys_semctl(int id, int num, int cmd, uint32_t arg)
{
    switch (cmd & ~IPC_64) {
    case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY:
        return ctl_call(SYS_semctl, id, num, cmd, arg, &semid_layout, BUF_OUT);
    case IPC_SET:
        return ctl_call(SYS_semctl, id, num, cmd, arg, &semid_layout, BUF_IN);
    case GETALL: case SETALL: case IPC_INFO: case SEM_INFO:
        /* unsigned short arrays and all-int structures: same layout */
        return host_result(syscall(SYS_semctl, id, num, cmd & ~IPC_64, P(arg)));
    default:
        return ctl_call(SYS_semctl, id, num, cmd, arg, NULL, BUF_NONE);
    }
}

static int64_t sys_msgctl(int id, int cmd, uint32_t buf)
{
    switch (cmd & ~IPC_64) {
    case IPC_STAT: case MSG_STAT: case MSG_STAT_ANY:
        return ctl_call(SYS_msgctl, id, 0, cmd, buf, &msqid_layout, BUF_OUT);
    case IPC_SET:
        return ctl_call(SYS_msgctl, id, 0, cmd, buf, &msqid_layout, BUF_IN);
    case IPC_INFO: case MSG_INFO:       /* struct msginfo: ints */
        return host_result(syscall(SYS_msgctl, id, cmd & ~IPC_64, P(buf)));
    default:
        return ctl_call(SYS_msgctl, id, 0, cmd, buf, NULL, BUF_NONE);
    }
}

/* struct msgbuf: a long mtype (4 bytes on i386), then the text */
static int64_t sys_msgsnd(int id, uint32_t msgp, uint32_t size, int flags)
{
    if ((int32_t)size < 0) {
        return -EINVAL;
    }
    uint8_t *m = g_try_malloc(8 + (size_t)size);
    if (!m) {
        return -ENOMEM;
    }
    int64_t type = *(int32_t *)P(msgp);
    memcpy(m, &type, 8);
    memcpy(m + 8, (uint8_t *)P(msgp) + 4, size);
    long r = syscall(SYS_msgsnd, id, m, size, flags);
    int e = errno;
    g_free(m);
    return r < 0 ? -e : r;
}

static int64_t sys_msgrcv(int id, uint32_t msgp, uint32_t size, int32_t type,
                          int flags)
{
    if ((int32_t)size < 0) {
        return -EINVAL;
    }
    uint8_t *m = g_try_malloc(8 + (size_t)size);
    if (!m) {
        return -ENOMEM;
    }
    long r = syscall(SYS_msgrcv, id, m, size, (long)type, flags);
    int e = errno;
    if (r >= 0) {
        int64_t t;
        memcpy(&t, m, 8);
        *(int32_t *)P(msgp) = (int32_t)t;
        memcpy((uint8_t *)P(msgp) + 4, m + 8, (size_t)r);
    }
    g_free(m);
    return r < 0 ? -e : r;
}

static int64_t sys_semtimedop(int id, uint32_t sops, uint32_t n, uint32_t ts32)
{
    struct timespec ts;
    if (ts32) {
        int32_t w[2];
        memcpy(w, P(ts32), sizeof(w));
        ts = (struct timespec){ w[0], w[1] };
    }
    return host_result(syscall(SYS_semtimedop, id, P(sops), n,
                               ts32 ? &ts : NULL));
}

/* shmat through ipc(2) returns 0 and stores the address at *third */
static int64_t ipc_shmat(int id, uint32_t addr, int flags, uint32_t result,
                         int version)
{
    if (version == 1) {
        return -EINVAL;         /* the iBCS2 form, not for 32-bit x86 */
    }
    int64_t r = user_shmat(id, addr, flags);
    if (r >= 0) {
        *(uint32_t *)P(result) = (uint32_t)r;
        r = 0;
    }
    return r;
}

/* ipc(call, first, second, third, ptr, fifth); the call numbers are
 * those of linux/ipc.h */
static int64_t sys_ipc(const uint32_t a[6])
{
    int call = (int)(a[0] & 0xffff), version = (int)(a[0] >> 16);
    int first = (int)a[1], second = (int)a[2], third = (int)a[3];
    uint32_t ptr = a[4], fifth = a[5];
    switch (call) {
    case SEMOP: return sys_semtimedop(first, ptr, (uint32_t)second, 0);
    case SEMTIMEDOP: return sys_semtimedop(first, ptr, (uint32_t)second, fifth);
    case SEMGET: return host_result(syscall(SYS_semget, first, second, third));
    case SEMCTL:
        if (!ptr) {
            return -EINVAL;
        }
        return sys_semctl(first, second, third, *(uint32_t *)P(ptr));
    case MSGSND: return sys_msgsnd(first, ptr, (uint32_t)second, third);
    case MSGRCV:
        if (version == 0) {     /* ptr: { msgp, msgtyp } */
            uint32_t k[2];
            memcpy(k, P(ptr), sizeof(k));
            return sys_msgrcv(first, k[0], (uint32_t)second, (int32_t)k[1],
                              third);
        }
        return sys_msgrcv(first, ptr, (uint32_t)second, (int32_t)fifth, third);
    case MSGGET: return host_result(syscall(SYS_msgget, first, second));
    case MSGCTL: return sys_msgctl(first, second, ptr);
    case SHMAT: return ipc_shmat(first, ptr, second, a[3], version);
    case SHMDT: return user_shmdt(ptr);
    case SHMGET: return host_result(syscall(SYS_shmget, first, second, third));
    case SHMCTL: return sys_shmctl(first, second, ptr);
    default: return -ENOSYS;
    }
}

/* ---- POSIX message queues ---- */

static int64_t sys_mq_open(uint32_t name, int flags, uint32_t mode,
                           uint32_t attr)
{
    uint8_t h[64] __attribute__((aligned(8)));
    if (attr) {
        from_guest(&mq_attr_layout, attr, h);
    }
    return host_result(syscall(SYS_mq_open, P(name), flags, mode,
                               attr ? h : NULL));
}

static int64_t sys_mq_getsetattr(int mqd, uint32_t nattr, uint32_t oattr)
{
    uint8_t n[64] __attribute__((aligned(8))), o[64] __attribute__((aligned(8)));
    if (nattr) {
        from_guest(&mq_attr_layout, nattr, n);
    }
    long r = syscall(SYS_mq_getsetattr, mqd, nattr ? n : NULL, oattr ? o : NULL);
    if (r >= 0 && oattr) {
        to_guest(&mq_attr_layout, o, oattr);
    }
    return host_result(r);
}

static struct timespec *ts32_in(uint32_t a, struct timespec *ts)
{
    if (!a) {
        return NULL;
    }
    int32_t w[2];
    memcpy(w, P(a), sizeof(w));
    *ts = (struct timespec){ w[0], w[1] };
    return ts;
}

static int64_t sys_mq_notify(int mqd, uint32_t gev)
{
    struct sigevent ev;
    if (gev) {
        user_i386_sigevent(gev, &ev);
    }
    return host_result(syscall(SYS_mq_notify, mqd, gev ? &ev : NULL));
}

bool user_i386_ipc(const char *n, const uint32_t a[6], int64_t *r)
{
    struct timespec ts;
#define IS(x) (!strcmp(n, x))
    if (IS("ipc")) {
        *r = sys_ipc(a);
    } else if (IS("shmat")) {
        *r = user_shmat((int)a[0], a[1], (int)a[2]);
    } else if (IS("shmdt")) {
        *r = user_shmdt(a[0]);
    } else if (IS("shmctl")) {
        *r = sys_shmctl((int)a[0], (int)a[1], a[2]);
    } else if (IS("semctl")) {
        *r = sys_semctl((int)a[0], (int)a[1], (int)a[2], a[3]);
    } else if (IS("msgctl")) {
        *r = sys_msgctl((int)a[0], (int)a[1], a[2]);
    } else if (IS("msgsnd")) {
        *r = sys_msgsnd((int)a[0], a[1], a[2], (int)a[3]);
    } else if (IS("msgrcv")) {
        *r = sys_msgrcv((int)a[0], a[1], a[2], (int32_t)a[3], (int)a[4]);
    } else if (IS("mq_open")) {
        *r = sys_mq_open(a[0], (int)a[1], a[2], a[3]);
    } else if (IS("mq_getsetattr")) {
        *r = sys_mq_getsetattr((int)a[0], a[1], a[2]);
    } else if (IS("mq_notify")) {
        *r = sys_mq_notify((int)a[0], a[1]);
    } else if (IS("mq_timedsend")) {
        *r = host_result(syscall(SYS_mq_timedsend, (int)a[0], P(a[1]), a[2],
                                 a[3], ts32_in(a[4], &ts)));
    } else if (IS("mq_timedreceive")) {
        *r = host_result(syscall(SYS_mq_timedreceive, (int)a[0], P(a[1]),
                                 a[2], a[3] ? P(a[3]) : NULL,
                                 ts32_in(a[4], &ts)));
    } else {
        return false;
    }
#undef IS
    return true;
}
