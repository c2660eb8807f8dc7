/* bench/randheap.c: a big live heap whose references go anywhere, for measuring the
 * exit-time leak check where every look-up of a reference misses the cache.
 *
 * usage: randheap [nodes_in_thousands=1000]
 *
 * Allocates N blocks of 64 bytes, shuffles them, and links them into a binary tree
 * (node i points at nodes 2i+1 and 2i+2 of the shuffled order) hanging off a global,
 * plus one reference from every node to a random other node; then cuts one subtree's
 * link, whose root no other node refers to, and exits without freeing anything. So one
 * block is definitely lost, and the rest of its subtree stays reachable through the
 * random references. bench/bigheap.c builds its blocks in order, and most of its
 * references point near their holder: the two bracket what programs do. Deterministic;
 * prints the number of nodes. */
#include "xorshift.h"

#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *kid[2], *other;
    long payload[5];
};

struct node *root; /* external, so the compiler keeps the stores */

static uint64_t rng = 88172645463325252ull;
static inline uint64_t next(void) { return xorshift64(&rng); }

int main(int argc, char **argv)
{
    long n = (argc > 1 ? atol(argv[1]) : 1000) * 1000;
    if (n < 3)
        n = 3;
    struct node **all = malloc(n * sizeof *all);
    if (!all)
        return 1;
    for (long i = 0; i < n; i++)
        if (!(all[i] = calloc(1, sizeof(struct node))))
            return 1;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(next() % (unsigned long long)(i + 1));
        struct node *t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 2; k++)
            all[i]->kid[k] = 2 * i + 1 + k < n ? all[2 * i + 1 + k] : NULL;
        struct node *o = all[next() % (unsigned long long)n];
        all[i]->other = o == all[1] ? NULL : o; /* nothing else refers to node 1 */
    }
    root = all[0];
    root->kid[0] = NULL; /* node 1 is lost; its subtree is reached by random references */
    free(all);
    printf("%ld nodes\n", n);
    return 0;
}
