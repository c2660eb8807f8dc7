/* One struct lgt_report, built from a classified heap, feeds every renderer (text, JSON).
 * Renderers only format; grouping, sorting and symbolization happen here. */
#ifndef LGT_REPORT_H
#define LGT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "groupby.h"
#include "reader.h"
#include "symbolize.h"

/* Kind masks for --show-leak-kinds and --errors-for-leak-kinds. */
#define LGT_SHOW(kind) (1u << (kind))
#define LGT_SHOW_CYCLIC (1u << LGT_KIND_COUNT)
#define LGT_SHOW_ALL (LGT_SHOW(LGT_KIND_DEFINITELY_LOST) | LGT_SHOW(LGT_KIND_INDIRECTLY_LOST) | \
                      LGT_SHOW(LGT_KIND_POSSIBLY_LOST) | LGT_SHOW(LGT_KIND_STILL_REACHABLE) | \
                      LGT_SHOW_CYCLIC)
#define LGT_SHOW_DEFAULT "definite,indirect,possible,cyclic"
#define LGT_ERRORS_DEFAULT "definite,indirect,cyclic"

struct lgt_symstack {
    size_t n;
    const struct lgt_frame **frames; /* tracer frames already dropped */
};

/* A loss record: the blocks of one kind allocated at one site (or, with --by, with one tag,
 * in one function or in one file). Ignored blocks are in none. */
struct lgt_loss {
    uint8_t kind; /* enum lgt_kind */
    uint32_t site;           /* the site (with --by: the lowest site id of the group) */
    uint32_t group;          /* --by tag: the tag id; function, file: an index into labels */
    uint32_t nsites;         /* distinct sites of its blocks */
    uint64_t bytes;          /* direct bytes */
    uint64_t indirect_bytes; /* definite only: the indirect blocks charged to these */
    uint64_t blocks;
    const struct lgt_symstack *stack; /* site's */
    const char *label;       /* --by other than site: the tag, function or file; else NULL */
    uint32_t *tags;          /* distinct tag ids of its blocks, ascending (NULL when none) */
    size_t ntags;
};

struct lgt_report {
    const struct lgt_heap *heap;
    const struct lgt_classes *cls;
    struct lgt_symbolizer *sym;
    struct lgt_symstack *stacks; /* lazily filled, parallel to heap->sites */
    uint8_t *stack_done;
    struct lgt_loss *losses;     /* every kind, largest first */
    size_t nlosses;
    unsigned show;               /* LGT_SHOW mask: what the text lists */
    int cycles_only;             /* `leakgraph cycles` */
    enum lgt_group_by by;        /* what a loss record stands for (--by) */
    char **labels;               /* --by function or file: the group labels */
    size_t nlabels;
    int any_ignored;             /* a block is flagged LG_BATTR_IGNORED: summary line */
    struct lgt_explain *explain; /* analyze --explain (explain.h), set by the caller; NULL: none */
};

/* Parses "definite,indirect,..." (also all, none). 0, or -1 with a hint in err. */
int lgt_report_parse_kinds(const char *list, unsigned *mask, char *err, size_t errlen);
/* True when a block of a kind in mask exists (cyclic counts as its own kind). */
int lgt_report_has_errors(const struct lgt_report *r, unsigned mask);

/* show, cycles_only and by are set by the caller beforehand and kept. */
void lgt_report_build(struct lgt_report *r, const struct lgt_heap *h, const struct lgt_classes *c,
                      struct lgt_symbolizer *sym);
void lgt_report_free(struct lgt_report *r);
/* The symbolized stack of a site id; an empty stack for 0 or an unknown id. */
const struct lgt_symstack *lgt_report_stack(struct lgt_report *r, uint32_t site);

const char *lgt_report_kind_name(unsigned kind); /* "definitely lost" */
const char *lgt_report_kind_key(unsigned kind);  /* "definitely_lost" */

void lgt_report_text(FILE *out, struct lgt_report *r);
/* 0, or -1 when writing failed. */
int lgt_report_json(FILE *out, struct lgt_report *r);

#endif
