/* A coroutine on a 4 KiB stack (found by a review) allocates: one block it leaks, one it
 * keeps in a global. The stack is the top of a 64 KiB mapping whose 60 KiB below are
 * filled with 0xAA; afterwards the program counts how many of those bytes changed, which
 * is 0 natively. The tracer's unwinding once needed about 8 KiB below the allocation
 * call and wrote 3.8 KiB past the coroutine's stack. Prints "overrun N bytes" and
 * "reachable ok". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define SZ 4096
#define MAP (64 * 1024)
static char *region;
static ucontext_t main_ctx, co_ctx;
static void *volatile kept;

static void __attribute__((noinline)) co_leak(void)
{
    void *volatile p = malloc(123); /* its only pointer dies with the frame */
    (void)p;
}

static void __attribute__((noinline)) co_keep(void) { kept = malloc(77); }

static void coroutine(void)
{
    co_leak();
    co_keep();
}

static void *worker(void *unused)
{
    (void)unused;
    memset(region, 0xAA, MAP - SZ);
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = region + MAP - SZ;
    co_ctx.uc_stack.ss_size = SZ;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    swapcontext(&main_ctx, &co_ctx);
    size_t changed = 0;
    for (size_t i = 0; i < MAP - SZ; i++)
        changed += (unsigned char)region[i] != 0xAA;
    printf("overrun %zu bytes\n", changed);
    return NULL;
}

int main(void)
{
    region = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    puts(kept ? "reachable ok" : "no block");
    return 0;
}
