/* Where the program wrote since the last collection, as reported by store hooks and the
 * interposed memcpy family: 64-byte cards and byte ranges in lock-free sets, a hint for
 * the incremental collection (never the truth: see collect.c). Two generations: the
 * hooks write one while a collection reads and clears the other.
 *
 * A compiler hook runs before its store, and a thread can be stopped between the two
 * (and stay there over several collections: it may not run at all in between). Each
 * thread keeps the write its last hook announced (lg_dirtyset_pending); the stop copies
 * it and the collection carries it into the next generation (lg_dirtyset_carry), so the
 * slot is read again after the store, whenever it lands. LEAKGRAPH_STORE marks its card
 * before and after the store instead; the memcpy family records before the copy and
 * keeps its range pending until the copy is done. */
#ifndef LG_DIRTYSET_H
#define LG_DIRTYSET_H

#include <stdbool.h>
#include <stdint.h>

#include "leakgraph.h"

#define LG_CARD_SHIFT 6

/* The card table (exported as leakgraph_store_window, which LEAKGRAPH_STORE reads
 * inline): one byte per card of [card_base, card_base + card_span), set by the hooks
 * themselves, harvested into the current generation by the drain. Mapped once, at the
 * first collection after a hook ran; card_base is fixed then (64 MiB below the lowest
 * block), card_span follows the highest block (plus 64 MiB; at most
 * LG_CARD_TABLE_BYTES cards). In huge pages: up to 16 MB resident when stores spread
 * over the whole window. A drain reads the table only where the blocks the last
 * collection kept are (lg_dirtyset_drain_span): a card set elsewhere is harvested by
 * the first drain that reaches it. Heap slots outside the table (another thread's
 * arena, terabytes above the main one) take the per-thread logs below, as every slot
 * does before the table exists. */
#define LG_CARD_TABLE_BYTES (16ul << 20) /* 1 GiB of heap */
/* The same object, through a hidden alias: the hooks reach it without the GOT. */
extern struct leakgraph_store_window lg_win __attribute__((visibility("hidden")));

/* Nonzero once a collection has armed the sets: hooks record nothing before. Written
 * with the world stopped, read by the hooks. */
extern volatile int lg_dirtyset_armed;
/* Heap addresses worth recording, [lo, hi): the blocks' span at the last collection. */
extern uintptr_t lg_dirtyset_lo, lg_dirtyset_hi;
/* Where a hook may read the word its store overwrites, [read_lo, read_lo + read_span):
 * the blocks' span and the 64 MiB below it (globals, as the card table covers), never
 * the first 64 KiB: a hook called on an address no store follows (a null pointer, a
 * small integer) must not fault. */
extern uintptr_t lg_dirtyset_read_lo, lg_dirtyset_read_span;

/* A thread's log of written cards: the hooks only append (FEASIBILITY §4 measured an
 * append as the cheapest hook); a collection drains every log into the shared tables,
 * with the world stopped. In tracer memory, registered for good; a thread that exits
 * gives its log back for reuse. A full log means writes went unrecorded: the next
 * collection rescans everything. */
#define LG_TLOG_CARDS 262144
struct lg_tlog {
    struct lg_tlog *next_all, *next_free;
    volatile uint32_t n;
    volatile int overflow, orphan;
    /* the last card appended since the drain, plus 1 (0: none): consecutive stores to
     * one card take one entry; the drain resets it */
    volatile uint64_t last;
    uint64_t card[LG_TLOG_CARDS];
};
/* The write the calling thread's last hook announced, [lo, hi): its store may not have
 * landed yet. Set by every hook, armed or not; copied by the stop (stw.c). */
struct lg_pending {
    uintptr_t lo, hi;
};
extern __thread struct lg_pending lg_dirtyset_pending __attribute__((tls_model("initial-exec")));
/* The calling thread's log (NULL before its first hooked store). Initial-exec TLS. */
extern __thread struct lg_tlog *lg_dirtyset_log __attribute__((tls_model("initial-exec")));

/* Gives the calling thread its log; NULL when out of memory. AS-safe, lock-free. */
struct lg_tlog *lg_dirtyset_new_log_async(void);

/* Appends a card when the log is missing or full. AS-safe, lock-free. */
void lg_dirtyset_card_slow_async(uint64_t card);

/* Sets the card of addr in the table when it is there: true, else false. AS-safe. */
static inline bool lg_dirtyset_table_mark(uintptr_t addr)
{
    uintptr_t d = addr - lg_win.card_base;
    if (d >= lg_win.card_span)
        return false;
    if (!lg_win.cards[d >> LG_CARD_SHIFT])
        lg_win.cards[d >> LG_CARD_SHIFT] = 1;
    return true;
}

