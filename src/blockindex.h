/* The collections' sorted copy of the block table, kept between collections and brought
 * up to date from the table's change log. Every shard lock held, collection lock held. */
#ifndef LG_BLOCKINDEX_H
#define LG_BLOCKINDEX_H

#include "blocks.h"

#include <stdbool.h>
#include <stddef.h>

/* The live blocks sorted by address, in *blocks (valid until the next call): merged from
 * the last copy and the change log (*incremental), else copied and sorted anew; *same
 * when the log was empty (the same array as the last call's, unchanged). False when
 * out of tracer memory. */
bool lg_blockindex_get(struct lg_block **blocks, size_t *n, bool *incremental, bool *same);
/* collect_verify: the copy matches a fresh copy and sort of the table, record by record. */
bool lg_blockindex_check(void);
/* Changes whenever the copy does: the same version, the same blocks at the same places. */
uint64_t lg_blockindex_version(void);
/* Forgets the copy (a fork child): the next collection copies the table. */
void lg_blockindex_reset(void);

#endif
