/* What every allocator entry point calls after (or before) the real allocator:
 * capture the stack, record or forget the block. The hot path. */
#ifndef LG_TRACK_H
#define LG_TRACK_H

#include <stdbool.h>
#include <stddef.h>

/* Records p (a new block of size bytes) and returns p. Safe in any state. */
void *lg_track_alloc(void *p, size_t size);

/* Forgets p before it is freed. Returns true if p was a tracked block. */
bool lg_track_free(void *p);

/* realloc bookkeeping: forget old before the real call, then either record the new
 * block or, when the real call failed and old survives, restore old's record. */
struct lg_block;
bool lg_track_take(void *p, struct lg_block *saved);
void lg_track_restore(const struct lg_block *saved);

#endif
