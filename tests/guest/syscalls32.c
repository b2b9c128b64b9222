/*
 * System calls whose structures differ between i386 and x86_64, each
 * printing what it got back: file descriptors passed over a socketpair
 * (msghdr and control messages), sendmmsg/recvmmsg, readv/writev, pread/pwrite/lseek past
 * 4 GiB (64-bit offsets split over two registers), ftruncate64, stat64,
 * statfs64, record locks (flock64) seen from a child, wait4 with rusage,
 * waitid,
 * select and poll timeouts, itimers, rlimits, sysinfo, times, and
 * data segments with a nonzero base (a set_thread_area descriptor loaded
 * into DS and ES; the same code run with flat and based DS).  Built by
 * i386.sh with gcc -m32, with -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
 * and without (then offsets past 2 GiB wrap and glibc uses the 32-bit
 * calls: fcntl with struct flock, time32); the output is deterministic,
 * so the oracle's must equal emu-i386's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <stdint.h>
#include <sys/wait.h>
#include <asm/ldt.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>
#include <unistd.h>

static void pass_fd(void)
{
    int sv[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p)) {
        perror("socketpair");
        return;
    }
    char byte = 'x', ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { &byte, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl, .msg_controllen = sizeof(ctl) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    printf("sendmsg %zd\n", sendmsg(sv[0], &m, 0));

    char got = 0, rctl[CMSG_SPACE(sizeof(int))];
    struct iovec riov = { &got, 1 };
    struct msghdr r = { .msg_iov = &riov, .msg_iovlen = 1,
                        .msg_control = rctl, .msg_controllen = sizeof(rctl) };
    ssize_t n = recvmsg(sv[1], &r, 0);
    printf("recvmsg %zd '%c' controllen %zu\n", n, got, (size_t)r.msg_controllen);
    c = CMSG_FIRSTHDR(&r);
    int fd = -1;
    if (c && c->cmsg_type == SCM_RIGHTS) {
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
    /* the received descriptor writes into the pipe */
    printf("write through passed fd %zd\n", write(fd, "fd!", 3));
    char buf[4] = { 0 };
    n = read(p[0], buf, 3);
    printf("pipe read %zd '%s'\n", n, buf);
    struct { sa_family_t family; char path[108]; } sa;
    socklen_t len = sizeof(sa);
    int rc = getsockname(sv[0], (void *)&sa, &len);
    printf("getsockname %d family %d len %u\n", rc, sa.family, (unsigned)len);

    /* three datagrams at once each way */
    int dg[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
    struct mmsghdr out[3], in[3];
    struct iovec ov[3], iv[3];
    char data[3][8], rbuf[3][8];
    memset(out, 0, sizeof(out));
    memset(in, 0, sizeof(in));
    for (int i = 0; i < 3; i++) {
        snprintf(data[i], sizeof(data[i]), "dg%d", i * 11);
        ov[i] = (struct iovec){ data[i], strlen(data[i]) };
        out[i].msg_hdr.msg_iov = &ov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        iv[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
        in[i].msg_hdr.msg_iov = &iv[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    rc = sendmmsg(dg[0], out, 3, 0);
    printf("sendmmsg %d lengths %u %u %u\n", rc, out[0].msg_len, out[1].msg_len,
           out[2].msg_len);
    rc = recvmmsg(dg[1], in, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg %d: %.*s %.*s %.*s\n", rc, (int)in[0].msg_len, rbuf[0],
           (int)in[1].msg_len, rbuf[1], (int)in[2].msg_len, rbuf[2]);
}

static void vectors_and_offsets(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec w[3] = { { "one ", 4 }, { "two ", 4 }, { "three\n", 6 } };
    printf("writev %zd\n", writev(fd, w, 3));
    char a[5] = { 0 }, b[9] = { 0 };
    struct iovec r[2] = { { a, 4 }, { b, 8 } };
    lseek(fd, 0, SEEK_SET);
    ssize_t n = readv(fd, r, 2);
    printf("readv %zd '%s' '%s'\n", n, a, b);
    off_t big = 5ll << 30;
    printf("pwrite at 5G %zd\n", pwrite(fd, "far", 3, big + 1));
    char far[4] = { 0 };
    n = pread(fd, far, 3, big + 1);
    printf("pread at 5G %zd '%s'\n", n, far);
    printf("lseek end %lld\n", (long long)lseek(fd, 0, SEEK_END));
    struct stat st;
    fstat(fd, &st);
    printf("fstat size %lld mode %o nlink %lu\n", (long long)st.st_size,
           st.st_mode & 07777, (unsigned long)st.st_nlink);
    printf("ftruncate 6G %d\n", ftruncate(fd, 6ll << 30));
    stat(path, &st);
    printf("stat size %lld\n", (long long)st.st_size);
    struct statfs sf;
    struct statfs s2;
    int r1 = fstatfs(fd, &sf), r2 = statfs(path, &s2);
    printf("fstatfs %d statfs %d same type and block size %d\n", r1, r2,
           s2.f_type == sf.f_type && s2.f_bsize == sf.f_bsize);

    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                        .l_start = big, .l_len = 10 };
    int rc = fcntl(fd, F_SETLK, &lk);
    printf("setlk %d\n", rc);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                           .l_start = big + 5, .l_len = 1 };
        fcntl(fd, F_GETLK, &q);
        printf("child getlk type %s start %lld len %lld owner is parent %d\n",
               q.l_type == F_WRLCK ? "wrlck" : "other", (long long)q.l_start,
               (long long)q.l_len, q.l_pid == getppid());
        exit(7);
    }
    int status;
    struct rusage ru;
    pid_t w4 = wait4(pid, &status, 0, &ru);
    printf("wait4 child %d exit %d rusage sane %d\n", w4 == pid,
           WEXITSTATUS(status), ru.ru_utime.tv_usec < 1000000);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        exit(9);
    }
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    rc = waitid(P_PID, (id_t)pid, &si, WEXITED);
    printf("waitid %d signo %d code %d status %d pid matches %d\n", rc,
           si.si_signo, si.si_code, si.si_status, si.si_pid == pid);
    close(fd);
    unlink(path);
}

