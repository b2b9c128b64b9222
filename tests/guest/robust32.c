/*
 * Robust mutexes and mq_notify, checked by the program itself (qemu-i386
 * implements neither for i386 guests, so it cannot be the oracle): the
 * kernel's get_robust_list shows what glibc registered; a thread that
 * dies holding a robust mutex, with and without a waiter blocked on it,
 * and a forked process that exits holding a process-shared one, each
 * leave EOWNERDEAD to the next locker; a message queue notifies by
 * signal and by thread (glibc's netlink cookie).  Prints one line per
 * check, "ok ..." or "FAILED ...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what, long got)
{
    printf("%s %s", ok ? "ok" : "FAILED", what);
    if (!ok) {
        printf(" (got %ld)", got);
        failures++;
    }
    printf("\n");
}

static pthread_mutex_t robust;
static sem_t locked;

static void *die_holding(void *arg)
{
    pthread_mutex_lock(&robust);
    sem_post(&locked);
    if (arg) {
        usleep(100 * 1000);     /* let main block on the mutex first */
    }
    return NULL;                /* exits with the mutex held */
}

static void robust_thread(int with_waiter, const char *what)
{
    pthread_t t;
    sem_init(&locked, 0, 0);
    pthread_create(&t, NULL, die_holding, with_waiter ? &t : NULL);
    sem_wait(&locked);
    if (!with_waiter) {
        pthread_join(t, NULL);
    }
    int r = pthread_mutex_lock(&robust);
    check(r == EOWNERDEAD, what, r);
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);
    if (with_waiter) {
        pthread_join(t, NULL);
    }
}

static void robust_shared(void)
{
    pthread_mutex_t *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        _exit(0);               /* exit_group with the mutex held */
    }
    waitpid(pid, NULL, 0);
    int r = pthread_mutex_lock(m);
    check(r == EOWNERDEAD, "process-shared robust mutex after its owner exited", r);
}

static volatile sig_atomic_t sig_value;
static sem_t notified;
static int thread_value;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    sig_value = si->si_value.sival_int;
}

static void on_thread(union sigval v)
{
    thread_value = v.sival_int;
    sem_post(&notified);
}

static void mq_notify_checks(void)
{
    char name[64];
    snprintf(name, sizeof(name), "/emu-robust32-%d", getpid());
    struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = 16 };
    mqd_t q = mq_open(name, O_CREAT | O_RDWR | O_EXCL, 0600, &attr);
    check(q != (mqd_t)-1, "mq_open", errno);
    struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
                           .sigev_value.sival_int = 1234 };
    int r = mq_notify(q, &ev);
    check(r == 0, "mq_notify by signal registers", errno);
    mq_send(q, "a", 2, 0);
    check(sig_value == 1234, "mq_notify signal carries its value", sig_value);
    char buf[16];
    mq_receive(q, buf, sizeof(buf), NULL);
    sem_init(&notified, 0, 0);
    ev = (struct sigevent){ .sigev_notify = SIGEV_THREAD,
                            .sigev_notify_function = on_thread,
                            .sigev_value.sival_int = 5678 };
    r = mq_notify(q, &ev);
    check(r == 0, "mq_notify by thread registers", errno);
    mq_send(q, "b", 2, 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    r = sem_timedwait(&notified, &until);
    check(r == 0 && thread_value == 5678, "mq_notify thread runs with its value",
          thread_value);
    mq_close(q);
    mq_unlink(name);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    void *head = NULL;
    size_t len = 0;
    long r = syscall(SYS_get_robust_list, 0, &head, &len);
    check(r == 0 && head && len == 12, "glibc registered a 12-byte robust list head",
          r ? -errno : (long)len);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    r = pthread_mutex_init(&robust, &a);
    check(r == 0, "robust mutex init", r);
    robust_thread(0, "robust mutex after its owner thread exited");
    robust_thread(1, "robust mutex waiter woken when its owner thread exited");
    robust_shared();
    mq_notify_checks();
    return failures != 0;
}
