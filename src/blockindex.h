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
/* What the last lg_blockindex_get changed, when it merged the log into the copy of
 * version base: the changed addresses in order, each with the block there before (old)
 * and now (new), their sequence numbers (LG_SEQ_MASK'd), and where the address is, or
 * would be, in each copy. False when that get did not merge from base (a fresh copy,
 * or another base): compare the copies then. */
enum { LG_BI_OLD = 1, LG_BI_NEW = 2 };
struct lg_blockindex_change {
    uint64_t addr, old_seq, new_seq;
    size_t old_pos, new_pos;
    uint32_t what; /* LG_BI_OLD | LG_BI_NEW */
};
bool lg_blockindex_changes(uint64_t base, const struct lg_blockindex_change **ch, size_t *n);
/* The copy of version v (records in address order), while it is kept: the current one,
 * or the one before it (kept until the next lg_blockindex_get). False otherwise. */
bool lg_blockindex_copy_of(uint64_t v, const struct lg_block **b, size_t *n);
/* collect_verify: the copy matches a fresh copy and sort of the table, record by record. */
bool lg_blockindex_check(void);
/* Changes whenever the copy does: the same version, the same blocks at the same places. */
uint64_t lg_blockindex_version(void);
/* Calls fn(ctx, lo, hi) for the spans of the current copy's blocks, in address order:
 * one per 64 MiB of address space that holds blocks, from where the first block starting
 * there starts to where the last one ends. False when there is no copy. */
bool lg_blockindex_each_span(void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx);
/* Forgets the copy (a fork child): the next collection copies the table. */
void lg_blockindex_reset(void);

#endif
