/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=96/2 cyclic=0/0 */
/* exit() is called three frames deep; the only pointers to a 64-byte and a 32-byte block
 * are locals of the caller frames, which are still on the stack: reachable. */
#include <stdlib.h>
#include <string.h>

static void __attribute__((noinline)) level3(void)
{
    exit(0);
}

static void __attribute__((noinline)) level2(void)
{
    char *volatile q = malloc(32);
    memset(q, 0, 32);
    level3();
}

static void __attribute__((noinline)) level1(void)
{
    char *volatile p = malloc(64);
    memset(p, 0, 64);
    level2();
}

int main(void)
{
    level1();
    return 1;
}
