/* Baselines: the leak sites a project accepts for now. A site's key is its kind and its
 * symbolized stack (function and source file base names, no addresses, no line numbers),
 * so it survives ASLR and rebuilds. File format, one site per line, tab-separated:
 *   # leakgraph baseline 1
 *   BYTES<TAB>BLOCKS<TAB>KIND<TAB>func@file.c < caller@file.c < main@main.c */
#ifndef LGT_BASELINE_H
#define LGT_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define LGT_BASELINE_HEADER "# leakgraph baseline 1"

struct lgt_baseline_entry {
    char *key; /* "KIND\tSTACK" */
    uint64_t bytes, blocks;
};

struct lgt_baseline {
    struct lgt_baseline_entry *v; /* sorted by key */
    size_t n;
    uint64_t tol_bytes; /* --baseline-tolerance N */
    double tol_pct;     /* --baseline-tolerance N% */
};

/* The key of a leak of this kind with this stack; a fresh string. */
char *lgt_baseline_key(unsigned kind, const struct lgt_chk_frame *f, size_t nframes);
/* Reads a baseline file. 0, or -1 with "FILE:LINE: what" (or "FILE: why") in err. */
int lgt_baseline_load(struct lgt_baseline *b, const char *path, char *err, size_t errlen);
/* The same for text in memory, named name in messages. */
int lgt_baseline_parse(struct lgt_baseline *b, const char *name, const char *text, char *err,
                       size_t errlen);
/* The entry with this key, or NULL. */
const struct lgt_baseline_entry *lgt_baseline_find(const struct lgt_baseline *b, const char *key);
/* "N" bytes or "N%" of the baseline's bytes. 0, or -1 with a message in err. */
int lgt_baseline_tolerance(struct lgt_baseline *b, const char *s, char *err, size_t errlen);
/* The most bytes a site may lose before it counts as grown. */
uint64_t lgt_baseline_allowed(const struct lgt_baseline *b, const struct lgt_baseline_entry *e);
/* Writes the run's failing-kind, unsuppressed leak sites (summed over processes). 0, or 2
 * with a message printed. */
int lgt_baseline_write(const struct lgt_chk_run *run, const char *path);
void lgt_baseline_free(struct lgt_baseline *b);

#endif
