/* Incremental collections on a heap that mostly stays: collect_rewire [nodes=20000]
 * [rounds=12]. A binary tree over all nodes hangs off a global, every node also points at
 * a random other node, and an array of all nodes (a block too) hangs off another global.
 * Each round rewires the random pointer of 1 % of the nodes, storing again the array's
 * slot of the node each one referred to (an index kept up to date: that block may have
 * lost its marking parent, and a dirty row still refers to it); every other round it also
 * replaces 1 % of the leaves by new nodes (the old ones freed, so addresses come back)
 * and drops a few leaves for good (lost, with their random pointer). Then
 * leakgraph_collect(). Prints the unreachable count per round and "done". */
#include "leakgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *kid[2];
    struct node *other;
    long data[5];
};

struct node *root;
static struct node **all;
static long n;
static unsigned long long rng = 88172645463325252ull;

static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Leaf i (no kids) is replaced by a copy; or, with drop, cut off and left lost. */
static void replace_leaf(long i, int drop)
{
    struct node *old = all[i], *parent = all[(i - 1) / 2];
    int side = parent->kid[0] == old ? 0 : 1;
    if (drop) {
        parent->kid[side] = NULL;
        all[i] = NULL;
        return;
    }
    struct node *fresh = malloc(sizeof *fresh);
    memcpy(fresh, old, sizeof *fresh);
    parent->kid[side] = fresh;
    all[i] = fresh;
    for (long k = 0; k < 8; k++) { /* references to old elsewhere go to the new node */
        long j = (long)(next() % (unsigned long long)n);
        if (all[j])
            all[j]->other = fresh;
    }
    for (long j = 0; j < n; j++)
        if (all[j] && all[j]->other == old)
            all[j]->other = fresh;
    free(old);
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atol(argv[1]) : 20000;
    int rounds = argc > 2 ? atoi(argv[2]) : 12;
    if (n < 16 || !LEAKGRAPH_AVAILABLE()) {
        fputs("collect_rewire: nodes >= 16, under libleakgraph.so\n", stderr);
        return 2;
    }
    all = malloc(n * sizeof *all);
    for (long i = 0; i < n; i++) {
        all[i] = calloc(1, sizeof(struct node));
        all[i]->data[0] = i; /* (copied with a replaced node: the same slot) */
    }
    for (long i = 0; i < n; i++) {
        if (2 * i + 1 < n)
            all[i]->kid[0] = all[2 * i + 1];
        if (2 * i + 2 < n)
            all[i]->kid[1] = all[2 * i + 2];
        all[i]->other = all[next() % (unsigned long long)n];
    }
    root = all[0];
    printf("first %ld\n", leakgraph_collect());
    long leaves = n / 2; /* nodes n/2 .. n-1 have no kids */
    for (int r = 0; r < rounds; r++) {
        for (long k = 0; k < n / 100; k++) {
            struct node *a = all[next() % (unsigned long long)n], *b = all[next() % (unsigned long long)n];
            if (a && b) {
                struct node *was = a->other;
                a->other = b;
                if (was && all[was->data[0]] == was)
                    all[was->data[0]] = was;
            }
        }
        for (long k = 0; r % 2 && k < leaves / 100; k++) {
            long i = n - 1 - (long)(next() % (unsigned long long)leaves);
            if (all[i])
                replace_leaf(i, k < 3);
        }
        printf("round %d %ld\n", r + 1, leakgraph_collect());
    }
    puts("done");
    return 0;
}
