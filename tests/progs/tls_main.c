/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=48/1 cyclic=0/0 */
/* The only pointer to a 48-byte block is in the main thread's __thread variable
 * (static TLS): a root, so still reachable. */
#include <stdlib.h>

static __thread void *volatile tls_ptr;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) stash(void)
{
    tls_ptr = malloc(48);
}

int main(void)
{
    stash();
    scrub();
    return tls_ptr == NULL;
}
