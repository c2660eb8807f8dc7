/* Builds the loss records (one per site and kind, or per --by group and kind, largest
 * first) and symbolized stacks. */
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
                                        "definitely lost", "indirectly lost", "ignored"};
    return kind < LGT_KIND_COUNT ? names[kind] : "?";
}

const char *lgt_report_kind_key(unsigned kind)
{
    static const char *const keys[] = {"unreached", "still_reachable", "possibly_lost",
                                       "definitely_lost", "indirectly_lost", "ignored"};
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

/* ---- groups (--by) ---- */

/* A site's position in heap->sites; nsites for "no stack" (site 0 or unknown). */
static size_t site_slot(const struct lgt_heap *h, uint32_t site)
{
    const struct lgt_site *s = site ? lgt_reader_site(h, site) : NULL;
    return s ? (size_t)(s - h->sites) : h->nsites;
}

struct slot_label {
    char *label;
    size_t slot;
};

static int cmp_slot_label(const void *a, const void *b)
{
    return strcmp(((const struct slot_label *)a)->label, ((const struct slot_label *)b)->label);
}

/* --by function or file: the group of every site slot, an index into r->labels (sorted, so
 * that equal labels of different sites become one group). Only the sites of live blocks
 * are symbolized. */
static uint32_t *slot_groups(struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    uint8_t *used = lgt_xcalloc(h->nsites + 1, 1);
    for (size_t b = 0; b < h->nblocks; b++)
        used[site_slot(h, h->blocks[b].site)] = 1;
    struct slot_label *sl = lgt_xcalloc(h->nsites + 1, sizeof *sl);
    size_t n = 0;
    for (size_t i = 0; i <= h->nsites; i++)
        if (used[i]) {
            const struct lgt_symstack *st = lgt_report_stack(r, i < h->nsites ? h->sites[i].id : 0);
            sl[n++] = (struct slot_label){lgt_group_frame_label(st, r->by), i};
        }
    qsort(sl, n, sizeof *sl, cmp_slot_label);
    uint32_t *group = lgt_xcalloc(h->nsites + 1, sizeof *group);
    r->labels = lgt_xcalloc(n ? n : 1, sizeof *r->labels);
    for (size_t i = 0; i < n; i++) {
        if (r->nlabels && strcmp(r->labels[r->nlabels - 1], sl[i].label) == 0)
            free(sl[i].label);
        else
            r->labels[r->nlabels++] = sl[i].label;
        group[sl[i].slot] = (uint32_t)(r->nlabels - 1);
    }
    free(sl);
    free(used);
    return group;
}

/* The group of every block: its site id, tag id, or function or file label index. */
static uint32_t *block_groups(struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    uint32_t *grp = lgt_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *grp);
    uint32_t *slot_grp = r->by == LGT_BY_FUNCTION || r->by == LGT_BY_FILE ? slot_groups(r) : NULL;
    for (size_t b = 0; b < h->nblocks; b++)
        grp[b] = r->by == LGT_BY_TAG ? lgt_reader_block_tag(h, b)
                 : slot_grp         ? slot_grp[site_slot(h, h->blocks[b].site)]
                                    : h->blocks[b].site;
    free(slot_grp);
    return grp;
}

/* ---- loss records ---- */

struct grouping {
    const struct lgt_report *r;
    const uint32_t *grp;
};

static int cmp_u32(uint32_t x, uint32_t y)
{
    return (x > y) - (x < y);
}

/* By kind, group, then tag: a record's tags come out consecutive and ascending. */
static int cmp_block_group(const void *a, const void *b, void *arg)
{
    const struct grouping *g = arg;
    const uint8_t *kinds = g->r->cls->kinds;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (kinds[x] != kinds[y])
        return kinds[x] - kinds[y];
    if (g->grp[x] != g->grp[y])
        return cmp_u32(g->grp[x], g->grp[y]);
    int c = cmp_u32(lgt_reader_block_tag(g->r->heap, x), lgt_reader_block_tag(g->r->heap, y));
    return c ? c : cmp_u32(g->r->heap->blocks[x].site, g->r->heap->blocks[y].site);
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
    int c = cmp_u32(x->site, y->site);
    return c ? c : cmp_u32(x->group, y->group);
}

static void add_tag(struct lgt_loss *l, uint32_t tag)
{
    if (!tag || (l->ntags && l->tags[l->ntags - 1] == tag))
        return; /* sorted by tag within the record: a new one is never seen before */
    l->tags = lgt_xrealloc(l->tags, l->ntags + 1, sizeof *l->tags);
    l->tags[l->ntags++] = tag;
}

/* One block into the record l (new when fresh); seen[slot] = record number + 1 counts the
 * record's distinct sites in one pass. */
static void add_block(struct lgt_report *r, struct lgt_loss *l, int fresh, uint32_t v,
                      uint32_t *seen)
{
    const struct lg_snap_block *b = &r->heap->blocks[v];
    size_t slot = site_slot(r->heap, b->site), rec = (size_t)(l - r->losses) + 1;
    if (fresh || b->site < l->site)
        l->site = b->site;
    if (seen[slot] != rec) {
        seen[slot] = (uint32_t)rec;
        l->nsites++;
    }
    l->bytes += b->size;
    l->indirect_bytes += r->cls->indirect_bytes[v];
    l->blocks++;
    add_tag(l, lgt_reader_block_tag(r->heap, v));
}

