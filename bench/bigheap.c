/* bench/bigheap.c: a big live heap for measuring the exit-time leak check.
 *
 * usage: bigheap [nodes_in_thousands=2000]
 *
 * Allocates N blocks of 100 bytes (~200 MB at the default 2 million, with malloc
 * overhead ~230 MB) linked into a pointer graph, then exits without freeing it:
 *  - 60% form one big binary tree reachable from a global (reachable);
 *  - 20% form rings of 100 nodes (cycles); every other ring is hung off a global
 *    array, the rest are dropped (cyclic leaks: each ring points only to itself);
 *  - 20% form subtrees of 1000 nodes; 9 in 10 are kept in a global array, the
 *    others dropped (one definitely lost root, 999 indirectly lost nodes each).
 * So ~12% of the blocks are lost. Deterministic; prints a checksum. The work the tool
 * does at exit (stop threads, scan 200 MB, build the graph, report) is what the
 * benchmark measures, as the run's wall time minus the native run's. */
#include "xorshift.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *a, *b;     /* tree children, or ring successor in a */
    struct node *up;        /* parent (tree) / ring head */
    uint64_t val;
    /* the rest of the 100-byte block is payload */
};

/* the roots: external, so the compiler cannot drop the stores */
struct node *big_root;
struct node **kept_rings;
struct node **kept_subtrees;
size_t nkept_rings, nkept_subtrees;
static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void) { return xorshift64(&rng); }

static __attribute__((noinline)) struct node *new_tree_node(struct node *up)
{
    struct node *n = malloc(100);
    /* Zero the unused tail: under glibc it is carved from the previous subtree's freed
     * index array, whose stale pointers would (rightly) keep a dropped subtree
     * reachable; Valgrind's and LSan's allocators never reuse memory that way. */
    memset(n, 0, 100);
    n->a = n->b = NULL;
    n->up = up;
    n->val = rnd();
    return n;
}

static __attribute__((noinline)) struct node *new_ring_node(void)
{
    struct node *n = malloc(100);
    /* Zero the unused tail: under glibc it is carved from the previous subtree's freed
     * index array, whose stale pointers would (rightly) keep a dropped subtree
     * reachable; Valgrind's and LSan's allocators never reuse memory that way. */
    memset(n, 0, 100);
    n->a = n->b = n->up = NULL;
    n->val = rnd();
    return n;
}

/* a complete-ish binary tree of n nodes, built breadth first with a queue array */
static __attribute__((noinline)) struct node *build_tree(size_t n, uint64_t *sum)
{
    if (!n) return NULL;
    struct node **q = malloc(n * sizeof *q);
    q[0] = new_tree_node(NULL);
    *sum += q[0]->val;
    for (size_t i = 1; i < n; i++) {
        struct node *parent = q[(i - 1) / 2];
        q[i] = new_tree_node(parent);
        *sum += q[i]->val;
        if (i & 1) parent->a = q[i]; else parent->b = q[i];
    }
    struct node *root = q[0];
    /* Clear before freeing: glibc hands this chunk to the next allocation (printf's
     * stdout buffer, at the end), and its stale node pointers would keep a dropped
     * subtree reachable in this process, though not under Valgrind's or LSan's
     * allocators, which do not reuse it. */
    explicit_bzero(q, n * sizeof *q); /* memset before free is a dead store to gcc */
    free(q);
    return root;
}

static __attribute__((noinline)) struct node *build_ring(size_t n, uint64_t *sum)
{
    struct node *head = new_ring_node(), *prev = head;
    *sum += head->val;
    for (size_t i = 1; i < n; i++) {
        struct node *x = new_ring_node();
        x->up = head;
        *sum += x->val;
        prev->a = x;
        prev = x;
    }
    prev->a = head;
    return head;
}

int main(int argc, char **argv)
{
    long k = argc > 1 ? atol(argv[1]) : 2000;
    if (k < 1) k = 1;
    size_t total = (size_t)k * 1000;
    size_t tree_n = total * 6 / 10;
    size_t ring_n = total * 2 / 10, ring_len = 100, nrings = ring_n / ring_len;
    size_t sub_n = total - tree_n - nrings * ring_len, sub_len = 1000;
    size_t nsubs = sub_n / sub_len;
    uint64_t sum = 0;
    size_t lost = 0;

    big_root = build_tree(tree_n, &sum);

    kept_rings = malloc((nrings + 1) * sizeof *kept_rings);
    for (size_t i = 0; i < nrings; i++) {
        struct node *r = build_ring(ring_len, &sum);
        if (i & 1) lost += ring_len;            /* dropped: a lost cycle */
        else kept_rings[nkept_rings++] = r;
    }

    kept_subtrees = malloc((nsubs + 1) * sizeof *kept_subtrees);
    for (size_t i = 0; i < nsubs; i++) {
        struct node *t = build_tree(sub_len, &sum);
        if (i % 10 == 9) lost += sub_len;       /* dropped: definite + indirect */
        else kept_subtrees[nkept_subtrees++] = t;
    }

    printf("bigheap: %zu blocks of 100 B, ~%zu lost, checksum=%016llx\n",
           1 + tree_n + nrings * ring_len + nsubs * sub_len, lost, (unsigned long long)sum);
    return 0; /* exit with the heap live: the leak check runs now */
}
