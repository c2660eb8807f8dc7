/* Per-site totals and their growth: see growth.h. */
#include "growth.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "xalloc.h"

#undef uthash_fatal
#define uthash_fatal(msg) (fprintf(stderr, "leakgraph: out of memory (%s)\n", msg), exit(2))

struct slot {
    size_t row;
    UT_hash_handle hh; /* keyed by the row's key string */
};

int lgt_growth_parse_by(const char *s, enum lgt_group_by *by)
{
    return lgt_group_parse(s, by);
}

const char *lgt_growth_by_name(enum lgt_group_by by)
{
    return lgt_group_name(by);
}

void lgt_growth_init(struct lgt_growth *g, enum lgt_group_by by)
{
    memset(g, 0, sizeof *g);
    g->by = by;
}

/* ---- keys ---- */

/* A frame as it matches across runs: function, file and line, else module and offset. */
static void frame_key(FILE *m, const struct lgt_frame *f)
{
    if (f->function && f->file)
        fprintf(m, "%s %s:%u\n", f->function, f->file, f->line);
    else if (f->module)
        fprintf(m, "%s+0x%" PRIx64 "\n", f->module, f->module_off);
    else
        fprintf(m, "%s 0x%" PRIx64 "\n", f->function ? f->function : "?", f->pc);
}

/* Tags match across snapshots by name (ids are per process); "\x02" keeps the untagged
 * apart from a tag that happens to be called "(untagged)". */
static void group_key(FILE *m, struct lgt_ctx *x, size_t b, enum lgt_group_by by)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(x, b);
    const struct lgt_frame *top = st->n ? st->frames[0] : NULL;
    const char *tag = lgt_reader_tag_name(&x->h, lgt_reader_block_tag(&x->h, b));
    if (by == LGT_BY_TAG)
        fputs(tag ? tag : "\x02", m);
    else if (!top)
        fputs("(no stack recorded)", m);
    else if (by == LGT_BY_SITE)
        for (size_t i = 0; i < st->n; i++)
            frame_key(m, st->frames[i]);
    else if (by == LGT_BY_FUNCTION && top->function)
        fputs(top->function, m);
    else if (by == LGT_BY_FILE && top->file)
        fputs(top->file, m);
    else
        frame_key(m, top);
}

static char *make_key(struct lgt_ctx *x, size_t b, enum lgt_group_by by, int lost)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        exit(2);
    group_key(m, x, b, by);
    fprintf(m, "\x01%d", lost);
    fclose(m);
    return buf;
}

#define LABEL_FRAMES 3 /* frames in a site's label, so that sites differ */

/* "f (file.c:12) < g (file.c:30) < main (file.c:50)", files without their directories. */
static char *site_label(const struct lgt_symstack *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        exit(2);
    for (size_t i = 0; i < st->n && i < LABEL_FRAMES; i++) {
        struct lgt_frame f = *st->frames[i];
        const char *slash = f.file ? strrchr(f.file, '/') : NULL;
        f.file = slash ? slash + 1 : f.file;
        fputs(i ? " < " : "", m);
        lgt_frame_print(m, &f);
    }
    fclose(m);
    return buf;
}

static char *make_label(struct lgt_ctx *x, size_t b, enum lgt_group_by by)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(x, b);
    if (by == LGT_BY_TAG)
        return lgt_xstrdup(lgt_group_tag_label(&x->h, b));
    if (by == LGT_BY_SITE && st->n)
        return site_label(st);
    return lgt_group_frame_label(st, by);
}

/* ---- rows ---- */

static struct lgt_grow_row *row_for(struct lgt_growth *g, struct lgt_ctx *x, size_t b, int lost)
{
    char *key = make_key(x, b, g->by, lost);
    struct slot *s, *index = g->index;
    HASH_FIND_STR(index, key, s);
    if (s) {
        free(key);
        return &g->rows[s->row];
    }
    if (g->n == g->cap)
        g->rows = lgt_xrealloc(g->rows, g->cap = g->cap ? g->cap * 2 : 64, sizeof *g->rows);
    struct lgt_grow_row *r = &g->rows[g->n];
    *r = (struct lgt_grow_row){.key = key, .label = make_label(x, b, g->by), .lost = lost,
                               .stack = lgt_ctx_block_stack(x, b)};
    s = lgt_xcalloc(1, sizeof *s);
    s->row = g->n++;
    HASH_ADD_KEYPTR(hh, index, r->key, strlen(r->key), s);
    g->index = index;
    return r;
}

void lgt_growth_add(struct lgt_growth *g, struct lgt_ctx *x, int old)
{
    for (size_t b = 0; b < x->h.nblocks; b++) {
        uint8_t k = x->c.kinds[b];
        int lost = k == LGT_KIND_STILL_REACHABLE ? LGT_ROW_REACHABLE
                   : k == LGT_KIND_IGNORED     ? LGT_ROW_IGNORED
                                               : LGT_ROW_LOST;
        struct lgt_grow_row *r = row_for(g, x, b, lost);
        if (old) {
            r->old_count++;
            r->old_bytes += x->h.blocks[b].size;
        } else {
            r->count++;
            r->bytes += x->h.blocks[b].size;
            r->stack = lgt_ctx_block_stack(x, b); /* the newer snapshot's, when both have it */
        }
    }
}

void lgt_growth_free(struct lgt_growth *g)
{
    struct slot *s, *tmp, *index = g->index;
    HASH_ITER(hh, index, s, tmp) {
        HASH_DEL(index, s);
        free(s);
    }
    for (size_t i = 0; i < g->n; i++) {
        free(g->rows[i].key);
        free(g->rows[i].label);
    }
    free(g->rows);
    memset(g, 0, sizeof *g);
}

/* ---- order ---- */

