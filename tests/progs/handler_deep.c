/* EXPECT: definite=10000/100 indirect=0/0 possible=272/1 reachable=0/0 cyclic=0/0 */
/* A signal handler that allocates 40 calls deep (more frames than stack_depth keeps)
 * while its thread is inside the tracer (main runs leakgraph_collect() in a loop, as in
 * handler_alloc.c): each of the 100 runs drops a 100-byte block. The search for glibc's
 * signal trampoline once stopped at stack_depth frames, and none of them was reported
 * (found by a review). Numbers as Valgrind prints them (272 bytes: glibc's block for
 * the joined sender thread). */
#include <stdlib.h>

#ifndef DEPTH
#define DEPTH 40
#endif
#define RUNS 100
#include "handler_driver.h"

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

int main(void)
{
    return drive(on_usr1);
}
