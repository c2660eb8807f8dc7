/* EXPECT: definite=13/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Leaks 13 bytes and exits with status 3: the tracer must pass the status through. */
#include <stdlib.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak(void) { char *volatile p = malloc(13); p[0] = 0; }

int main(void)
{
    leak();
    scrub();
    write(1, "exiting with 3\n", 15);
    return 3;
}
