/* Incremental versus full collections: collectheap [kblocks=1000] [rounds=5] [permille=10].
 * Builds kblocks thousand nodes of 64 bytes (two pointers and six words of data) in
 * random order: a binary tree over all of them hangs off a global, and every node also
 * points at a random other node. Then, each round, rewires the random pointer of
 * permille/1000 of the nodes (1 % by default) and times leakgraph_collect(). Prints the
 * first (full) collection and every later one in ms. Run under libleakgraph.so with
 * collect_dirty=full, and with the default (userfaultfd), and compare. */
#include "leakgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct node {
    struct node *kid[2];
    struct node *other;
    long data[5];
};

struct node *root;
static struct node **all;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(int argc, char **argv)
{
    long n = (argc > 1 ? atol(argv[1]) : 1000) * 1000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    long per = argc > 3 ? atol(argv[3]) : 10;
    if (!LEAKGRAPH_AVAILABLE()) {
        fputs("collectheap: run it under libleakgraph.so\n", stderr);
        return 2;
    }
    all = malloc(n * sizeof *all); /* a block too: the nodes' index, scanned like any block */
    for (long i = 0; i < n; i++)
        all[i] = calloc(1, sizeof(struct node));
    for (long i = n - 1; i > 0; i--) { /* shuffle, so the tree is scattered over the heap */
        long j = (long)(next() % (unsigned long long)(i + 1));
        struct node *t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    for (long i = 0; i < n; i++) {
        if (2 * i + 1 < n)
            all[i]->kid[0] = all[2 * i + 1];
        if (2 * i + 2 < n)
            all[i]->kid[1] = all[2 * i + 2];
        all[i]->other = all[next() % (unsigned long long)n];
    }
    root = all[0];
    double t0 = now_ms();
    long g = leakgraph_collect();
    printf("blocks=%ld first collection: %.1f ms (%ld unreachable)\n", n + 1, now_ms() - t0, g);
    double sum = 0;
    for (int r = 0; r < rounds; r++) {
        long k = n * per / 1000;
        for (long i = 0; i < k; i++)
            all[next() % (unsigned long long)n]->other = all[next() % (unsigned long long)n];
        t0 = now_ms();
        g = leakgraph_collect();
        double ms = now_ms() - t0;
        sum += ms;
        printf("round %d: %ld nodes rewired, collection %.1f ms (%ld unreachable)\n", r + 1, k, ms, g);
    }
    printf("mean of the later collections: %.1f ms\n", sum / rounds);
    return 0;
}
