/* Breadth-first retention chains: see chain.h. */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void visit(struct lgt_chain *c, uint32_t *queue, size_t *tail, uint32_t to, uint32_t d,
                  uint64_t pred)
{
    if (c->dist[to] != LGT_CHAIN_UNREACHED)
        return;
    c->dist[to] = d;
    c->pred[to] = pred;
    queue[(*tail)++] = to;
}

void lgt_chain_bfs(const struct lgt_heap *h, const struct lgt_graph *g, struct lgt_chain *c)
{
    c->nblocks = h->nblocks;
    c->dist = lgt_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *c->dist);
    c->pred = lgt_xcalloc(h->nblocks ? h->nblocks : 1, sizeof *c->pred);
    memset(c->dist, 0xff, (h->nblocks ? h->nblocks : 1) * sizeof *c->dist);
    uint32_t *queue = lgt_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *queue);
    size_t head = 0, tail = 0;
    for (size_t k = 0; k < g->nroots; k++) /* the graph's: weak references are no chain */
        visit(c, queue, &tail, h->root_edges[g->roots[k]].to, 1, LGT_CHAIN_ROOT_EDGE | g->roots[k]);
    while (head < tail) {
        uint32_t b = queue[head++];
        for (size_t k = g->first[b]; k < g->first[b + 1]; k++) {
            uint32_t e = g->idx[k];
            visit(c, queue, &tail, h->edges[e].to, c->dist[b] + 1, e);
        }
    }
    free(queue);
}

void lgt_chain_free(struct lgt_chain *c)
{
    free(c->dist);
    free(c->pred);
    memset(c, 0, sizeof *c);
}

size_t lgt_chain_path(const struct lgt_heap *h, const struct lgt_chain *c, uint32_t target,
                      const struct lg_snap_edge ***out)
{
    *out = NULL;
    if (target >= c->nblocks || c->dist[target] == LGT_CHAIN_UNREACHED)
        return 0;
    size_t n = c->dist[target];
    const struct lg_snap_edge **v = lgt_xcalloc(n, sizeof *v);
    uint32_t b = target;
    for (size_t i = n; i-- > 0;) {
        uint64_t p = c->pred[b];
        if (p & LGT_CHAIN_ROOT_EDGE) {
            v[i] = &h->root_edges[p & ~LGT_CHAIN_ROOT_EDGE];
        } else {
            v[i] = &h->edges[p];
            b = v[i]->from;
        }
    }
    *out = v;
    return n;
}
