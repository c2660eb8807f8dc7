/* The mark from the roots (Valgrind semantics): still reachable, possibly lost, ignored
 * (leakgraph_ignore), and the rest left unreached for classify. Explicit work stacks only:
 * no recursion, so a list of 10^7 blocks cannot overflow the C stack. */
#ifndef LGT_MARK_H
#define LGT_MARK_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

enum lgt_kind {
    LGT_KIND_UNREACHED = 0, /* only between mark and classify */
    LGT_KIND_STILL_REACHABLE,
    LGT_KIND_POSSIBLY_LOST,
    LGT_KIND_DEFINITELY_LOST,
    LGT_KIND_INDIRECTLY_LOST,
    LGT_KIND_IGNORED, /* flagged LG_BATTR_IGNORED, or only such a block reaches it: never a leak */
    LGT_KIND_COUNT
};

/* The references that keep blocks alive: out-edges of every block grouped by source
 * (compressed sparse rows), and the root edges. Weak edges (LG_EDGE_WEAK) are left out here,
 * once, so that the mark, the cycles, the clique pass and the chains never follow them. */
struct lgt_graph {
    size_t nblocks;
    size_t *first;     /* [nblocks + 1]: out-edges of b are idx[first[b] .. first[b+1]) */
    uint32_t *idx;     /* indices into heap->edges */
    const struct lg_snap_edge *edges;
    uint32_t *adj;     /* [same as idx]: each edge's target, LGT_ADJ_INTERIOR when not definite */
    size_t *roots;     /* indices into heap->root_edges of the strong root edges */
    size_t nroots;
};

#define LGT_ADJ_INTERIOR 0x80000000u

void lgt_mark_graph_build(const struct lgt_heap *h, struct lgt_graph *g);
void lgt_mark_graph_free(struct lgt_graph *g);

/* True when an edge keeps its target "still reachable": a start pointer, or an interior
 * pointer that one of Valgrind's default heuristics accepted. */
int lgt_mark_is_definite(const struct lg_snap_edge *e);
/* True for a reference from a slot marked with leakgraph_weak(): not in the graph. */
int lgt_mark_is_weak(const struct lg_snap_edge *e);

/* Fills kinds[nblocks] with STILL_REACHABLE, POSSIBLY_LOST, IGNORED or UNREACHED. */
void lgt_mark_run(const struct lgt_heap *h, const struct lgt_graph *g, uint8_t *kinds);

/* A growable stack of block indices. */
struct lgt_stack {
    uint32_t *v;
    size_t n, cap;
};
void lgt_stack_push(struct lgt_stack *s, uint32_t b);

#endif
