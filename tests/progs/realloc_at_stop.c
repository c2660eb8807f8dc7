/* A realloc in flight when the world stops (found by reviews). Usage:
 * realloc_at_stop [ROUNDS] [MODE]
 * - default: a worker keeps growing and shrinking, with realloc, an array of 100
 *   pointers to 32-byte nodes; the array is the only way to the nodes. Main meanwhile
 *   allocates and frees ROUNDS times (default 20000; collections with collect_every run
 *   on main and stop the worker anywhere), then returns while the worker still reallocs
 *   (the exit report stops it too). The tracer once took the array's record out before
 *   glibc's realloc and put the new one in after the stack capture: a stop in between
 *   reported the 100 nodes as lost.
 * - "big": the array alternates between 1 and 3 MiB (mmapped chunks, which glibc moves
 *   with mremap). A stop inside glibc's realloc once found the old block gone already,
 *   and a record left from an earlier stop kept the old size (the scan read past the
 *   block and crashed).
 * - "zero": the worker mallocs 1 MiB and more and frees it with realloc(p, 0). A stop
 *   there once left a record of the freed block for good (reported lost at exit).
 * In both, main calls leakgraph_collect() (when preloaded) ROUNDS times, prints on
 * stderr how many collections found blocks unreachable, then has the worker finish and
 * joins it (a worker once stayed stopped after a later stop had ended). Nothing is ever
 * lost: the array is reachable from the global arr, or the worker's registers or stack.
 * Prints "done". */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NN 100
static void **volatile arr;
static volatile int started, stop;
static int mode; /* 0, 'b' (big) or 'z' (zero) */

static void *worker(void *unused)
{
    (void)unused;
    for (unsigned i = 0; !stop; i++) {
        if (mode == 'z') {
            void *p = malloc((1u << 20) + (i % 16) * 4096);
            if (!p || realloc(p, 0))
                abort();
            started = 1;
            continue;
        }
        size_t size = mode == 'b' ? ((i & 1) ? 1u << 20 : 3u << 20) : (NN + (i % 64) * 8) * sizeof(void *);
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
    mode = argc > 2 && !strcmp(argv[2], "big") ? 'b' : argc > 2 && !strcmp(argv[2], "zero") ? 'z' : 0;
    arr = malloc(mode == 'b' ? 1u << 20 : NN * sizeof *arr);
    for (int i = 0; i < NN; i++)
        arr[i] = malloc(32);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!started)
        ;
    long (*collect)(void) = mode ? (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect") : NULL;
    long bad = 0;
    for (long r = 0; r < rounds; r++) {
        if (collect)
            bad += collect() > 0;
        else
            free(malloc(16 + r % 64));
    }
    if (mode) {
        fprintf(stderr, "collections_with_unreachable=%ld\n", bad);
        stop = 1;
        pthread_join(t, NULL);
    }
    puts("done");
    return 0;
}
