/* Builds the loss records (one per site and kind, largest first) and symbolized stacks. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "hint.h"
#include "xalloc.h"

/* ---- kind names ---- */

static const char *const kind_words[] = {"definite", "indirect", "possible", "reachable",
                                         "cyclic", "all", "none"};
static const unsigned kind_bits[] = {
    LGT_SHOW(LGT_KIND_DEFINITELY_LOST), LGT_SHOW(LGT_KIND_INDIRECTLY_LOST),
    LGT_SHOW(LGT_KIND_POSSIBLY_LOST), LGT_SHOW(LGT_KIND_STILL_REACHABLE), LGT_SHOW_CYCLIC,
    LGT_SHOW_ALL, 0};
#define NWORDS (sizeof kind_words / sizeof kind_words[0])

static int parse_word(const char *w, size_t len, unsigned *mask, char *err, size_t errlen)
{
    for (size_t i = 0; i < NWORDS; i++)
        if (strlen(kind_words[i]) == len && strncmp(w, kind_words[i], len) == 0) {
            *mask |= kind_bits[i];
            return 0;
        }
    char *word = lgt_xstrndup(w, len);
    const char *hint = lgt_hint_closest(word, kind_words, NWORDS);
    snprintf(err, errlen, "unknown leak kind '%s'%s%s%s; kinds are definite, indirect,"
             " possible, reachable, cyclic, all, none", word, hint ? "; did you mean '" : "",
             hint ? hint : "", hint ? "'?" : "");
    free(word);
    return -1;
}

int lgt_report_parse_kinds(const char *list, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len && parse_word(p, len, mask, err, errlen))
            return -1;
        p += len + (p[len] == ',');
    }
    return 0;
}

const char *lgt_report_kind_name(unsigned kind)
{
    static const char *const names[] = {"unreached", "still reachable", "possibly lost",
                                        "definitely lost", "indirectly lost"};
    return kind < LGT_KIND_COUNT ? names[kind] : "?";
}

const char *lgt_report_kind_key(unsigned kind)
{
    static const char *const keys[] = {"unreached", "still_reachable", "possibly_lost",
                                       "definitely_lost", "indirectly_lost"};
    return kind < LGT_KIND_COUNT ? keys[kind] : "?";
}

int lgt_report_has_errors(const struct lgt_report *r, unsigned mask)
{
    for (unsigned k = 1; k < LGT_KIND_COUNT; k++)
        if ((mask & LGT_SHOW(k)) && r->cls->total[k].blocks)
            return 1;
    return (mask & LGT_SHOW_CYCLIC) && r->cls->cyclic_total.blocks;
}

/* ---- stacks ---- */

const struct lgt_symstack *lgt_report_stack(struct lgt_report *r, uint32_t site)
{
    static const struct lgt_symstack empty = {0, NULL};
    const struct lgt_site *s = site ? lgt_reader_site(r->heap, site) : NULL;
    if (!s)
        return &empty;
    size_t i = (size_t)(s - r->heap->sites);
    struct lgt_symstack *st = &r->stacks[i];
    if (r->stack_done[i])
        return st;
    r->stack_done[i] = 1;
    size_t cap = s->depth;
    st->frames = lgt_xcalloc(cap, sizeof *st->frames);
    for (uint32_t d = 0; d < s->depth; d++) {
        const struct lgt_frame *f = lgt_symbolize_pc(r->sym, s->pc[d]);
        if (st->n == 0 && (f->module_flags & LG_MOD_TRACER))
            continue; /* the tracer's own interposer frames */
        for (; f; f = f->caller) { /* inlined functions first, then the real one */
            if (st->n == cap)
                st->frames = lgt_xrealloc(st->frames, cap *= 2, sizeof *st->frames);
            st->frames[st->n++] = f;
        }
        const struct lgt_frame *last = st->frames[st->n - 1];
        if (last->function && strcmp(last->function, "main") == 0)
            break; /* like Valgrind's --show-below-main=no: libc's start-up adds nothing */
    }
    return st;
}

/* ---- loss records ---- */

static int cmp_block_group(const void *a, const void *b, void *arg)
{
    const struct lgt_heap *h = ((const struct lgt_report *)arg)->heap;
    const uint8_t *kinds = ((const struct lgt_report *)arg)->cls->kinds;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (kinds[x] != kinds[y])
        return kinds[x] - kinds[y];
    return (h->blocks[x].site > h->blocks[y].site) - (h->blocks[x].site < h->blocks[y].site);
}

static int cmp_loss(const void *a, const void *b)
{
    const struct lgt_loss *x = a, *y = b;
    uint64_t tx = x->bytes + x->indirect_bytes, ty = y->bytes + y->indirect_bytes;
    if (tx != ty)
        return tx < ty ? 1 : -1;
    if (x->blocks != y->blocks)
        return x->blocks < y->blocks ? 1 : -1;
    if (x->kind != y->kind)
        return x->kind > y->kind ? 1 : -1; /* definite before indirect for equal sizes */
    return (x->site > y->site) - (x->site < y->site);
}

static void group_losses(struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    const struct lgt_classes *c = r->cls;
    uint32_t *order = lgt_xmalloc(h->nblocks * sizeof *order);
    for (size_t v = 0; v < h->nblocks; v++)
        order[v] = (uint32_t)v;
    qsort_r(order, h->nblocks, sizeof *order, cmp_block_group, r);
    r->losses = lgt_xcalloc(h->nblocks, sizeof *r->losses);
    for (size_t i = 0; i < h->nblocks; i++) {
        uint32_t v = order[i];
        struct lgt_loss *l = r->nlosses ? &r->losses[r->nlosses - 1] : NULL;
        if (!l || l->kind != c->kinds[v] || l->site != h->blocks[v].site) {
            l = &r->losses[r->nlosses++];
            l->kind = c->kinds[v];
            l->site = h->blocks[v].site;
        }
        l->bytes += h->blocks[v].size;
        l->indirect_bytes += c->indirect_bytes[v];
        l->blocks++;
    }
    qsort(r->losses, r->nlosses, sizeof *r->losses, cmp_loss);
    free(order);
}

void lgt_report_build(struct lgt_report *r, const struct lgt_heap *h, const struct lgt_classes *c,
                      struct lgt_symbolizer *sym)
{
    unsigned show = r->show;
    int cycles_only = r->cycles_only;
    memset(r, 0, sizeof *r);
    r->show = show;
    r->cycles_only = cycles_only;
    r->heap = h;
    r->cls = c;
    r->sym = sym;
    r->stacks = lgt_xcalloc(h->nsites, sizeof *r->stacks);
    r->stack_done = lgt_xcalloc(h->nsites, 1);
    group_losses(r);
    for (size_t i = 0; i < r->nlosses; i++)
        r->losses[i].stack = lgt_report_stack(r, r->losses[i].site);
}

void lgt_report_free(struct lgt_report *r)
{
    for (size_t i = 0; i < r->heap->nsites; i++)
        free(r->stacks[i].frames);
    free(r->stacks);
    free(r->stack_done);
    free(r->losses);
}
