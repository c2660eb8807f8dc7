/* Per-site totals of live blocks, split into still reachable and lost (definite, indirect,
 * possible), for `leakgraph growth` (two snapshots, objgraph's show_growth) and `leakgraph top`
 * (one, show_most_common_types). Sites are per-process ids, so rows are keyed by the
 * symbolized stack (function, file and line per frame, else module and offset), or by the
 * allocating frame's function or file, or by type tag (by name). */
#ifndef LGT_GROWTH_H
#define LGT_GROWTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "groupby.h"
#include "offline.h"

/* lgt_grow_row.lost */
#define LGT_ROW_REACHABLE 0
#define LGT_ROW_LOST 1    /* definitely, indirectly or possibly lost */
#define LGT_ROW_IGNORED 2 /* leakgraph_ignore: not a leak, not reachable either */

struct lgt_grow_row {
    char *key;   /* what matches rows across snapshots (class included) */
    char *label; /* "function (file:line)", the function or the file */
    int lost;    /* LGT_ROW_REACHABLE, LGT_ROW_LOST or LGT_ROW_IGNORED */
    uint64_t count, bytes;         /* in the new (or only) snapshot */
    uint64_t old_count, old_bytes; /* in the old one */
    const struct lgt_symstack *stack; /* one stack of the row (owned by a struct lgt_ctx) */
};

struct lgt_growth {
    enum lgt_group_by by;
    struct lgt_grow_row *rows;
    size_t n, cap;
    void *index; /* hash of rows by key */
};

/* "site", "function", "file" or "tag": 0, else -1 (lgt_group_parse). */
int lgt_growth_parse_by(const char *s, enum lgt_group_by *by);
const char *lgt_growth_by_name(enum lgt_group_by by);
void lgt_growth_init(struct lgt_growth *g, enum lgt_group_by by);
/* Adds every live block of x into the rows' new (old = 0) or old (old = 1) totals. */
void lgt_growth_add(struct lgt_growth *g, struct lgt_ctx *x, int old);
void lgt_growth_free(struct lgt_growth *g);

int64_t lgt_growth_count_delta(const struct lgt_grow_row *r);
int64_t lgt_growth_bytes_delta(const struct lgt_grow_row *r);
/* Largest byte growth first (then count growth, then label). */
void lgt_growth_sort_delta(struct lgt_growth *g);
/* Most blocks first (by_bytes = 0) or most bytes first (1). */
void lgt_growth_sort_total(struct lgt_growth *g, int by_bytes);

/* 0 when a and b are snapshots of the same program (executable path and main module's
 * build-id), else -1 with the reason in why. */
int lgt_growth_same_program(const struct lgt_heap *a, const struct lgt_heap *b, char *why,
                            size_t n);


/* ---- output, shared by growth and top ---- */

/* Width of the label column for the first n rows (at least the header's, at most 60). */
int lgt_growth_label_width(const struct lgt_growth *g, size_t n);
/* "label  count [+delta]  bytes [+delta]  [reachable|lost]"; deltas when with_delta. */
void lgt_growth_text_row(FILE *out, const struct lgt_grow_row *r, int width, int with_delta);
void lgt_growth_text_header(FILE *out, const char *what, int width, int with_delta);
/* "reachable", "lost" or "ignored". */
const char *lgt_growth_class_name(const struct lgt_grow_row *r);
/* {"label", "class", "count", "bytes", ["count_delta", "bytes_delta",] "stack"} */
void lgt_growth_json_row(FILE *out, const struct lgt_grow_row *r, int with_delta);

#endif
