/* EXPECT: definite=10000/100 indirect=0/0 possible=272/1 reachable=0/0 cyclic=0/0 */
/* A signal handler that allocates 40 calls deep (more frames than stack_depth keeps)
 * while its thread is inside the tracer (main runs leakgraph_collect() in a loop, as in
 * handler_alloc.c): each of the 100 runs drops a 100-byte block. The search for glibc's
 * signal trampoline once stopped at stack_depth frames, and none of them was reported
 * (found by a review). Numbers as Valgrind prints them (272 bytes: glibc's block for
 * the joined sender thread). */
#include <leakgraph.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DEPTH
#define DEPTH 40
#endif
#define RUNS 100

static volatile int runs;

static void __attribute__((noinline)) deep(int n)
{
    if (n == 0) {
        void *volatile dropped = malloc(100);
        dropped = NULL;
        return;
    }
    deep(n - 1);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
}

static void on_usr1(int sig)
{
    (void)sig;
    if (runs >= RUNS)
        return;
    deep(DEPTH);
    runs++;
}

static void *sender(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (runs < RUNS) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(200);
    }
    return NULL;
}

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[65536];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self(), t;
    if (pthread_create(&t, NULL, sender, &self))
        return 1;
    while (runs < RUNS)
        if (leakgraph_collect)
            leakgraph_collect();
    pthread_join(t, NULL);
    scrub();
    return 0;
}
