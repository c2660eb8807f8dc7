/* Mark phases 1 (definite references → still reachable), ignored blocks (leakgraph_ignore:
 * roots of their own, as LSan treats ignored objects) and 2 (any reference from a root or a
 * reached block → possibly lost, transitively). Unreached blocks are left for classify. */
#include "mark.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void lgt_stack_push(struct lgt_stack *s, uint32_t b)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = lgt_xrealloc(s->v, s->cap, sizeof *s->v);
    }
    s->v[s->n++] = b;
}

/* ---- graph ---- */

int lgt_mark_is_weak(const struct lg_snap_edge *e)
{
    return (e->flags & LG_EDGE_WEAK) != 0;
}

/* Counting sort of the strong edges by source block, with the targets alongside: the
 * mark reads 4 bytes an edge instead of a whole edge record. */
static void build_csr(const struct lgt_heap *h, struct lgt_graph *g)
{
    g->first = lgt_xcalloc(h->nblocks + 1, sizeof *g->first);
    g->idx = lgt_xcalloc(h->nedges ? h->nedges : 1, sizeof *g->idx);
    g->adj = lgt_xcalloc(h->nedges ? h->nedges : 1, sizeof *g->adj);
    for (size_t i = 0; i < h->nedges; i++)
        if (!lgt_mark_is_weak(&h->edges[i]))
            g->first[h->edges[i].from + 1]++;
    for (size_t b = 0; b < h->nblocks; b++)
        g->first[b + 1] += g->first[b];
    size_t *fill = lgt_xmalloc((h->nblocks + 1) * sizeof *fill);
    memcpy(fill, g->first, (h->nblocks + 1) * sizeof *fill);
    for (size_t i = 0; i < h->nedges; i++) {
        const struct lg_snap_edge *e = &h->edges[i];
        if (lgt_mark_is_weak(e))
            continue;
        g->adj[fill[e->from]] = e->to | (lgt_mark_is_definite(e) ? 0 : LGT_ADJ_INTERIOR);
        g->idx[fill[e->from]++] = (uint32_t)i;
    }
    free(fill);
}

void lgt_mark_graph_build(const struct lgt_heap *h, struct lgt_graph *g)
{
    g->nblocks = h->nblocks;
    g->edges = h->edges;
    build_csr(h, g);
    g->roots = lgt_xcalloc(h->nroot_edges ? h->nroot_edges : 1, sizeof *g->roots);
    g->nroots = 0;
    for (size_t i = 0; i < h->nroot_edges; i++)
        if (!lgt_mark_is_weak(&h->root_edges[i]))
            g->roots[g->nroots++] = i;
}

void lgt_mark_graph_free(struct lgt_graph *g)
{
    free(g->first);
    free(g->idx);
    free(g->adj);
    free(g->roots);
    memset(g, 0, sizeof *g);
}

int lgt_mark_is_definite(const struct lg_snap_edge *e)
{
    return e->to_off == 0 || e->heur != LG_HEUR_NONE;
}

/* ---- the flood ---- */

/* Marks the unreached target of e with kind and queues it; definite_only filters edges. */
static void visit(const struct lg_snap_edge *e, int definite_only, uint8_t kind,
                  uint8_t *kinds, struct lgt_stack *st)
{
    if (kinds[e->to] != LGT_KIND_UNREACHED || (definite_only && !lgt_mark_is_definite(e)))
        return;
    kinds[e->to] = kind;
    lgt_stack_push(st, e->to);
}

#define AHEAD_FIRST 16 /* queued blocks ahead whose row start is prefetched */
#define AHEAD_ADJ 8     /* and whose targets */

/* Floods kind from the queued blocks, breadth first: the queue tells which blocks come
 * next, so that their rows and targets are loaded ahead (taken one at a time, depth
 * first, each block's row and targets missed the cache on a random heap: most of the
 * mark of a million blocks). The flood reaches the same blocks in any order. */
static void drain(const struct lgt_graph *g, int definite_only, uint8_t kind, uint8_t *kinds,
                  struct lgt_stack *st)
{
    uint32_t skip = definite_only ? LGT_ADJ_INTERIOR : 0;
    for (size_t head = 0; head < st->n; head++) {
        if (head + AHEAD_FIRST < st->n)
            __builtin_prefetch(&g->first[st->v[head + AHEAD_FIRST]]);
        if (head + AHEAD_ADJ < st->n)
            __builtin_prefetch(&g->adj[g->first[st->v[head + AHEAD_ADJ]]]);
        uint32_t b = st->v[head];
        for (size_t k = g->first[b]; k < g->first[b + 1]; k++) {
            uint32_t to = g->adj[k] & ~LGT_ADJ_INTERIOR;
            if (kinds[to] != LGT_KIND_UNREACHED || (g->adj[k] & skip))
                continue;
            kinds[to] = kind;
            lgt_stack_push(st, to);
            __builtin_prefetch(&g->first[to]);
        }
    }
    st->n = 0;
}

/* Every ignored block that phase 1 left unreached, and whatever it reaches that phase 1 left
 * unreached (by any reference), is ignored. Before phase 2, so that an ignored block a root
 * only points inside is ignored, not possibly lost: the program said not to report it. */
static void mark_ignored(const struct lgt_heap *h, const struct lgt_graph *g, uint8_t *kinds,
                         struct lgt_stack *st)
{
    for (size_t b = 0; b < h->nblocks; b++)
        if ((lgt_reader_block_flags(h, b) & LG_BATTR_IGNORED) &&
            kinds[b] == LGT_KIND_UNREACHED) {
            kinds[b] = LGT_KIND_IGNORED;
            lgt_stack_push(st, (uint32_t)b);
        }
    drain(g, 0, LGT_KIND_IGNORED, kinds, st);
}

void lgt_mark_run(const struct lgt_heap *h, const struct lgt_graph *g, uint8_t *kinds)
{
    struct lgt_stack st = {0};
    memset(kinds, LGT_KIND_UNREACHED, h->nblocks);
    /* Phase 1: chains of start pointers (or heuristic-accepted interior pointers). */
    for (size_t i = 0; i < g->nroots; i++)
        visit(&h->root_edges[g->roots[i]], 1, LGT_KIND_STILL_REACHABLE, kinds, &st);
    drain(g, 1, LGT_KIND_STILL_REACHABLE, kinds, &st);
    if (h->block_flags)
        mark_ignored(h, g, kinds, &st);
    /* Phase 2: any other reference from a root or a reached block. */
    for (size_t i = 0; i < g->nroots; i++)
        visit(&h->root_edges[g->roots[i]], 0, LGT_KIND_POSSIBLY_LOST, kinds, &st);
    for (size_t b = 0; b < h->nblocks; b++)
        if (kinds[b] == LGT_KIND_STILL_REACHABLE)
            for (size_t k = g->first[b]; k < g->first[b + 1]; k++)
                visit(&g->edges[g->idx[k]], 0, LGT_KIND_POSSIBLY_LOST, kinds, &st);
    drain(g, 0, LGT_KIND_POSSIBLY_LOST, kinds, &st);
    free(st.v);
}
