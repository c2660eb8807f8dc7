/* bench/workload.c: malloc-heavy multi-threaded workload for leakgraph's benchmark.
 *
 * usage: workload [ops_per_thread_in_thousands=6000] [threads=2] [seed=1]
 *
 * Each thread keeps a live working set of LIVE blocks in a slot table; most of them
 * are also threaded onto per-thread linked lists and a binary tree whose links are
 * rewired as blocks are replaced. Every operation picks a slot, frees (or reallocs)
 * the block there and allocates a new one through a recursive call chain of depth
 * 5..25 that passes through several distinct functions, so allocations come from
 * many distinct stacks (about 2000). Sizes range 8 B .. 4 KB, skewed small, and
 * depend on the call site (see site_size()).
 * Deterministic (xorshift PRNG per thread); prints a checksum. At the end almost
 * everything is freed, except a few blocks leaked on purpose. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xorshift.h"

/* Pointer stores into the heap. Built with -DWORKLOAD_STORE_MACRO they go through
 * LEAKGRAPH_STORE (bench/storework.sh measures what that and the compiler hooks cost). */
#ifdef WORKLOAD_STORE_MACRO
#include "leakgraph.h"
#define PSTORE(lhs, rhs) LEAKGRAPH_STORE(lhs, rhs)
#else
#define PSTORE(lhs, rhs) ((lhs) = (rhs))
#endif

#define LIVE 16384          /* live blocks per thread */
#define NLISTS 64           /* linked lists per thread */

struct node {
    struct node *next, *prev;  /* list links */
    struct node *left, *right; /* tree links */
    uint32_t size;
    uint32_t tag;
    unsigned char data[];   /* size - header bytes of payload */
};

struct tstate {
    uint64_t rng;
    struct node *slot[LIVE];
    unsigned char tiny[LIVE]; /* slot holds a tiny (non-node) block */
    struct node *list[NLISTS];
    struct node *root;
    uint64_t ops;
    uint64_t sum;
};

static inline uint64_t rnd(struct tstate *t) { return xorshift64(&t->rng); }

/* Size of a block allocated at a given site (call path): like a real program, most
 * sites allocate one type, some (a quarter) allocate a few different sizes (strings,
 * buffers). Sizes are skewed small: 8..23 B tiny blocks, nodes of 40..~4100 B. */
static size_t site_size(unsigned pidx, int depth, uint64_t r)
{
    uint32_t h = (pidx + 1) * 2654435761u ^ (uint32_t)(depth + 7) * 40503u;
    h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
    size_t sz;
    switch (h & 7) {
    case 0: case 1: case 2: sz = sizeof(struct node) + ((h >> 8) & 31); break;
    case 3: case 4: sz = sizeof(struct node) + ((h >> 8) & 127); break;
    case 5: sz = sizeof(struct node) + ((h >> 8) & 511); break;
    case 6: return 8 + ((h >> 8) & 15);   /* tiny, not a node: 8-23 B */
    default: sz = sizeof(struct node) + ((h >> 8) & 4095); break;
    }
    if (((h >> 20) & 3) == 0) sz += ((r >> 50) & 7) * 8; /* variable-size site */
    return sz;
}

/* ---- allocation leaves: several distinct sites ---- */
static __attribute__((noinline)) void *leaf_malloc(struct tstate *t, size_t n)
{
    void *p = malloc(n);
    t->sum += (uintptr_t)n;
    return p;
}
static __attribute__((noinline)) void *leaf_calloc(struct tstate *t, size_t n)
{
    void *p = calloc(1, n);
    t->sum += (uintptr_t)n * 3;
    return p;
}
static __attribute__((noinline)) void *leaf_malloc2(struct tstate *t, size_t n)
{
    unsigned char *p = malloc(n);
    if (p) p[0] = (unsigned char)n;
    t->sum += (uintptr_t)n * 5;
    return p;
}

/* ---- a call chain through four mutually recursive functions; the path taken
 * depends on the PRNG, so stacks vary in depth and in composition ---- */
static void *walk_a(struct tstate *t, int depth, size_t n, unsigned path);
static void *walk_b(struct tstate *t, int depth, size_t n, unsigned path);
static void *walk_c(struct tstate *t, int depth, size_t n, unsigned path);
static void *walk_d(struct tstate *t, int depth, size_t n, unsigned path);

