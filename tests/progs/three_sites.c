/* EXPECT: definite=60/3 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Three leaks of 10, 20 and 30 bytes from three different functions (three distinct
 * stacks): alloc_alpha, alloc_beta, alloc_gamma. */
#include <stdlib.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

void __attribute__((noinline)) alloc_alpha(void) { char *volatile p = malloc(10); p[0] = 1; }
void __attribute__((noinline)) alloc_beta(void) { char *volatile p = malloc(20); p[0] = 2; }
void __attribute__((noinline)) alloc_gamma(void) { char *volatile p = malloc(30); p[0] = 3; }

int main(void)
{
    alloc_alpha();
    alloc_beta();
    alloc_gamma();
    scrub();
    write(1, "three_sites done\n", 17);
    return 0;
}
