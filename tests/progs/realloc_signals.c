/* Signals on top of a realloc (found by a review): a worker reallocs, without pause, the
 * only array pointing to 100 nodes; main sends it SIGUSR1 every millisecond or so, whose
 * handler mallocs and frees a small block, and calls leakgraph_collect() (when preloaded)
 * ROUNDS times. A stop that came while the handler ran on top of glibc's realloc once
 * waited for the thread to leave realloc while the handler waited for the stopper's
 * lock: 2 s per such stop, then the nodes reported unreachable without a word. Prints
 * on stderr how many collections found blocks unreachable; "done" on stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NN 100
static void **volatile arr;
static volatile int stop, started;

static void on_usr1(int sig)
{
    (void)sig;
    void *volatile p = malloc(24);
    free(p);
}

static void *worker(void *unused)
{
    (void)unused;
    for (unsigned i = 0; !stop; i++) {
        void **n = realloc(arr, (NN + (i % 4096) * 64) * sizeof(void *));
        if (!n)
            abort();
        arr = n;
        started = 1;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 200, bad = 0;
    signal(SIGUSR1, on_usr1);
    arr = malloc(NN * sizeof *arr);
    for (int i = 0; i < NN; i++)
        arr[i] = malloc(32);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!started)
        ;
    long (*collect)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    for (long r = 0; r < rounds; r++) {
        pthread_kill(t, SIGUSR1);
        if (collect)
            bad += collect() > 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    stop = 1;
    pthread_join(t, NULL);
    fprintf(stderr, "collections_with_unreachable=%ld\n", bad);
    puts("done");
    return 0;
}
