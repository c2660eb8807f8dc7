/* EXPECT: definite=1050/2 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* realloc growth (10 -> 1000) and shrink (500 -> 50); both results are lost.
 * Sizes are the last requested sizes. The blocks realloc freed are not leaks. */
#include <stdlib.h>
#include <string.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) grow(void)
{
    char *volatile p = malloc(10);
    memset(p, 1, 10);
    p = realloc(p, 1000);
    p[999] = 2;
}

static void __attribute__((noinline)) shrink(void)
{
    char *volatile p = malloc(500);
    memset(p, 1, 500);
    p = realloc(p, 50);
    p[49] = 2;
}

int main(void)
{
    grow();
    shrink();
    scrub();
    return 0;
}
