/* analyze --explain: see explain.h. One pass over the blocks totals the still-reachable
 * bytes per site and keeps, per site, the block with the shortest chain from a root (the
 * clearest answer to "who keeps these alive"). */
#include "explain.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "chainfmt.h"
#include "offline.h"
#include "rootname.h"
#include "xalloc.h"

struct site_total {
    uint32_t site;  /* site id, 0 for blocks without a known site */
    uint64_t bytes, blocks;
    uint32_t block; /* the block with the shortest chain */
};

struct lgt_explain {
    struct lgt_report *r;
    struct lgt_chain ch;
    struct lgt_rootnamer *names;
    size_t asked;            /* N of --explain=N */
    struct site_total *top;  /* the largest sites, largest first */
    size_t n;
};

/* A site's slot in heap->sites; nsites for "no stack" (site 0 or unknown). */
static size_t slot_of(const struct lgt_heap *h, uint32_t site)
{
    const struct lgt_site *s = site ? lgt_reader_site(h, site) : NULL;
    return s ? (size_t)(s - h->sites) : h->nsites;
}

static int cmp_total(const void *pa, const void *pb)
{
    const struct site_total *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    if (a->blocks != b->blocks)
        return a->blocks > b->blocks ? -1 : 1;
    return a->site < b->site ? -1 : a->site > b->site;
}

/* Per site slot: the still-reachable totals and the nearest block. */
static struct site_total *totals(const struct lgt_explain *e)
{
    const struct lgt_heap *h = e->r->heap;
    struct site_total *t = lgt_xcalloc(h->nsites + 1, sizeof *t);
    for (size_t b = 0; b < h->nblocks; b++) {
        if (e->r->cls->kinds[b] != LGT_KIND_STILL_REACHABLE ||
            e->ch.dist[b] == LGT_CHAIN_UNREACHED)
            continue;
        struct site_total *s = &t[slot_of(h, h->blocks[b].site)];
        if (s->blocks == 0 || e->ch.dist[b] < e->ch.dist[s->block])
            s->block = (uint32_t)b;
        s->site = h->blocks[b].site;
        s->bytes += h->blocks[b].size;
        s->blocks++;
    }
    return t;
}

struct lgt_explain *lgt_explain_build(struct lgt_report *r, size_t n)
{
    struct lgt_explain *e = lgt_xcalloc(1, sizeof *e);
    e->r = r;
    e->asked = n;
    lgt_chain_bfs(r->heap, &r->cls->graph, &e->ch);
    e->names = lgt_rootname_open(r->heap);
    struct site_total *t = totals(e);
    size_t used = 0;
    for (size_t i = 0; i <= r->heap->nsites; i++)
        if (t[i].blocks)
            t[used++] = t[i];
    qsort(t, used, sizeof *t, cmp_total);
    e->top = t;
    e->n = used < n ? used : n;
    return e;
}

void lgt_explain_free(struct lgt_explain *e)
{
    if (!e)
        return;
    lgt_chain_free(&e->ch);
    lgt_rootname_close(e->names);
    free(e->top);
    free(e);
}

/* ---- text ---- */

static void site_line(FILE *out, const struct lgt_explain *e, const struct site_total *s)
{
    unsigned pid = e->r->heap->proc.pid;
    const struct lgt_symstack *st = lgt_report_stack(e->r, s->site);
    fprintf(out, "==%u== site %" PRIu32 ": %" PRIu64 " bytes in %" PRIu64 " blocks still"
            " reachable, allocated at ", pid, s->site, s->bytes, s->blocks);
    if (st->n)
        lgt_frame_print(out, st->frames[0]);
    else
        fputs("(no stack recorded)", out);
    fputs(s->blocks > 1 ? "; the nearest to a root:\n" : ":\n", out);
}

void lgt_explain_text(FILE *out, const struct lgt_explain *e)
{
    unsigned pid = e->r->heap->proc.pid;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "==%u== ", pid);
    struct lgt_chainfmt f = {.r = e->r, .ch = &e->ch, .names = e->names, .prefix = prefix};
    fprintf(out, "==%u== who keeps the largest still-reachable sites alive (--explain=%zu):\n",
            pid, e->asked);
    if (e->n == 0)
        fprintf(out, "==%u==    no block is still reachable\n", pid);
    for (size_t i = 0; i < e->n; i++) {
        fprintf(out, "==%u==\n", pid);
        site_line(out, e, &e->top[i]);
        lgt_chainfmt_text(out, &f, e->top[i].block);
    }
    fprintf(out, "==%u==\n", pid);
}

/* ---- JSON ---- */

void lgt_explain_json(FILE *out, const struct lgt_explain *e)
{
    struct lgt_chainfmt f = {.r = e->r, .ch = &e->ch, .names = e->names, .prefix = ""};
    fputs(",\n  \"explain\": [", out);
    for (size_t i = 0; i < e->n; i++) {
        const struct site_total *s = &e->top[i];
        fprintf(out, "%s\n    {\"site\": %" PRIu32 ", \"bytes\": %" PRIu64 ", \"blocks\": %"
                PRIu64 ", \"chain\": ", i ? "," : "", s->site, s->bytes, s->blocks);
        lgt_chainfmt_json(out, &f, s->block);
        fputc('}', out);
    }
    fputs(e->n ? "\n  ]" : "]", out);
}
