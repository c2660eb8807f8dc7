/* Gathers a `leakgraph check` run: every exit snapshot the traced processes left in the
 * run's directory is analysed here (as `leakgraph analyze` would) and its leaks copied out,
 * and every started file without a snapshot becomes a process with "no report". */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "classify.h"
#include "crashinfo.h"
#include "report.h"
#include "symbolize.h"
#include "xalloc.h"

static char *dup_or_null(const char *s) { return s ? lgt_xstrdup(s) : NULL; }

static void copy_stack(struct lgt_chk_leak *l, const struct lgt_heap *h, const struct lgt_symstack *st)
{
    l->frames = lgt_xcalloc(st->n ? st->n : 1, sizeof *l->frames);
    l->nframes = st->n;
    for (size_t i = 0; i < st->n; i++) {
        const struct lgt_frame *f = st->frames[i];
        const struct lgt_module *m = lgt_reader_module_at(h, f->pc);
        l->frames[i] = (struct lgt_chk_frame){dup_or_null(f->function), dup_or_null(f->file), f->line,
                                              dup_or_null(f->module),
                                              m && m->path[0] ? lgt_xstrdup(m->path) : NULL, f->pc,
                                              f->module_off};
    }
}

static struct lgt_chk_leak *add_leak(struct lgt_chk_proc *p, unsigned kind, uint64_t bytes,
                                     uint64_t blocks, size_t record)
{
    p->leaks = lgt_xrealloc(p->leaks, p->nleaks + 1, sizeof *p->leaks);
    struct lgt_chk_leak *l = &p->leaks[p->nleaks++];
    *l = (struct lgt_chk_leak){.kind = kind, .bytes = bytes, .blocks = blocks, .record = record,
                               .supp = -1};
    return l;
}

/* The loss records (and cycles) of the kinds shown or failing, copied with their stacks. */
static void copy_leaks(struct lgt_chk_proc *p, struct lgt_report *r, unsigned want)
{
    for (size_t i = 0; i < r->nlosses; i++) {
        const struct lgt_loss *lo = &r->losses[i];
        if (lo->kind == LGT_KIND_IGNORED || !(want & LGT_SHOW(lo->kind)))
            continue;
        struct lgt_chk_leak *l = add_leak(p, lo->kind, lo->bytes, lo->blocks, i + 1);
        copy_stack(l, r->heap, lo->stack);
    }
    for (size_t i = 0; (want & LGT_SHOW_CYCLIC) && i < r->cls->ncycles; i++) {
        const struct lgt_cycle *cy = &r->cls->cycles[i];
        struct lgt_chk_leak *l = add_leak(p, LGT_CHK_CYCLIC, cy->bytes, cy->n, i + 1);
        copy_stack(l, r->heap, lgt_report_stack(r, r->heap->blocks[cy->members[0]].site));
    }
    for (size_t i = 0; i < p->nleaks; i++)
        p->leaks[i].key = lgt_baseline_key(p->leaks[i].kind, p->leaks[i].frames, p->leaks[i].nframes);
}

static char *joined_cmdline(const struct lgt_heap *h)
{
    char *s = lgt_xcalloc(h->cmdline_len + 1, 1);
    memcpy(s, h->cmdline, h->cmdline_len);
    for (uint32_t i = 0; i < h->cmdline_len; i++)
        if (s[i] == '\0')
            s[i] = ' ';
    size_t n = h->cmdline_len;
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

static char *report_json(struct lgt_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m || lgt_report_json(m, r) || fclose(m)) {
        fputs("leakgraph: out of memory\n", stderr);
        exit(2);
    }
    return buf;
}

/* One line for the summary: the signal, its code and where it struck. */
static char *crash_line(const struct lgt_heap *h, struct lgt_symbolizer *sym)
{
    char nb[16];
    const char *code = lgt_crash_codename(h->crash.signo, h->crash.code);
    const struct lgt_frame *f = lgt_crash_frame(sym, &h->crash);
    char *where = f && f->function ? (f->file ? lgt_xasprintf(" at %s (%s:%u)", f->function, f->file, f->line)
                                              : lgt_xasprintf(" at %s", f->function))
                                   : lgt_xasprintf(" at pc 0x%llx", (unsigned long long)h->crash.pc);
    char *s = lgt_xasprintf("%s%s%s%s%s", lgt_crash_signame(h->crash.signo, nb), code ? " (" : "", code ? code : "",
                            code ? ")" : "", where);
    free(where);
    return s;
}