/* Records the card of addr. AS-safe, lock-free; never blocks. */
static inline void lg_dirtyset_card_async(uintptr_t addr)
{
    if (lg_dirtyset_table_mark(addr))
        return;
    uint64_t card = addr >> LG_CARD_SHIFT;
    struct lg_tlog *l = lg_dirtyset_log;
    uint32_t n;
    if (l && l->last == card + 1)
        return; /* in the log since the last drain */
    if (__builtin_expect(!l || (n = l->n) >= LG_TLOG_CARDS, 0)) {
        lg_dirtyset_card_slow_async(card);
        return;
    }
    l->card[n] = card;
    l->last = card + 1;
    __atomic_store_n(&l->n, n + 1, __ATOMIC_RELEASE); /* a stopped writer leaves n consistent */
}

/* Logs that an aligned word holding old_value (a heap address) is about to be overwritten
 * by the store at pc: two entries, the first flagged, resolved at the next drain (the
 * last one of a value wins). AS-safe, lock-free. */
#define LG_TLOG_OVERWRITE (1ull << 63)
static inline void lg_dirtyset_note_overwrite_fast(uintptr_t old_value, uintptr_t pc)
{
    struct lg_tlog *l = lg_dirtyset_log;
    uint32_t n;
    if (__builtin_expect(!l, 0) && !(l = lg_dirtyset_new_log_async()))
        return;
    if (__builtin_expect((n = l->n) + 2 > LG_TLOG_CARDS, 0))
        return; /* a hint only: lost when the log is full */
    l->card[n] = old_value | LG_TLOG_OVERWRITE;
    l->card[n + 1] = pc;
    __atomic_store_n(&l->n, n + 2, __ATOMIC_RELEASE);
}

/* The calling thread is exiting: its log goes back for reuse after the next drain. */
void lg_dirtyset_thread_exit(void);
/* Records [lo, hi). AS-safe, lock-free. */
void lg_dirtyset_range_async(uintptr_t lo, uintptr_t hi);

/* Moves the card table's marks in [lo, hi) into the current generation: called for each
 * span of heap where the last collection kept blocks (lg_blockindex_each_span), in
 * address order, spans not overlapping. A card elsewhere can only hold blocks allocated
 * since, which are rescanned whole: its mark stays in the table, harvested (as a
 * spurious card, a hint) once blocks reach it. World stopped, before lg_dirtyset_drain. */
void lg_dirtyset_drain_span(void *unused, uintptr_t lo, uintptr_t hi);
/* Moves every thread's log into the current generation and the overwrite table. World
 * stopped. */
void lg_dirtyset_drain(void);

/* Calls fn for every range recorded in this generation (the card table's cards first,
 * in address order), and in the last one too when the last stop left threads running
 * (see lg_dirtyset_rotate); false when writes anywhere went unrecorded (a set
 * overflowed) or nothing was armed to record them: rescan everything. [*lo, *hi): when
 * not empty, only the writes inside
 * that span (the card table's) are all recorded: a thread's log of the cards outside it
 * overflowed, so every block outside must be rescanned. World stopped, after
 * lg_dirtyset_drain in the same stop (nothing is written in between: the writers are
 * stopped). */
bool lg_dirtyset_each(void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx, uintptr_t *lo, uintptr_t *hi);
/* Starts a new generation and arms the hooks for [lo, hi), the blocks being in
 * [blo, bhi) now (the card table covers those and a margin). keep_last: the stop left
 * threads running (their pending writes unknown, or a record of theirs went into the
 * generation just read after it was read): the next collection reads that generation
 * again. World stopped, after lg_dirtyset_drain in the same stop. False when out of
 * tracer memory (the hooks stay disarmed). */
bool lg_dirtyset_rotate(uintptr_t lo, uintptr_t hi, uintptr_t blo, uintptr_t bhi, bool keep_last);
/* Records [lo, hi), a stopped thread's pending write, in the generation the last
 * rotation started: the next collection reads it again, after the store. World stopped,
 * after lg_dirtyset_rotate. */
void lg_dirtyset_carry(uintptr_t lo, uintptr_t hi);
/* Forgets everything (fork child). */
void lg_dirtyset_reset(void);

/* The last recorded overwrite of a reference to a block at addr: the code address of
 * the store, or 0. Lossy (a direct-mapped table). AS-safe. */
void lg_dirtyset_note_overwrite_async(uintptr_t old_value, uintptr_t pc);
uintptr_t lg_dirtyset_last_overwrite(uintptr_t addr);

#endif
