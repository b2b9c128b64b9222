/*
 * Kernel ABI details whose output does not depend on the architecture,
 * so the native x86_64 run is the oracle for emu-x86_64 and for the same
 * source built with -m32 under emu-i386:
 * - recvmmsg's timeout, as the kernel applies it: checked after each
 *   datagram (a call with datagrams missing returns once one arrives
 *   after the deadline), the time left written back, a zero timeout,
 *   MSG_WAITFORONE;
 * - SysV shared memory attached twice in one process and shared with a
 *   forked child, and attached over a mapping with SHM_REMAP;
 * - vfork: posix_spawn of a missing program fails in the parent with
 *   ENOENT, and what a vfork child writes into its parent's stack frame
 *   before _exit is seen there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { VLEN = 5 };

static int recv_some(int fd, int flags, struct timespec *t, char got[VLEN][8])
{
    struct mmsghdr v[VLEN];
    struct iovec iov[VLEN];
    memset(v, 0, sizeof(v));
    for (int i = 0; i < VLEN; i++) {
        memset(got[i], 0, 8);
        iov[i] = (struct iovec){ got[i], 7 };
        v[i].msg_hdr.msg_iov = &iov[i];
        v[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, v, VLEN, flags, t);
    for (int i = 0; i < n; i++) {
        if (v[i].msg_len != strlen(got[i])) {
            printf("msg_len %u for '%s'\n", v[i].msg_len, got[i]);
        }
    }
    return n;
}

static void recvmmsg_timeout(void)
{
    int sv[2];
    char got[VLEN][8];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "two", 3, 0);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(400 * 1000);
        send(sv[0], "late", 4, 0);
        _exit(0);
    }
    /* two at once, then it blocks for a third; that one comes after the
     * 200 ms deadline, which ends the call */
    struct timespec t = { 0, 200 * 1000 * 1000 };
    int n = recv_some(sv[1], 0, &t, got);
    printf("recvmmsg with 200 ms: %d (%s %s %s), time left %ld.%09ld\n", n,
           got[0], got[1], got[2], (long)t.tv_sec, t.tv_nsec);
    waitpid(pid, NULL, 0);

    send(sv[0], "a", 1, 0);
    send(sv[0], "b", 1, 0);
    t = (struct timespec){ 10, 0 };
    n = recv_some(sv[1], MSG_WAITFORONE, &t, got);
    printf("MSG_WAITFORONE: %d (%s %s), time left in (9 s, 10 s): %d\n", n,
           got[0], got[1], t.tv_sec == 9);

    send(sv[0], "x", 1, 0);
    send(sv[0], "y", 1, 0);
    t = (struct timespec){ 0, 0 };
    n = recv_some(sv[1], 0, &t, got);
    printf("zero timeout: %d (%s)\n", n, got[0]);
    n = recv_some(sv[1], MSG_DONTWAIT, &t, got);
    printf("then MSG_DONTWAIT: %d (%s) %s\n", n, got[0], n < 0 ? strerror(errno) : "");
    n = recv_some(sv[1], MSG_DONTWAIT, NULL, got);
    printf("empty: %d %s\n", n, strerror(errno));
}

static void shm_twice(void)
{
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    char *a = shmat(id, NULL, 0), *b = shmat(id, NULL, SHM_RDONLY);
    if (a == (void *)-1 || b == (void *)-1) {
        printf("shmat: %s\n", strerror(errno));
        return;
    }
    strcpy(a + 5000, "through a");
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(a + 100, "from the child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("shm: b sees '%s' and '%s', distinct %d, nattch %lu\n", b + 5000,
           b + 100, a != b, (unsigned long)ds.shm_nattch);
    int ra = shmdt(a), rb = shmdt(b), again = shmdt(a);
    printf("shmdt %d %d, again %d %s\n", ra, rb, again, strerror(errno));
    shmctl(id, IPC_RMID, NULL);
}

/* SHM_REMAP over the program's own mapping replaces it; without, EINVAL */
static void shm_remap(void)
{
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(p, "before");
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    char *q = shmat(id, p, SHM_REMAP);
    printf("SHM_REMAP over a mapping: %s, same address %d, content '%s'\n",
           q == (void *)-1 ? strerror(errno) : "ok", q == p,
           q == (void *)-1 ? "" : q);
    char *r = shmat(id, p, 0);
    printf("again without SHM_REMAP: %s\n", r == (void *)-1 ? strerror(errno) : "ok");
    shmdt(q);
    shmctl(id, IPC_RMID, NULL);
}

extern char **environ;

static void vfork_spawn(void)
{
    pid_t pid;
    char *argv[] = { "no-such-program", NULL };
    int r = posix_spawn(&pid, "/nonexistent/no-such-program", NULL, NULL, argv,
                        environ);
    printf("posix_spawn of a missing program: %s\n", strerror(r));
    r = posix_spawnp(&pid, "no-such-program-in-path", NULL, NULL, argv, environ);
    printf("posix_spawnp of a missing program: %s\n", strerror(r));
    char *ok[] = { "true", NULL };
    r = posix_spawnp(&pid, "true", NULL, NULL, ok, environ);
    int st = -1;
    waitpid(pid, &st, 0);
    printf("posix_spawnp true: %d, exit %d\n", r, WEXITSTATUS(st));
    volatile int seen = 1;
    pid = vfork();
    if (pid == 0) {
        seen = 42;
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("vfork child's write to the parent's frame: %d\n", seen);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    recvmmsg_timeout();
    shm_twice();
    shm_remap();
    vfork_spawn();
    return 0;
}