static void timeouts(void)
{
    int p[2];
    pipe(p);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = { 0, 20000 };
    printf("select timeout %d\n", select(p[0] + 1, &rd, NULL, NULL, &tv));
    write(p[1], "x", 1);
    FD_SET(p[0], &rd);
    tv = (struct timeval){ 1, 0 };
    ssize_t n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select ready %zd isset %d\n", n, FD_ISSET(p[0], &rd) != 0);
    struct pollfd pf = { p[0], POLLIN, 0 };
    n = poll(&pf, 1, 100);
    printf("poll %zd revents %d\n", n, pf.revents);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct timespec nap = { 0, 30000000 };
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("nanosleep 30ms took >= 30ms %d\n", ms >= 30);
    struct itimerval it = { { 0, 0 }, { 100, 0 } }, old;
    setitimer(ITIMER_REAL, &it, NULL);
    getitimer(ITIMER_REAL, &old);
    /* 100 s may read as 100 s or, a moment later, 99.99 s */
    printf("itimer remaining in (99,100] s %d\n",
           old.it_value.tv_sec >= 99 && old.it_value.tv_sec <= 100);
    it.it_value.tv_sec = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    struct timeval now;
    gettimeofday(&now, NULL);
    printf("gettimeofday near time() %d\n", labs((long)(now.tv_sec - time(NULL))) <= 1);
}

static void limits(void)
{
    struct rlimit r = { 64, 128 };
    printf("setrlimit %d\n", setrlimit(RLIMIT_NOFILE, &r));
    getrlimit(RLIMIT_NOFILE, &r);
    printf("getrlimit %llu %llu\n", (unsigned long long)r.rlim_cur,
           (unsigned long long)r.rlim_max);
    getrlimit(RLIMIT_CPU, &r);
    printf("cpu unlimited %d\n", r.rlim_cur == RLIM_INFINITY);
    struct sysinfo si;
    int rc = sysinfo(&si);
    printf("sysinfo %d unit>0 %d ram>0 %d\n", rc, si.mem_unit > 0, si.totalram > 0);
    struct tms t;
    printf("times ok %d\n", times(&t) != (clock_t)-1);
}

/* eax = [ecx] through DS: called with a flat and with a based DS */
uint32_t seg_read(void);
asm(".text\n.globl seg_read\nseg_read:\n  mov (%ecx), %eax\n  ret\n");

static void segment_bases(void)
{
    static uint32_t words[8] = { 11, 22, 33, 44, 55, 66, 77, 88 };
    struct user_desc desc = {
        .entry_number = -1u, .base_addr = (uintptr_t)&words[2],
        .limit = 0xfffff, .seg_32bit = 1, .limit_in_pages = 1, .useable = 1,
    };
    if (syscall(SYS_set_thread_area, &desc) != 0) {
        printf("set_thread_area: %s\n", strerror(errno));
        return;
    }
    uint32_t sel = desc.entry_number * 8 + 3, flat, based, via_es, saved_ds;
    const uint32_t *src = &words[1];
    asm volatile("mov %%ds, %%edx\n"
                 "call seg_read\n  mov %%eax, %%esi\n"        /* flat */
                 "mov $4, %%ecx\n  mov %%bx, %%ds\n"
                 "call seg_read\n  mov %%eax, %%edi\n"        /* based */
                 "mov %%dx, %%ds\n"
                 : "=S"(flat), "=D"(based), "=&d"(saved_ds), "+c"(src)
                 : "b"(sel) : "eax", "memory");
    /* ES: a load with an override, then MOVS (which writes to ES:EDI),
     * restoring ES before the compiler's code sees it again */
    src = &words[7];
    asm volatile("push %%es\n  mov %%bx, %%es\n"
                 "mov %%es:8, %%eax\n"
                 "xor %%edi, %%edi\n  movsl\n"
                 "pop %%es\n"
                 : "=&a"(via_es), "+S"(src) : "b"(sel) : "edi", "memory");
    uint32_t moved = words[2];
    printf("segments: flat %u based %u es %u movs %u\n", flat, based, via_es,
           moved);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pass_fd();
    vectors_and_offsets(argc > 1 ? argv[1] : "syscalls32.tmp");
    timeouts();
    limits();
    segment_bases();
    return 0;
}
