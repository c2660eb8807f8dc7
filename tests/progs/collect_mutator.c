/* A randomized mutator for incremental collections: THREADS threads build and rewire graphs
 * of nodes (plain stores, memcpy of whole nodes, atomic exchange and compare-and-swap),
 * drop and free nodes (their addresses come back for new nodes while stale copies of them
 * stay in other nodes), and call leakgraph_collect() between rounds. Each thread keeps
 * its nodes in a registry of XORed addresses, so only the graph itself keeps nodes alive.
 * Usage: collect_mutator [rounds=40] [seed=1] [atomics=1] [ops=400] (operations per thread
 * and round: few keep most of the marking tree between collections). Prints "done". */
#include "leakgraph.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 3
#define ROOTS 16
#define NODES 600
#define MASK ((uintptr_t)0xa5a5a5a5a5a5a5a5ULL)

struct node {
    struct node *next[3];
    long payload[5]; /* 64 bytes in all */
};

struct node *roots[THREADS][ROOTS];
static int rounds = 40, use_atomics = 1, ops = 400;
static unsigned long seed = 1;
static pthread_barrier_t barrier;

struct worker {
    int id;
    uint64_t rng;
    uintptr_t reg[NODES]; /* XORed: invisible to the scanner */
    int n;
};

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static struct node *node_at(struct worker *w, int i) { return (struct node *)(w->reg[i] ^ MASK); }

static struct node *pick(struct worker *w)
{
    return w->n ? node_at(w, (int)(next_rand(&w->rng) % (uint64_t)w->n)) : NULL;
}

static void op(struct worker *w)
{
    struct node *a = pick(w), *b = pick(w);
    unsigned k = (unsigned)(next_rand(&w->rng) % 3);
    switch (next_rand(&w->rng) % 9) {
    case 0: case 1: /* a new node, hung somewhere */
        if (w->n < NODES) {
            struct node *n = calloc(1, sizeof *n);
            n->next[0] = b;
            w->reg[w->n++] = (uintptr_t)n ^ MASK;
            if (a && (next_rand(&w->rng) & 1))
                a->next[k] = n;
            else
                roots[w->id][next_rand(&w->rng) % ROOTS] = n;
        }
        break;
    case 2: case 3: /* rewire */
        if (a)
            a->next[k] = (next_rand(&w->rng) % 4) ? b : NULL;
        break;
    case 4: /* a root moves */
        roots[w->id][next_rand(&w->rng) % ROOTS] = (next_rand(&w->rng) % 3) ? a : NULL;
        break;
    case 5: /* copy a whole node over another */
        if (a && b)
            memcpy(a, b, sizeof *a);
        break;
    case 6: /* atomics: exchange and compare-and-swap */
        if (a && use_atomics) {
            struct node *old = __atomic_exchange_n(&a->next[k], b, __ATOMIC_ACQ_REL);
            __atomic_compare_exchange_n(&a->next[(k + 1) % 3], &old, b, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
        }
        break;
    case 7: /* interior pointers */
        if (a && b)
            a->next[k] = (struct node *)((char *)b + 8 * (next_rand(&w->rng) % 8));
        break;
    case 8: /* free a node: copies of its address stay in other nodes and roots */
        if (w->n > 1) {
            int i = (int)(next_rand(&w->rng) % (uint64_t)w->n);
            free(node_at(w, i));
            w->reg[i] = w->reg[--w->n];
        }
        break;
    }
}

static void *run(void *p)
{
    struct worker *w = p;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ops; i++)
            op(w);
        if (w->id == r % THREADS)
            leakgraph_collect(); /* the others keep mutating meanwhile */
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    if (argc > 2)
        seed = strtoul(argv[2], NULL, 10);
    if (argc > 3)
        use_atomics = atoi(argv[3]);
    if (argc > 4)
        ops = atoi(argv[4]);
    if (!LEAKGRAPH_AVAILABLE()) {
        puts("done");
        return 0;
    }
    static struct worker w[THREADS];
    pthread_t t[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].rng = seed * 0x9E3779B97F4A7C15ull + (uint64_t)i + 1;
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("collections: %ld garbage at the end\n", leakgraph_collect() >= 0 ? 1L : 0L);
    puts("done");
    return 0;
}
