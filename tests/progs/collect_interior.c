/* Incremental collections with interior pointers: collect_interior [rounds=40] [seed=1]
 * [ops=20]. Up to 300 nodes of varied sizes (40 B to 4000 B) whose first word is their
 * length, so that a pointer 8 bytes in is accepted by Valgrind's length64 heuristic;
 * references are start pointers, pointers 8 bytes in, or any interior word; nodes are
 * allocated, rewired, dropped, freed (their addresses come back), grown by realloc
 * (stale copies of the old address stay) and copied with memcpy, the registry of nodes
 * XORed so that only the graph keeps them. leakgraph_collect() after every round; run
 * with collect_verify=1, every collection is compared with a full rescan. Prints "done".
 * (Written for the review of the live graph under stable ids: it found that an interior
 * pointer into a block freed and replaced at the same address, in a clean row, was not
 * followed again.) */
#include "leakgraph.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define NODES 300
#define ROOTS 8
#define MASK ((uintptr_t)0xa5a5a5a5a5a5a5a5ULL)
struct node { long len; void *next[4]; };

void *roots[ROOTS];
static uintptr_t reg[NODES];
static size_t sz[NODES];
static int n;
static uint64_t rng;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static struct node *at(int i) { return (struct node *)(reg[i] ^ MASK); }
static void *ref(struct node *x, size_t s)
{
    if (!x) return NULL;
    switch (rnd() % 5) {
    case 0: return (char *)x + 8;
    case 1: return (char *)x + 8 * (1 + rnd() % (s / 8 - 1)); /* any interior word */
    default: return x;
    }
}
static int pi(void) { return n ? (int)(rnd() % n) : -1; }
static size_t rsize(void) { static const size_t s[] = {40, 56, 72, 120, 504, 1016, 4000}; return s[rnd() % 7]; }

static void op(void)
{
    int ia = pi(), ib = pi();
    struct node *a = ia >= 0 ? at(ia) : NULL, *b = ib >= 0 ? at(ib) : NULL;
    unsigned k = rnd() % 4;
    switch (rnd() % 12) {
    case 0: case 1: case 2:
        if (n < NODES) {
            size_t s = rsize();
            struct node *x = malloc(s);
            memset(x, 0, s);
            x->len = (long)s - 8;
            if (b) x->next[0] = ref(b, sz[ib]);
            if (a && rnd() % 2) a->next[k] = ref(x, s);
            else roots[rnd() % ROOTS] = ref(x, s);
            sz[n] = s;
            reg[n++] = (uintptr_t)x ^ MASK;
        }
        break;
    case 3: case 4:
        if (a) a->next[k] = ref(b, b ? sz[ib] : 8);
        break;
    case 5:
        roots[rnd() % ROOTS] = ref(a, a ? sz[ia] : 8);
        break;
    case 6:
        if (a) a->next[k] = NULL;
        break;
    case 7: case 8:
        if (n) {
            int i = rnd() % n;
            free(at(i));
            reg[i] = reg[n - 1];
            sz[i] = sz[n - 1];
            n--;
        }
        break;
    case 9:
        if (a) a->len = rnd() % 3 ? (long)sz[ia] - 8 : 7;
        break;
    case 10: /* realloc: stale copies of the old address stay */
        if (a) {
            size_t s = rsize();
            struct node *x = realloc(a, s);
            if (s > sz[ia]) memset((char *)x + sz[ia], 0, s - sz[ia]);
            x->len = (long)s - 8;
            sz[ia] = s;
            reg[ia] = (uintptr_t)x ^ MASK;
            if (rnd() % 2) roots[rnd() % ROOTS] = ref(x, s);
        }
        break;
    case 11: /* struct copy */
        if (a && b && a != b)
            memcpy(a->next, b->next, sizeof a->next);
        break;
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 40;
    rng = argc > 2 ? strtoull(argv[2], 0, 10) * 2654435761u + 1 : 1;
    int ops = argc > 3 ? atoi(argv[3]) : 20;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < ops; k++)
            op();
        leakgraph_collect();
    }
    puts("done");
    return 0;
}
