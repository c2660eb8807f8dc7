/* EXPECT: definite=80/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* The only copy of the pointer is XORed with a constant that makes it a non-canonical
 * address: no scanner can see it, so the block is definitely lost. */
#include <stdint.h>
#include <stdlib.h>

volatile uintptr_t g_hidden;
#define MASK ((uintptr_t)0xa5a5a5a5a5a5a5a5ULL)

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) hide(void)
{
    void *volatile p = malloc(80);
    g_hidden = (uintptr_t)p ^ MASK;
    p = 0;
}

int main(void)
{
    hide();
    scrub();
    return (g_hidden ^ MASK) == 0; /* 0: the pointer is still recoverable */
}