static __attribute__((noinline)) void *bottom(struct tstate *t, size_t n, unsigned path)
{
    switch (path % 3) {
    case 0: return leaf_malloc(t, n);
    case 1: return leaf_calloc(t, n);
    default: return leaf_malloc2(t, n);
    }
}

#define STEP(self, depth, n, path)                                    \
    do {                                                              \
        if ((depth) <= 0) return bottom(t, n, path);                  \
        void *r_;                                                     \
        switch ((path) & 3) {                                         \
        case 0: r_ = walk_a(t, (depth) - 1, n, (path) >> 2); break;   \
        case 1: r_ = walk_b(t, (depth) - 1, n, (path) >> 2); break;   \
        case 2: r_ = walk_c(t, (depth) - 1, n, (path) >> 2); break;   \
        default: r_ = walk_d(t, (depth) - 1, n, (path) >> 2); break;  \
        }                                                             \
        __asm__ volatile("" ::: "memory"); /* no tail call */         \
        return r_;                                                    \
    } while (0)

static __attribute__((noinline)) void *walk_a(struct tstate *t, int depth, size_t n, unsigned path)
{ STEP(walk_a, depth, n, path); }
static __attribute__((noinline)) void *walk_b(struct tstate *t, int depth, size_t n, unsigned path)
{ volatile int pad = depth; (void)pad; STEP(walk_b, depth, n, path); }
static __attribute__((noinline)) void *walk_c(struct tstate *t, int depth, size_t n, unsigned path)
{ volatile long pad[2] = {depth, (long)n}; (void)pad; STEP(walk_c, depth, n, path); }
static __attribute__((noinline)) void *walk_d(struct tstate *t, int depth, size_t n, unsigned path)
{ STEP(walk_d, depth, n, path); }

/* depth 5..25; the path bits are drawn from a small pool so that the number of
 * distinct stacks stays in the low thousands (like a real program) */
struct site { unsigned pidx; int depth; size_t size; };

static struct site pick_site(struct tstate *t)
{
    uint64_t r = rnd(t);
    struct site s;
    s.depth = 5 + (int)(r % 21);
    s.pidx = (unsigned)((r >> 8) % 97);
    s.size = site_size(s.pidx, s.depth, r);
    return s;
}

static void *alloc_deep(struct tstate *t, struct site s)
{
    return walk_a(t, s.depth, s.size, s.pidx * 0x9E3779B1u);
}

/* ---- live structure maintenance ----
 * Lists: NLISTS doubly linked lists per thread (O(1) unlink).
 * Tree: an implicit binary tree over the slot table: the node in slot i points to
 * the nodes in slots 2i+1 and 2i+2; replacing a block rewires its parent's and its
 * own child links, so the pointer graph changes all the time. */
static void unlink_node(struct tstate *t, int i)
{
    struct node *n = t->slot[i];
    if (n->prev) PSTORE(n->prev->next, n->next); else PSTORE(t->list[n->tag % NLISTS], n->next);
    if (n->next) PSTORE(n->next->prev, n->prev);
    PSTORE(n->next, NULL);
    PSTORE(n->prev, NULL);
    if (i > 0 && !t->tiny[(i - 1) / 2] && t->slot[(i - 1) / 2]) {
        struct node *p = t->slot[(i - 1) / 2];
        if (i & 1) PSTORE(p->left, NULL); else PSTORE(p->right, NULL);
    }
}

static void link_node(struct tstate *t, int i)
{
    struct node *n = t->slot[i];
    struct node **h = &t->list[n->tag % NLISTS];
    PSTORE(n->prev, NULL);
    PSTORE(n->next, *h);
    if (*h) PSTORE((*h)->prev, n);
    PSTORE(*h, n);
    int l = 2 * i + 1, r = 2 * i + 2;
    PSTORE(n->left, (l < LIVE && !t->tiny[l]) ? t->slot[l] : NULL);
    PSTORE(n->right, (r < LIVE && !t->tiny[r]) ? t->slot[r] : NULL);
    if (i > 0 && !t->tiny[(i - 1) / 2] && t->slot[(i - 1) / 2]) {
        struct node *p = t->slot[(i - 1) / 2];
        if (i & 1) PSTORE(p->left, n); else PSTORE(p->right, n);
    }
}

