/* The store hooks' dirty sets (src/dirtyset.c): cards and ranges, one generation read per
 * collection, the stopped threads' pending writes carried into the next, the overflow that forces a full rescan, the disarmed state, and the last-overwrite table. */
#include "dirtyset.h"

#include <criterion/criterion.h>

struct seen {
    uintptr_t lo[64], hi[64];
    int n;
};

static void collect(void *p, uintptr_t lo, uintptr_t hi)
{
    struct seen *s = p;
    if (s->n < 64) {
        s->lo[s->n] = lo;
        s->hi[s->n] = hi;
    }
    s->n++;
}

static bool covered(const struct seen *s, uintptr_t a)
{
    for (int i = 0; i < s->n && i < 64; i++)
        if (s->lo[i] <= a && a < s->hi[i])
            return true;
    return false;
}

/* A collection's drain at the start of its stop, the blocks it kept being in [lo, hi). */
static void drain(uintptr_t lo, uintptr_t hi)
{
    lg_dirtyset_drain_span(NULL, lo, hi);
    lg_dirtyset_drain();
}
#define DRAIN_ALL() drain(0x100000, 0x200000)

/* What the next collection reads, as it does at the start of its stop (drain, then
 * each), into *s; its count. */
static int read_cards(struct seen *s)
{
    uintptr_t klo, khi;
    s->n = 0;
    DRAIN_ALL();
    cr_assert(lg_dirtyset_each(collect, s, &klo, &khi));
    return s->n;
}

#define ROTATE(keep) cr_assert(lg_dirtyset_rotate(0x100000, 0x200000, 0x100000, 0x200000, keep))

/* A fresh state whose first rotation maps the card table over a 1 MiB static "heap". */
static char heap[1 << 20] __attribute__((aligned(64)));
static void table_setup(uintptr_t *lo, uintptr_t *hi)
{
    extern volatile int lg_storehooks_seen;
    *lo = (uintptr_t)heap;
    *hi = *lo + sizeof heap;
    lg_dirtyset_reset();
    lg_storehooks_seen = 1;
    cr_assert(lg_dirtyset_rotate(*lo - 4096, *hi + 4096, *lo, *hi, false));
}

Test(dirtyset, cards_ranges_and_generations)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000, 0x100000, 0x200000, false));
    lg_dirtyset_card_async(0x100048);
    lg_dirtyset_card_async(0x100050); /* same card */
    lg_dirtyset_range_async(0x150000, 0x151000);
    lg_dirtyset_range_async(0x160030, 0x1600a0); /* small: three cards */
    struct seen s = {0};
    uintptr_t klo, khi;
    DRAIN_ALL(); /* as a collection does, at the start of its stop */
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 5, "1 card + 1 range + 3 cards, got %d", s.n);
    cr_assert(covered(&s, 0x100040) && covered(&s, 0x10007f) && !covered(&s, 0x100080));
    cr_assert(covered(&s, 0x150000) && covered(&s, 0x150fff));
    cr_assert(covered(&s, 0x160030) && covered(&s, 0x16009f));
    ROTATE(false);
    cr_assert_eq(read_cards(&s), 0, "the last generation is not read again, got %d", s.n);
}

/* A stopped thread's pending write (its hook ran, its store had not) carried after the
 * rotation is read by the next collection only: small ones as cards, large as a range. */
Test(dirtyset, carried_pending_writes)
{
    lg_dirtyset_reset();
    ROTATE(false);
    struct seen s = {0};
    (void)read_cards(&s);
    ROTATE(false);
    lg_dirtyset_carry(0x100088, 0x100090);
    lg_dirtyset_carry(0x170000, 0x180000);
    lg_dirtyset_carry(0x190000, 0x190000); /* empty: nothing */
    cr_assert_eq(read_cards(&s), 2, "a card and a range, got %d", s.n);
    cr_assert(covered(&s, 0x100080) && covered(&s, 0x1000bf) && !covered(&s, 0x1000c0));
    cr_assert(covered(&s, 0x170000) && covered(&s, 0x17ffff) && !covered(&s, 0x190000));
    ROTATE(false);
    cr_assert_eq(read_cards(&s), 0, "carried once, got %d", s.n);
}

/* A stop that left a thread running (keep_last): the next collection reads the
 * generation just read again, since that thread's pending write is unknown; the one
 * after does not. Disarmed (reset, or before the first rotation), nothing was
 * recorded: rescan everything. */
