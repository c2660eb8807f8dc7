/* Classification: mark, then Valgrind's clique pass over the unreached blocks, then the
 * strongly connected parts of the unreached graph for the cyclic flag. Ignored blocks
 * (leakgraph_ignore) leave the mark as LGT_KIND_IGNORED: in no clique and no cycle. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "scc.h"
#include "xalloc.h"

/* ---- definite and indirect: Valgrind's clique pass ---- */

/* Floods from leader over blocks still UNREACHED (not itself), making them indirect and
 * charging their bytes to the leader. An earlier leader that is reached stops being one and
 * hands over what it was charged, as in memcheck's lc_push_with_clique_if_a_chunk_ptr. Blocks
 * already indirect stop the flood, so every block is flooded once: linear overall. */
static void flood_clique(const struct lgt_heap *h, struct lgt_classes *c, uint32_t leader,
                         struct lgt_stack *st)
{
    const struct lgt_graph *g = &c->graph;
    lgt_stack_push(st, leader);
    while (st->n) {
        uint32_t b = st->v[--st->n];
        for (size_t k = g->first[b]; k < g->first[b + 1]; k++) {
            uint32_t w = g->edges[g->idx[k]].to;
            if (c->kinds[w] != LGT_KIND_UNREACHED || w == leader)
                continue;
            c->kinds[w] = LGT_KIND_INDIRECTLY_LOST;
            c->indirect_bytes[leader] += h->blocks[w].size + c->indirect_bytes[w];
            c->indirect_bytes[w] = 0;
            lgt_stack_push(st, w);
        }
    }
}

/* Leaders in ascending address order: each block still unreached at its turn. Those never
 * absorbed by a later leader are definitely lost; so in a lost cycle with no outside
 * pointer the lowest-addressed member is the definite one. */
static void clique_pass(const struct lgt_heap *h, struct lgt_classes *c)
{
    struct lgt_stack st = {0};
    for (size_t v = 0; v < h->nblocks; v++)
        if (c->kinds[v] == LGT_KIND_UNREACHED)
            flood_clique(h, c, (uint32_t)v, &st);
    for (size_t v = 0; v < h->nblocks; v++)
        if (c->kinds[v] == LGT_KIND_UNREACHED)
            c->kinds[v] = LGT_KIND_DEFINITELY_LOST;
    free(st.v);
}

/* ---- cycles ---- */

static void find_cycles(const struct lgt_heap *h, struct lgt_classes *c, size_t ncomps)
{
    uint32_t *size = lgt_xcalloc(ncomps, sizeof *size);
    uint32_t *cycle_of = lgt_xmalloc(ncomps * sizeof *cycle_of);
    for (size_t v = 0; v < h->nblocks; v++)
        if (c->comp[v] != LGT_SCC_NONE)
            size[c->comp[v]]++;
    const struct lgt_graph *g = &c->graph; /* strong edges only: a weak self-loop is no cycle */
    for (size_t v = 0; v < h->nblocks; v++)
        for (size_t k = g->first[v]; k < g->first[v + 1] && c->comp[v] != LGT_SCC_NONE; k++)
            if (g->edges[g->idx[k]].to == v)
                size[c->comp[v]] |= 0x80000000u; /* self-loop: cyclic at size 1 */
    for (size_t k = 0; k < ncomps; k++)
        cycle_of[k] = LGT_SCC_NONE;
    for (size_t v = 0; v < h->nblocks; v++) {
        uint32_t k = c->comp[v];
        if (k == LGT_SCC_NONE || (size[k] & 0x7fffffffu) + (size[k] >> 31) < 2)
            continue;
        if (cycle_of[k] == LGT_SCC_NONE) {
            cycle_of[k] = (uint32_t)c->ncycles;
            c->cycles = lgt_xrealloc(c->cycles, c->ncycles + 1, sizeof *c->cycles);
            c->cycles[c->ncycles++] = (struct lgt_cycle){
                .members = lgt_xmalloc((size[k] & 0x7fffffffu) * sizeof(uint32_t)), .comp = k};
        }
        struct lgt_cycle *cy = &c->cycles[cycle_of[k]];
        cy->members[cy->n++] = (uint32_t)v;
        cy->bytes += h->blocks[v].size;
        c->cyclic[v] = 1;
        c->cyclic_total.bytes += h->blocks[v].size;
        c->cyclic_total.blocks++;
    }
    free(size);
    free(cycle_of);
}

void lgt_classify_run(const struct lgt_heap *h, struct lgt_classes *c)
{
    memset(c, 0, sizeof *c);
    c->nblocks = h->nblocks;
    c->kinds = lgt_xmalloc(h->nblocks);
    c->cyclic = lgt_xcalloc(h->nblocks, 1);
    c->indirect_bytes = lgt_xcalloc(h->nblocks, sizeof *c->indirect_bytes);
    lgt_mark_graph_build(h, &c->graph);
    lgt_mark_run(h, &c->graph, c->kinds);

    uint8_t *lost = lgt_xmalloc(h->nblocks);
    for (size_t v = 0; v < h->nblocks; v++)
        lost[v] = c->kinds[v] == LGT_KIND_UNREACHED;
    struct lgt_scc scc;
    lgt_scc_run(&c->graph, lost, &scc);
    free(lost);
    c->comp = scc.comp; /* ownership moves to c */
    clique_pass(h, c);
    find_cycles(h, c, scc.ncomps);
    for (size_t v = 0; v < h->nblocks; v++) {
        c->total[c->kinds[v]].bytes += h->blocks[v].size;
        c->total[c->kinds[v]].blocks++;
    }
}

void lgt_classify_free(struct lgt_classes *c)
{
    for (size_t i = 0; i < c->ncycles; i++)
        free(c->cycles[i].members);
    free(c->cycles);
    free(c->kinds);
    free(c->cyclic);
    free(c->indirect_bytes);
    free(c->comp);
    lgt_mark_graph_free(&c->graph);
    memset(c, 0, sizeof *c);
}
