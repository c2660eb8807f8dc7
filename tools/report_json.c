/* The JSON report of DESIGN.md ("tool", "version", "pid", "exe", "summary", "leaks",
 * "cycles") plus a few extra keys. Formats only; report.c decides what is in it. */
#include "report.h"

#include <inttypes.h>
#include <stddef.h>

#include "crashinfo.h"
#include "explain.h"

static void str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\u%04x", *p); /* bytes, not UTF-8: keeps any path valid JSON */
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void stack(FILE *out, const struct lgt_symstack *st)
{
    fputc('[', out);
    for (size_t i = 0; i < st->n; i++) {
        const struct lgt_frame *f = st->frames[i];
        fprintf(out, "%s{\"address\": \"0x%" PRIx64 "\", \"function\": ", i ? ", " : "", f->pc);
        str(out, f->function);
        fputs(", \"file\": ", out);
        str(out, f->file);
        if (f->line)
            fprintf(out, ", \"line\": %u, \"module\": ", f->line);
        else
            fputs(", \"line\": null, \"module\": ", out);
        str(out, f->module);
        fprintf(out, ", \"module_offset\": \"0x%" PRIx64 "\"}", f->module_off);
    }
    fputc(']', out);
}

/* "ignored" (leakgraph_ignore) is an extension of DESIGN.md's summary; always present. */
static void summary(FILE *out, const struct lgt_classes *c)
{
    static const unsigned kinds[] = {LGT_KIND_DEFINITELY_LOST, LGT_KIND_INDIRECTLY_LOST,
                                     LGT_KIND_POSSIBLY_LOST, LGT_KIND_STILL_REACHABLE};
    fputs("  \"summary\": {\n", out);
    for (size_t i = 0; i < 4; i++)
        fprintf(out, "    \"%s\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "},\n",
                lgt_report_kind_key(kinds[i]), c->total[kinds[i]].bytes,
                c->total[kinds[i]].blocks);
    fprintf(out, "    \"ignored\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 "},\n",
            c->total[LGT_KIND_IGNORED].bytes, c->total[LGT_KIND_IGNORED].blocks);
    fprintf(out, "    \"cyclic\": {\"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64
            ", \"cycles\": %zu}\n  },\n", c->cyclic_total.bytes, c->cyclic_total.blocks,
            c->ncycles);
}

/* "tag": the one tag of the record's tagged blocks, else null; "tags": all of them; with
 * --by other than site, "group" (the tag, function or file) and "sites". */
static void loss_tags(FILE *out, const struct lgt_report *r, const struct lgt_loss *l)
{
    fputs(", \"tag\": ", out);
    str(out, l->ntags == 1 ? lgt_reader_tag_name(r->heap, l->tags[0]) : NULL);
    fputs(", \"tags\": [", out);
    for (size_t t = 0; t < l->ntags; t++) {
        fputs(t ? ", " : "", out);
        str(out, lgt_reader_tag_name(r->heap, l->tags[t]));
    }
    fputc(']', out);
    if (!l->label)
        return;
    fputs(", \"group\": ", out);
    str(out, l->label);
    fprintf(out, ", \"sites\": %" PRIu32, l->nsites);
}

static void leaks(FILE *out, const struct lgt_report *r)
{
    fputs("  \"leaks\": [", out);
    int first = 1;
    for (size_t i = 0; i < r->nlosses && !r->cycles_only; i++) {
        const struct lgt_loss *l = &r->losses[i];
        if (!(r->show & LGT_SHOW(l->kind)))
            continue;
        fprintf(out, "%s\n    {\"kind\": \"%s\", \"bytes\": %" PRIu64 ", \"indirect_bytes\": %"
                PRIu64 ", \"blocks\": %" PRIu64 ", \"site\": %" PRIu32 ", \"loss_record\": %zu,"
                " \"stack\": ", first ? "" : ",", lgt_report_kind_key(l->kind), l->bytes,
                l->indirect_bytes, l->blocks, l->site, i + 1);
        stack(out, l->stack);
        loss_tags(out, r, l);
        fputc('}', out);
        first = 0;
    }
    fputs(first ? "],\n" : "\n  ],\n", out);
}

static void cycle_edges(FILE *out, const struct lgt_report *r, const struct lgt_cycle *cy)
{
    const struct lgt_graph *g = &r->cls->graph;
    int first = 1;
    fputs(", \"edges\": [", out);
    for (size_t m = 0; m < cy->n; m++) {
        uint32_t v = cy->members[m];
        for (size_t k = g->first[v]; k < g->first[v + 1]; k++) {
            const struct lg_snap_edge *e = &g->edges[g->idx[k]];
            if (r->cls->comp[e->to] != cy->comp)
                continue;
            fprintf(out, "%s{\"from\": \"0x%" PRIx64 "\", \"from_offset\": %" PRIu64
                    ", \"to\": \"0x%" PRIx64 "\", \"to_offset\": %" PRIu32 "}", first ? "" : ", ",
                    r->heap->blocks[v].addr, e->from_off, r->heap->blocks[e->to].addr, e->to_off);
            first = 0;
        }
    }
    fputc(']', out);
}

