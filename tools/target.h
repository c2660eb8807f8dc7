/* The blocks an offline command is about, chosen the same way by `chain` and `dot`: a block's
 * address (its start or any address inside it), --site PATTERN (a glob on any frame's
 * function, file or module) or --tag NAME (a glob on the leakgraph_tag() name). */
#ifndef LGT_TARGET_H
#define LGT_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain.h"
#include "offline.h"

struct lgt_target_spec {
    const char *address, *site, *tag; /* exactly one is set */
};

/* Fills *out with a fresh array of block indices (ascending) and *n. Returns 0; 1 when the
 * address is inside no block or nothing matches; 2 when the address does not parse. The
 * message (stderr) names cmd; an interior address is explained on note, so that a command
 * writing its result to stdout can keep it clean. */
int lgt_target_select(struct lgt_ctx *x, const struct lgt_target_spec *s, const char *cmd,
                      FILE *note, uint32_t **out, size_t *n);
/* Sorts v by distance from a root (shortest chain first, unreached last, then by index) and
 * returns how many are reached. */
size_t lgt_target_order(const struct lgt_chain *ch, uint32_t *v, size_t n);

#endif
