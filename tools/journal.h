/* Reads a journal (include/leakgraph/journal.h, man/leakgraph-journal.5) into a struct
 * lgt_heap: process, modules, sites and the blocks live at death, without roots or
 * references (a journal has no memory image). Untrusted input, validated like a
 * snapshot: every error is one line naming the file and the offset. */
#ifndef LGT_JOURNAL_H
#define LGT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"

struct lgt_journal_info {
    uint64_t state;           /* enum lg_jrnl_state */
    uint64_t dropped_blocks;  /* allocations the table had no room for */
    uint64_t dropped_sites;
    uint64_t dropped_modules;
    uint64_t busy_slots;      /* allocations being recorded when the process died */
    uint64_t torn_records;    /* a site or module record cut short by the death (0 or 1 each) */
    uint64_t missing_sites;   /* blocks whose site has no record */
    uint32_t stack_depth;
};

/* 0, or -1 with "NAME: ..." in err; on failure *h is empty. */
int lgt_journal_load_file(const char *path, struct lgt_heap *h, struct lgt_journal_info *info,
                          char *err, size_t errlen);
int lgt_journal_load_mem(const char *name, const void *buf, size_t len, struct lgt_heap *h,
                         struct lgt_journal_info *info, char *err, size_t errlen);

/* The journal-only report: live blocks per site with stacks, "not classified: no memory
 * image". json may be NULL. 0, or -1 when writing failed. */
int lgt_journal_report(FILE *text, FILE *json, const struct lgt_heap *h,
                       const struct lgt_journal_info *info);

#endif