Test(dirtyset, keep_last_and_disarmed)
{
    lg_dirtyset_reset();
    struct seen s = {0};
    uintptr_t klo, khi;
    cr_assert_not(lg_dirtyset_each(collect, &s, &klo, &khi), "disarmed: rescan everything");
    ROTATE(false);
    lg_dirtyset_card_async(0x100040);
    lg_dirtyset_range_async(0x150000, 0x151000);
    cr_assert_eq(read_cards(&s), 2);
    ROTATE(true);
    lg_dirtyset_card_async(0x100400);
    cr_assert_eq(read_cards(&s), 3, "this generation's card and the last one's card and range, got %d", s.n);
    cr_assert(covered(&s, 0x100040) && covered(&s, 0x150800) && covered(&s, 0x100400));
    ROTATE(false);
    cr_assert_eq(read_cards(&s), 0, "read twice at most, got %d", s.n);
}

/* The log takes a card once between two drains, and again after each: a store to the
 * same card outside the table 64 collections later (the filter's generation tag once
 * wrapped there) is recorded. */
Test(dirtyset, same_card_after_many_collections)
{
    lg_dirtyset_reset();
    ROTATE(false);
    for (int r = 0; r < 70; r++) {
        lg_dirtyset_card_async(0x100c40);
        lg_dirtyset_card_async(0x100c48); /* (same card: one entry) */
        struct seen s = {0};
        cr_assert_eq(read_cards(&s), 1, "collection %d: the card, got %d", r, s.n);
        cr_assert(covered(&s, 0x100c40));
        ROTATE(false);
    }
}

Test(dirtyset, overflow_means_rescan_everything)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000, 0x100000, 0x200000, false));
    for (uintptr_t a = 0; a < (1u << 18); a++)
        lg_dirtyset_card_async(0x10000000 + a * 64);
    struct seen s = {0};
    uintptr_t klo, khi;
    DRAIN_ALL(); /* as a collection does, at the start of its stop */
    cr_assert_not(lg_dirtyset_each(collect, &s, &klo, &khi));
    for (int i = 0; i < 5000; i++)
        lg_dirtyset_range_async(0x100000, 0x200000);
    DRAIN_ALL(); /* as a collection does, at the start of its stop */
    cr_assert_not(lg_dirtyset_each(collect, &s, &klo, &khi));
}

Test(dirtyset, last_overwrite)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000, 0x100000, 0x200000, false));
    lg_dirtyset_note_overwrite_async(0x123450, 0x401000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123450), 0x401000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123460), 0);
    lg_dirtyset_note_overwrite_async(0x123450, 0x402000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123450), 0x402000, "the last store wins");
}

/* A drain reads the table only in the spans where the last collection kept blocks: a
 * mark outside them stays in the table, and a later drain whose span reaches it takes
 * it. */
Test(dirtyset, card_table_drained_in_spans)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    lg_dirtyset_card_async(lo + 0x40);   /* in the span */
    lg_dirtyset_card_async(lo + 0x1fc0); /* the span's last card: a block ends inside it */
    lg_dirtyset_card_async(lo + 0x8000); /* above: blocks allocated since only */
    struct seen s = {0};
    uintptr_t klo, khi;
    drain(lo, lo + 0x1fc8);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 2, "the two cards in the span, got %d", s.n);
    cr_assert(covered(&s, lo + 0x40) && covered(&s, lo + 0x1fc0) && !covered(&s, lo + 0x8000));
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    s.n = 0;
    drain(lo, hi);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert(covered(&s, lo + 0x8000), "the mark outside the first span, taken once a span reaches it");
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    lg_dirtyset_card_async(lo + 0x40);
    s.n = 0;
    drain(hi, hi + 0x1000);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_not(covered(&s, lo + 0x40), "a span elsewhere takes no mark");
}

/* The table covers 1 GiB from below the lowest block: a slot far above (another
 * thread's arena, a stack) takes the thread's log, and both come out. */
Test(dirtyset, card_table_and_log)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    cr_assert_not_null(leakgraph_store_window.cards);
    cr_assert_leq(leakgraph_store_window.card_span, (uintptr_t)LG_CARD_TABLE_BYTES << LG_CARD_SHIFT);
    cr_assert_leq(leakgraph_store_window.card_base, lo);
    cr_assert_geq(leakgraph_store_window.card_base + leakgraph_store_window.card_span, hi);
    char local[64] __attribute__((aligned(64)));
    lg_dirtyset_card_async((uintptr_t)local);
    cr_assert_not_null(lg_dirtyset_log, "the stack is outside the 1 GiB table: logged");
    lg_dirtyset_card_async(lo + 0x200);
    struct seen s = {0};
    uintptr_t klo, khi;
    drain(lo, hi);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert(covered(&s, lo + 0x200) && covered(&s, (uintptr_t)local));
}

