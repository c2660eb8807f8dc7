/* A coroutine on a 256 KiB mmap'd stack keeps 50 blocks in a local array (its stack is
 * their only root) and allocates and frees without pause; main calls leakgraph_collect()
 * (when preloaded) ROUNDS times, then returns while the coroutine still runs (found by a
 * review). Run with scan_mmap=0, so that the coroutine's stack is a root only as its
 * thread's running stack. Allocations there are unwound on the tracer's side stack
 * (src/sidestack.c), once with libunwind's locks taken and every signal blocked: a stop
 * waited for the thread in vain and scanned its own stack instead, and the 50 blocks
 * came out unreachable in most collections and at exit. Prints on stderr how many
 * collections found unreachable blocks; "done" on stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

#define MAP (256 * 1024)
static ucontext_t main_ctx, co_ctx;
static volatile int started;

static void coroutine(void)
{
    void *volatile keep[50];
    for (int i = 0; i < 50; i++)
        keep[i] = malloc(48);
    started = 1;
    for (;;)
        free(malloc(32));
}

static void *worker(void *unused)
{
    (void)unused;
    char *region = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        abort();
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = region;
    co_ctx.uc_stack.ss_size = MAP;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    swapcontext(&main_ctx, &co_ctx);
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 100, bad = 0;
    long (*collect)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!started)
        ;
    for (long r = 0; collect && r < rounds; r++)
        bad += collect() > 0;
    fprintf(stderr, "collections_with_unreachable=%ld\n", bad);
    puts("done");
    return 0;
}
