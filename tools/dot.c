/* Graphviz pictures of the heap graph: see dot.h. The walk is a breadth-first search from
 * the targets over every reference (weak ones too, drawn dashed) in one direction. Nodes are
 * appended in the order they are found, so the node array is its own queue. Each snapshot
 * edge is drawn only from the node on its walked side (the referent for backrefs, the
 * referrer for refs), and each node is walked once, so no edge is drawn twice. */
#include "dot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "rootname.h"
#include "xalloc.h"

#define MAX_FRAME_CHARS 72 /* longer function names (C++ templates) are cut with "..." */

enum node_kind { NODE_BLOCK, NODE_ROOT, NODE_MORE };

struct dnode {
    enum node_kind kind;
    uint32_t block;        /* NODE_BLOCK */
    unsigned depth;        /* references from the nearest target */
    int walked;            /* its references were followed (chain mode: its hop drawn) */
    char *text;            /* NODE_ROOT: its name, which is also its identity */
    const char *root_kind; /* NODE_ROOT: "global", "stack", ... */
    size_t more;           /* NODE_MORE: references left out */
};

struct dedge {
    size_t from, to; /* node indices */
    const struct lg_snap_edge *e; /* NULL for the edge to or from a "+K more" node */
};

/* Edges grouped by one endpoint (compressed sparse rows). */
struct adj {
    size_t *first; /* [nblocks + 1] */
    size_t *idx;   /* edge indices */
};

/* One reference of a node in the walked direction, with its sort key. */
struct ref {
    const struct lg_snap_edge *e;
    int root;       /* e comes from a root */
    uint64_t k1, k2;
};

struct dgraph {
    struct lgt_ctx *x;
    const struct lgt_dot_opts *o;
    struct lgt_rootnamer *names;
    struct lgt_chain ch;
    struct adj out, in, rin; /* block out-edges, block in-edges, root edges by target */
    uint32_t *node_of;       /* [nblocks]: node index + 1, 0 when not drawn */
    uint8_t *is_target;
    struct dnode *v;
    size_t nv, capv;
    struct dedge *e;
    size_t ne, cape;
};

/* ---- building ---- */

static void adj_build(struct adj *a, size_t nblocks, const struct lg_snap_edge *edges, size_t n,
                      int by_target)
{
    a->first = lgt_xcalloc(nblocks + 2, sizeof *a->first);
    a->idx = lgt_xcalloc(n ? n : 1, sizeof *a->idx);
    for (size_t k = 0; k < n; k++)
        a->first[(by_target ? edges[k].to : edges[k].from) + 1]++;
    for (size_t b = 0; b < nblocks; b++)
        a->first[b + 1] += a->first[b];
    size_t *fill = lgt_xmalloc((nblocks + 1) * sizeof *fill);
    memcpy(fill, a->first, (nblocks + 1) * sizeof *fill);
    for (size_t k = 0; k < n; k++)
        a->idx[fill[by_target ? edges[k].to : edges[k].from]++] = k;
    free(fill);
}

static size_t add_node(struct dgraph *g, struct dnode n)
{
    if (g->nv == g->capv)
        g->v = lgt_xrealloc(g->v, g->capv = g->capv * 2 + 16, sizeof *g->v);
    g->v[g->nv] = n;
    return g->nv++;
}

static void add_edge(struct dgraph *g, size_t from, size_t to, const struct lg_snap_edge *e)
{
    if (g->ne == g->cape)
        g->e = lgt_xrealloc(g->e, g->cape = g->cape * 2 + 16, sizeof *g->e);
    g->e[g->ne++] = (struct dedge){from, to, e};
}

/* The node of block b, created at depth when create is set; SIZE_MAX when absent. */
static size_t block_node(struct dgraph *g, uint32_t b, unsigned depth, int create)
{
    if (g->node_of[b])
        return g->node_of[b] - 1;
    if (!create)
        return SIZE_MAX;
    size_t i = add_node(g, (struct dnode){.kind = NODE_BLOCK, .block = b, .depth = depth});
    g->node_of[b] = (uint32_t)(i + 1);
    return i;
}

/* The node of the root that root edge e comes from: one per name, so the words of one
 * stack are one node while two globals are two. */
