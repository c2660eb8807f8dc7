/* A realloc in flight when the world stops (found by a review): a worker keeps growing
 * and shrinking, with realloc, an array of 100 pointers to 32-byte nodes; the array is
 * the only way to the nodes. Main meanwhile allocates and frees (collections with
 * collect_every run on main and stop the worker anywhere), then returns while the
 * worker still reallocs (the exit report stops it too). Nothing is ever lost: the
 * array is reachable from the global arr, or from the worker's registers or stack.
 * The tracer once took the array's record out before glibc's realloc and put the new
 * one in after the stack capture: a stop in between reported the 100 nodes as lost.
 * With "big", the array alternates between 1 and 3 MiB (mmapped chunks, which glibc
 * moves with mremap): a stop inside glibc's realloc found the old block gone already,
 * and a record left from an earlier stop kept the old size (the scan read past the
 * block and crashed). In that mode main calls leakgraph_collect() (when preloaded)
 * ROUNDS times instead, and prints on stderr how many found blocks unreachable.
 * Usage: realloc_at_stop [ROUNDS, default 20000] [big] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NN 100
static void **volatile arr;
static volatile int started, big;

static void *worker(void *unused)
{
    (void)unused;
    for (unsigned i = 0;; i++) {
        size_t size = big ? ((i & 1) ? 1u << 20 : 3u << 20) : (NN + (i % 64) * 8) * sizeof(void *);
        void **n = realloc(arr, size);
        if (!n)
            abort();
        arr = n;
        started = 1;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    big = argc > 2 && !strcmp(argv[2], "big");
    arr = malloc(big ? 1u << 20 : NN * sizeof *arr);
    for (int i = 0; i < NN; i++)
        arr[i] = malloc(32);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!started)
        ;
    long (*collect)(void) = big ? (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect") : NULL;
    long bad = 0;
    for (long r = 0; r < rounds; r++) {
        if (collect)
            bad += collect() > 0;
        else
            free(malloc(16 + r % 64));
    }
    if (big)
        fprintf(stderr, "collections_with_unreachable=%ld\n", bad);
    puts("done");
    return 0;
}
