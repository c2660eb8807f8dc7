/* EXPECT: definite=100/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* One block of 100 bytes whose only pointer dies with leak_it()'s frame. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Overwrite the dead stack below main's frame so no stale copy of a pointer survives
 * (Valgrind does not scan below the stack pointer; a tracer might). */
static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_it(void)
{
    char *volatile p = malloc(100);
    memset(p, 'x', 100);
}

int main(void)
{
    leak_it();
    scrub();
    write(1, "direct_leak done\n", 17);
    return 0;
}
