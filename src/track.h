/* What every allocator entry point calls after (or before) the real allocator:
 * capture the stack, record or forget the block. The hot path. */
#ifndef LG_TRACK_H
#define LG_TRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "guard.h"
#include "init.h"

/* Called before the real allocator: the very first allocation initialises the tracer
 * first, because initialisation takes the anonymous memory that exists at that moment
 * for ld.so's (a root), and a first block of 128 KiB or more is such memory too. */
static inline void lg_track_early(void)
{
    if (__builtin_expect(lg_state == LG_UNINIT, 0) && !lg_busy)
        lg_init();
}

/* Records p (a new block of size bytes) and returns p. Safe in any state. */
void *lg_track_alloc(void *p, size_t size);

/* Forgets p before it is freed. Returns true if p was a tracked block. */
bool lg_track_free(void *p);

/* realloc bookkeeping: forget old before the real call, then either record the new
 * block or, when the real call failed and old survives, restore old's record. */
struct lg_block;
bool lg_track_take(void *p, struct lg_block *saved);
void lg_track_restore(const struct lg_block *saved);

/* Greater than every sequence number handed out so far (threads take them in batches,
 * so a later allocation may still get a smaller one). */
uint64_t lg_track_seq_bound(void);

#endif
