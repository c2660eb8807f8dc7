/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=56/1 cyclic=0/0 */
/* The only pointer to a 56-byte block sits in an anonymous region the program mapped
 * itself (as gcc's cc1 keeps its obstacks). Valgrind scans such mappings: reachable.
 * The region's own address is kept only XORed, so nothing else leads there. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) stash(void)
{
    void **region = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        _exit(3);
    region[1000] = malloc(56);
}

int main(void)
{
    stash();
    scrub();
    return 0;
}
