/* EXPECT: definite=2048/64 indirect=0/0 possible=17408/64 reachable=8192/65 cyclic=0/0 */
/* 64 threads churn malloc/free (so a stop-the-world lands while many of them are inside
 * the allocator), then each keeps a 64-byte block in a local variable, drops a 32-byte
 * block, and blocks in pause() while main returns. Their stacks are roots: 64 blocks
 * reachable; the 64 dropped ones are definitely lost. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 64

static sem_t ready;
static volatile pid_t tids[NTHREADS];

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[4096];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) churn(unsigned seed)
{
    void *slot[16] = {0};
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 8) % 16;
        free(slot[k]);
        slot[k] = malloc(16 + (seed >> 20) % 200);
    }
    for (int k = 0; k < 16; k++)
        free(slot[k]);
}

static void __attribute__((noinline)) drop(void)
{
    char *p = malloc(32);
    memset(p, 1, 32);
    p = NULL;
}

/* Zeroes the argument registers, where a copy of the dropped pointer may linger (in
 * Valgrind's memset, say) and a register scan would find it. */
static long __attribute__((noinline)) clobber(long a, long b, long c, long d, long e, long f)
{
    return a + b + c + d + e + f;
}

static void *worker(void *arg)
{
    tids[(size_t)arg - 1] = (pid_t)syscall(SYS_gettid);
    churn((unsigned)(size_t)arg);
    volatile char *keep = malloc(64);
    /* All of it written: malloc's memory holds what glibc left there, and after churn
     * that includes its free lists' links (a free chunk's fd or bk, now in the middle of
     * this block). Such a stale link can be the address a drop() is handed next: the
     * kept block then points to a dropped one (1 run in about 200 failed so). */
    memset((char *)keep, 0, 64);
    keep[0] = 1;
    drop();
    scrub();
    char other[32];
    memset(other, 0, sizeof other);
    clobber(0, 0, 0, 0, 0, other[0]);
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    sem_init(&ready, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * 1024);
    for (size_t i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], &a, worker, (void *)(i + 1)) != 0)
            return 3;
    for (int i = 0; i < NTHREADS; i++)
        sem_wait(&ready);
    /* Wait until every thread is inside pause() (syscall 34): a thread stopped on its way,
     * in the lazy binding of sem_post or pause, has the dropped pointer's stale copy
     * (a vector register spilled by the resolver) above its stack pointer, and a stack
     * is a root. Valgrind's timing hides that; ours does not. */
    int budget = 5000; /* 1 ms polls in all: 5 s, whatever /proc or a Valgrind says */
    for (int i = 0; i < NTHREADS && budget > 0; i++) {
        char path[64], buf[32];
        snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tids[i]);
        for (; budget > 0; budget--) {
            FILE *f = fopen(path, "r");
            if (!f) {
                budget = 0; /* no /proc here: go on without waiting */
                break;
            }
            int in_pause = fgets(buf, sizeof buf, f) && strncmp(buf, "34 ", 3) == 0;
            fclose(f);
            if (in_pause)
                break;
            usleep(1000);
        }
    }
    printf("%d threads ready\n", NTHREADS);
    return 0;
}
