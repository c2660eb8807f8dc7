/* analyze --explain=N: who keeps the N largest still-reachable allocation sites alive. For
 * each site (by bytes), the shortest retention chain to one of its blocks, printed like
 * `leakgraph chain` prints it (chainfmt.h), in the text report before the summary and as
 * the "explain" array of the JSON report. */
#ifndef LGT_EXPLAIN_H
#define LGT_EXPLAIN_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

struct lgt_explain;

/* Chooses the sites and their blocks; r must be built and outlive the result. */
struct lgt_explain *lgt_explain_build(struct lgt_report *r, size_t n);
void lgt_explain_free(struct lgt_explain *e);
/* The text section, each line prefixed "==PID== ". */
void lgt_explain_text(FILE *out, const struct lgt_explain *e);
/* ",\n  \"explain\": [...]": a key to append to the report's JSON object. */
void lgt_explain_json(FILE *out, const struct lgt_explain *e);

#endif
