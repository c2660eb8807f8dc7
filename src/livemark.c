/* Mark (phase 1 definite references, ignored blocks, phase 2 any reference), clique
 * pass and iterative Tarjan over compressed rows: explicit stacks only, no recursion. */
#include "livemark.h"

#include "arena.h"

#include <string.h>

struct graph {
    size_t n;
    uint64_t *first; /* [n + 1]: the rows of the blocks */
    uint64_t root_first, root_end; /* the roots' row in adj */
    uint32_t *adj;   /* targets, LG_LIVE_INTERIOR kept */
    struct lg_live_edge *interior; /* the interior edges, where phase 2 starts */
    size_t ninterior;
};

struct stack {
    uint32_t *v;
    size_t n, cap;
};

static bool push(struct stack *s, uint32_t x)
{
    if (s->n == s->cap && !lg_grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
        return false;
    s->v[s->n++] = x;
    return true;
}

static void stack_free(struct stack *s) { lg_unmap(s->v, s->cap * sizeof *s->v); }

/* Working arrays kept from one run to the next: mapping and unmapping some hundred MB at
 * every collection cost more than the mark itself (page faults and zeroing, measured on
 * a million-block heap). Used under the collection lock only. */
static struct lg_buf b_first, b_adj, b_fill, b_interior, b_queue, b_index, b_low, b_comp, b_pos;

static size_t row(const struct graph *g, uint32_t from) { return from == LG_LIVE_ROOT ? g->n : from; }

/* A collection emits its edges grouped by source, roots first and then the blocks in
 * address order: the rows can then be filled in one pass, without the counting sort.
 * Says whether they are, and counts the interior edges (one pass over tens of MB). */
static bool survey(const struct lg_live_edge *e, size_t ne, size_t *ninterior)
{
    uint64_t prev = 0; /* roots sort as 0, block b as b + 1 */
    bool ordered = true;
    *ninterior = 0;
    for (size_t i = 0; i < ne; i++) {
        uint64_t key = e[i].from == LG_LIVE_ROOT ? 0 : (uint64_t)e[i].from + 1;
        ordered &= key >= prev;
        prev = key;
        *ninterior += (e[i].to & LG_LIVE_INTERIOR) != 0;
    }
    return ordered;
}

static void keep_interior(struct graph *g, const struct lg_live_edge *e, size_t ne)
{
    for (size_t i = 0, k = 0; i < ne; i++)
        if (e[i].to & LG_LIVE_INTERIOR)
            g->interior[k++] = e[i];
}

/* Rows from edges in row order: the roots' row is the edges' head, the blocks' follow. */
static void build_ordered(struct graph *g, const struct lg_live_edge *e, size_t ne)
{
    size_t i = 0, k = 0;
    while (i < ne && e[i].from == LG_LIVE_ROOT) {
        if (e[i].to & LG_LIVE_INTERIOR)
            g->interior[k++] = e[i];
        g->adj[i] = e[i].to;
        i++;
    }
    g->root_first = 0;
    g->root_end = i;
    for (size_t r = 0; r < g->n; r++) {
        g->first[r] = i;
        for (; i < ne && e[i].from == r; i++) {
            if (e[i].to & LG_LIVE_INTERIOR)
                g->interior[k++] = e[i];
            g->adj[i] = e[i].to;
        }
    }
    g->first[g->n] = g->first[g->n + 1] = ne;
}

static bool build_sorted(struct graph *g, const struct lg_live_edge *e, size_t ne)
{
    size_t n = g->n;
    uint64_t *fill = lg_buf_reserve(&b_fill, (n + 2) * sizeof *fill);
    if (!fill)
        return false;
    memset(g->first, 0, (n + 2) * sizeof *g->first);
    for (size_t i = 0; i < ne; i++)
        g->first[row(g, e[i].from) + 1]++;
    for (size_t r = 0; r <= n; r++)
        g->first[r + 1] += g->first[r];
    memcpy(fill, g->first, (n + 2) * sizeof *fill);
    for (size_t i = 0; i < ne; i++)
        g->adj[fill[row(g, e[i].from)]++] = e[i].to;
    g->root_first = g->first[n];
    g->root_end = g->first[n + 1];
    return true;
}

static bool build(struct graph *g, size_t n, const struct lg_live_edge *e, size_t ne)
{
    g->n = n;
    g->first = lg_buf_reserve(&b_first, (n + 2) * sizeof *g->first);
    g->adj = lg_buf_reserve(&b_adj, (ne ? ne : 1) * sizeof *g->adj);
    bool ordered = survey(e, ne, &g->ninterior);
    g->interior = lg_buf_reserve(&b_interior, (g->ninterior + 1) * sizeof *g->interior);
    if (!g->first || !g->adj || !g->interior)
        return false;
    if (!ordered) {
        keep_interior(g, e, ne);
        return build_sorted(g, e, ne);
    }
    build_ordered(g, e, ne);
    return true;
}

/* ---- mark ---- */

/* The mark goes breadth first through a queue of n places (a block enters it once, when
 * its kind is set): the rows of the blocks a few places ahead can then be prefetched,
 * where a stack would pop the block just pushed. The row reads were most of the mark's
 * time on a million blocks (cache misses). Any order marks the same set. */
struct queue {
    uint32_t *v;
    size_t head, tail;
};

static void enqueue(struct queue *q, uint32_t t, bool definite_only, uint8_t kind, uint8_t *kinds)
{
    uint32_t to = t & ~LG_LIVE_INTERIOR;
    if (kinds[to] != LG_LIVE_UNREACHED || (definite_only && (t & LG_LIVE_INTERIOR)))
        return;
    kinds[to] = kind;
    q->v[q->tail++] = to;
}

#define AHEAD_ROW 16 /* prefetch the row bounds of the block this far ahead */
#define AHEAD_ADJ 8  /* and the targets of the one this far ahead */

static void drain(const struct graph *g, bool def, uint8_t kind, uint8_t *kinds, struct queue *q)
{
    while (q->head < q->tail) {
        if (q->head + AHEAD_ROW < q->tail)
            __builtin_prefetch(&g->first[q->v[q->head + AHEAD_ROW]]);
        if (q->head + AHEAD_ADJ < q->tail)
            __builtin_prefetch(&g->adj[g->first[q->v[q->head + AHEAD_ADJ]]]);
        uint32_t b = q->v[q->head++];
        for (uint64_t k = g->first[b]; k < g->first[b + 1]; k++)
            enqueue(q, g->adj[k], def, kind, kinds);
    }
}

static bool mark(const struct graph *g, const uint8_t *ignored, uint8_t *kinds)
{
    size_t n = g->n;
    struct queue q = {lg_buf_reserve(&b_queue, (n + 1) * sizeof *q.v), 0, 0};
    if (!q.v)
        return false;
    for (uint64_t k = g->root_first; k < g->root_end; k++)
        enqueue(&q, g->adj[k], true, LG_LIVE_REACHABLE, kinds);
    drain(g, true, LG_LIVE_REACHABLE, kinds, &q);
    for (size_t b = 0; ignored && b < n; b++)
        if (ignored[b])
            enqueue(&q, (uint32_t)b, false, LG_LIVE_IGNORED, kinds);
    drain(g, false, LG_LIVE_IGNORED, kinds, &q);
    /* Phase 2 starts at the interior references from a root or a reachable block: the
     * others lead to reachable blocks (phase 1 followed them). */
    for (size_t k = 0; k < g->ninterior; k++) {
        uint32_t from = g->interior[k].from;
        if (from == LG_LIVE_ROOT || kinds[from] == LG_LIVE_REACHABLE)
            enqueue(&q, g->interior[k].to, false, LG_LIVE_POSSIBLE, kinds);
    }
    drain(g, false, LG_LIVE_POSSIBLE, kinds, &q);
    return true;
}

/* ---- Valgrind's clique pass: leaders in address order absorb what they reach ---- */

static bool clique_pass(const struct graph *g, uint8_t *kinds, struct stack *st, size_t *nlost)
{
    *nlost = 0;
    for (size_t v = 0; v < g->n; v++) {
        if (kinds[v] != LG_LIVE_UNREACHED)
            continue;
        if (!push(st, (uint32_t)v))
            return false;
        while (st->n) {
            uint32_t b = st->v[--st->n];
            for (uint64_t k = g->first[b]; k < g->first[b + 1]; k++) {
                uint32_t w = g->adj[k] & ~LG_LIVE_INTERIOR;
                if (kinds[w] != LG_LIVE_UNREACHED || w == v)
                    continue;
                kinds[w] = LG_LIVE_INDIRECT;
                if (!push(st, w))
                    return false;
            }
        }
    }
    for (size_t v = 0; v < g->n; v++) {
        *nlost += kinds[v] == LG_LIVE_INDIRECT || kinds[v] == LG_LIVE_UNREACHED;
        if (kinds[v] == LG_LIVE_UNREACHED)
            kinds[v] = LG_LIVE_DEFINITE;
    }
    return true;
}

/* ---- cycles: iterative Tarjan over the lost blocks ---- */

#define UNSEEN UINT32_MAX

struct tarjan {
    const struct graph *g;
    const uint8_t *kinds;
    uint32_t *index, *low, *comp;
    uint64_t *pos; /* next edge of each open node */
    struct stack comp_stack, frames;
    uint32_t counter, ncomps;
};

static bool lost(uint8_t k) { return k == LG_LIVE_DEFINITE || k == LG_LIVE_INDIRECT; }

static bool open_node(struct tarjan *t, uint32_t v)
{
    t->index[v] = t->low[v] = t->counter++;
    t->pos[v] = t->g->first[v];
    return push(&t->comp_stack, v) && push(&t->frames, v);
}

static void close_node(struct tarjan *t, uint32_t v)
{
    if (t->low[v] == t->index[v]) {
        uint32_t w;
        do {
            w = t->comp_stack.v[--t->comp_stack.n];
            t->comp[w] = t->ncomps; /* also takes w off the component stack */
        } while (w != v);
        t->ncomps++;
    }
    if (t->frames.n) {
        uint32_t parent = t->frames.v[t->frames.n - 1];
        if (t->low[v] < t->low[parent])
            t->low[parent] = t->low[v];
    }
}

static bool step(struct tarjan *t)
{
    uint32_t v = t->frames.v[t->frames.n - 1];
    if (t->pos[v] == t->g->first[v + 1]) {
        t->frames.n--;
        close_node(t, v);
        return true;
    }
    uint32_t w = t->g->adj[t->pos[v]++] & ~LG_LIVE_INTERIOR;
    if (!lost(t->kinds[w]))
        return true;
    if (t->index[w] == UNSEEN)
        return open_node(t, w);
    if (t->comp[w] == UNSEEN && t->index[w] < t->low[v]) /* still on the component stack */
        t->low[v] = t->index[w];
    return true;
}

static bool tarjan(struct tarjan *t, size_t n)
{
    for (size_t v = 0; v < n; v++)
        t->index[v] = t->comp[v] = UNSEEN;
    for (size_t v = 0; v < n; v++) {
        if (!lost(t->kinds[v]) || t->index[v] != UNSEEN)
            continue;
        if (!open_node(t, (uint32_t)v))
            return false;
        while (t->frames.n)
            if (!step(t))
                return false;
    }
    return true;
}

/* A component is a cycle with two members or more, or one that points at itself. */
static bool number_cycles(const struct graph *g, struct lg_livemark *m, const uint32_t *comp, uint32_t ncomps)
{
    uint32_t *size = lg_map((ncomps + 1) * sizeof *size);
    if (!size)
        return false;
    for (size_t v = 0; v < g->n; v++)
        if (comp[v] != UNSEEN)
            size[comp[v]]++;
    for (size_t v = 0; v < g->n; v++)
        for (uint64_t k = g->first[v]; comp[v] != UNSEEN && k < g->first[v + 1]; k++)
            if ((g->adj[k] & ~LG_LIVE_INTERIOR) == v)
                size[comp[v]] |= 0x80000000u;
    /* numbers in order of each cycle's lowest member: the order of the report */
    for (size_t c = 0; c < ncomps; c++)
        size[c] = ((size[c] & 0x7fffffffu) + (size[c] >> 31) >= 2) ? 0 : UNSEEN;
    for (size_t v = 0; v < g->n; v++) {
        if (comp[v] == UNSEEN || size[comp[v]] == UNSEEN)
            continue;
        if (!size[comp[v]])
            size[comp[v]] = ++m->ncycles;
        m->cycle[v] = size[comp[v]];
    }
    lg_unmap(size, (ncomps + 1) * sizeof *size);
    return true;
}

static bool cycles(const struct graph *g, struct lg_livemark *m)
{
    size_t n = g->n;
    struct tarjan t = {.g = g, .kinds = m->kind};
    t.index = lg_buf_reserve(&b_index, (n + 1) * sizeof *t.index);
    t.low = lg_buf_reserve(&b_low, (n + 1) * sizeof *t.low);
    t.comp = lg_buf_reserve(&b_comp, (n + 1) * sizeof *t.comp);
    t.pos = lg_buf_reserve(&b_pos, (n + 1) * sizeof *t.pos);
    m->cycle = lg_map((n + 1) * sizeof *m->cycle); /* only when something is lost */
    bool ok = m->cycle && t.index && t.low && t.comp && t.pos && tarjan(&t, n) &&
              number_cycles(g, m, t.comp, t.ncomps);
    stack_free(&t.comp_stack);
    stack_free(&t.frames);
    return ok;
}

bool lg_livemark_run(struct lg_livemark *m, size_t n, const struct lg_live_edge *e, size_t ne,
                     const uint8_t *ignored)
{
    struct graph g = {0};
    struct stack st = {0};
    size_t nlost; /* none: no cycles to look for (Tarjan sets up n-long arrays) */
    memset(m, 0, sizeof *m);
    m->n = n;
    m->kind = lg_map(n + 1);
    bool ok = m->kind && build(&g, n, e, ne) && mark(&g, ignored, m->kind) &&
              clique_pass(&g, m->kind, &st, &nlost) && (!nlost || cycles(&g, m));
    stack_free(&st);
    if (!ok)
        lg_livemark_release(m);
    return ok;
}

void lg_livemark_release(struct lg_livemark *m)
{
    lg_unmap(m->kind, m->n + 1);
    lg_unmap(m->cycle, (m->n + 1) * sizeof *m->cycle);
    memset(m, 0, sizeof *m);
}
