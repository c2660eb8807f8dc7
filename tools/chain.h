/* Shortest retention chains (objgraph's find_backref_chain): a breadth-first search over
 * every reference from all roots at once, with an explicit queue, so each block learns the
 * reference by which it was first reached. Follows start and interior pointers alike, over
 * the graph of mark.h (weak references left out). */
#ifndef LGT_CHAIN_H
#define LGT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "mark.h"
#include "reader.h"

#define LGT_CHAIN_UNREACHED UINT32_MAX

struct lgt_chain {
    size_t nblocks;
    uint32_t *dist;   /* [nblocks]: references from a root, 1 for a root's target */
    uint64_t *pred;   /* [nblocks]: the reaching edge, LGT_CHAIN_ROOT_EDGE | root edge index
                       * or a heap->edges index */
};
#define LGT_CHAIN_ROOT_EDGE (1ULL << 63)

void lgt_chain_bfs(const struct lgt_heap *h, const struct lgt_graph *g, struct lgt_chain *c);
void lgt_chain_free(struct lgt_chain *c);
/* The references from the root to target, the root edge first: returns their number (the
 * target's dist) and a fresh array in *out, or 0 (and NULL) when target is unreached. */
size_t lgt_chain_path(const struct lgt_heap *h, const struct lgt_chain *c, uint32_t target,
                      const struct lg_snap_edge ***out);

#endif
