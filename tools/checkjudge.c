/* Verdicts, exit decision and the text summary of `leakgraph check` (see checkjudge.h). */
#include "checkjudge.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "baseline.h"
#include "report.h"
#include "suppress.h"
#include "xalloc.h"

void lgt_judge_statuses(struct lgt_chk_run *run, const struct lgt_chk_reaped *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < run->nprocs; p++)
            if (run->procs[p].pid == r[i].pid)
                run->procs[p].status = r[i].status;
}

/* The bytes of all the run's counted leaks with this key (a site leaks in many processes). */
static uint64_t site_bytes(const struct lgt_chk_run *run, const char *key)
{
    uint64_t sum = 0;
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            if (l->verdict != LGT_CHK_NOT_ERROR && l->verdict != LGT_CHK_SUPPRESSED && !strcmp(l->key, key))
                sum += l->bytes;
        }
    return sum;
}

static void first_pass(struct lgt_chk_run *run, struct lgt_chk_leak *l)
{
    l->supp = lgt_supp_match(run->supps, l->kind, l->frames, l->nframes);
    if (l->supp >= 0) {
        run->supps->v[l->supp].leaks++;
        run->supps->v[l->supp].bytes += l->bytes;
        l->verdict = LGT_CHK_SUPPRESSED;
    } else {
        l->verdict = run->errors_mask & (1u << l->kind) ? LGT_CHK_NEW : LGT_CHK_NOT_ERROR;
    }
}

static void baseline_pass(struct lgt_chk_run *run, struct lgt_chk_leak *l)
{
    if (l->verdict != LGT_CHK_NEW || !run->baseline)
        return;
    const struct lgt_baseline_entry *e = lgt_baseline_find(run->baseline, l->key);
    if (!e)
        return;
    l->base_bytes = e->bytes;
    l->verdict = site_bytes(run, l->key) > lgt_baseline_allowed(run->baseline, e) ? LGT_CHK_GREW
                                                                                   : LGT_CHK_BASELINE;
}

void lgt_judge_run(struct lgt_chk_run *run)
{
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++)
            first_pass(run, &run->procs[p].leaks[i]);
    run->nfailing = run->nmissing = 0;
    for (size_t p = 0; p < run->nprocs; p++) {
        run->nmissing += !run->procs[p].has_report;
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            baseline_pass(run, &run->procs[p].leaks[i]);
            run->nfailing += lgt_chk_failing(&run->procs[p].leaks[i]);
        }
    }
}

int lgt_judge_fails(const struct lgt_chk_run *run)
{
    return run->nfailing > 0 || (run->fail_on_missing && run->nmissing > 0);
}

/* ---- text ---- */

char *lgt_judge_suppression(const struct lgt_chk_leak *l)
{
    for (size_t i = 0; i < l->nframes; i++)
        if (l->frames[i].function)
            return lgt_xasprintf("leak[%s]:^%s$", lgt_chk_kind_word(l->kind), l->frames[i].function);
    if (l->nframes && l->frames[0].module)
        return lgt_xasprintf("leak[%s]:%s", lgt_chk_kind_word(l->kind), l->frames[0].module);
    return NULL;
}

char *lgt_judge_missing_reason(const struct lgt_chk_proc *p)
{
    int st = p->status;
    if (st != -1 && WIFSIGNALED(st))
        return lgt_xasprintf("killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
                             WCOREDUMP(st) ? ", core dumped" : "");
    if (st != -1 && WIFEXITED(st))
        return lgt_xasprintf("exited with status %d without writing its report (_exit, or a"
                             " failed snapshot)", WEXITSTATUS(st));
    return lgt_xstrdup("killed, crashed, or exited through _exit before its report was written,"
                       " or still running");
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p ? p : "?";
}

static const char *verdict_word(enum lgt_chk_verdict v)
{
    static const char *const w[] = {"not an error kind", "suppressed", "in the baseline",
                                    "grew beyond the baseline", "new"};
    return w[v];
}

static void print_leak(FILE *out, const struct lgt_chk_proc *p, const struct lgt_chk_leak *l)
{
    fprintf(out, "  %s: %" PRIu64 " bytes in %" PRIu64 " blocks, pid %u (%s) [%s",
            lgt_chk_kind_name(l->kind), l->bytes, l->blocks, p->pid, base_name(p->exe),
            verdict_word(l->verdict));
    if (l->verdict == LGT_CHK_GREW)
        fprintf(out, ": %" PRIu64 " bytes in the baseline", l->base_bytes);
    fputs("]\n", out);
    for (size_t i = 0; i < l->nframes; i++) {
        fputs(i ? "      by " : "      at ", out);
        lgt_chk_frame_print(out, &l->frames[i]);
        fputc('\n', out);
    }
}

