/* The Valgrind/LSan-like text report: loss records, cycles, LEAK SUMMARY, each line
 * prefixed "==PID== ". Formats only; report.c decides what is in it. */
#include "report.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "crashinfo.h"
#include "explain.h"

#define MAX_CYCLE_EDGES 16 /* references printed per cycle */
#define MAX_CYCLE_SITES 3  /* allocation stacks printed per cycle */

/* 72704 → "72,704", as Valgrind prints byte counts. */
static const char *num(char buf[32], uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* Code without frame pointers (most distributions' binaries) is unwound by libunwind at
 * every allocation, several times the cost of a frame-pointer walk (the Lua interpreter
 * built so: 4.5x native under the tracer, 2.5x with frame pointers): when that was most
 * of a run's stacks, say so and how to trade the stacks for speed. Not for short runs,
 * where the unwinds cost little. */
#define SLOW_STACKS_MIN 100000
static void slow_stacks(FILE *out, unsigned pid, const struct lg_snap_stats *s)
{
    if (s->total_allocs < SLOW_STACKS_MIN || s->unwinds <= s->total_allocs / 2)
        return;
    char a[32], b[32];
    fprintf(out, "==%u==  (%s of %s allocation stacks were unwound by libunwind: their code has no"
            " frame pointers. fast_unwind=1 is faster but loses the callers of such code)\n", pid,
            num(a, s->unwinds), num(b, s->total_allocs));
}

/* pid 0: continue the current line instead of starting a prefixed one. */
static void frame_line(FILE *out, unsigned pid, const struct lgt_frame *f, int first)
{
    if (pid)
        fprintf(out, "==%u==   ", pid);
    fprintf(out, " %s 0x%" PRIx64 ": %s", first ? "at" : "by", f->pc,
            f->function ? f->function : "???");
    if (f->file)
        fprintf(out, " (%s:%u)", f->file, f->line);
    if (f->module && f->function)
        fprintf(out, " [%s]", f->module);
    else if (f->module)
        fprintf(out, " [%s+0x%" PRIx64 "]", f->module, f->module_off);
    fputc('\n', out);
}

static void stack_lines(FILE *out, unsigned pid, const struct lgt_symstack *st)
{
    if (st->n == 0)
        fprintf(out, "==%u==    (no stack recorded)\n", pid);
    for (size_t i = 0; i < st->n; i++)
        frame_line(out, pid, st->frames[i], i == 0);
}

/* ---- loss records ---- */

/* "tag: Connection" (tags: A, B) for a record's tagged blocks; with --by, what the record
 * groups and, when that is several sites, whose stack follows. */
static void loss_group(FILE *out, const struct lgt_report *r, const struct lgt_loss *l)
{
    unsigned pid = r->heap->proc.pid;
    if (l->label)
        fprintf(out, "==%u==    %s: %s", pid, lgt_group_name(r->by), l->label);
    if (l->label && l->nsites > 1)
        fprintf(out, " (%" PRIu32 " allocation sites; the stack of one)", l->nsites);
    if (l->label)
        fputc('\n', out);
    if (!l->ntags || r->by == LGT_BY_TAG)
        return;
    fprintf(out, "==%u==    %s: ", pid, l->ntags > 1 ? "tags" : "tag");
    for (size_t t = 0; t < l->ntags; t++)
        fprintf(out, "%s%s", t ? ", " : "", lgt_reader_tag_name(r->heap, l->tags[t]));
    fputc('\n', out);
}

static void loss_record(FILE *out, struct lgt_report *r, size_t i)
{
    unsigned pid = r->heap->proc.pid;
    const struct lgt_loss *l = &r->losses[i];
    char a[32], b[32], c[32];
    if (l->kind == LGT_KIND_DEFINITELY_LOST && l->indirect_bytes)
        fprintf(out, "==%u== %s (%s direct, %s indirect) bytes", pid,
                num(a, l->bytes + l->indirect_bytes), num(b, l->bytes), num(c, l->indirect_bytes));
    else
        fprintf(out, "==%u== %s bytes", pid, num(a, l->bytes));
    fprintf(out, " in %s blocks are %s in loss record %s of %s\n", num(b, l->blocks),
            lgt_report_kind_name(l->kind), num(c, i + 1), num(a, r->nlosses));
    loss_group(out, r, l);
    stack_lines(out, pid, l->stack);
    fprintf(out, "==%u==\n", pid);
}

/* ---- cycles ---- */

static void cycle_edges(FILE *out, const struct lgt_report *r, const struct lgt_cycle *cy)
{
    const struct lgt_heap *h = r->heap;
    const struct lgt_graph *g = &r->cls->graph;
    unsigned pid = h->proc.pid;
    size_t shown = 0, total = 0;
    for (size_t m = 0; m < cy->n; m++) {
        uint32_t v = cy->members[m];
        for (size_t k = g->first[v]; k < g->first[v + 1]; k++) {
            const struct lg_snap_edge *e = &g->edges[g->idx[k]];
            if (r->cls->comp[e->to] != cy->comp)
                continue;
            if (total++ >= MAX_CYCLE_EDGES)
                continue;
            shown++;
            const struct lg_snap_block *from = &h->blocks[v], *to = &h->blocks[e->to];
            fprintf(out, "==%u==    0x%" PRIx64 " (%" PRIu64 " bytes, site %" PRIu32 ") +%" PRIu64
                    " -> 0x%" PRIx64 " (%" PRIu64 " bytes, site %" PRIu32 ") +%" PRIu32 "\n",
                    pid, from->addr, from->size, from->site, e->from_off, to->addr, to->size,
                    to->site, e->to_off);
        }
    }
    if (total > shown)
        fprintf(out, "==%u==    ... and %zu more references\n", pid, total - shown);
}

static void cycle_sites(FILE *out, struct lgt_report *r, const struct lgt_cycle *cy)
{
    unsigned pid = r->heap->proc.pid;
    uint32_t seen[MAX_CYCLE_SITES];
    size_t nseen = 0;
    for (size_t m = 0; m < cy->n && nseen < MAX_CYCLE_SITES; m++) {
        uint32_t site = r->heap->blocks[cy->members[m]].site;
        size_t j = 0;
        while (j < nseen && seen[j] != site)
            j++;
        if (j < nseen)
            continue;
        seen[nseen++] = site;
        const struct lgt_symstack *st = lgt_report_stack(r, site);
        fprintf(out, "==%u==   site %" PRIu32 "%s", pid, site, st->n ? ":" : ": (no stack recorded)\n");
        if (st->n) /* the allocating frame only: the loss records above have the full stacks */
            frame_line(out, 0, st->frames[0], 1);
    }
}

static void cycles(FILE *out, struct lgt_report *r)
{
    unsigned pid = r->heap->proc.pid;
    char a[32], b[32];
    for (size_t i = 0; i < r->cls->ncycles; i++) {
        const struct lgt_cycle *cy = &r->cls->cycles[i];
        const uint8_t kind = r->cls->kinds[cy->members[0]];
        fprintf(out, "==%u== cycle %zu: %s blocks, %s bytes, unreachable (%s)\n", pid, i + 1,
                num(a, cy->n), num(b, cy->bytes),
                kind == LGT_KIND_DEFINITELY_LOST ? "no pointer from outside the cycle"
                                                 : "hangs off another lost block");
        cycle_edges(out, r, cy);
        cycle_sites(out, r, cy);
        fprintf(out, "==%u==\n", pid);
    }
}

/* ---- summary ---- */

static void summary(FILE *out, const struct lgt_report *r)
{
    unsigned pid = r->heap->proc.pid;
    const struct lgt_classes *c = r->cls;
    static const struct { unsigned kind; const char *label; } rows[] = {
        {LGT_KIND_DEFINITELY_LOST, "definitely lost"}, {LGT_KIND_INDIRECTLY_LOST, "indirectly lost"},
        {LGT_KIND_POSSIBLY_LOST, "  possibly lost"}, {LGT_KIND_STILL_REACHABLE, "still reachable"}};
    char a[32], b[32];
    fprintf(out, "==%u== LEAK SUMMARY:\n", pid);
    for (size_t i = 0; i < 4; i++)
        fprintf(out, "==%u==    %s: %s bytes in %s blocks\n", pid, rows[i].label,
                num(a, c->total[rows[i].kind].bytes), num(b, c->total[rows[i].kind].blocks));
    if (r->any_ignored) /* leakgraph_ignore() was used: say how much it hid */
        fprintf(out, "==%u==            ignored: %s bytes in %s blocks\n", pid,
                num(a, c->total[LGT_KIND_IGNORED].bytes), num(b, c->total[LGT_KIND_IGNORED].blocks));
    fprintf(out, "==%u==             cyclic: %s bytes in %s blocks (%zu cycles)\n", pid,
            num(a, c->cyclic_total.bytes), num(b, c->cyclic_total.blocks), c->ncycles);
    if (r->heap->has_stats) {
        const struct lg_snap_stats *s = &r->heap->stats;
        /* The block table's cost per block only means something once the table is
         * past its fixed initial size; small heaps get the totals. */
        char per[64] = "";
        if (s->live_blocks >= 1000)
            snprintf(per, sizeof per, ", block table %" PRIu64 " bytes per live block",
                     s->table_bytes / s->live_blocks);
        fprintf(out, "==%u==  (tracer: %" PRIu64 " KiB of metadata mapped%s; snapshot: stop %.1f ms,"
                " scan %.1f ms)\n", pid, s->meta_bytes >> 10, per, s->stop_ns / 1e6, s->scan_ns / 1e6);
        slow_stacks(out, pid, s);
    }
}

/* "crash: SIGSEGV (SEGV_MAPERR) at address 0x0 in thread 123 (main)" and the location. */
static void crash_lines(FILE *out, const struct lgt_report *r)
{
    const struct lgt_heap *h = r->heap;
    const struct lg_snap_crash *c = &h->crash;
    unsigned pid = h->proc.pid;
    char nb[16];
    const char *code = lgt_crash_codename(c->signo, c->code);
    fprintf(out, "==%u== crash: signal %u (%s%s%s)", pid, c->signo, lgt_crash_signame(c->signo, nb),
            code ? ", " : "", code ? code : "");
    if (c->code > 0 && c->signo != SIGABRT && c->signo != SIGSYS)
        fprintf(out, " at address 0x%" PRIx64, c->fault_addr);
    fprintf(out, " in thread %u%s\n", c->tid, lgt_crash_in_main(h) ? " (main)" : "");
    const struct lgt_frame *f = lgt_crash_frame(r->sym, c);
    fprintf(out, "==%u==    at 0x%" PRIx64 ": %s", pid, c->pc, f && f->function ? f->function : "???");
    if (f && f->file)
        fprintf(out, " (%s:%u)", f->file, f->line);
    if (f && f->module)
        fprintf(out, " [%s]", f->module);
    fputc('\n', out);
    if (c->flags & LG_CRASH_SP_MOVED)
        fprintf(out, "==%u== the stack pointer 0x%" PRIx64 " was outside its stack (a stack overflow)\n",
                pid, c->sp);
    if (c->flags & LG_CRASH_UNLOCKED)
        fprintf(out, "==%u== warning: taken in crash mode without some tracer lock (the crashing thread"
                " may have held it): the tables may have been mid-update\n", pid);
}

static void header(FILE *out, const struct lgt_report *r)
{
    static const char *const reasons[] = {"", "at exit", "on a signal", "on request",
                                          "on a timer", "at an allocation threshold",
                                          "after a crash"};
    const struct lgt_heap *h = r->heap;
    unsigned pid = h->proc.pid;
    const char *why = h->proc.reason < 7 ? reasons[h->proc.reason] : "";
    fprintf(out, "==%u== leakgraph %s: %s for pid %u (%s)%s%s\n", pid, LG_VERSION,
            r->cycles_only ? "cycle report" : "leak report", pid, h->exe[0] ? h->exe : "?",
            why[0] ? ", " : "", why);
    if (h->has_crash)
        crash_lines(out, r);
    if (h->end.flags & LG_END_TRACER_DISABLED)
        fprintf(out, "==%u== warning: tracing stopped early (out of memory): blocks are"
                " missing\n", pid);
    if (h->end.flags & LG_END_THREADS_NOT_STOPPED)
        fprintf(out, "==%u== warning: some threads did not stop; their stacks were scanned"
                " as they were\n", pid);
    fprintf(out, "==%u==\n", pid);
}

void lgt_report_text(FILE *out, struct lgt_report *r)
{
    unsigned pid = r->heap->proc.pid;
    header(out, r);
    if (r->heap->nblocks == 0)
        fprintf(out, "==%u== All heap blocks were freed -- no leaks are possible\n==%u==\n",
                pid, pid);
    for (size_t i = 0; i < r->nlosses && !r->cycles_only; i++)
        if (r->show & LGT_SHOW(r->losses[i].kind))
            loss_record(out, r, i);
    if ((r->show & LGT_SHOW_CYCLIC) || r->cycles_only)
        cycles(out, r);
    if (r->cycles_only && r->cls->ncycles == 0)
        fprintf(out, "==%u== no cycles among the lost blocks\n==%u==\n", pid, pid);
    if (r->explain && !r->cycles_only)
        lgt_explain_text(out, r->explain);
    summary(out, r);
}