static int load_snapshot(struct lgt_chk_run *run, const char *path)
{
    char err[512];
    struct lgt_heap h;
    if (lgt_reader_load_file(path, &h, err, sizeof err)) {
        fprintf(stderr, "leakgraph: %s\n", err);
        return -1;
    }
    struct lgt_classes c;
    lgt_classify_run(&h, &c);
    struct lgt_symbolizer *sym = lgt_symbolize_open(&h);
    struct lgt_report r = {.show = run->show_mask};
    lgt_report_build(&r, &h, &c, sym);
    run->procs = lgt_xrealloc(run->procs, run->nprocs + 1, sizeof *run->procs);
    struct lgt_chk_proc *p = &run->procs[run->nprocs++];
    *p = (struct lgt_chk_proc){.pid = h.proc.pid, .exe = lgt_xstrdup(h.exe), .has_report = 1,
                               .status = -1, .cmdline = joined_cmdline(&h), .json = report_json(&r)};
    if (h.has_crash)
        p->crash = crash_line(&h, sym);
    for (unsigned k = 1; k < LGT_KIND_COUNT; k++) {
        p->total[k].bytes = c.total[k].bytes;
        p->total[k].blocks = c.total[k].blocks;
    }
    p->total[LGT_CHK_CYCLIC].bytes = c.cyclic_total.bytes;
    p->total[LGT_CHK_CYCLIC].blocks = c.cyclic_total.blocks;
    p->nrecords = r.nlosses;
    copy_leaks(p, &r, run->show_mask | run->errors_mask);
    lgt_report_free(&r);
    lgt_symbolize_close(sym);
    lgt_classify_free(&c);
    lgt_reader_free(&h);
    return 0;
}

/* A started file: "EXE\nCMDLINE\n". */
static void load_started(struct lgt_chk_run *run, const char *path, unsigned pid)
{
    for (size_t i = 0; i < run->nprocs; i++)
        if (run->procs[i].pid == pid && run->procs[i].has_report)
            return;
    char exe[4096] = "", cmd[8192] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(exe, sizeof exe, f))
            exe[0] = '\0';
        if (!fgets(cmd, sizeof cmd, f))
            cmd[0] = '\0';
        fclose(f);
    }
    exe[strcspn(exe, "\n")] = '\0';
    cmd[strcspn(cmd, "\n")] = '\0';
    run->procs = lgt_xrealloc(run->procs, run->nprocs + 1, sizeof *run->procs);
    run->procs[run->nprocs++] = (struct lgt_chk_proc){.pid = pid, .exe = lgt_xstrdup(exe),
                                                      .cmdline = lgt_xstrdup(cmd), .status = -1};
}

static int cmp_proc(const void *a, const void *b)
{
    const struct lgt_chk_proc *x = a, *y = b;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int walk(struct lgt_chk_run *run, const char *dir, int snapshots)
{
    DIR *d = opendir(dir);
    if (!d)
        return fprintf(stderr, "leakgraph: %s: %s\n", dir, strerror(errno)), -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        char *path = lgt_xasprintf("%s/%s", dir, e->d_name);
        unsigned pid;
        char end;
        if (snapshots && !strncmp(e->d_name, "snap.", 5))
            rc |= load_snapshot(run, path);
        else if (!snapshots && sscanf(e->d_name, "started.%u%c", &pid, &end) == 1)
            load_started(run, path, pid);
        free(path);
    }
    closedir(d);
    return rc;
}

int lgt_chk_collect(struct lgt_chk_run *run, const char *dir)
{
    /* Snapshots first: a started file only adds a process that left none. A snapshot that
     * cannot be read (a process killed while writing it) is reported, and the rest go on. */
    walk(run, dir, 1);
    if (walk(run, dir, 0))
        return -1;
    if (run->nprocs > 1)
        qsort(run->procs, run->nprocs, sizeof *run->procs, cmp_proc);
    return 0;
}
