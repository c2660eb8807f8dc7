/* EXPECT: definite=1600000/100000 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* 100,000 leaks of 16 bytes, all from the same allocation site (one stack). */
#include <stdlib.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_one(int i)
{
    int *volatile p = malloc(16);
    p[0] = i;
}

int main(void)
{
    for (int i = 0; i < 100000; i++)
        leak_one(i);
    scrub();
    return 0;
}
