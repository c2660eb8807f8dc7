/* The in-process classification of a collection (tools/mark.c, classify.c and scc.c
 * redone on tracer memory): mark from the roots, Valgrind's clique pass, and the
 * strongly connected parts of the unreached blocks. Allocates only with lg_map. */
#ifndef LG_LIVEMARK_H
#define LG_LIVEMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lg_live_kind {
    LG_LIVE_UNREACHED = 0, /* only between the mark and the clique pass */
    LG_LIVE_REACHABLE,
    LG_LIVE_POSSIBLE,
    LG_LIVE_DEFINITE,
    LG_LIVE_INDIRECT,
    LG_LIVE_IGNORED
};

/* A strong reference between blocks (indices into the sorted block array); from is
 * LG_LIVE_ROOT for a root. Weak references are never edges. */
#define LG_LIVE_ROOT UINT32_MAX
struct lg_live_edge {
    uint32_t from;
    uint32_t to; /* top bit LG_LIVE_INTERIOR: an interior pointer no heuristic accepts */
};
#define LG_LIVE_INTERIOR 0x80000000u

struct lg_livemark {
    size_t n;
    uint8_t *kind;   /* enum lg_live_kind per block */
    uint32_t *cycle; /* 0, or the 1-based number of the cycle the block sits in; NULL when
                      * nothing is lost (no block in a cycle) */
    uint32_t ncycles;
};

/* Classifies n blocks (sorted by address: the clique pass takes leaders in that order);
 * ignored[i] (may be NULL) flags leakgraph_ignore'd blocks. Root edges may sit anywhere
 * in e. False when out of tracer memory. */
bool lg_livemark_run(struct lg_livemark *m, size_t n, const struct lg_live_edge *e, size_t ne,
                     const uint8_t *ignored);
void lg_livemark_release(struct lg_livemark *m);

#endif
