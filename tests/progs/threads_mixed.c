/* EXPECT: definite=306/3 indirect=0/0 possible=272/1 reachable=4109/4 cyclic=0/0 */
/* Threads of three kinds, each leaking one block and keeping one in a global:
 *   joined   : leaks 101, keeps 1001 in g_keep[0]
 *   detached : leaks 102, keeps 1002 in g_keep[1] (main waits until it has fully exited)
 *   alive    : leaks 103, keeps 1003 in g_keep[2], and 1103 in a local while it waits
 *              in pause() at exit (reachable through its stack)
 * Every thread scrubs its dead stack before leaving or parking.
 * glibc's per-thread blocks as Valgrind prints them. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void *volatile g_keep[3];
static sem_t ready;
static volatile pid_t detached_tid;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak(size_t n)
{
    char *volatile p = malloc(n);
    memset(p, 0, n);
}

static void __attribute__((noinline)) work(int i)
{
    leak(101 + i);
    g_keep[i] = malloc(1001 + i);
}

static void *joined(void *arg)
{
    (void)arg;
    work(0);
    scrub();
    return NULL;
}

static void *detached(void *arg)
{
    (void)arg;
    detached_tid = (pid_t)syscall(SYS_gettid);
    work(1);
    scrub();
    sem_post(&ready);
    return NULL;
}

static void __attribute__((noinline)) park(void)
{
    char *volatile mine = malloc(1103);
    memset(mine, 0, 1103);
    sem_post(&ready);
    for (;;)
        pause();
}

static void *alive(void *arg)
{
    (void)arg;
    work(2);
    scrub();
    park();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_attr_t attr;
    sem_init(&ready, 0, 0);

    if (pthread_create(&t, NULL, joined, NULL) != 0)
        return 2;
    pthread_join(t, NULL);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, detached, NULL) != 0)
        return 2;
    pthread_attr_destroy(&attr);
    while (sem_wait(&ready) != 0)
        ;
    /* Wait until the detached thread is really gone (the kernel clears its tid). */
    while (syscall(SYS_tgkill, getpid(), detached_tid, 0) == 0 || errno != ESRCH)
        usleep(1000);

    if (pthread_create(&t, NULL, alive, NULL) != 0)
        return 2;
    while (sem_wait(&ready) != 0)
        ;
    scrub();
    return 0;
}