static size_t root_node(struct dgraph *g, const struct lg_snap_edge *e, int create)
{
    struct lgt_rootname rn;
    lgt_rootname_get(g->names, e, &rn);
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < g->nv && found == SIZE_MAX; i++)
        if (g->v[i].kind == NODE_ROOT && strcmp(g->v[i].text, rn.text) == 0)
            found = i;
    if (found == SIZE_MAX && create)
        found = add_node(g, (struct dnode){.kind = NODE_ROOT, .text = lgt_xstrdup(rn.text),
                                           .root_kind = rn.kind});
    lgt_rootname_clear(&rn);
    return found;
}

/* ---- the walk (backrefs, refs) ---- */

static int cmp_ref(const void *pa, const void *pb)
{
    const struct ref *a = pa, *b = pb;
    if (a->k1 != b->k1)
        return a->k1 < b->k1 ? -1 : 1;
    return a->k2 < b->k2 ? -1 : a->k2 > b->k2;
}

/* Block b's references in the walked direction, in the order they are drawn: for refs, by
 * offset in b; for backrefs, roots first, then referrers nearest to a root, so that the
 * "+K more" cut keeps the references that explain why b is alive. */
static struct ref *refs_of(struct dgraph *g, uint32_t b, size_t *n)
{
    const struct lgt_heap *h = &g->x->h;
    int back = g->o->mode == LGT_DOT_BACKREFS;
    const struct adj *a = back ? &g->in : &g->out;
    size_t nblk = a->first[b + 1] - a->first[b];
    size_t nroot = back ? g->rin.first[b + 1] - g->rin.first[b] : 0;
    struct ref *r = lgt_xcalloc(nblk + nroot + 1, sizeof *r);
    *n = 0;
    for (size_t k = 0; k < nroot; k++) {
        size_t ei = g->rin.idx[g->rin.first[b] + k];
        r[(*n)++] = (struct ref){&h->root_edges[ei], 1, 0, ei};
    }
    for (size_t k = a->first[b]; k < a->first[b + 1]; k++) {
        const struct lg_snap_edge *e = &h->edges[a->idx[k]];
        r[(*n)++] = back ? (struct ref){e, 0, 1 + (uint64_t)g->ch.dist[e->from],
                                        h->blocks[e->from].addr}
                         : (struct ref){e, 0, e->from_off, h->blocks[e->to].addr};
    }
    qsort(r, *n, sizeof *r, cmp_ref);
    return r;
}

/* Whether root node from already has an edge to node to with the same target offset: a
 * stack often holds one pointer in several words, and one arrow says it. */
static int drawn_twice(const struct dgraph *g, size_t from, size_t to,
                       const struct lg_snap_edge *e)
{
    for (size_t k = 0; k < g->ne; k++) {
        const struct lg_snap_edge *d = g->e[k].e;
        if (g->e[k].from == from && g->e[k].to == to && d && d->to_off == e->to_off &&
            lgt_mark_is_weak(d) == lgt_mark_is_weak(e))
            return 1;
    }
    return 0;
}

/* Draws the reference from node i to (or, for backrefs, from) the other end of r. */
static void draw_ref(struct dgraph *g, size_t i, const struct ref *r, int create)
{
    int back = g->o->mode == LGT_DOT_BACKREFS;
    size_t other = r->root ? root_node(g, r->e, create)
                           : block_node(g, back ? r->e->from : r->e->to, g->v[i].depth + 1, create);
    if (other == SIZE_MAX || (r->root && drawn_twice(g, other, i, r->e)))
        return;
    if (back)
        add_edge(g, other, i, r->e);
    else
        add_edge(g, i, other, r->e);
}

static void walk(struct dgraph *g, size_t i)
{
    size_t n, shown;
    struct ref *r = refs_of(g, g->v[i].block, &n);
    g->v[i].walked = 1;
    shown = n < g->o->too_many ? n : g->o->too_many;
    for (size_t k = 0; k < shown; k++)
        draw_ref(g, i, &r[k], 1);
    if (n > shown) {
        size_t m = add_node(g, (struct dnode){.kind = NODE_MORE, .more = n - shown});
        if (g->o->mode == LGT_DOT_BACKREFS)
            add_edge(g, m, i, NULL);
        else
            add_edge(g, i, m, NULL);
    }
    free(r);
}

/* A node at the depth limit is not walked, but its references to nodes already drawn are:
 * that is what closes a ring of max_depth + 1 blocks. */
