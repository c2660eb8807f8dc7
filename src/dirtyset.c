/* Lock-free open-addressing card sets and an append-only range list, both per
 * generation, mapped at the first collection. The hooks only compare-and-swap: a thread
 * stopped in the middle leaves the set consistent. */
#include "dirtyset.h"

#include "arena.h"
#include "lock.h"
#include "storehooks.h"
#include "threads.h"

#include <stdint.h>
#include <string.h>

#define CARD_SLOTS (1u << 18) /* per generation: 2 MiB; overflow at half full */
#define RANGE_SLOTS 4096
#define OVERWRITE_SLOTS (1u << 16)

struct range {
    uintptr_t lo, hi;
};

/* One generation: cards (key card + 1, 0 empty), ranges, and whether anything was lost;
 * the card table's cards in address order (card numbers: address >> LG_CARD_SHIFT), as
 * the drain found them. */
#define TABLE_CARDS (1u << 18) /* per generation: 2 MiB, as the bitmap it replaced; then the card set */
struct gen {
    uint64_t *tcard;
    size_t ntcard;
    uint64_t *card;
    uint32_t ncards;
    struct range *range;
    uint32_t nranges;
    volatile int overflow; /* LOST_* bits */
    uintptr_t kept_span;   /* LOST_OUTSIDE: the table's span then (cards inside it are all in) */
};
/* What a generation lost: cards outside the card table only (a thread's log or the card
 * set filled up: the table's own marks are all there), or anything (a range list filled
 * up, a table card went to a full card set). */
enum { LOST_OUTSIDE = 1, LOST_ALL = 2 };


volatile int lg_dirtyset_armed;
/* Exported for LEAKGRAPH_STORE. Disarmed, heap_span covers everything, so that the
 * macro's first store reaches leakgraph_note_store and is seen (storehooks.c closes it). */
__attribute__((visibility("default"))) struct leakgraph_store_window leakgraph_store_window = {.heap_span = ~0ul};
extern struct leakgraph_store_window lg_win __attribute__((alias("leakgraph_store_window"), visibility("hidden")));
/* The table's cards that may be set: every card_span it has had, the largest. */
static uintptr_t table_hwm;
uintptr_t lg_dirtyset_lo, lg_dirtyset_hi;
uintptr_t lg_dirtyset_read_lo, lg_dirtyset_read_span;
/* The two generations and which one the hooks write; switched with the world stopped. */
static struct gen gens[2];
static volatile int cur;
/* lg_dirtyset_each reads gens[!cur] too (the last stop left threads running). */
static bool read_last;
/* Last overwrite of a reference per value; racy, lossy by design. Written directly by
 * the hooks and LEAKGRAPH_STORE (the header has the same hash). */
#define OVERWRITE_SHIFT 48
struct overwrite {
    volatile uintptr_t value, pc;
};
static struct overwrite *overwrites;
static inline uint64_t ow_slot(uint64_t v) { return (v * LEAKGRAPH_OVERWRITE_MUL) >> OVERWRITE_SHIFT; }

static inline uint64_t mix(uint64_t x)
{
    x *= 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
}

__thread struct lg_pending lg_dirtyset_pending __attribute__((tls_model("initial-exec")));
__thread struct lg_tlog *lg_dirtyset_log __attribute__((tls_model("initial-exec")));
/* Every log ever made (pushed with compare-and-swap, never removed), and the logs of
 * exited threads ready for reuse (free_lock, taken with try-lock only: a hook may run
 * in a signal handler that interrupted the holder). */
static struct lg_tlog *all_logs;
static struct lg_tlog *free_logs;
static lg_lock_t free_lock = LG_LOCK_INIT;

/* Records a loss; the table's span now bounds what an outside loss spares. AS-safe. */
static void lose(struct gen *g, int what)
{
    if (what == LOST_OUTSIDE && (!(g->overflow & LOST_OUTSIDE) || lg_win.card_span < g->kept_span))
        g->kept_span = lg_win.card_span;
    __atomic_fetch_or(&g->overflow, what, __ATOMIC_RELAXED);
}

static void insert_card_in(struct gen *g, uint64_t card);

/* Inserts a card into the current generation's table, again if a collection switched
 * generations meanwhile (this thread stopped in the middle: the one it wrote may have
 * been read already). AS-safe, lock-free. */
