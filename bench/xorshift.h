/* The benchmark programs' pseudo-random numbers: Marsaglia's xorshift64 (13, 7, 17),
 * from a seed each program fixes, so that its runs repeat. */
#ifndef BENCH_XORSHIFT_H
#define BENCH_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