/* A second drain into the same generation (a collection that failed after its drain
 * does not rotate) may meet cards below those of the first: none is lost. */
Test(dirtyset, card_table_drained_twice)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    lg_dirtyset_card_async(lo + 0x9000);
    drain(lo, hi);
    lg_dirtyset_card_async(lo + 0x1000);
    drain(lo, hi);
    struct seen s = {0};
    uintptr_t klo, khi;
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert(covered(&s, lo + 0x1000) && covered(&s, lo + 0x9000), "got %d ranges", s.n);
}

/* Once a hook has run, the first rotation maps the card table: marks in it reach the
 * sets at the next drain, once, and a card set after a drain (a thread stopped between
 * a hook's test and its mark) is harvested at the next one. */
Test(dirtyset, card_table)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    cr_assert_not_null(leakgraph_store_window.cards);
    cr_assert_leq(leakgraph_store_window.card_base, lo);
    cr_assert_geq(leakgraph_store_window.card_base + leakgraph_store_window.card_span, hi);
    cr_assert_eq(leakgraph_store_window.heap_lo, lo - 4096);
    lg_dirtyset_card_async(lo + 0x48);
    lg_dirtyset_card_async(lo + 0x50); /* same card */
    lg_dirtyset_card_async(lo + 0x1000);
    struct seen s = {0};
    uintptr_t klo, khi;
    drain(lo, hi); /* as a collection does, at the start of its stop */
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 2, "two cards from the table, got %d", s.n);
    cr_assert(covered(&s, lo + 0x40) && covered(&s, lo + 0x1000) && !covered(&s, lo + 0x80));
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    leakgraph_store_window.cards[(lo + 0x2000 - leakgraph_store_window.card_base) >> 6] = 1; /* a late mark */
    s.n = 0;
    drain(lo, hi); /* as a collection does, at the start of its stop */
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 1, "the late mark only, got %d", s.n);
    cr_assert(covered(&s, lo + 0x2000) && !covered(&s, lo + 0x40));
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    s.n = 0;
    drain(lo, hi); /* as a collection does, at the start of its stop */
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 0, "nothing written since, got %d", s.n);
}

/* The table's cards come out in address order, adjacent ones as one range. */
Test(dirtyset, table_cards_in_order_and_merged)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    lg_dirtyset_card_async(lo + 0x5000); /* the last generation's: not read again */
    drain(lo, hi);
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    lg_dirtyset_card_async(lo + 0x9000);
    lg_dirtyset_card_async(lo + 0x3080);
    lg_dirtyset_card_async(lo + 0x3040);
    lg_dirtyset_card_async(lo + 0x3000);
    struct seen s = {0};
    uintptr_t klo, khi;
    drain(lo, hi);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(s.n, 2, "one run and one card, got %d", s.n);
    cr_assert_eq(s.lo[0], lo + 0x3000);
    cr_assert_eq(s.hi[0], lo + 0x30c0);
    cr_assert_eq(s.lo[1], lo + 0x9000);
    cr_assert_eq(s.hi[1], lo + 0x9040);
}

/* A thread's log holds only the cards the table does not cover: when it fills up, only
 * the blocks outside the table need rescanning, and the table's cards are all there. */
Test(dirtyset, log_overflow_loses_only_outside_the_table)
{
    uintptr_t lo, hi;
    table_setup(&lo, &hi);
    lg_dirtyset_card_async(lo + 0x5000);
    uintptr_t far = (uintptr_t)leakgraph_store_window.card_base + leakgraph_store_window.card_span + (1ul << 30);
    for (uintptr_t a = 0; a < LG_TLOG_CARDS + 100; a++)
        lg_dirtyset_card_async(far + a * 64);
    struct seen s = {0};
    uintptr_t klo, khi;
    drain(lo, hi);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi), "the table's cards are complete");
    cr_assert_eq(klo, leakgraph_store_window.card_base);
    cr_assert_eq(khi, leakgraph_store_window.card_base + leakgraph_store_window.card_span);
    cr_assert(klo <= lo && hi <= khi);
    cr_assert(covered(&s, lo + 0x5000));
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    cr_assert(lg_dirtyset_rotate(lo - 4096, hi + 4096, lo, hi, false));
    drain(lo, hi);
    cr_assert(lg_dirtyset_each(collect, &s, &klo, &khi));
    cr_assert_eq(klo, khi, "two rotations later, nothing is lost");
}
