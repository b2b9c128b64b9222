/*
 * Eight POSIX threads under emulation: a mutex-protected counter, an
 * atomic counter, a condition-variable barrier, thread-local storage and
 * join results.  Output is deterministic, so native and emulated runs
 * must print the same lines.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long locked_counter;
static atomic_long atomic_counter;
static int arrived;
static __thread long tls_sum;

static void barrier(void)
{
    pthread_mutex_lock(&lock);
    arrived++;
    if (arrived == THREADS) {
        pthread_cond_broadcast(&cond);
    }
    while (arrived < THREADS) {
        pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    barrier();
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        locked_counter++;
        pthread_mutex_unlock(&lock);
        atomic_fetch_add(&atomic_counter, 1);
        tls_sum += id;
    }
    return (void *)(tls_sum + 1);
}

int main(void)
{
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++) {
        if (pthread_create(&th[i], NULL, worker, (void *)i)) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        printf("thread %d returned %ld\n", i, (long)ret);
        total += (long)ret;
    }
    printf("locked %ld atomic %ld total %ld\n", locked_counter,
           (long)atomic_counter, total);
    return locked_counter == (long)THREADS * ROUNDS &&
           atomic_counter == (long)THREADS * ROUNDS ? 0 : 1;
}
