/* EXPECT: definite=0/0 indirect=0/0 possible=40/1 reachable=136/2 cyclic=0/0 */
/* Interior pointers that Valgrind's default heuristics accept (reachable) and one that
 * no heuristic accepts (possibly lost); only globals point at the blocks:
 *   - stdstring: a 64-byte block shaped like an old (COW) std::string rep
 *     {length 10, capacity 39, refcount 0, chars...}: 24 + 39 + 1 = 64 bytes, exactly
 *     the size the heuristic requires; referenced at +24 -> reachable
 *   - length64: a 72-byte block whose first 8 bytes hold 64 (its size minus 8),
 *     referenced at +8 -> reachable
 *   - the same length64 shape with a wrong length (40-byte block, first word 7),
 *     referenced at +8 -> possibly lost */
#include <stdlib.h>
#include <string.h>

char *volatile g_str, *volatile g_len64, *volatile g_bad;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make(void)
{
    unsigned long *volatile s = calloc(1, 64);
    s[0] = 10; /* length */
    s[1] = 39; /* capacity */
    s[2] = 0;  /* refcount */
    memcpy((char *)s + 24, "0123456789", 11);
    g_str = (char *)s + 24;

    unsigned long *volatile l = calloc(1, 72);
    l[0] = 64;
    g_len64 = (char *)l + 8;

    unsigned long *volatile b = calloc(1, 40);
    b[0] = 7;
    g_bad = (char *)b + 8;
    s = l = b = 0;
}

int main(void)
{
    make();
    scrub();
    return 0;
}
