/* EXPECT: definite=1696/11 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Every allocator entry point leaks one block of a distinct size:
 *   malloc 11, calloc(3, 4) 12, realloc(NULL, 13) 13, realloc growth 14 -> 1500,
 *   realloc shrink 2000 -> 16, reallocarray(NULL, 2, 9) 18, posix_memalign(64, 19),
 *   aligned_alloc(32, 64), memalign(16, 21), valloc(22), malloc(0) (0 bytes).
 * Also free(NULL) and realloc(p, 0) (which frees p in glibc: no leak).
 * 11+12+13+1500+16+18+19+64+21+22+0 = 1696 bytes in 11 blocks.
 * pvalloc is in pvalloc.c: Valgrind 3.19 aborts the program on pvalloc. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_all(void)
{
    void *volatile p;
    void *q;
    p = malloc(11);
    p = calloc(3, 4);
    p = realloc(NULL, 13);
    p = malloc(14);
    memset(p, 1, 14);
    p = realloc(p, 1500);
    p = malloc(2000);
    memset(p, 1, 2000);
    p = realloc(p, 16);
    p = reallocarray(NULL, 2, 9);
    if (posix_memalign(&q, 64, 19) != 0)
        abort();
    q = 0;
    p = aligned_alloc(32, 64);
    p = memalign(16, 21);
    p = valloc(22);
    p = malloc(0);
    free(NULL);
    p = malloc(77);
    p = realloc(p, 0); /* frees */
    p = 0;
    (void)p;
}

int main(void)
{
    leak_all();
    scrub();
    return 0;
}
