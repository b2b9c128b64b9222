/*
 * i386 calls whose structures differ from x86_64's and that only the old
 * ABI has: SysV shared memory, semaphores and message queues (IPC_STAT
 * structures, data shared with a forked child), POSIX message queues
 * (mq_attr, priorities, timed receive), the direct i386 IPC numbers
 * besides glibc's ipc(2) multiplexer, the old getdents,
 * the 16-bit uid calls with ids above 65535, sigqueue's siginfo,
 * preadv2.  Every line is deterministic, so an oracle (qemu-i386) must
 * print the same.  Built by i386.sh with gcc -m32; argv[1] is a scratch
 * directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void shm(void)
{
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0640);
    char *p = shmat(id, NULL, 0);
    printf("shmat %s\n", p == (void *)-1 ? strerror(errno) : "ok");
    if (p == (void *)-1) {
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(p + 9000, "written by the child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("shared: %s\n", p + 9000);
    struct shmid_ds ds;
    int r = shmctl(id, IPC_STAT, &ds);
    printf("IPC_STAT %d size %zu nattch %lu mode %o attached %d cpid-is-me %d\n",
           r, ds.shm_segsz, (unsigned long)ds.shm_nattch,
           ds.shm_perm.mode & 0777, ds.shm_atime != 0, ds.shm_cpid == getpid());
    ds.shm_perm.mode = 0600;
    printf("IPC_SET %d\n", shmctl(id, IPC_SET, &ds));
    shmctl(id, IPC_STAT, &ds);
    printf("mode now %o\n", ds.shm_perm.mode & 0777);
    struct shminfo info;
    printf("IPC_INFO ok %d shmmni>0 %d\n", shmctl(id, IPC_INFO, (void *)&info) >= 0,
           info.shmmni > 0);
    printf("shmdt %d\n", shmdt(p));
    shmctl(id, IPC_STAT, &ds);
    printf("nattch after shmdt %lu\n", (unsigned long)ds.shm_nattch);
    printf("IPC_RMID %d\n", shmctl(id, IPC_RMID, NULL));
    /* the address is usable again, and a second segment maps */
    id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    p = shmat(id, NULL, SHM_RDONLY);
    printf("read-only shmat %s, reads %d\n", p == (void *)-1 ? "failed" : "ok",
           p == (void *)-1 ? -1 : p[0]);
    shmdt(p);
    shmctl(id, IPC_RMID, NULL);
}