int64_t lgt_growth_count_delta(const struct lgt_grow_row *r)
{
    return (int64_t)(r->count - r->old_count);
}

int64_t lgt_growth_bytes_delta(const struct lgt_grow_row *r)
{
    return (int64_t)(r->bytes - r->old_bytes);
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a > b ? -1 : a < b; /* descending */
}

static int cmp_delta(const void *pa, const void *pb)
{
    const struct lgt_grow_row *a = pa, *b = pb;
    int c = cmp_i64(lgt_growth_bytes_delta(a), lgt_growth_bytes_delta(b));
    if (!c)
        c = cmp_i64(lgt_growth_count_delta(a), lgt_growth_count_delta(b));
    return c ? c : strcmp(a->key, b->key);
}

static int cmp_count(const void *pa, const void *pb)
{
    const struct lgt_grow_row *a = pa, *b = pb;
    int c = cmp_i64((int64_t)a->count, (int64_t)b->count);
    if (!c)
        c = cmp_i64((int64_t)a->bytes, (int64_t)b->bytes);
    return c ? c : strcmp(a->key, b->key);
}

static int cmp_bytes(const void *pa, const void *pb)
{
    const struct lgt_grow_row *a = pa, *b = pb;
    int c = cmp_i64((int64_t)a->bytes, (int64_t)b->bytes);
    if (!c)
        c = cmp_i64((int64_t)a->count, (int64_t)b->count);
    return c ? c : strcmp(a->key, b->key);
}

/* Sorting moves rows: the index (row positions) is dropped; no more adds after a sort. */
static void drop_index(struct lgt_growth *g)
{
    struct slot *s, *tmp, *index = g->index;
    HASH_ITER(hh, index, s, tmp) {
        HASH_DEL(index, s);
        free(s);
    }
    g->index = NULL;
}

void lgt_growth_sort_delta(struct lgt_growth *g)
{
    drop_index(g);
    qsort(g->rows, g->n, sizeof *g->rows, cmp_delta);
}

void lgt_growth_sort_total(struct lgt_growth *g, int by_bytes)
{
    drop_index(g);
    qsort(g->rows, g->n, sizeof *g->rows, by_bytes ? cmp_bytes : cmp_count);
}

/* ---- same program ---- */

static const struct lgt_module *main_module(const struct lgt_heap *h)
{
    for (size_t i = 0; i < h->nmodules; i++)
        if (h->modules[i].flags & LG_MOD_MAIN)
            return &h->modules[i];
    return NULL;
}

int lgt_growth_same_program(const struct lgt_heap *a, const struct lgt_heap *b, char *why,
                            size_t n)
{
    if (strcmp(a->exe, b->exe) != 0) {
        snprintf(why, n, "%s is a snapshot of %s, %s of %s: not the same program", a->name,
                 a->exe[0] ? a->exe : "(unknown)", b->name, b->exe[0] ? b->exe : "(unknown)");
        return -1;
    }
    const struct lgt_module *ma = main_module(a), *mb = main_module(b);
    if (ma && mb && ma->build_id_len && mb->build_id_len &&
        (ma->build_id_len != mb->build_id_len ||
         memcmp(ma->build_id, mb->build_id, ma->build_id_len) != 0)) {
        snprintf(why, n, "%s and %s come from different builds of %s (the build-ids differ)",
                 a->name, b->name, a->exe);
        return -1;
    }
    return 0;
}

/* ---- output ---- */

#define MAX_LABEL 60

int lgt_growth_label_width(const struct lgt_growth *g, size_t n)
{
    int w = 8;
    for (size_t i = 0; i < n && i < g->n; i++) {
        size_t len = strlen(g->rows[i].label);
        if ((int)len > w)
            w = len > MAX_LABEL ? MAX_LABEL : (int)len;
    }
    return w;
}

void lgt_growth_text_header(FILE *out, const char *what, int width, int with_delta)
{
    if (with_delta)
        fprintf(out, "%-*s %10s %10s %14s %14s  %s\n", width, what, "count", "+delta", "bytes",
                "+delta", "class");
    else
        fprintf(out, "%-*s %10s %14s  %s\n", width, what, "count", "bytes", "class");
}

void lgt_growth_text_row(FILE *out, const struct lgt_grow_row *r, int width, int with_delta)
{
    static const char *const cls_names[] = {"[reachable]", "[lost]", "[ignored]"};
    const char *cls = cls_names[r->lost];
    if (with_delta)
        fprintf(out, "%-*s %10" PRIu64 " %+10" PRId64 " %14" PRIu64 " %+14" PRId64 "  %s\n",
                width, r->label, r->count, lgt_growth_count_delta(r), r->bytes,
                lgt_growth_bytes_delta(r), cls);
    else
        fprintf(out, "%-*s %10" PRIu64 " %14" PRIu64 "  %s\n", width, r->label, r->count,
                r->bytes, cls);
}

const char *lgt_growth_class_name(const struct lgt_grow_row *r)
{
    static const char *const names[] = {"reachable", "lost", "ignored"};
    return names[r->lost];
}

void lgt_growth_json_row(FILE *out, const struct lgt_grow_row *r, int with_delta)
{
    fputs("{\"label\": ", out);
    lgt_json_str(out, r->label);
    fprintf(out, ", \"class\": \"%s\", \"count\": %" PRIu64 ", \"bytes\": %" PRIu64,
            lgt_growth_class_name(r), r->count, r->bytes);
    if (with_delta)
        fprintf(out, ", \"count_delta\": %" PRId64 ", \"bytes_delta\": %" PRId64,
                lgt_growth_count_delta(r), lgt_growth_bytes_delta(r));
    fputs(", \"stack\": ", out);
    lgt_json_stack(out, r->stack);
    fputc('}', out);
}
