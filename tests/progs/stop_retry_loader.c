/* A stop that is tried again (lg_stw_stop resumes and retries, the loader lock held all
 * along, when it gave up on a thread inside realloc) must stop again a thread that
 * stopped inside the tracer's dl_iterate_phdr at the first try (found by a review: it
 * went on into glibc's dl_iterate_phdr, waited for the lock with every signal masked, and
 * every retried stop gave up on it).
 *
 * W masks every signal and calls dl_iterate_phdr only when a canary thread has not
 * counted for 3 ms (the world is stopped, most likely), so it reaches the wrapper during
 * stops. A and B share the one arena (run with MALLOC_ARENA_MAX=1) with realloc and
 * malloc/free, so that some stops give up on A inside realloc and are tried again. Main
 * collects ROUNDS times (argument, default 400). Prints W's tid on stderr, "done" on
 * stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int quit;
static volatile unsigned long canary_count;

static int first_object(struct dl_phdr_info *i, size_t s, void *d)
{
    (void)i;
    (void)s;
    (*(int *)d)++;
    return 1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *canary(void *u)
{
    (void)u;
    while (!quit)
        canary_count++;
    return NULL;
}

static void *w_loop(void *u)
{
    (void)u;
    fprintf(stderr, "W tid %ld\n", (long)syscall(SYS_gettid));
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    while (!quit) {
        unsigned long before = canary_count;
        sleep_ms(3);
        int n = 0;
        if (canary_count == before)
            dl_iterate_phdr(first_object, &n);
    }
    return NULL;
}

static void *a_loop(void *u)
{
    (void)u;
    void *p = malloc(5000);
    for (unsigned i = 0; !quit; i++) {
        void *q = realloc(p, 5000 + (i % 64) * 512);
        if (!q)
            abort();
        p = q;
    }
    free(p);
    return NULL;
}

static void *b_loop(void *u)
{
    (void)u;
    while (!quit) {
        void *q[8];
        for (int k = 0; k < 8; k++)
            q[k] = malloc(3000 + k * 700);
        for (int k = 0; k < 8; k++)
            free(q[k]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 400;
    long (*collect)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    void *(*fn[4])(void *) = {canary, w_loop, a_loop, b_loop};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, fn[i], NULL))
            return 2;
    for (int r = 0; r < rounds; r++) {
        sleep_ms(5);
        if (collect)
            collect();
    }
    quit = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    puts("done");
    return 0;
}
