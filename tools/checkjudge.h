/* The verdicts of `leakgraph check`: suppressions, then the baseline, per leak; the exit
 * decision; the combined text summary (and --gen-suppressions). */
#ifndef LGT_CHECKJUDGE_H
#define LGT_CHECKJUDGE_H

#include <stdio.h>

#include "check.h"

/* Copies the wait statuses check saw into the processes with those pids. */
void lgt_judge_statuses(struct lgt_chk_run *run, const struct lgt_chk_reaped *r, size_t n);
/* Sets every leak's verdict, the suppressions' counters, nfailing and nmissing. */
void lgt_judge_run(struct lgt_chk_run *run);
/* True when the run fails: a failing leak, or (--fail-on-missing-report) a missing report. */
int lgt_judge_fails(const struct lgt_chk_run *run);
/* The summary check prints on stderr. */
void lgt_judge_summary(FILE *out, const struct lgt_chk_run *run, int gen_supp);
/* The rule --gen-suppressions suggests for a leak: a fresh string. */
char *lgt_judge_suppression(const struct lgt_chk_leak *l);
/* "killed by SIGSEGV", "exited with status 3 before writing its report", ... for a
 * process without a report: a fresh string. */
char *lgt_judge_missing_reason(const struct lgt_chk_proc *p);

#endif
