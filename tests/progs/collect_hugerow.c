/* A large block of pointers (160 KB, over LG_HUGE_ROW) whose clean stretches a collection
 * keeps without reading them: each round writes a few slots at its start, then, far from
 * them (other cards and pages), frees blocks the array still points to and allocates the
 * same size again at once, most often at the same address: the array's clean word then
 * refers to the new block, which nothing else refers to. Every collection must find what
 * a full rescan finds (run with collect_verify=1 and free_batch=0). A new block at
 * another address is stored in the slot (a write there). Prints the unreachable count
 * of each round, then how many blocks came back at their address.
 * usage: collect_hugerow [rounds=30] [seed=1] */
#include "leakgraph.h"
#include <stdio.h>
#include <stdlib.h>

enum { SLOTS = 20000, HEAD = 64 };

void **arr;
static unsigned long rng;

static unsigned long rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Frees the block of slot d and allocates one of the same size: 1 when it came back at
 * its address (the slot, not written, refers to it). */
__attribute__((noinline)) static int revive(size_t d)
{
    free(arr[d]);
    void *x = malloc(48);
    if (x == arr[d])
        return 1;
    arr[d] = x;
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 30;
    rng = argc > 2 ? strtoul(argv[2], NULL, 10) * 2654435761ul + 1 : 1;
    arr = calloc(SLOTS, sizeof *arr);
    for (size_t i = 0; i < SLOTS; i++)
        arr[i] = malloc(48);
    printf("first %ld\n", leakgraph_collect());
    long back = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 4; k++) { /* the dirty stretch */
            size_t j = rnd() % HEAD;
            free(arr[j]);
            arr[j] = malloc(48);
        }
        if (r % 7 == 3) { /* a slot dropped: its block unreachable */
            size_t j = rnd() % HEAD;
            arr[j] = NULL;
        }
        for (int k = 0; k < 10; k++)
            back += revive(1024 + rnd() % (SLOTS - 1024));
        printf("round %d %ld\n", r, leakgraph_collect());
    }
    printf("came back at their address: %ld\n", back);
    return 0;
}
