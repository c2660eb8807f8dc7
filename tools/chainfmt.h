/* Printing one retention chain (root, then each reference with its offset, size, tag and
 * allocation site), as text and as JSON: shared by `leakgraph chain` and analyze's
 * --explain, so that both show a chain the same way. */
#ifndef LGT_CHAINFMT_H
#define LGT_CHAINFMT_H

#include <stdint.h>
#include <stdio.h>

#include "chain.h"
#include "report.h"
#include "rootname.h"

struct lgt_chainfmt {
    struct lgt_report *r;         /* the heap, its kinds and the symbolized stacks */
    const struct lgt_chain *ch;   /* lgt_chain_bfs() over r's heap */
    struct lgt_rootnamer *names;
    const char *prefix;           /* starts every text line: "" or "==PID== " */
};

/* "chain to 0x... (N bytes, kind), K references from a root:", the root's name, then one
 * line per reference. target must be reached (ch->dist != LGT_CHAIN_UNREACHED). */
void lgt_chainfmt_text(FILE *out, const struct lgt_chainfmt *f, uint32_t target);
/* {"target", "size", "kind", "root": {...}, "hops": [...]}, as `chain --json` writes it. */
void lgt_chainfmt_json(FILE *out, const struct lgt_chainfmt *f, uint32_t target);

#endif
