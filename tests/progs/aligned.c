/* EXPECT: definite=496/4 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Leaks from the aligned allocators: posix_memalign(64, 100), aligned_alloc(128, 256),
 * memalign(32, 40), valloc(100). Bytes are what the program asked for: valloc counts
 * 100, not the page it occupies. 100+256+40+100 = 496.
 * pvalloc has its own victim (pvalloc.c): Valgrind 3.19 aborts the program on pvalloc. */
#include <malloc.h>
#include <stdlib.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_aligned(void)
{
    void *volatile p;
    void *q;
    if (posix_memalign(&q, 64, 100) != 0)
        abort();
    p = q; q = 0;
    p = aligned_alloc(128, 256);
    p = memalign(32, 40);
    p = valloc(100);
    p = 0;
    (void)p;
}

int main(void)
{
    leak_aligned();
    scrub();
    return 0;
}