/* the i386 direct numbers (glibc uses the ipc multiplexer) */
static void direct_calls(void)
{
    struct { long type; char text[8]; } m = { 5, "direct" }, in = { 0, "" };
    int id = (int)syscall(SYS_shmget, IPC_PRIVATE, 5000, IPC_CREAT | 0600);
    long addr = syscall(SYS_shmat, id, 0, 0);
    struct shmid_ds ds;
    long r = syscall(SYS_shmctl, id, IPC_STAT | 0x100, &ds);
    printf("direct shmat %s, shmctl %ld size %zu nattch %lu\n",
           addr == -1 ? "failed" : "ok", r, ds.shm_segsz,
           (unsigned long)ds.shm_nattch);
    printf("direct shmdt %ld, IPC_RMID %ld\n", syscall(SYS_shmdt, addr),
           syscall(SYS_shmctl, id, IPC_RMID | 0x100, NULL));
    id = (int)syscall(SYS_msgget, IPC_PRIVATE, IPC_CREAT | 0600);
    r = syscall(SYS_msgsnd, id, &m, 7, 0);
    long n = syscall(SYS_msgrcv, id, &in, sizeof(in.text), 0, 0);
    printf("direct msgsnd %ld msgrcv %ld: %ld %s\n", r, n, in.type, in.text);
    syscall(SYS_msgctl, id, IPC_RMID | 0x100, NULL);
    id = (int)syscall(SYS_semget, IPC_PRIVATE, 1, IPC_CREAT | 0600);
    r = syscall(SYS_semctl, id, 0, SETVAL | 0x100, 9);
    printf("direct semctl SETVAL %ld GETVAL %ld\n", r,
           syscall(SYS_semctl, id, 0, GETVAL | 0x100, 0));
    syscall(SYS_semctl, id, 0, IPC_RMID | 0x100, 0);
}

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void sem(void)
{
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    unsigned short init[3] = { 1, 5, 0 };
    printf("SETALL %d\n", semctl(id, 0, SETALL, (union semun){ .array = init }));
    struct sembuf ops[2] = { { 1, -2, 0 }, { 2, 3, 0 } };
    printf("semop %d\n", semop(id, ops, 2));
    unsigned short got[3];
    semctl(id, 0, GETALL, (union semun){ .array = got });
    printf("values %u %u %u GETVAL(1) %d\n", got[0], got[1], got[2],
           semctl(id, 1, GETVAL));
    struct timespec t = { 0, 20 * 1000 * 1000 };
    struct sembuf wait0 = { 2, -10, 0 };
    int r = semtimedop(id, &wait0, 1, &t);
    printf("semtimedop %d %s\n", r, r ? strerror(errno) : "");
    struct semid_ds ds;
    r = semctl(id, 0, IPC_STAT, (union semun){ .buf = &ds });
    printf("IPC_STAT %d nsems %lu mode %o otime-set %d\n", r,
           (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777, ds.sem_otime != 0);
    printf("IPC_RMID %d\n", semctl(id, 0, IPC_RMID));
}

struct msg { long type; char text[32]; };

static void msg(void)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msg a = { 7, "seven" }, b = { 3, "three" }, in;
    printf("msgsnd %d %d\n", msgsnd(id, &a, 6, 0), msgsnd(id, &b, 6, 0));
    struct msqid_ds ds;
    int r = msgctl(id, IPC_STAT, &ds);
    printf("IPC_STAT %d qnum %lu cbytes %lu qbytes>0 %d\n", r,
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           ds.msg_qbytes > 0);
    ssize_t n = msgrcv(id, &in, sizeof(in.text), 3, 0);
    printf("msgrcv type 3: %zd %ld %s\n", n, in.type, in.text);
    n = msgrcv(id, &in, sizeof(in.text), 0, 0);
    printf("msgrcv any: %zd %ld %s\n", n, in.type, in.text);
    n = msgrcv(id, &in, sizeof(in.text), 0, IPC_NOWAIT);
    printf("msgrcv empty: %zd %s\n", n, strerror(errno));
    ds.msg_qbytes = 1000;
    printf("IPC_SET %d\n", msgctl(id, IPC_SET, &ds));
    msgctl(id, IPC_STAT, &ds);
    printf("qbytes now %lu\n", (unsigned long)ds.msg_qbytes);
    printf("IPC_RMID %d\n", msgctl(id, IPC_RMID, NULL));
}

static void mq(void)
{
    char name[64];
    snprintf(name, sizeof(name), "/emu-ipc32-%d", getpid());
    struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 }, got;
    mqd_t q = mq_open(name, O_CREAT | O_RDWR | O_EXCL, 0600, &attr);
    if (q == (mqd_t)-1) {
        printf("mq_open: %s\n", strerror(errno));
        return;
    }
    mq_getattr(q, &got);
    printf("mq_attr maxmsg %ld msgsize %ld curmsgs %ld\n", got.mq_maxmsg,
           got.mq_msgsize, got.mq_curmsgs);
    printf("mq_send %d %d\n", mq_send(q, "low", 4, 1), mq_send(q, "high", 5, 9));
    mq_getattr(q, &got);
    printf("curmsgs %ld\n", got.mq_curmsgs);
    char buf[64];
    unsigned prio;
    ssize_t n = mq_receive(q, buf, sizeof(buf), &prio);
    printf("mq_receive %zd %s prio %u\n", n, buf, prio);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    n = mq_timedreceive(q, buf, sizeof(buf), &prio, &t);
    printf("mq_timedreceive %zd %s prio %u\n", n, buf, prio);
    n = mq_timedreceive(q, buf, sizeof(buf), &prio, &t);
    printf("mq_timedreceive empty %zd %s\n", n, strerror(errno));
    struct mq_attr nb = { .mq_flags = O_NONBLOCK }, old;
    mq_setattr(q, &nb, &old);
    mq_getattr(q, &got);
    printf("mq_setattr old flags %lx new %lx\n", old.mq_flags, got.mq_flags);
    mq_close(q);
    printf("mq_unlink %d\n", mq_unlink(name));
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* old getdents: struct linux_dirent with 32-bit inode and offset */
static void getdents_old(const char *dir)
{
    char path[512];
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "%s/file-%02d", dir, i);
        close(open(path, O_CREAT | O_WRONLY, 0600));
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[256], *names[64];
    int count = 0, calls = 0, types_ok = 1;
    long n;
    /* a small buffer: several calls, each continuing where the last ended */
    while ((n = syscall(SYS_getdents, fd, buf, sizeof(buf))) > 0) {
        calls++;
        for (long at = 0; at < n;) {
            unsigned short reclen;
            memcpy(&reclen, buf + at + 8, 2);
            char *name = buf + at + 10;
            char type = buf[at + reclen - 1];
            if (strncmp(name, "file-", 5) == 0 && count < 64) {
                names[count++] = strdup(name);
                types_ok &= type == DT_REG;
            }
            at += reclen;
        }
    }
    qsort(names, (size_t)count, sizeof(names[0]), cmp);
    printf("getdents: %ld, %d files, first %s last %s, several calls %d, "
           "types %d\n", n, count, count ? names[0] : "-",
           count ? names[count - 1] : "-", calls > 1, types_ok);
    close(fd);
}

