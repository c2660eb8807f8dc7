/* A thread that masks every signal, as libunwind does around dl_iterate_phdr, and calls
 * dl_iterate_phdr while a collection has the world stopped (which holds the loader's
 * lock). Before the tracer wrapped dl_iterate_phdr such a thread waited for the lock,
 * deaf to the stop signal, until the stop gave up on it: a warning per collection ("blocks
 * the stop signal"), and for a thread signalled just before it masked, a 2 s timeout.
 * Now it stops inside the wrapper.
 *
 * ROUNDS rounds (argument, default 10). In each the worker allocates a block held only in
 * a local, masks every signal, and tells main, which calls leakgraph_collect() (when
 * preloaded). Meanwhile the worker watches a canary thread that counts without pause:
 * when the count has not moved for 3 ms the world is stopped (or the canary was not
 * scheduled), and it calls dl_iterate_phdr. Prints on stderr how many collections found
 * anything unreachable (the worker's block must be found on its stack); "done" on
 * stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long canary_count;
static volatile int round_no, masked, collected, finished, quit;

static void *canary(void *unused)
{
    (void)unused;
    while (!quit)
        canary_count++;
    return NULL;
}

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)info;
    (void)size;
    (*(int *)data)++;
    return 1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *worker(void *unused)
{
    (void)unused;
    for (int seen = 0; !quit;) {
        if (round_no == seen) {
            sleep_ms(1);
            continue;
        }
        seen = round_no;
        char *volatile mine = malloc(96);
        memset(mine, 1, 96);
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        masked = seen;
        int calls = 0;
        while (collected != seen) {
            unsigned long before = canary_count;
            sleep_ms(3);
            if (canary_count == before && collected != seen)
                dl_iterate_phdr(first_object, &calls);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        free(mine);
        finished = seen;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10, bad = 0;
    long (*collect)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    pthread_t c, w;
    if (pthread_create(&c, NULL, canary, NULL) || pthread_create(&w, NULL, worker, NULL))
        return 2;
    for (int r = 1; r <= rounds; r++) {
        round_no = r;
        while (masked != r)
            sleep_ms(1);
        if (collect && collect() != 0)
            bad++;
        collected = r;
        while (finished != r)
            sleep_ms(1);
    }
    quit = 1;
    pthread_join(w, NULL);
    pthread_join(c, NULL);
    fprintf(stderr, "collections_with_unreachable=%d\n", bad);
    puts("done");
    return 0;
}
