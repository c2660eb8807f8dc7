/* Shared by the offline commands chain, growth and top: one snapshot loaded, classified and
 * symbolized (reader, classify, symbolize and report's stacks, reused as they are), plus the
 * small formatting helpers their text and JSON outputs need. */
#ifndef LGT_OFFLINE_H
#define LGT_OFFLINE_H

#include <stdio.h>

#include "classify.h"
#include "reader.h"
#include "report.h"
#include "symbolize.h"

struct lgt_ctx {
    struct lgt_heap h;
    struct lgt_classes c;
    struct lgt_symbolizer *sym;
    struct lgt_report r; /* for lgt_report_stack(): symbolized stacks per site */
};

/* Loads path (or, with buf, the len bytes at buf named path) and analyses it. 0, or -1 with
 * the reader's one-line message printed on stderr. */
int lgt_ctx_load(struct lgt_ctx *x, const char *path, const void *buf, size_t len);
void lgt_ctx_free(struct lgt_ctx *x);
/* The symbolized stack of block b's site (tracer frames dropped, cut below main). */
const struct lgt_symstack *lgt_ctx_block_stack(struct lgt_ctx *x, size_t b);

/* "function (file:line)", "function [module]" or "module+0xoff" for one frame. */
void lgt_frame_print(FILE *out, const struct lgt_frame *f);
/* The same from the fields, for frames read back from a JSON report (check.c). */
void lgt_frame_print_parts(FILE *out, const char *function, const char *file, unsigned line,
                           const char *module, uint64_t module_off, uint64_t pc);
/* The same into a fresh string. */
char *lgt_frame_string(const struct lgt_frame *f);
/* A JSON string literal, escaped. */
void lgt_json_str(FILE *out, const char *s);
/* JSON array of {"function","file","line","module","module_offset"} for a stack. */
void lgt_json_stack(FILE *out, const struct lgt_symstack *st);

/* Opens a --json FILE (%p: pid); NULL with a message printed. */
FILE *lgt_json_open(const char *pattern, unsigned pid);
/* Closes it: 0, or 2 with a message when writing failed. */
int lgt_json_close(FILE *f, const char *pattern);

/* Whether argv[*i] is --help/-h. */
int lgt_is_help(const char *arg);

#endif
