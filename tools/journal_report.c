/* The journal-only report of `leakgraph analyze --journal FILE`: the blocks live at death,
 * per allocation site with their stacks, not classified (no memory image). */
#include "journal.h"

#include <inttypes.h>
#include <stdlib.h>

#include "leakgraph/journal.h"
#include "report.h"
#include "symbolize.h"
#include "xalloc.h"

/* ---- the journal-only report ---- */

struct group {
    uint32_t site;
    uint64_t bytes, blocks;
};

static int cmp_group(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

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

static void jstr(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void text_frame(FILE *out, unsigned pid, const struct lgt_frame *f, int first)
{
    fprintf(out, "==%u==    %s 0x%" PRIx64 ": %s", pid, first ? "at" : "by", f->pc, f->function ? f->function : "???");
    if (f->file)
        fprintf(out, " (%s:%u)", f->file, f->line);
    if (f->module && f->function)
        fprintf(out, " [%s]", f->module);
    else if (f->module)
        fprintf(out, " [%s+0x%" PRIx64 "]", f->module, f->module_off);
    fputc('\n', out);
}

int lgt_journal_report(FILE *text, FILE *json, const struct lgt_heap *h, const struct lgt_journal_info *info)
{
    struct group *g = lgt_xcalloc(h->nsites + 1, sizeof *g); /* [nsites]: unknown site */
    uint64_t bytes = 0;
    for (size_t i = 0; i < h->nblocks; i++) {
        const struct lgt_site *s = h->blocks[i].site ? lgt_reader_site(h, h->blocks[i].site) : NULL;
        struct group *x = &g[s ? (size_t)(s - h->sites) : h->nsites];
        x->site = s ? s->id : 0;
        x->bytes += h->blocks[i].size;
        x->blocks++;
        bytes += h->blocks[i].size;
    }
    size_t ng = 0;
    for (size_t i = 0; i <= h->nsites; i++)
        if (g[i].blocks)
            g[ng++] = g[i];
    qsort(g, ng, sizeof *g, cmp_group);

    struct lgt_symbolizer *sym = lgt_symbolize_open(h);
    struct lgt_report r = {.heap = h, .sym = sym};
    r.stacks = lgt_xcalloc(h->nsites + 1, sizeof *r.stacks);
    r.stack_done = lgt_xcalloc(h->nsites + 1, 1);
    unsigned pid = h->proc.pid;
    char a[32], b[32];
    fprintf(text, "==%u== leakgraph %s: blocks live at death for pid %u (%s), from its journal\n", pid,
            LG_VERSION, pid, h->exe[0] ? h->exe : "?");
    fprintf(text, "==%u== not classified: no memory image (leakgraph analyze --journal FILE --core CORE classifies"
            " them)\n", pid);
    if (info->state == LG_JRNL_EXITED)
        fprintf(text, "==%u== note: the process exited normally; this journal is its state at exit\n", pid);
    fprintf(text, "==%u==\n", pid);
    for (size_t i = 0; i < ng; i++) {
        fprintf(text, "==%u== %s bytes in %s blocks live at death in record %zu of %zu (site %" PRIu32
                "; not classified: no memory image)\n", pid, num(a, g[i].bytes), num(b, g[i].blocks), i + 1, ng,
                g[i].site);
        const struct lgt_symstack *st = lgt_report_stack(&r, g[i].site);
        if (!st->n)
            fprintf(text, "==%u==    (%s)\n", pid, g[i].site ? "stack not in the journal" : "no stack recorded");
        for (size_t k = 0; k < st->n; k++)
            text_frame(text, pid, st->frames[k], k == 0);
        fprintf(text, "==%u==\n", pid);
    }
    fprintf(text, "==%u== LIVE AT DEATH: %s bytes in %s blocks from %zu sites (not classified: no memory image)\n",
            pid, num(a, bytes), num(b, h->nblocks), ng);
    if (info->dropped_blocks)
        fprintf(text, "==%u== warning: %" PRIu64 " allocations found no room in the journal (raise journal_size);"
                " the list is incomplete\n", pid, info->dropped_blocks);
    if (info->dropped_sites || info->dropped_modules || info->missing_sites)
        fprintf(text, "==%u== warning: %" PRIu64 " blocks have no stack in the journal (sites area full or the"
                " record was being written)\n", pid, info->missing_sites);
    if (info->busy_slots || info->torn_records)
        fprintf(text, "==%u== note: %" PRIu64 " allocations and %" PRIu64 " records were being written at death"
                " and are left out\n", pid, info->busy_slots, info->torn_records);

    int rc = ferror(text) ? -1 : 0;
    if (json) {
        fprintf(json, "{\"tool\": \"leakgraph\", \"version\": \"%s\", \"pid\": %u, \"exe\": ", LG_VERSION, pid);
        jstr(json, h->exe);
        fprintf(json, ", \"source\": \"journal\", \"classified\": false, \"reason\": \"no memory image\",\n"
                " \"live\": {\"bytes\": %" PRIu64 ", \"blocks\": %zu, \"sites\": %zu},\n"
                " \"dropped_blocks\": %" PRIu64 ", \"missing_stacks\": %" PRIu64 ",\n \"sites\": [",
                bytes, h->nblocks, ng, info->dropped_blocks, info->missing_sites);
        for (size_t i = 0; i < ng; i++) {
            fprintf(json, "%s\n  {\"site\": %" PRIu32 ", \"bytes\": %" PRIu64 ", \"blocks\": %" PRIu64 ", \"stack\": [",
                    i ? "," : "", g[i].site, g[i].bytes, g[i].blocks);
            const struct lgt_symstack *st = lgt_report_stack(&r, g[i].site);
            for (size_t k = 0; k < st->n; k++) {
                const struct lgt_frame *f = st->frames[k];
                fprintf(json, "%s{\"address\": \"0x%" PRIx64 "\", \"function\": ", k ? ", " : "", f->pc);
                jstr(json, f->function);
                fputs(", \"file\": ", json);
                jstr(json, f->file);
                if (f->line)
                    fprintf(json, ", \"line\": %u, \"module\": ", f->line);
                else
                    fputs(", \"line\": null, \"module\": ", json);
                jstr(json, f->module);
                fputc('}', json);
            }
            fputs("]}", json);
        }
        fputs("]}\n", json);
        if (ferror(json))
            rc = -1;
    }
    for (size_t i = 0; i <= h->nsites; i++)
        free(r.stacks[i].frames);
    free(r.stacks);
    free(r.stack_done);
    lgt_symbolize_close(sym);
    free(g);
    return rc;
}
