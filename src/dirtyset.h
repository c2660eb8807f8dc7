/* Where the program wrote since the last collection, as reported by store hooks and the
 * interposed memcpy family: 64-byte cards and byte ranges in lock-free sets, a hint for
 * the incremental collection (never the truth: see collect.c). Two generations are
 * kept, because a compiler hook runs before its store: a collection that stops a thread
 * between the two must rescan that card at the next collection too. */
#ifndef LG_DIRTYSET_H
#define LG_DIRTYSET_H

#include <stdbool.h>
#include <stdint.h>

#define LG_CARD_SHIFT 6

/* Nonzero once a collection has armed the sets: hooks record nothing before. Written
 * with the world stopped, read by the hooks. */
extern volatile int lg_dirtyset_armed;
/* Heap addresses worth recording, [lo, hi): the blocks' span at the last collection. */
extern uintptr_t lg_dirtyset_lo, lg_dirtyset_hi;

/* Records the card of addr. AS-safe, lock-free; never blocks. */
void lg_dirtyset_card_async(uintptr_t addr);
/* Records [lo, hi). AS-safe, lock-free. */
void lg_dirtyset_range_async(uintptr_t lo, uintptr_t hi);

/* Calls fn for every range recorded in this generation and the previous one; false when
 * a set overflowed (some writes were not recorded: rescan everything). World stopped. */
bool lg_dirtyset_each(void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx);
/* Starts a new generation and arms the hooks for [lo, hi). World stopped. False when
 * out of tracer memory (the hooks stay disarmed). */
bool lg_dirtyset_rotate(uintptr_t lo, uintptr_t hi);
/* Forgets everything (fork child). */
void lg_dirtyset_reset(void);

/* The last recorded overwrite of a reference to a block at addr: the code address of
 * the store, or 0. Lossy (a direct-mapped table). AS-safe. */
void lg_dirtyset_note_overwrite_async(uintptr_t old_value, uintptr_t pc);
uintptr_t lg_dirtyset_last_overwrite(uintptr_t addr);

#endif