static void close_frontier(struct dgraph *g, size_t i)
{
    size_t n, drawn = 0;
    struct ref *r = refs_of(g, g->v[i].block, &n);
    for (size_t k = 0; k < n && drawn < g->o->too_many; k++) {
        size_t before = g->ne;
        draw_ref(g, i, &r[k], 0);
        drawn += g->ne > before;
    }
    free(r);
}

static void build_walk(struct dgraph *g, const uint32_t *targets, size_t n)
{
    for (size_t t = 0; t < n; t++)
        block_node(g, targets[t], 0, 1);
    for (size_t i = 0; i < g->nv; i++)
        if (g->v[i].kind == NODE_BLOCK && g->v[i].depth < g->o->max_depth)
            walk(g, i);
    for (size_t i = 0; i < g->nv; i++)
        if (g->v[i].kind == NODE_BLOCK && !g->v[i].walked)
            close_frontier(g, i);
}

/* ---- the chain mode ---- */

/* The hops of target's shortest chain, last first, until one already drawn by an earlier
 * chain: chains that share a prefix share its nodes and edges. */
static void build_chain(struct dgraph *g, uint32_t target)
{
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(&g->x->h, &g->ch, target, &p);
    for (size_t i = n; i-- > 0;) {
        size_t to = block_node(g, p[i]->to, (unsigned)i + 1, 1);
        if (g->v[to].walked)
            break;
        g->v[to].walked = 1;
        size_t from = i ? block_node(g, p[i]->from, (unsigned)i, 1) : root_node(g, p[0], 1);
        add_edge(g, from, to, p[i]);
    }
    free(p);
}

/* ---- writing ---- */

void lgt_dot_quote(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *kind_color(unsigned kind)
{
    switch (kind) {
    case LGT_KIND_DEFINITELY_LOST: return "#ff6b6b";
    case LGT_KIND_INDIRECTLY_LOST: return "#ffb3b3";
    case LGT_KIND_POSSIBLY_LOST: return "#ffd27f";
    case LGT_KIND_IGNORED: return "#dddddd";
    default: return "#e6f4e6";
    }
}

/* The allocating frame, "function (file:line)", cut to MAX_FRAME_CHARS. */
static char *top_frame(struct lgt_ctx *x, uint32_t b)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(x, b);
    if (st->n == 0)
        return lgt_xstrdup("(no stack recorded)");
    char *s = lgt_frame_string(st->frames[0]);
    if (strlen(s) > MAX_FRAME_CHARS)
        strcpy(s + MAX_FRAME_CHARS - 3, "...");
    return s;
}

static void write_block(FILE *out, struct dgraph *g, size_t i)
{
    const struct lgt_heap *h = &g->x->h;
    uint32_t b = g->v[i].block;
    unsigned kind = g->x->c.kinds[b];
    const char *tag = lgt_reader_tag_name(h, lgt_reader_block_tag(h, b));
    char *frame = top_frame(g->x, b);
    char *label = lgt_xasprintf("0x%" PRIx64 "\n%" PRIu64 " bytes, %s%s\n%s%s%s%s",
                                h->blocks[b].addr, h->blocks[b].size, lgt_report_kind_name(kind),
                                g->x->c.cyclic[b] ? ", cyclic" : "", tag ? "[" : "",
                                tag ? tag : "", tag ? "]\n" : "", frame);
    fprintf(out, "  n%zu [label=", i);
    lgt_dot_quote(out, label);
    fprintf(out, ", fillcolor=\"%s\"%s%s];\n", kind_color(kind),
            g->x->c.cyclic[b] ? ", peripheries=2" : "", g->is_target[b] ? ", penwidth=3" : "");
    free(label);
    free(frame);
}

static const char *root_shape(const char *kind)
{
    if (strcmp(kind, "global") == 0)
        return "ellipse";
    if (strcmp(kind, "stack") == 0 || strcmp(kind, "register") == 0)
        return "hexagon";
    if (strcmp(kind, "tls") == 0 || strcmp(kind, "dtv") == 0)
        return "octagon";
    return "cylinder"; /* mapped or registered memory */
}

