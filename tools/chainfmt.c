/* Retention chains as text and JSON: see chainfmt.h. Moved here from cmd_chain.c unchanged
 * but for the line prefix, which analyze's report needs. */
#include "chainfmt.h"

#include <inttypes.h>
#include <stdlib.h>

#include "offline.h"

#define HOP_FRAMES 2 /* frames of each hop's allocation stack in the text */

/* ---- text ---- */

static void hop_stack(FILE *out, const struct lgt_chainfmt *f, uint32_t b)
{
    const struct lgt_symstack *st = lgt_report_stack(f->r, f->r->heap->blocks[b].site);
    if (st->n == 0)
        fputs(" (no stack recorded)", out);
    for (size_t i = 0; i < st->n && i < HOP_FRAMES; i++) {
        fputs(i ? " < " : " ", out);
        lgt_frame_print(out, st->frames[i]);
    }
}

static void hop_line(FILE *out, const struct lgt_chainfmt *f, const struct lg_snap_edge *e,
                     int first)
{
    const struct lgt_heap *h = f->r->heap;
    const struct lg_snap_block *b = &h->blocks[e->to];
    if (!first) /* the root's word is named on the line above */
        fprintf(out, "%s  [+%" PRIu64 "] -> 0x%" PRIx64, f->prefix, e->from_off, b->addr);
    else
        fprintf(out, "%s  -> 0x%" PRIx64, f->prefix, b->addr);
    if (e->to_off)
        fprintf(out, "+%" PRIu32 " (interior pointer)", e->to_off);
    fprintf(out, " %" PRIu64 " bytes,", b->size);
    const char *tag = lgt_reader_tag_name(h, lgt_reader_block_tag(h, e->to));
    if (tag)
        fprintf(out, " [%s]", tag);
    hop_stack(out, f, e->to);
    fputc('\n', out);
}

void lgt_chainfmt_text(FILE *out, const struct lgt_chainfmt *f, uint32_t target)
{
    const struct lgt_heap *h = f->r->heap;
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(h, f->ch, target, &p);
    if (n == 0)
        return;
    struct lgt_rootname rn;
    lgt_rootname_get(f->names, p[0], &rn);
    fprintf(out, "%schain to 0x%" PRIx64 " (%" PRIu64 " bytes, %s), %zu reference%s from a"
            " root:\n", f->prefix, h->blocks[target].addr, h->blocks[target].size,
            lgt_report_kind_name(f->r->cls->kinds[target]), n, n == 1 ? "" : "s");
    fprintf(out, "%s  %s\n", f->prefix, rn.text);
    for (size_t i = 0; i < n; i++)
        hop_line(out, f, p[i], i == 0);
    lgt_rootname_clear(&rn);
    free(p);
}

/* ---- JSON ---- */

static void json_root(FILE *out, const struct lgt_rootname *rn)
{
    fputs("{\"kind\": ", out);
    lgt_json_str(out, rn->kind);
    fputs(", \"text\": ", out);
    lgt_json_str(out, rn->text);
    fputs(", \"symbol\": ", out);
    lgt_json_str(out, rn->symbol);
    fprintf(out, ", \"symbol_offset\": %" PRIu64 ", \"module\": ", rn->symbol_off);
    lgt_json_str(out, rn->module);
    fprintf(out, ", \"module_offset\": %" PRIu64 ", \"tid\": %u}", rn->module_off, rn->tid);
}

static void json_hop(FILE *out, const struct lgt_chainfmt *f, const struct lg_snap_edge *e)
{
    const struct lgt_heap *h = f->r->heap;
    const struct lg_snap_block *b = &h->blocks[e->to];
    fprintf(out, "{\"address\": %" PRIu64 ", \"size\": %" PRIu64 ", \"from_offset\": %" PRIu64
            ", \"to_offset\": %" PRIu32 ", \"interior\": %s", b->addr, b->size,
            e->from_off, e->to_off, e->to_off ? "true" : "false");
    fputs(", \"tag\": ", out);
    lgt_json_str(out, lgt_reader_tag_name(h, lgt_reader_block_tag(h, e->to)));
    fputs(", \"stack\": ", out);
    lgt_json_stack(out, lgt_report_stack(f->r, b->site));
    fputc('}', out);
}

void lgt_chainfmt_json(FILE *out, const struct lgt_chainfmt *f, uint32_t target)
{
    const struct lgt_heap *h = f->r->heap;
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(h, f->ch, target, &p);
    if (n == 0) {
        fputs("null", out);
        return;
    }
    struct lgt_rootname rn;
    lgt_rootname_get(f->names, p[0], &rn);
    fprintf(out, "{\"target\": %" PRIu64 ", \"size\": %" PRIu64 ", \"kind\": \"%s\", \"root\": ",
            h->blocks[target].addr, h->blocks[target].size,
            lgt_report_kind_key(f->r->cls->kinds[target]));
    json_root(out, &rn);
    fputs(", \"hops\": [", out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", out);
        json_hop(out, f, p[i]);
    }
    fputs("]}", out);
    lgt_rootname_clear(&rn);
    free(p);
}
