/* Strongly connected components of a subgraph of the block graph: iterative Tarjan, so deep
 * graphs cannot overflow the C stack. Knows nothing of leak kinds. */
#ifndef LGT_SCC_H
#define LGT_SCC_H

#include <stddef.h>
#include <stdint.h>

#include "mark.h"

#define LGT_SCC_NONE UINT32_MAX

struct lgt_scc {
    uint32_t *comp; /* [nblocks]: component of each block, LGT_SCC_NONE outside the subgraph */
    size_t ncomps;  /* numbered in reverse topological order, as Tarjan emits them */
};

/* Components of the blocks b with in[b] != 0, using only edges between such blocks. */
void lgt_scc_run(const struct lgt_graph *g, const uint8_t *in, struct lgt_scc *out);
void lgt_scc_free(struct lgt_scc *s);

#endif
