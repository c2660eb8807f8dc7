/* Incremental versus full collections: collectheap [kblocks=1000] [rounds=5] [permille=10]
 * [replace=0]. Builds kblocks thousand nodes of 64 bytes (three pointers and five words of
 * data) in random order: a binary tree over all of them hangs off a global, every node
 * also points at a random other node, and an array of all nodes (a block too) hangs off
 * another global. Then, each round, rewires the random pointer of permille/1000 of the
 * nodes (1 % by default), replaces replace/1000 of them by new nodes (allocated, copied,
 * linked in their place in the tree and the array, the old ones freed: nodes no random
 * pointer refers to, so nothing dangles), and times leakgraph_collect(). Prints the first
 * (full) collection and every later one in ms. Run under libleakgraph.so with
 * collect_dirty=full, and with the default (userfaultfd), and compare. */
#include "leakgraph.h"
#include "xorshift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node {
    struct node *kid[2];
    struct node *other;
    long index; /* in all[] */
    long data[4];
};

struct node *root;
static struct node **all;
static int *inref; /* random pointers to each node, by index */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static inline uint64_t next(void) { return xorshift64(&rng); }

int main(int argc, char **argv)
{
    long n = (argc > 1 ? atol(argv[1]) : 1000) * 1000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    long per = argc > 3 ? atol(argv[3]) : 10;
    long replace = argc > 4 ? atol(argv[4]) : 0;
    if (!LEAKGRAPH_AVAILABLE()) {
        fputs("collectheap: run it under libleakgraph.so\n", stderr);
        return 2;
    }
    /* stdout's buffer now, not between two measured collections */
    printf("collectheap: %ld nodes, %ld/1000 rewired and %ld/1000 replaced per round\n", n, per, replace);
    all = malloc(n * sizeof *all); /* a block too: the nodes' index, scanned like any block */
    for (long i = 0; i < n; i++)
        all[i] = calloc(1, sizeof(struct node));
    for (long i = n - 1; i > 0; i--) { /* shuffle, so the tree is scattered over the heap */
        long j = (long)(next() % (unsigned long long)(i + 1));
        struct node *t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    if (replace) /* only then: writing it makes it a dirty block of a million words */
        inref = calloc(n, sizeof *inref);
    for (long i = 0; i < n; i++)
        all[i]->index = i;
    for (long i = 0; i < n; i++) {
        if (2 * i + 1 < n)
            all[i]->kid[0] = all[2 * i + 1];
        if (2 * i + 2 < n)
            all[i]->kid[1] = all[2 * i + 2];
        all[i]->other = all[next() % (unsigned long long)n];
        if (inref)
            inref[all[i]->other->index]++;
    }
    root = all[0];
    double t0 = now_ms();
    long g = leakgraph_collect();
    printf("blocks=%ld first collection: %.1f ms (%ld unreachable)\n", n + 1, now_ms() - t0, g);
    double sum = 0;
    for (int r = 0; r < rounds; r++) {
        long k = n * per / 1000;
        for (long i = 0; i < k; i++) {
            struct node *a = all[next() % (unsigned long long)n], *b = all[next() % (unsigned long long)n];
            if (inref)
                inref[a->other->index]--, inref[b->index]++;
            a->other = b;
        }
        for (long i = 0, done = 0; done < n * replace / 1000 && i < n * 4; i++) {
            long x = 1 + (long)(next() % (unsigned long long)(n - 1)); /* not the root */
            if (inref[x])
                continue;
            struct node *old = all[x], *fresh = malloc(sizeof *fresh);
            memcpy(fresh, old, sizeof *fresh);
            struct node *parent = all[(x - 1) / 2];
            parent->kid[parent->kid[0] == old ? 0 : 1] = fresh;
            all[x] = fresh;
            free(old);
            done++;
        }
        t0 = now_ms();
        g = leakgraph_collect();
        double ms = now_ms() - t0;
        sum += ms;
        printf("round %d: %ld nodes rewired, %ld replaced, collection %.1f ms (%ld unreachable)\n", r + 1, k,
               n * replace / 1000, ms, g);
    }
    printf("mean of the later collections: %.1f ms\n", sum / rounds);
    return 0;
}