static void write_node(FILE *out, struct dgraph *g, size_t i)
{
    const struct dnode *n = &g->v[i];
    if (n->kind == NODE_BLOCK) {
        write_block(out, g, i);
        return;
    }
    if (n->kind == NODE_ROOT) {
        fprintf(out, "  n%zu [label=", i);
        lgt_dot_quote(out, n->text);
        fprintf(out, ", shape=%s, fillcolor=\"#cfe2ff\"];\n", root_shape(n->root_kind));
        return;
    }
    fprintf(out, "  n%zu [label=\"+%zu more\", shape=plaintext, style=\"\"];\n", i, n->more);
}

static void write_edge(FILE *out, const struct dgraph *g, const struct dedge *d)
{
    fprintf(out, "  n%zu -> n%zu", d->from, d->to);
    if (!d->e) {
        fputs(" [style=dotted];\n", out);
        return;
    }
    int root = g->v[d->from].kind == NODE_ROOT, weak = lgt_mark_is_weak(d->e);
    char label[96] = "";
    int k = root ? 0 : snprintf(label, sizeof label, "+%" PRIu64, d->e->from_off);
    if (d->e->to_off)
        k += snprintf(label + k, sizeof label - k, "%sto +%" PRIu32, k ? " " : "", d->e->to_off);
    if (weak)
        snprintf(label + k, sizeof label - k, "%sweak", k ? " " : "");
    if (!label[0] && !weak) {
        fputs(";\n", out);
        return;
    }
    fputs(" [label=", out);
    lgt_dot_quote(out, label);
    fputs(weak ? ", style=dashed];\n" : "];\n", out);
}

static void write_graph(FILE *out, struct dgraph *g)
{
    fputs("digraph leakgraph {\n", out);
    if (g->o->title) {
        fputs("  graph [labelloc=t, fontsize=12, label=", out);
        lgt_dot_quote(out, g->o->title);
        fputs("];\n", out);
    }
    fputs("  node [shape=box, style=filled, fillcolor=white, fontsize=10];\n"
          "  edge [fontsize=9];\n", out);
    for (size_t i = 0; i < g->nv; i++)
        write_node(out, g, i);
    for (size_t i = 0; i < g->ne; i++)
        write_edge(out, g, &g->e[i]);
    fputs("}\n", out);
}

/* ---- the entry point ---- */

static void dgraph_init(struct dgraph *g, struct lgt_ctx *x, const struct lgt_dot_opts *o)
{
    const struct lgt_heap *h = &x->h;
    memset(g, 0, sizeof *g);
    g->x = x;
    g->o = o;
    g->names = lgt_rootname_open(h);
    lgt_chain_bfs(h, &x->c.graph, &g->ch);
    g->node_of = lgt_xcalloc(h->nblocks ? h->nblocks : 1, sizeof *g->node_of);
    g->is_target = lgt_xcalloc(h->nblocks ? h->nblocks : 1, 1);
    if (o->mode == LGT_DOT_REFS)
        adj_build(&g->out, h->nblocks, h->edges, h->nedges, 0);
    if (o->mode == LGT_DOT_BACKREFS) {
        adj_build(&g->in, h->nblocks, h->edges, h->nedges, 1);
        adj_build(&g->rin, h->nblocks, h->root_edges, h->nroot_edges, 1);
    }
}

static void dgraph_free(struct dgraph *g)
{
    for (size_t i = 0; i < g->nv; i++)
        free(g->v[i].text);
    struct adj *a[] = {&g->out, &g->in, &g->rin};
    for (size_t i = 0; i < 3; i++) {
        free(a[i]->first);
        free(a[i]->idx);
    }
    free(g->v);
    free(g->e);
    free(g->node_of);
    free(g->is_target);
    lgt_chain_free(&g->ch);
    lgt_rootname_close(g->names);
}

size_t lgt_dot_write(FILE *out, struct lgt_ctx *x, const uint32_t *targets, size_t n,
                     const struct lgt_dot_opts *o)
{
    struct dgraph g;
    dgraph_init(&g, x, o);
    for (size_t t = 0; t < n; t++)
        g.is_target[targets[t]] = 1;
    if (o->mode == LGT_DOT_CHAIN)
        for (size_t t = 0; t < n; t++)
            build_chain(&g, targets[t]);
    else
        build_walk(&g, targets, n);
    write_graph(out, &g);
    size_t nodes = g.nv;
    dgraph_free(&g);
    return nodes;
}
