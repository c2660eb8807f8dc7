/* EXPECT: definite=0/0 indirect=0/0 possible=64/1 reachable=0/0 cyclic=0/0 */
/* The only reference to a 64-byte block points 24 bytes into it (no heuristic applies,
 * and the words before it are zero so neither length64 nor stdstring match): possibly lost. */
#include <stdlib.h>
#include <string.h>

char *volatile g_inside;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make(void)
{
    char *volatile p = malloc(64);
    memset(p, 0, 64);
    g_inside = p + 24;
}

int main(void)
{
    make();
    scrub();
    return 0;
}
