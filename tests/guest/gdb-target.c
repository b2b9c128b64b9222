/*
 * A program for tests/functional/user/gdb.sh to debug, natively and under
 * emu-x86_64 -g: gdb's view of both must agree.  Built with -O0 -g so
 * every variable lives in memory and every line has code.
 *   gdb-target          sums squares; the result shows what gdb changed
 *   gdb-target threads  two threads meet in worker() while main waits
 *   gdb-target segv     writes through a null pointer (line "SEGV here")
 *   gdb-target usr1     raises SIGUSR1 and catches it
 *   gdb-target spin     loops until gdb sets spin_stop
 *   gdb-target int3     executes an int3 of its own, with a SIGTRAP handler
 *   gdb-target sysexit  its only thread ends with the raw exit system call
 */
/* make's CFLAGS (-O2) come after the target's -O0: insist */
#ifdef __clang__
#pragma clang optimize off
#else
#pragma GCC optimize("O0")
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int counter = 3;
int bump;

static int square(int x)
{
    int y = x * x;
    return y;
}

int compute(int n)
{
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += square(i);
    }
    return total;
}

static pthread_barrier_t meet;

void worker_stop(int id)
{
    __atomic_add_fetch(&bump, id, __ATOMIC_SEQ_CST);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    pthread_barrier_wait(&meet);    /* both workers exist from here on */
    worker_stop(id);
    return NULL;
}

static int run_threads(void)
{
    pthread_t th[2];
    pthread_barrier_init(&meet, NULL, 2);
    for (long i = 0; i < 2; i++) {
        pthread_create(&th[i], NULL, worker, (void *)(i + 1));
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
    }
    printf("threads done bump=%d\n", bump);
    return 0;
}

static int crash(int *p)
{
    *p = 42;    /* SEGV here */
    return *p;
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    got_usr1 = sig;
}

static int catch_usr1(void)
{
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("handler saw %d\n", (int)got_usr1);
    return 0;
}

static volatile sig_atomic_t got_trap;

static void on_trap(int sig)
{
    got_trap = sig;
}

static int own_int3(void)
{
    signal(SIGTRAP, on_trap);
    __asm__ volatile("int3");
    printf("after int3, handler saw %d\n", (int)got_trap);
    return 0;
}

volatile int spin_stop;
volatile unsigned long spins;

static int spin(void)
{
    printf("spinning\n");
    fflush(stdout);
    while (!spin_stop) {
        spins++;
    }
    printf("spin stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "usr1")) {
        return catch_usr1();
    }
    if (argc > 1 && !strcmp(argv[1], "int3")) {
        return own_int3();
    }
    if (argc > 1 && !strcmp(argv[1], "spin")) {
        return spin();
    }
    if (argc > 1 && !strcmp(argv[1], "threads")) {
        return run_threads();
    }
    if (argc > 1 && !strcmp(argv[1], "segv")) {
        return crash(NULL);
    }
    if (argc > 1 && !strcmp(argv[1], "sysexit")) {
        syscall(SYS_exit, 5);   /* not exit_group: the last thread leaves */
    }
    int x = 2;
    int r = compute(counter);
    printf("result r=%d x=%d counter=%d\n", r, x, counter);
    fflush(stdout);
    return x + 1;
}
