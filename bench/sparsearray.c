/* A large array of pointers, sparsely written: sparsearray [slots=8000000] [writes=1000]
 * [rounds=6]. An array of `slots` pointers (64 MB by default, one block) to 64 small
 * blocks; each round writes `writes` random slots and times leakgraph_collect(). Prints
 * the mean of the rounds after the first. Most of the array is clean between two
 * collections: an incremental one reads only its dirty cards or pages. Run under
 * libleakgraph.so with collect_dirty=full, uffd, or (built with `leakgraph cflags gcc`)
 * hooks. */
#include "leakgraph.h"
#include "xorshift.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void **array;
static void *targets[64];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 8000000;
    int writes = argc > 2 ? atoi(argv[2]) : 1000, rounds = argc > 3 ? atoi(argv[3]) : 6;
    uint64_t rng = 88172645463325252ull;
    if (!LEAKGRAPH_AVAILABLE() || n < 1 || rounds < 2) {
        fputs("sparsearray: run it under libleakgraph.so, with slots >= 1 and rounds >= 2\n", stderr);
        return 2;
    }
    for (int i = 0; i < 64; i++)
        targets[i] = malloc(32);
    array = malloc((size_t)n * sizeof *array);
    for (long i = 0; i < n; i++)
        array[i] = targets[i % 64];
    printf("sparsearray: %ld slots, %d written per round\n", n, writes);
    leakgraph_collect();
    double sum = 0;
    for (int r = 0; r < rounds; r++) {
        for (int w = 0; w < writes; w++) {
            uint64_t x = xorshift64(&rng);
            array[x % (uint64_t)n] = targets[x % 61];
        }
        double t0 = now_ms();
        leakgraph_collect();
        if (r > 0)
            sum += now_ms() - t0;
    }
    printf("mean of the later collections: %.2f ms\n", sum / (rounds - 1));
    return 0;
}
