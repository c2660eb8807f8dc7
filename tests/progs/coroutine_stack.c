/* EXPECT: definite=40/1 indirect=24/1 possible=272/1 reachable=65613/2 cyclic=0/0
 * VALGRIND: unsupported: memcheck does not follow the switch to the coroutine stack and
 * scans neither stack of the thread, so it calls the thread's own 272-byte block and the
 * 24-byte block definitely lost (336 bytes in 3 blocks); the numbers above are what the
 * program holds.
 * A second thread runs a coroutine (makecontext/swapcontext) on a 64 KiB stack it
 * malloc'ed, and is still inside it, blocked in read(), when main exits. Its stack pointer
 * is inside a heap block: the snapshot must scan that coroutine stack from the SP to the
 * block's end (the 77-byte block kept only there is reachable) and never the whole heap
 * around it: the thread's dropped 40-byte block pointing at a 24-byte one stays lost. */
#include <pthread.h>
#include <stdlib.h>
#include <ucontext.h>
#include <unistd.h>

static ucontext_t main_ctx, co_ctx;
static int fds[2];
static void *co_stack;

static void coroutine(void)
{
    void *volatile kept = malloc(77);
    char c;
    while (read(fds[0], &c, 1) < 0) /* blocks for ever: nobody writes */
        ;
    (void)kept;
}

static void __attribute__((noinline)) drop(void)
{
    void **a = malloc(40);
    a[0] = malloc(24);
}

static void *worker(void *arg)
{
    (void)arg;
    drop();
    co_stack = malloc(65536);
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = co_stack;
    co_ctx.uc_stack.ss_size = 65536;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    swapcontext(&main_ctx, &co_ctx);
    return NULL;
}

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

int main(void)
{
    if (pipe(fds) != 0)
        return 2;
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 2;
    usleep(200000);
    scrub();
    return 0;
}
