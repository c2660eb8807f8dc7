/* A realloc in flight when the world stops (found by a review): a worker keeps growing
 * and shrinking, with realloc, an array of 100 pointers to 32-byte nodes; the array is
 * the only way to the nodes. Main meanwhile allocates and frees (collections with
 * collect_every run on main and stop the worker anywhere), then returns while the
 * worker still reallocs (the exit report stops it too). Nothing is ever lost: the
 * array is reachable from the global arr, or from the worker's registers or stack.
 * The tracer once took the array's record out before glibc's realloc and put the new
 * one in after the stack capture: a stop in between reported the 100 nodes as lost.
 * Usage: realloc_at_stop [ROUNDS of main's allocations, default 20000] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NN 100
static void **volatile arr;
static volatile int started;

static void *worker(void *unused)
{
    (void)unused;
    for (unsigned i = 0;; i++) {
        void **n = realloc(arr, (NN + (i % 64) * 8) * sizeof *n);
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
    arr = malloc(NN * sizeof *arr);
    for (int i = 0; i < NN; i++)
        arr[i] = malloc(32);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!started)
        ;
    for (long r = 0; r < rounds; r++)
        free(malloc(16 + r % 64));
    puts("done");
    return 0;
}
