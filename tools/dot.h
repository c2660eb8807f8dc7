/* Pictures of the heap graph in Graphviz's dot language, objgraph-style: what refers to a
 * block (show_backrefs), what a block refers to (show_refs), and the shortest retention
 * chains (show_chain). Blocks are boxes labelled with address, size, kind, tag and the
 * allocating frame, lost ones filled red; roots are ellipses and hexagons named like
 * `leakgraph chain` names them; every edge is labelled with the offset of the word. */
#ifndef LGT_DOT_H
#define LGT_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "offline.h"

#define LGT_DOT_MAX_DEPTH 3 /* objgraph's max_depth */
#define LGT_DOT_TOO_MANY 10 /* objgraph's too_many */

enum lgt_dot_mode { LGT_DOT_BACKREFS, LGT_DOT_REFS, LGT_DOT_CHAIN };

struct lgt_dot_opts {
    enum lgt_dot_mode mode;
    unsigned max_depth; /* backrefs, refs: nodes at most this many references from a target */
    unsigned too_many;  /* backrefs, refs: references drawn per node before a "+K more" node */
    const char *title;  /* the graph's label; NULL: none */
};

/* Writes the graph around the blocks targets[0..n) (the chain mode skips the unreached
 * ones) and returns the number of nodes drawn. */
size_t lgt_dot_write(FILE *out, struct lgt_ctx *x, const uint32_t *targets, size_t n,
                     const struct lgt_dot_opts *o);

/* s as a dot string literal: quotes and backslashes escaped, a newline as dot's \n, other
 * control and non-ASCII bytes as a visible \xNN (dot wants valid UTF-8; paths may not be). */
void lgt_dot_quote(FILE *out, const char *s);

#endif
