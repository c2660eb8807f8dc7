/* EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* VALGRIND: unsupported (Valgrind 3.19 aborts the program on pvalloc: "Program aborting
 * because of call to pvalloc"). The EXPECT line is derived by hand, with Valgrind's
 * rules: pvalloc(100) leaked counts the 100 bytes the program asked for (glibc really
 * rounds it up to a page), one pvalloc(10) block is freed. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak(void)
{
    char *volatile p = pvalloc(100);
    memset(p, 0, 100);
    char *q = pvalloc(10);
    memset(q, 0, 10);
    free(q);
}

int main(void)
{
    leak();
    scrub();
    return 0;
}