static void cycle(FILE *out, struct lgt_report *r, const struct lgt_cycle *cy)
{
    fprintf(out, "    {\"blocks\": %zu, \"bytes\": %" PRIu64 ", \"members\": [", cy->n, cy->bytes);
    for (size_t m = 0; m < cy->n; m++) {
        const struct lg_snap_block *b = &r->heap->blocks[cy->members[m]];
        fprintf(out, "%s{\"address\": \"0x%" PRIx64 "\", \"size\": %" PRIu64 ", \"site\": %"
                PRIu32 ", \"kind\": \"%s\", \"stack\": ", m ? ", " : "", b->addr, b->size,
                b->site, lgt_report_kind_key(r->cls->kinds[cy->members[m]]));
        stack(out, lgt_report_stack(r, b->site));
        fputc('}', out);
    }
    fputc(']', out);
    cycle_edges(out, r, cy);
    fputc('}', out);
}

static void cycles(FILE *out, struct lgt_report *r)
{
    int show = (r->show & LGT_SHOW_CYCLIC) || r->cycles_only;
    fputs("  \"cycles\": [", out);
    for (size_t i = 0; show && i < r->cls->ncycles; i++) {
        fputs(i ? ",\n" : "\n", out);
        cycle(out, r, &r->cls->cycles[i]);
    }
    fputs(show && r->cls->ncycles ? "\n  ]" : "]", out);
}

static void stats(FILE *out, const struct lgt_heap *h)
{
    const struct lg_snap_stats *s = &h->stats;
    fprintf(out, ",\n  \"stats\": {\"total_allocs\": %" PRIu64 ", \"total_frees\": %" PRIu64
            ", \"total_bytes\": %" PRIu64 ", \"peak_live_bytes\": %" PRIu64 ", \"meta_bytes\": %"
            PRIu64 ", \"stop_ns\": %" PRIu64 ", \"scan_ns\": %" PRIu64 ", \"scanned_bytes\": %"
            PRIu64 ", \"table_bytes\": %" PRIu64 ", \"live_blocks\": %" PRIu64,
            s->total_allocs, s->total_frees, s->total_bytes, s->peak_live_bytes, s->meta_bytes,
            s->stop_ns, s->scan_ns, s->scanned_bytes, s->table_bytes, s->live_blocks);
    if (h->stats_bytes >= offsetof(struct lg_snap_stats, unwinds) + sizeof s->unwinds)
        fprintf(out, ", \"unwinds\": %" PRIu64, s->unwinds); /* absent from older snapshots */
    fputc('}', out);
}

/* "crash": the signal, where, which thread (format 1.2 crash snapshots only). */
static void crash(FILE *out, struct lgt_report *r)
{
    const struct lg_snap_crash *c = &r->heap->crash;
    char nb[16];
    fprintf(out, "  \"crash\": {\"signal\": %u, \"signal_name\": ", c->signo);
    str(out, lgt_crash_signame(c->signo, nb));
    fprintf(out, ", \"code\": %d, \"code_name\": ", c->code);
    str(out, lgt_crash_codename(c->signo, c->code));
    fprintf(out, ", \"fault_address\": \"0x%" PRIx64 "\", \"thread\": %u, \"main_thread\": %s, "
            "\"sp\": \"0x%" PRIx64 "\", \"locks_skipped\": %s, \"stack_overflow\": %s,\n    \"location\": ",
            c->fault_addr, c->tid, lgt_crash_in_main(r->heap) ? "true" : "false", c->sp,
            (c->flags & LG_CRASH_UNLOCKED) ? "true" : "false", (c->flags & LG_CRASH_SP_MOVED) ? "true" : "false");
    const struct lgt_frame *f = lgt_crash_frame(r->sym, c);
    fprintf(out, "{\"address\": \"0x%" PRIx64 "\", \"function\": ", c->pc);
    str(out, f ? f->function : NULL);
    fputs(", \"file\": ", out);
    str(out, f ? f->file : NULL);
    if (f && f->line)
        fprintf(out, ", \"line\": %u", f->line);
    else
        fputs(", \"line\": null", out);
    fputs(", \"module\": ", out);
    str(out, f ? f->module : NULL);
    fputs("}},\n", out);
}

int lgt_report_json(FILE *out, struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    static const char *const reasons[] = {"unknown", "exit", "signal", "api", "timer",
                                          "threshold", "crash"};
    fprintf(out, "{\n  \"tool\": \"leakgraph\",\n  \"version\": \"%s\",\n  \"pid\": %u,\n"
            "  \"exe\": ", LG_VERSION, h->proc.pid);
    str(out, h->exe[0] ? h->exe : NULL);
    fprintf(out, ",\n  \"reason\": \"%s\",\n  \"snapshot_seq\": %u,\n  \"format\": \"%u.%u\",\n",
            h->proc.reason < 7 ? reasons[h->proc.reason] : "unknown", h->proc.seq, h->major,
            h->minor);
    fprintf(out, "  \"by\": \"%s\",\n", lgt_group_name(r->by));
    if (h->has_crash)
        crash(out, r);
    summary(out, r->cls);
    leaks(out, r);
    cycles(out, r);
    if (h->has_stats)
        stats(out, h);
    if (r->explain) /* an extension of DESIGN.md's keys, like "stats" */
        lgt_explain_json(out, r->explain);
    fputs("\n}\n", out);
    return ferror(out) ? -1 : 0;
}