/* 16-bit ids: 0xffff means "unchanged"; ids above 65535 read as 65534 */
static void uid16(const char *dir)
{
    if (geteuid() != 0) {
        printf("uid16: not root, skipped\n");
        return;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/owned", dir);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    long r = syscall(SYS_chown, path, 0xffff, 1234);
    struct stat st;
    stat(path, &st);
    printf("chown16(-1, 1234) %ld: uid %u gid %u\n", r, st.st_uid, st.st_gid);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned short g16[4];
        gid_t groups[2] = { 70000, 7 };
        setgroups(2, groups);
        long n = syscall(SYS_getgroups, 4, g16);
        printf("getgroups16 %ld: %u %u\n", n, g16[0], g16[1]);
        syscall(SYS_setresgid32, 100000, 100000, 100000);
        syscall(SYS_setresuid32, 100001, 100001, 2000);
        unsigned short a, b, c;
        syscall(SYS_getresuid, &a, &b, &c);
        printf("getuid16 %ld geteuid16 %ld getgid16 %ld getuid32 %ld "
               "getresuid16 %u %u %u\n", syscall(SYS_getuid),
               syscall(SYS_geteuid), syscall(SYS_getgid),
               syscall(SYS_getuid32), a, b, c);
        r = syscall(SYS_setreuid, 0xffff, 2000);
        printf("setreuid16(-1, 2000) %ld: euid %ld uid %ld\n", r,
               syscall(SYS_geteuid32), syscall(SYS_getuid32));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void misc(const char *dir)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);
    printf("sigqueue %d\n", sigqueue(getpid(), SIGUSR2,
                                     (union sigval){ .sival_int = -77 }));
    siginfo_t si;
    int sig = sigwaitinfo(&block, &si);
    printf("sigwaitinfo %d code %d value %d pid-is-me %d\n", sig, si.si_code,
           si.si_value.sival_int, si.si_pid == getpid());
    char path[512];
    snprintf(path, sizeof(path), "%s/v2", dir);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    char a[4] = "abc", b[4] = "XYZ";
    struct iovec iov[2] = { { a, 3 }, { b, 3 } };
    printf("pwritev2 %zd\n", pwritev2(fd, iov, 2, 5000000000ll & 0x7fffffff, 0));
    char in[7] = { 0 };
    struct iovec rio = { in, 6 };
    printf("preadv2 %zd %s\n", preadv2(fd, &rio, 1, 5000000000ll & 0x7fffffff, 0),
           in);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ipc32 scratch-dir\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    shm();
    sem();
    msg();
    direct_calls();
    mq();
    getdents_old(argv[1]);
    uid16(argv[1]);
    misc(argv[1]);
    return 0;
}
