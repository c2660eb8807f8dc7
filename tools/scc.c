/* Iterative Tarjan: the recursion is an explicit frame stack (node, next out-edge). */
#include "scc.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define UNVISITED UINT32_MAX

struct frame {
    uint32_t v;
    size_t pos; /* next out-edge of v in the CSR */
};

struct tarjan {
    const struct lgt_graph *g;
    const uint8_t *in;
    uint32_t *index, *low;
    uint8_t *onstack;
    struct lgt_stack comp_stack;
    struct frame *frames;
    size_t nframes;
    uint32_t counter;
    struct lgt_scc *out;
};

static void open_node(struct tarjan *t, uint32_t v)
{
    t->index[v] = t->low[v] = t->counter++;
    lgt_stack_push(&t->comp_stack, v);
    t->onstack[v] = 1;
    t->frames[t->nframes++] = (struct frame){v, t->g->first[v]};
}

/* v's frame is finished: emit a component if v is its root. */
static void close_node(struct tarjan *t, uint32_t v)
{
    if (t->low[v] == t->index[v]) {
        uint32_t w;
        do {
            w = t->comp_stack.v[--t->comp_stack.n];
            t->onstack[w] = 0;
            t->out->comp[w] = (uint32_t)t->out->ncomps;
        } while (w != v);
        t->out->ncomps++;
    }
    if (t->nframes) {
        uint32_t parent = t->frames[t->nframes - 1].v;
        if (t->low[v] < t->low[parent])
            t->low[parent] = t->low[v];
    }
}

static void step(struct tarjan *t)
{
    struct frame *f = &t->frames[t->nframes - 1];
    if (f->pos == t->g->first[f->v + 1]) {
        uint32_t v = f->v;
        t->nframes--;
        close_node(t, v);
        return;
    }
    uint32_t w = t->g->edges[t->g->idx[f->pos++]].to;
    if (!t->in[w])
        return;
    if (t->index[w] == UNVISITED)
        open_node(t, w);
    else if (t->onstack[w] && t->index[w] < t->low[f->v])
        t->low[f->v] = t->index[w];
}

void lgt_scc_run(const struct lgt_graph *g, const uint8_t *in, struct lgt_scc *out)
{
    size_t n = g->nblocks;
    struct tarjan t = {.g = g, .in = in, .out = out};
    out->ncomps = 0;
    out->comp = lgt_xmalloc(n * sizeof *out->comp);
    t.index = lgt_xmalloc(n * sizeof *t.index);
    t.low = lgt_xmalloc(n * sizeof *t.low);
    t.onstack = lgt_xcalloc(n, 1);
    t.frames = lgt_xmalloc(n * sizeof *t.frames); /* depth never exceeds the node count */
    for (size_t v = 0; v < n; v++)
        out->comp[v] = t.index[v] = LGT_SCC_NONE;
    for (size_t v = 0; v < n; v++) {
        if (!in[v] || t.index[v] != UNVISITED)
            continue;
        open_node(&t, (uint32_t)v);
        while (t.nframes)
            step(&t);
    }
    free(t.index);
    free(t.low);
    free(t.onstack);
    free(t.frames);
    free(t.comp_stack.v);
}

void lgt_scc_free(struct lgt_scc *s)
{
    free(s->comp);
    memset(s, 0, sizeof *s);
}