static void print_supps(FILE *out, const struct lgt_chk_run *run)
{
    uint64_t bl = 0, bb = 0;
    size_t user = 0;
    for (size_t i = 0; i < run->supps->n; i++) {
        const struct lgt_supp *s = &run->supps->v[i];
        if (s->builtin) {
            bl += s->leaks;
            bb += s->bytes;
            continue;
        }
        if (!user++)
            fputs("suppressions:\n", out);
        if (s->leaks)
            fprintf(out, "  %s:%u: matched %" PRIu64 " leak%s, %" PRIu64 " bytes\n", s->file, s->line,
                    s->leaks, s->leaks == 1 ? "" : "s", s->bytes);
        else
            fprintf(out, "  %s:%u: matched nothing (leak:%s)\n", s->file, s->line, s->pattern);
    }
    if (bl)
        fprintf(out, "built-in suppressions (glibc, ld.so, libstdc++): matched %" PRIu64 " leak%s, %"
                PRIu64 " bytes\n", bl, bl == 1 ? "" : "s", bb);
}

static void print_processes(FILE *out, const struct lgt_chk_run *run)
{
    for (size_t p = 0; p < run->nprocs; p++) {
        const struct lgt_chk_proc *pr = &run->procs[p];
        if (!pr->has_report) {
            char *why = lgt_judge_missing_reason(pr);
            fprintf(out, "  pid %u: no report: %s: %s\n", pr->pid, pr->cmdline[0] ? pr->cmdline : pr->exe, why);
            free(why);
            continue;
        }
        if (pr->crash)
            fprintf(out, "  pid %u: crashed: %s: %s\n", pr->pid, pr->cmdline[0] ? pr->cmdline : pr->exe, pr->crash);
        fprintf(out, "  pid %u: %s: definitely lost %" PRIu64 " B, indirectly lost %" PRIu64
                " B, possibly lost %" PRIu64 " B, still reachable %" PRIu64 " B, cyclic %" PRIu64 " B\n",
                pr->pid, pr->cmdline[0] ? pr->cmdline : pr->exe, pr->total[3].bytes, pr->total[4].bytes,
                pr->total[2].bytes, pr->total[1].bytes, pr->total[LGT_CHK_CYCLIC].bytes);
    }
}

static void gen_supps(FILE *out, const struct lgt_chk_run *run)
{
    fputs("suppressions for the failing leaks (--gen-suppressions):\n", out);
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            char *rule = lgt_chk_failing(l) ? lgt_judge_suppression(l) : NULL;
            if (rule)
                fprintf(out, "# %s: %" PRIu64 " bytes in %" PRIu64 " blocks, pid %u (%s)\n%s\n",
                        lgt_chk_kind_name(l->kind), l->bytes, l->blocks, run->procs[p].pid,
                        base_name(run->procs[p].exe), rule);
            free(rule);
        }
}

void lgt_judge_summary(FILE *out, const struct lgt_chk_run *run, int gen_supp)
{
    size_t nsupp = 0, nbase = 0;
    fprintf(out, "leakgraph check: %zu process%s traced, %zu without a report\n", run->nprocs,
            run->nprocs == 1 ? "" : "es", run->nmissing);
    print_processes(out, run);
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            nsupp += l->verdict == LGT_CHK_SUPPRESSED;
            nbase += l->verdict == LGT_CHK_BASELINE;
            if (lgt_chk_failing(l))
                print_leak(out, &run->procs[p], l);
        }
    print_supps(out, run);
    if (gen_supp && run->nfailing)
        gen_supps(out, run);
    fprintf(out, "leakgraph check: %s: %zu failing leak%s, %zu suppressed, %zu in the baseline,"
            " %zu process%s without a report%s\n", lgt_judge_fails(run) ? "FAILED" : "passed",
            run->nfailing, run->nfailing == 1 ? "" : "s", nsupp, nbase, run->nmissing,
            run->nmissing == 1 ? "" : "es",
            run->nmissing && !run->fail_on_missing ? " (not a failure without --fail-on-missing-report)" : "");
}