static unsigned bits_for(uint64_t max)
{
    unsigned b = 0;
    while (b < 64 && (max >> b))
        b++;
    return b;
}

/* order[0, n) sorted as cmp_block_group sorts it, by a radix sort of one key that holds
 * the four fields (when they fit in 64 bits: they do but for absurd counts), 16 bits a
 * pass: on a million blocks qsort's indirect comparisons took longer than the mark.
 * False when they do not fit. */
static int radix_by_group(uint32_t *order, size_t n, const struct grouping *g)
{
    const struct lgt_heap *h = g->r->heap;
    uint64_t maxg = 0, maxt = 0, maxs = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = order[i];
        maxg = g->grp[v] > maxg ? g->grp[v] : maxg;
        maxt = lgt_reader_block_tag(h, v) > maxt ? lgt_reader_block_tag(h, v) : maxt;
        maxs = h->blocks[v].site > maxs ? h->blocks[v].site : maxs;
    }
    unsigned sb = bits_for(maxs), tb = bits_for(maxt), gb = bits_for(maxg), kb = bits_for(LGT_KIND_COUNT);
    if (sb + tb + gb + kb > 64)
        return 0;
    struct kv {
        uint64_t key;
        uint32_t v;
    } *a = lgt_xmalloc((n ? n : 1) * sizeof *a), *t = lgt_xmalloc((n ? n : 1) * sizeof *t);
    size_t *count = lgt_xmalloc(65536 * sizeof *count);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = order[i];
        uint64_t key = (uint64_t)g->r->cls->kinds[v] << (gb + tb + sb);
        key |= gb ? (uint64_t)g->grp[v] << (tb + sb) : 0;
        key |= tb ? (uint64_t)lgt_reader_block_tag(h, v) << sb : 0;
        a[i] = (struct kv){key | h->blocks[v].site, v};
    }
    for (unsigned shift = 0; shift < sb + tb + gb + kb; shift += 16) { /* stable passes */
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & 0xffff]++;
        for (size_t d = 0, sum = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            t[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        struct kv *x = a;
        a = t;
        t = x;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = a[i].v;
    free(a);
    free(t);
    free(count);
    return 1;
}

/* Ignored blocks are no loss record of any kind: the program said not to report them. */
static void group_losses(struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    const struct lgt_classes *c = r->cls;
    struct grouping g = {r, block_groups(r)};
    uint32_t *order = lgt_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *order);
    uint32_t *seen = lgt_xcalloc(h->nsites + 1, sizeof *seen);
    size_t n = 0;
    for (size_t v = 0; v < h->nblocks; v++)
        if (c->kinds[v] != LGT_KIND_IGNORED)
            order[n++] = (uint32_t)v;
    if (!radix_by_group(order, n, &g))
        qsort_r(order, n, sizeof *order, cmp_block_group, &g);
    r->losses = lgt_xcalloc(n ? n : 1, sizeof *r->losses);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = order[i];
        struct lgt_loss *l = r->nlosses ? &r->losses[r->nlosses - 1] : NULL;
        int fresh = !l || l->kind != c->kinds[v] || l->group != g.grp[v];
        if (fresh) {
            l = &r->losses[r->nlosses++];
            l->kind = c->kinds[v];
            l->group = g.grp[v];
        }
        add_block(r, l, fresh, v, seen);
    }
    qsort(r->losses, r->nlosses, sizeof *r->losses, cmp_loss);
    free(seen);
    free(order);
    free((void *)g.grp);
}

static const char *loss_label(const struct lgt_report *r, const struct lgt_loss *l)
{
    if (r->by == LGT_BY_TAG) {
        const char *name = lgt_reader_tag_name(r->heap, l->group);
        return name ? name : LGT_UNTAGGED;
    }
    return r->by == LGT_BY_SITE ? NULL : r->labels[l->group];
}

static int any_ignored(const struct lgt_heap *h)
{
    for (size_t b = 0; h->block_flags && b < h->nblocks; b++)
        if (h->block_flags[b] & LG_BATTR_IGNORED)
            return 1;
    return 0;
}

void lgt_report_build(struct lgt_report *r, const struct lgt_heap *h, const struct lgt_classes *c,
                      struct lgt_symbolizer *sym)
{
    unsigned show = r->show;
    int cycles_only = r->cycles_only;
    enum lgt_group_by by = r->by;
    memset(r, 0, sizeof *r);
    r->show = show;
    r->cycles_only = cycles_only;
    r->by = by;
    r->any_ignored = any_ignored(h);
    r->heap = h;
    r->cls = c;
    r->sym = sym;
    r->stacks = lgt_xcalloc(h->nsites, sizeof *r->stacks);
    r->stack_done = lgt_xcalloc(h->nsites, 1);
    group_losses(r);
    for (size_t i = 0; i < r->nlosses; i++) {
        r->losses[i].stack = lgt_report_stack(r, r->losses[i].site);
        r->losses[i].label = loss_label(r, &r->losses[i]);
    }
}

void lgt_report_free(struct lgt_report *r)
{
    for (size_t i = 0; i < r->heap->nsites; i++)
        free(r->stacks[i].frames);
    free(r->stacks);
    free(r->stack_done);
    for (size_t i = 0; i < r->nlosses; i++)
        free(r->losses[i].tags);
    free(r->losses);
    for (size_t i = 0; i < r->nlabels; i++)
        free(r->labels[i]);
    free(r->labels);
}
