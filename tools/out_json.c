/* `leakgraph check --json FILE`: the whole run in one object. "processes" holds every
 * process's own JSON report unchanged (report_json.c); the run's verdicts, missing reports
 * and suppression counts sit beside it. */
#include "check.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "checkjudge.h"
#include "offline.h"
#include "suppress.h"

static void run_head(FILE *f, const struct lgt_chk_run *run)
{
    fprintf(f, "{\n  \"tool\": \"leakgraph\",\n  \"version\": \"%s\",\n  \"command\": [", LG_VERSION);
    for (char **a = run->argv; *a; a++) {
        fputs(a == run->argv ? "" : ", ", f);
        lgt_json_str(f, *a);
    }
    int st = run->cmd_status;
    fprintf(f, "],\n  \"command_status\": %d,\n  \"command_signal\": %d,\n  \"failed\": %s,\n",
            WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
            lgt_judge_fails(run) ? "true" : "false");
    fprintf(f, "  \"summary\": {\"processes\": %zu, \"missing_reports\": %zu, \"failing_leaks\": %zu},\n",
            run->nprocs, run->nmissing, run->nfailing);
}

static void processes(FILE *f, const struct lgt_chk_run *run)
{
    int first = 1;
    fputs("  \"processes\": [", f);
    for (size_t p = 0; p < run->nprocs; p++)
        if (run->procs[p].has_report) {
            fputs(first ? "\n" : ",\n", f);
            fputs(run->procs[p].json, f);
            first = 0;
        }
    fputs("  ],\n  \"missing_reports\": [", f);
    first = 1;
    for (size_t p = 0; p < run->nprocs; p++) {
        const struct lgt_chk_proc *pr = &run->procs[p];
        if (pr->has_report)
            continue;
        char *why = lgt_judge_missing_reason(pr);
        fprintf(f, "%s\n    {\"pid\": %u, \"exe\": ", first ? "" : ",", pr->pid);
        lgt_json_str(f, pr->exe);
        fputs(", \"command\": ", f);
        lgt_json_str(f, pr->cmdline);
        fputs(", \"reason\": ", f);
        lgt_json_str(f, why);
        fputc('}', f);
        free(why);
        first = 0;
    }
    fputs("],\n", f);
}

static void verdicts(FILE *f, const struct lgt_chk_run *run)
{
    static const char *const words[] = {"not_error", "suppressed", "baseline", "grew", "new"};
    int first = 1;
    fputs("  \"verdicts\": [", f);
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            fprintf(f, "%s\n    {\"pid\": %u, \"kind\": \"%s\", \"%s\": %zu, \"bytes\": %" PRIu64
                    ", \"blocks\": %" PRIu64 ", \"verdict\": \"%s\", \"suppression\": ", first ? "" : ",",
                    run->procs[p].pid, lgt_chk_kind_word(l->kind),
                    l->kind == LGT_CHK_CYCLIC ? "cycle" : "loss_record", l->record, l->bytes, l->blocks,
                    words[l->verdict]);
            if (l->supp >= 0)
                fprintf(f, "\"%s:%u\"", run->supps->v[l->supp].file, run->supps->v[l->supp].line);
            else
                fputs("null", f);
            fputs(", \"site_key\": ", f);
            lgt_json_str(f, l->key);
            fputc('}', f);
            first = 0;
        }
    fputs("],\n", f);
}

static void suppressions(FILE *f, const struct lgt_chk_run *run)
{
    fputs("  \"suppressions\": [", f);
    for (size_t i = 0; i < run->supps->n; i++) {
        const struct lgt_supp *s = &run->supps->v[i];
        fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
        lgt_json_str(f, s->file);
        fprintf(f, ", \"line\": %u, \"pattern\": ", s->line);
        lgt_json_str(f, s->pattern);
        fprintf(f, ", \"builtin\": %s, \"matched_leaks\": %" PRIu64 ", \"matched_bytes\": %" PRIu64 "}",
                s->builtin ? "true" : "false", s->leaks, s->bytes);
    }
    fputs("]\n}\n", f);
}

int lgt_out_json(const struct lgt_chk_run *run, const char *path)
{
    FILE *f = lgt_chk_open("json", path);
    if (!f)
        return 2;
    run_head(f, run);
    processes(f, run);
    verdicts(f, run);
    suppressions(f, run);
    return lgt_chk_close(f, "json", path);
}
