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

/* Cards this thread recorded lately, tagged with the generation (lg_dirtyset_epoch in
 * the top bits): most stores hit a card recorded a moment ago, and this filter keeps
 * them off the shared table. Initial-exec TLS: no allocation, from any thread. Direct-
 * mapped by the card's low bits, so a 256 KiB working set never collides. */
#define LG_DIRTYSET_FILTER 4096
extern __thread uint64_t lg_dirtyset_filter[LG_DIRTYSET_FILTER] __attribute__((tls_model("initial-exec")));
/* The generation, 0-63, bumped by every rotation. */
extern volatile uint64_t lg_dirtyset_epoch;

/* Inserts a card into the current generation's table. AS-safe, lock-free. */
void lg_dirtyset_card_slow_async(uint64_t card);

/* Records the card of addr. AS-safe, lock-free; never blocks. */
static inline void lg_dirtyset_card_async(uintptr_t addr)
{
    uint64_t card = addr >> LG_CARD_SHIFT, tag = card | lg_dirtyset_epoch << 58;
    uint64_t *f = &lg_dirtyset_filter[card & (LG_DIRTYSET_FILTER - 1)];
    if (__builtin_expect(*f == tag, 1))
        return;
    *f = tag;
    lg_dirtyset_card_slow_async(card);
}
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
