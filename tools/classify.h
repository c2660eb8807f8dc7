/* DESIGN's four kinds (plus "ignored") and the cyclic flag, per block, and the cycles.
 * Pipeline: mark (reachable, possible) → clique pass (definite/indirect) → SCCs → cycles. */
#ifndef LGT_CLASSIFY_H
#define LGT_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "mark.h"
#include "reader.h"

struct lgt_cycle {
    uint32_t *members; /* block indices, ascending address */
    size_t n;
    uint64_t bytes;
    uint32_t comp;     /* its SCC id, to recognise the edges inside it */
};

struct lgt_total {
    uint64_t bytes, blocks;
};

struct lgt_classes {
    size_t nblocks;
    uint8_t *kinds;    /* enum lgt_kind per block */
    uint8_t *cyclic;   /* 1 when the block sits in a cycle of unreached blocks */
    uint64_t *indirect_bytes; /* definite blocks: the indirect bytes of their clique */
    uint32_t *comp;    /* SCC of each unreached block, else LGT_SCC_NONE */
    struct lgt_cycle *cycles; /* ascending by lowest member address */
    size_t ncycles;
    struct lgt_total total[LGT_KIND_COUNT];
    struct lgt_total cyclic_total;
    struct lgt_graph graph;
};

void lgt_classify_run(const struct lgt_heap *h, struct lgt_classes *c);
void lgt_classify_free(struct lgt_classes *c);

#endif