static void insert_card(uint64_t card)
{
    int c;
    do
        insert_card_in(&gens[c = __atomic_load_n(&cur, __ATOMIC_ACQUIRE)], card);
    while (c != __atomic_load_n(&cur, __ATOMIC_ACQUIRE));
}

static void insert_card_in(struct gen *g, uint64_t card)
{
    uint64_t key = card + 1;
    if (__builtin_expect(!g->card, 0))
        return;
    for (uint64_t i = mix(key) & (CARD_SLOTS - 1);; i = (i + 1) & (CARD_SLOTS - 1)) {
        uint64_t k = __atomic_load_n(&g->card[i], __ATOMIC_RELAXED);
        if (k == key)
            return;
        if (k)
            continue;
        if (__atomic_add_fetch(&g->ncards, 1, __ATOMIC_RELAXED) > CARD_SLOTS / 2) {
            uintptr_t d = (uintptr_t)(card << LG_CARD_SHIFT) - lg_win.card_base;
            lose(g, d < lg_win.card_span ? LOST_ALL : LOST_OUTSIDE);
            return;
        }
        uint64_t zero = 0;
        if (__atomic_compare_exchange_n(&g->card[i], &zero, key, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return;
        __atomic_sub_fetch(&g->ncards, 1, __ATOMIC_RELAXED);
        if (zero == key)
            return;
    }
}

static struct lg_tlog *new_log(void)
{
    struct lg_tlog *l = NULL;
    if (__atomic_load_n(&free_logs, __ATOMIC_ACQUIRE) && lg_lock_try(&free_lock)) {
        if ((l = free_logs))
            free_logs = l->next_free;
        lg_unlock(&free_lock);
    }
    if (l) {
        l->n = 0;
        l->last = 0;
        l->overflow = 0;
        __atomic_store_n(&l->orphan, 0, __ATOMIC_RELEASE);
        return l;
    }
    if (!(l = lg_map(sizeof *l)))
        return NULL;
    struct lg_tlog *head = __atomic_load_n(&all_logs, __ATOMIC_RELAXED);
    do
        l->next_all = head;
    while (!__atomic_compare_exchange_n(&all_logs, &head, l, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    return l;
}

/* The thread has given its log back (at its exit): stores made later, in TLS and key
 * destructors, go straight into the table rather than map a log nobody gives back. */
static __thread bool log_off __attribute__((tls_model("initial-exec")));

struct lg_tlog *lg_dirtyset_new_log_async(void)
{
    if (!lg_dirtyset_log && !log_off) {
        lg_threads_adopt();
        lg_dirtyset_log = new_log();
    }
    return lg_dirtyset_log;
}

void lg_dirtyset_card_slow_async(uint64_t card)
{
    struct lg_tlog *l = lg_dirtyset_log;
    if (!l && (l = lg_dirtyset_new_log_async())) {
        l->card[0] = card;
        __atomic_store_n(&l->n, 1, __ATOMIC_RELEASE);
        return;
    }
    if (l)
        l->overflow = 1;
    else
        insert_card(card); /* no memory for a log: straight into the table */
}

void lg_dirtyset_thread_exit(void)
{
    struct lg_tlog *l = lg_dirtyset_log;
    lg_dirtyset_log = NULL;
    log_off = true;
    if (l)
        __atomic_store_n(&l->orphan, 1, __ATOMIC_RELEASE);
}

/* A set card of the table, into the current generation: the drain finds them in address
 * order. World stopped. */
static void table_card(uint64_t card)
{
    struct gen *g = &gens[cur];
    if (!g->tcard && !(g->tcard = lg_map((size_t)TABLE_CARDS * sizeof *g->tcard))) {
        insert_card(card);
        return;
    }
    /* In order, or the card set: a second drain into the same generation (a collection
     * that failed after its drain does not rotate) may meet lower cards; so do cards past
     * TABLE_CARDS (LOST_ALL when the set fills up too). */
    if (g->ntcard < TABLE_CARDS && (!g->ntcard || card > g->tcard[g->ntcard - 1]))
        g->tcard[g->ntcard++] = card;
    else
        insert_card(card);
}

/* Moves the set cards of the table in [lo, hi) into the current generation and clears
 * them. A thread stopped between a hook's test and its mark sets its card after this
 * drain: it is harvested at the next one, before its store could be missed (the store
 * comes after the mark). World stopped; spans in address order, not overlapping. */
void lg_dirtyset_drain_span(void *unused, uintptr_t lo, uintptr_t hi)
{
    (void)unused;
    volatile unsigned char *t = lg_win.cards;
    if (!t || !gens[cur].card)
        return;
    uintptr_t base = lg_win.card_base;
    uintptr_t end = base + ((uintptr_t)table_hwm << LG_CARD_SHIFT);
    lo = lo > base ? lo : base;
    hi = hi < end ? hi : end;
    if (hi <= lo)
        return;
    uintptr_t k0 = (lo - base) >> LG_CARD_SHIFT, k1 = ((hi - 1 - base) >> LG_CARD_SHIFT) + 1;
    uint64_t card0 = base >> LG_CARD_SHIFT;
    /* the writers are stopped: plain loads, four words at a time, skip the clean stretches */
    __asm__ volatile("" ::: "memory");
    const uint64_t *w = (const uint64_t *)(uintptr_t)t;
    uintptr_t i = k0 / 8, iend = (k1 + 7) / 8;
    for (; i < iend; i++) {
        if (!(i & 3) && i + 4 <= iend && !(w[i] | w[i + 1] | w[i + 2] | w[i + 3])) {
            i += 3;
            continue;
        }
        if (!w[i])
            continue;
        for (uintptr_t k = i * 8 > k0 ? i * 8 : k0; k < i * 8 + 8 && k < k1; k++)
            if (t[k]) {
                t[k] = 0;
                table_card(card0 + k);
            }
    }
}

void lg_dirtyset_drain(void)
{
    if (!gens[cur].card)
        return;
    for (struct lg_tlog *l = __atomic_load_n(&all_logs, __ATOMIC_ACQUIRE); l; l = l->next_all) {
        uint32_t n = l->n < LG_TLOG_CARDS ? l->n : LG_TLOG_CARDS;
        for (uint32_t i = 0; i < n; i++) {
            if (!(l->card[i] & LG_TLOG_OVERWRITE))
                insert_card(l->card[i]);
            else if (i + 1 < n) /* stopped between the two words: the pair is incomplete */
                lg_dirtyset_note_overwrite_async(l->card[i] & ~LG_TLOG_OVERWRITE, l->card[i + 1]), i++;
        }
        if (l->overflow) /* a log holds only cards the table does not cover */
            lose(&gens[cur], LOST_OUTSIDE);
        l->n = 0;
        l->last = 0;
        l->overflow = 0;
        if (l->orphan == 1 && lg_lock_try(&free_lock)) {
            l->orphan = 2; /* on the free list */
            l->next_free = free_logs;
            free_logs = l;
            lg_unlock(&free_lock);
        }
    }
}

static void range_in(struct gen *g, uintptr_t lo, uintptr_t hi)
{
    uint32_t i = __atomic_fetch_add(&g->nranges, 1, __ATOMIC_RELAXED);
    if (i >= RANGE_SLOTS) {
        lose(g, LOST_ALL);
        return;
    }
    g->range[i].lo = lo;
    __atomic_store_n(&g->range[i].hi, hi, __ATOMIC_RELEASE);
}

void lg_dirtyset_range_async(uintptr_t lo, uintptr_t hi)
{
    if (!gens[cur].range || hi <= lo)
        return;
    if (((hi - 1) >> LG_CARD_SHIFT) - (lo >> LG_CARD_SHIFT) < 4) {
        for (uintptr_t c = lo >> LG_CARD_SHIFT; c <= (hi - 1) >> LG_CARD_SHIFT; c++)
            lg_dirtyset_card_async(c << LG_CARD_SHIFT);
        return;
    }
    int c; /* as insert_card: again in the new generation if it changed meanwhile */
    do
        range_in(&gens[c = __atomic_load_n(&cur, __ATOMIC_ACQUIRE)], lo, hi);
    while (c != __atomic_load_n(&cur, __ATOMIC_ACQUIRE));
}

static bool each_gen(const struct gen *g, void (*fn)(void *, uintptr_t, uintptr_t), void *ctx)
{
    if (!g->card)
        return true;
    for (uint32_t i = 0; __atomic_load_n(&g->ncards, __ATOMIC_RELAXED) && i < CARD_SLOTS; i++)
        if (g->card[i]) {
            uintptr_t lo = (uintptr_t)(g->card[i] - 1) << LG_CARD_SHIFT;
            fn(ctx, lo, lo + (1u << LG_CARD_SHIFT));
        }
    uint32_t n = g->nranges < RANGE_SLOTS ? g->nranges : RANGE_SLOTS;
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t hi = __atomic_load_n(&g->range[i].hi, __ATOMIC_ACQUIRE);
        if (!hi) /* stopped between claiming the slot and filling it: unknown */
            return false;
        fn(ctx, g->range[i].lo, hi);
    }
    return !(g->overflow & LOST_ALL);
}

/* The table's cards of a generation, or two (b, when not NULL), in address order, runs
 * of cards as one range. */
static void each_table_card(const struct gen *a, const struct gen *b, void (*fn)(void *, uintptr_t, uintptr_t),
                            void *ctx)
{
    size_t i = 0, j = 0, na = a->tcard ? a->ntcard : 0, nb = b && b->tcard ? b->ntcard : 0;
    uint64_t run = 0, next = 0; /* the open run: cards [run, next) */
    while (i < na || j < nb) {
        uint64_t c;
        if (j >= nb || (i < na && a->tcard[i] <= b->tcard[j]))
            c = a->tcard[i++];
        else
            c = b->tcard[j++];
        if (next && c < next)
            continue; /* in both generations */
        if (next && c == next) {
            next++;
            continue;
        }
        if (next)
            fn(ctx, (uintptr_t)run << LG_CARD_SHIFT, (uintptr_t)next << LG_CARD_SHIFT);
        run = c;
        next = c + 1;
    }
    if (next)
        fn(ctx, (uintptr_t)run << LG_CARD_SHIFT, (uintptr_t)next << LG_CARD_SHIFT);
}

bool lg_dirtyset_each(void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx, uintptr_t *lo, uintptr_t *hi)
{
    const struct gen *g = &gens[cur], *last = read_last ? &gens[!cur] : NULL;
    *lo = *hi = 0;
    if (!lg_dirtyset_armed || !g->card)
        return false; /* nothing recorded since the last collection: rescan everything */
    each_table_card(g, last, fn, ctx);
    bool ok = each_gen(g, fn, ctx);
    ok = (!last || each_gen(last, fn, ctx)) && ok;
    for (const struct gen *x = g; x; x = x == g ? last : NULL) {
        if (!(x->overflow & LOST_OUTSIDE))
            continue;
        if (!x->kept_span)
            return false; /* no table then: nothing was kept */
        if (*hi == *lo || x->kept_span < *hi - *lo) { /* the smaller span: only what both kept */
            *lo = lg_win.card_base;
            *hi = lg_win.card_base + x->kept_span;
        }
    }
    return ok;
}

static bool map_gen(struct gen *g)
{
    if (!g->card) {
        g->card = lg_map((size_t)CARD_SLOTS * sizeof *g->card);
        g->range = lg_map(RANGE_SLOTS * sizeof *g->range);
    }
    return g->card && g->range;
}

static void clear_gen(struct gen *g)
{
    g->ntcard = 0;
    if (g->ncards)
        memset(g->card, 0, (size_t)CARD_SLOTS * sizeof *g->card);
    if (g->nranges)
        memset(g->range, 0, RANGE_SLOTS * sizeof *g->range);
    g->ncards = g->nranges = 0;
    g->overflow = 0;
    g->kept_span = 0;
}

/* The table's window for the heap [lo, hi), mapping the table at the first call after
 * a hook ran (a program without hooks never pays for it): 1 GiB from 64 MiB below the
 * lowest block (the other threads' arenas, far above, take the logs). A table over every
 * user address (2 TiB reserved) was tried: it made each 128 MiB of address space that
 * any hooked store reached resident (2 MiB of huge page), and it counted against a
 * RLIMIT_AS or RLIMIT_DATA the program sets later, failing its allocations. World
 * stopped. */
#define TABLE_MARGIN (64ul << 20)
static void set_window(uintptr_t lo, uintptr_t hi, uintptr_t blo, uintptr_t bhi)
{
    if (!lg_win.cards && (lg_storehooks_seen || lg_storehooks_libc) && bhi > blo) {
        volatile unsigned char *t = lg_map_sparse_huge(LG_CARD_TABLE_BYTES);
        if (t) {
            uintptr_t base = blo - lo > TABLE_MARGIN ? blo - TABLE_MARGIN : lo;
            lg_win.card_base = base & ~(uintptr_t)((1u << LG_CARD_SHIFT) - 1);
            lg_win.cards = t;
        }
    }
    if (lg_win.cards) {
        uintptr_t base = lg_win.card_base, span = 0, cover = LG_CARD_TABLE_BYTES << LG_CARD_SHIFT;
        uintptr_t top = bhi + TABLE_MARGIN < hi ? bhi + TABLE_MARGIN : hi;
        if (top > base)
            span = top - base < cover ? top - base : cover;
        span &= ~(uintptr_t)((1u << LG_CARD_SHIFT) - 1);
        lg_win.card_span = span;
        uintptr_t cards = ((span >> LG_CARD_SHIFT) + 7) & ~(uintptr_t)7;
        if (cards > table_hwm)
            table_hwm = cards < LG_CARD_TABLE_BYTES ? cards : LG_CARD_TABLE_BYTES;
    }
    lg_win.heap_lo = lo;
    lg_win.heap_span = hi - lo;
    lg_win.last_store = lg_storehooks_last_store;
    lg_win.overwrites = (struct leakgraph_store_overwrite_ *)overwrites;
    lg_win.overwrite_shift = OVERWRITE_SHIFT;
}

bool lg_dirtyset_rotate(uintptr_t lo, uintptr_t hi, uintptr_t blo, uintptr_t bhi, bool keep_last)
{
    if (!overwrites)
        overwrites = lg_map(OVERWRITE_SLOTS * sizeof *overwrites);
    bool first = !gens[0].card;
    if (!map_gen(&gens[0]) || !map_gen(&gens[1]) || !overwrites) {
        lg_dirtyset_armed = 0;
        return false;
    }
    if (first) /* later ones: the collection drained at the start of this stop */
        lg_dirtyset_drain();
    int next = !cur;
    clear_gen(&gens[next]); /* what the collection before this one read */
    lg_dirtyset_lo = lo;
    lg_dirtyset_hi = hi;
    lg_dirtyset_read_lo = lo > TABLE_MARGIN + (64u << 10) ? lo - TABLE_MARGIN : 64u << 10;
    lg_dirtyset_read_span = hi > lg_dirtyset_read_lo ? hi - lg_dirtyset_read_lo : 0;
    set_window(lo, hi, blo, bhi);
    read_last = keep_last;
    __atomic_store_n(&cur, next, __ATOMIC_RELEASE);
    lg_dirtyset_armed = 1;
    return true;
}

void lg_dirtyset_carry(uintptr_t lo, uintptr_t hi)
{
    struct gen *g = &gens[cur];
    if (!g->card || hi <= lo)
        return;
    if (((hi - 1) >> LG_CARD_SHIFT) - (lo >> LG_CARD_SHIFT) < 4) {
        for (uintptr_t c = lo >> LG_CARD_SHIFT; c <= (hi - 1) >> LG_CARD_SHIFT; c++)
            insert_card(c);
        return;
    }
    lg_dirtyset_range_async(lo, hi);
}

void lg_dirtyset_reset(void)
{
    lg_dirtyset_armed = 0;
    read_last = false;
    lg_win.card_span = 0;
    lg_win.heap_lo = 0;
    lg_win.heap_span = (lg_storehooks_seen & LG_HOOK_MACRO) ? 0 : ~0ul;
    if (lg_win.cards)
        memset((void *)lg_win.cards, 0, table_hwm);
    for (int i = 0; i < 2; i++)
        if (gens[i].card)
            clear_gen(&gens[i]);
}

void lg_dirtyset_note_overwrite_async(uintptr_t old_value, uintptr_t pc)
{
    struct overwrite *o = overwrites;
    if (!o)
        return;
    struct overwrite *e = &o[ow_slot(old_value)];
    e->value = 0; /* a reader stopped in between sees no entry, never a wrong pair */
    e->pc = pc;
    e->value = old_value;
}

uintptr_t lg_dirtyset_last_overwrite(uintptr_t addr)
{
    if (!overwrites)
        return 0;
    const struct overwrite *e = &overwrites[ow_slot(addr)];
    return e->value == addr ? e->pc : 0;
}