static void release(struct tstate *t, int i)
{
    void *b = t->slot[i];
    if (!b) return;
    if (t->tiny[i]) {
        t->sum += ((uint32_t *)b)[0];
    } else {
        unlink_node(t, i);
        t->sum += t->slot[i]->tag;
    }
    free(b);
    PSTORE(t->slot[i], NULL);
    t->tiny[i] = 0;
}

static void install(struct tstate *t, int i, struct node *n, size_t sz)
{
    PSTORE(t->slot[i], n);
    t->tiny[i] = sz < sizeof(struct node);
    if (!n) return;
    if (t->tiny[i]) {
        memset(n, 0, sz);
        ((uint32_t *)n)[0] = (uint32_t)sz;
        return;
    }
    n->size = (uint32_t)sz;
    n->tag = (uint32_t)rnd(t);
    link_node(t, i);
    size_t payload = sz - sizeof(struct node);
    if (payload) { n->data[0] = (unsigned char)n->tag; n->data[payload - 1] = 1; }
}

static void *thread_main(void *arg)
{
    struct tstate *t = arg;
    for (uint64_t op = 0; op < t->ops; op++) {
        uint64_t r = rnd(t);
        int i = (int)(r % LIVE);
        struct site st = pick_site(t);
        size_t sz = st.size;
        if (t->slot[i] && !t->tiny[i] && sz >= sizeof(struct node) && ((r >> 40) & 7) == 0) {
            /* realloc instead of free+malloc: unlink, resize, relink */
            unlink_node(t, i);
            struct node *n = realloc(t->slot[i], sz);
            PSTORE(t->slot[i], NULL);
            install(t, i, n, sz);
            continue;
        }
        release(t, i);
        install(t, i, alloc_deep(t, st), sz);
    }
    /* teardown: free everything but 3 nodes per thread, unlinked and then
     * dropped (deliberate definite leaks) */
    int leaked = 0;
    for (int i = 0; i < LIVE; i++) {
        struct node *n = t->slot[i];
        if (!n) continue;
        if (!t->tiny[i] && leaked < 3 && (n->tag & 7) == 5) {
            unlink_node(t, i);
            PSTORE(n->left, NULL);
            PSTORE(n->right, NULL);
            PSTORE(t->slot[i], NULL);
            leaked++;
            continue;
        }
        release(t, i);
    }
    memset(t->list, 0, sizeof t->list);
    return NULL;
}

/* one more deliberate leak from main's own stack, with a pointer-holding pair */
static __attribute__((noinline)) void leak_pair(void)
{
    struct node *a = malloc(sizeof(struct node) + 16);
    struct node *b = malloc(sizeof(struct node) + 16);
    a->next = b; b->next = NULL; a->left = a->right = b->left = b->right = NULL;
    __asm__ volatile("" : : "r"(a) : "memory");
}

int main(int argc, char **argv)
{
    long kops = argc > 1 ? atol(argv[1]) : 6000;
    int nthreads = argc > 2 ? atoi(argv[2]) : 2;
    unsigned long seed = argc > 3 ? strtoul(argv[3], NULL, 0) : 1;
    if (kops < 1) kops = 1;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;

    struct tstate **ts = calloc((size_t)nthreads, sizeof *ts);
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    for (int i = 0; i < nthreads; i++) {
        ts[i] = calloc(1, sizeof **ts);
        ts[i]->rng = 0x9E3779B97F4A7C15ull * (seed + (unsigned long)i + 1) | 1;
        ts[i]->ops = (uint64_t)kops * 1000;
        if (nthreads == 1) continue;
        if (pthread_create(&th[i], NULL, thread_main, ts[i])) { perror("pthread_create"); return 1; }
    }
    if (nthreads == 1) thread_main(ts[0]);
    uint64_t sum = 0;
    for (int i = 0; i < nthreads; i++) {
        if (nthreads > 1) pthread_join(th[i], NULL);
        sum = sum * 31 + ts[i]->sum;
        free(ts[i]);
    }
    free(ts);
    free(th);
    leak_pair();
    printf("workload: threads=%d ops=%ld000/thread checksum=%016llx\n", nthreads, kops,
           (unsigned long long)sum);
    return 0;
}
