/* Kept words per block: parallel arrays sorted by block address (the order of the
 * scan's block array, so matching old to new is one merge) and one pool of words. Each
 * word remembers what it referred to at the last collection, so replaying a clean block
 * costs no lookup: a start pointer to a block that survived maps to that block's new
 * index; a word that referred to nothing, or to a block since freed, can only refer to
 * a block born since (blocks never overlap), so only those are searched; interior
 * pointers (heuristics, glibc's bin words) are looked up again. Double-buffered: each
 * collection builds the next arrays from the previous ones. */
#include "livegraph.h"

#include "annot.h"
#include "arena.h"

#include <string.h>

#define WINDOW_SLACK (1ull << 30)
#define T_NONE UINT32_MAX       /* referred to nothing */
#define T_SLOW (UINT32_MAX - 1) /* an interior pointer: looked up again */
#define NOT_OLD UINT32_MAX
#define RESCAN_MARK (1ull << 63) /* in first[]: a block never replayed (partly unreadable) */
#define REPLAY_AHEAD 16          /* words prefetched ahead in replay() */

struct word {
    uint64_t value;
    uint32_t off;    /* byte offset in the block */
    uint32_t target; /* block index at that collection, T_NONE or T_SLOW */
};

/* What one collection kept. */
struct kept {
    uint64_t *addr, *seq; /* [n] */
    uint64_t *first;      /* [n + 1] into pool, RESCAN_MARK flagged */
    struct word *pool;
    size_t n, cap, npool, pool_cap;
};

/* The last collection's words, valid when valid is set; the heap window they cover.
 * Protected by the collection lock (collect.c), used with the world stopped. */
static struct kept last, spare; /* spare: the arrays of the collection before, reused */
static bool valid;
static uintptr_t win_lo, win_hi;

/* One collection's work: old index of each new block and new index of each old one, and
 * the blocks born since the last collection, ascending. */
struct pass {
    struct lg_scan *sc;
    struct kept *k; /* NULL once out of memory: emit, keep nothing */
    uint32_t *old_of, *new_of, *fresh;
    size_t nfresh;
    uintptr_t fresh_hi;
};

static void kept_free(struct kept *k)
{
    lg_unmap(k->addr, k->cap * sizeof *k->addr);
    lg_unmap(k->seq, k->cap * sizeof *k->seq);
    lg_unmap(k->first, (k->cap + 1) * sizeof *k->first);
    lg_unmap(k->pool, k->pool_cap * sizeof *k->pool);
    memset(k, 0, sizeof *k);
}

static bool kept_init(struct kept *k, size_t n, size_t pool_cap)
{
    if (spare.addr && spare.cap >= n && spare.pool_cap >= pool_cap) {
        *k = spare; /* every field is written before it is read: no clearing */
        memset(&spare, 0, sizeof spare);
        k->n = k->npool = 0;
        return true;
    }
    kept_free(&spare);
    memset(k, 0, sizeof *k);
    k->cap = n + n / 8 + 1;
    k->addr = lg_map_populated(k->cap * sizeof *k->addr);
    k->seq = lg_map_populated(k->cap * sizeof *k->seq);
    k->first = lg_map_populated((k->cap + 1) * sizeof *k->first);
    k->pool_cap = pool_cap < 4096 ? 4096 : pool_cap;
    k->pool = lg_map_populated(k->pool_cap * sizeof *k->pool);
    return k->addr && k->seq && k->first && k->pool;
}

static bool pool_reserve(struct kept *k, size_t more)
{
    if (k->npool + more <= k->pool_cap)
        return true;
    size_t ncap = k->pool_cap * 2;
    while (ncap < k->npool + more)
        ncap *= 2;
    struct word *np = lg_map(ncap * sizeof *np);
    if (!np)
        return false;
    memcpy(np, k->pool, k->npool * sizeof *np);
    lg_unmap(k->pool, k->pool_cap * sizeof *np);
    k->pool = np;
    k->pool_cap = ncap;
    return true;
}

/* The matching's arrays, kept mapped from one collection to the next (grown when
 * needed): mapping and populating 12 MB per collection of a million blocks cost more
 * than filling them. Protected by the collection lock. */
static struct lg_buf b_old_of, b_new_of, b_fresh;

/* ---- one word ---- */

/* Whether v falls in a block born since the last collection. */
static bool in_fresh(const struct pass *p, uintptr_t v)
{
    if (!p->nfresh || v < p->sc->blocks[p->fresh[0]].addr || v >= p->fresh_hi)
        return false;
    size_t lo = 0, hi = p->nfresh;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->sc->blocks[p->fresh[mid]].addr <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct lg_block *b = &p->sc->blocks[p->fresh[lo - 1]];
    return v == b->addr || v - b->addr < b->size;
}

/* Looks v up and says what to remember of it. */
static uint32_t resolve(struct pass *p, size_t i, uintptr_t v, uint32_t off)
{
    long t = lg_scan_slot(p->sc, v, (uint32_t)i, off, p->sc->blocks[i].addr + off);
    return t < 0 ? T_NONE : v == p->sc->blocks[t].addr ? (uint32_t)t : T_SLOW;
}

static uint32_t replay_word(struct pass *p, size_t i, const struct word *w)
{
    uint32_t t = w->target;
    if (__builtin_expect(p->sc->weak_any, 0) || t == T_SLOW)
        return resolve(p, i, w->value, w->off);
    if (t != T_NONE && p->new_of[t] != NOT_OLD) {
        struct lg_snap_edge e = {.from = (uint32_t)i, .to = p->new_of[t], .from_off = w->off};
        p->sc->emit(p->sc->ctx, &e);
        return p->new_of[t];
    }
    /* referred to nothing, or to a block freed since: only a new block can be there now */
    return in_fresh(p, w->value) ? resolve(p, i, w->value, w->off) : T_NONE;
}

/* ---- one block ---- */

/* Rescans block i word by word, keeping the words inside the window. */
static bool rescan(struct pass *p, size_t i)
{
    struct lg_scan *sc = p->sc;
    struct kept *k = p->k;
    uintptr_t a = sc->blocks[i].addr, end = a + sc->blocks[i].size;
    if (!k || lg_scan_is_partial(sc, i) || sc->blocks[i].size > UINT32_MAX) {
        lg_scan_block(sc, i); /* piece by piece, or without keeping */
        if (k)
            k->first[i] = RESCAN_MARK;
        return true;
    }
    sc->holder_seq = sc->blocks[i].seq & LG_SEQ_MASK;
    sc->scanned_bytes += sc->blocks[i].size;
    k->first[i] = k->npool;
    if (!pool_reserve(k, sc->blocks[i].size / 8))
        return false;
    for (uintptr_t q = (a + 7) & ~(uintptr_t)7; q + 8 <= end; q += 8) {
        uintptr_t v = *(const volatile uintptr_t *)q;
        if (v - win_lo >= win_hi - win_lo)
            continue;
        struct word *w = &k->pool[k->npool++];
        w->value = v;
        w->off = (uint32_t)(q - a);
        w->target = resolve(p, i, v, w->off);
    }
    return true;
}

/* Replays the words kept for old block j as new block i. */
static bool replay(struct pass *p, size_t i, size_t j)
{
    uint64_t lo = last.first[j] & ~RESCAN_MARK, hi = last.first[j + 1] & ~RESCAN_MARK;
    struct kept *k = p->k;
    p->sc->holder_seq = p->sc->blocks[i].seq & LG_SEQ_MASK;
    if (k) {
        k->first[i] = k->npool;
        if (!pool_reserve(k, hi - lo))
            return false;
    }
    for (uint64_t w = lo; w < hi; w++) {
        /* new_of[] of the word a few ahead (in this block or the next ones: the pool is
         * in block order): that load missed the cache on nearly every word, and was most
         * of the time of a collection with few blocks dirty */
        if (w + REPLAY_AHEAD < last.npool && last.pool[w + REPLAY_AHEAD].target < last.n)
            __builtin_prefetch(&p->new_of[last.pool[w + REPLAY_AHEAD].target]);
        uint32_t t = replay_word(p, i, &last.pool[w]);
        if (k) {
            k->pool[k->npool] = last.pool[w];
            k->pool[k->npool++].target = t;
        }
    }
    return true;
}

/* ---- the collection ---- */

/* first[i] of a RESCAN_MARK block: the next block's start, flagged. */
static void fix_ends(struct kept *k)
{
    uint64_t next = k->npool;
    k->first[k->n] = next;
    for (size_t i = k->n; i-- > 0;) {
        if (k->first[i] == RESCAN_MARK)
            k->first[i] = next | RESCAN_MARK;
        else
            next = k->first[i];
    }
}

static bool new_window(const struct lg_scan *sc)
{
    if (valid && sc->lo >= win_lo && sc->hi <= win_hi)
        return false;
    /* never below 64 KiB: the store hooks read the word at an address inside the window,
     * and a hook called with a near-null address must be ignored, not followed */
    win_lo = sc->lo > WINDOW_SLACK + 65536 ? sc->lo - WINDOW_SLACK : 65536;
    win_hi = sc->hi < UINTPTR_MAX - WINDOW_SLACK ? sc->hi + WINDOW_SLACK : UINTPTR_MAX;
    return true;
}

/* Matches the blocks with the last collection's (same address, same allocation). */
static bool match(struct pass *p)
{
    const struct lg_scan *sc = p->sc;
    p->old_of = lg_buf_reserve(&b_old_of, (sc->n + 1) * sizeof *p->old_of);
    p->new_of = lg_buf_reserve(&b_new_of, (last.n + 1) * sizeof *p->new_of);
    p->fresh = lg_buf_reserve(&b_fresh, (sc->n + 1) * sizeof *p->fresh);
    if (!p->old_of || !p->new_of || !p->fresh)
        return false;
    memset(p->new_of, 0xff, (last.n + 1) * sizeof *p->new_of);
    size_t j = 0;
    for (size_t i = 0; i < sc->n; i++) {
        const struct lg_block *b = &sc->blocks[i];
        while (j < last.n && last.addr[j] < b->addr)
            j++;
        if (j < last.n && last.addr[j] == b->addr && last.seq[j] == (b->seq & LG_SEQ_MASK)) {
            p->old_of[i] = (uint32_t)j;
            p->new_of[j] = (uint32_t)i;
        } else {
            p->old_of[i] = NOT_OLD;
            p->fresh[p->nfresh++] = (uint32_t)i;
            if (b->addr + b->size + 1 > p->fresh_hi)
                p->fresh_hi = b->addr + b->size + 1;
        }
    }
    return true;
}

void lg_livegraph_scan(struct lg_scan *sc, const uint64_t *dirty, bool full, struct lg_livegraph_stats *st)
{
    struct kept k;
    struct pass p = {.sc = sc};
    memset(st, 0, sizeof *st);
    full |= new_window(sc) || !valid;
    full |= !match(&p);
    st->full = full;
    p.k = kept_init(&k, sc->n, valid ? last.npool + last.npool / 8 : sc->n * 2) ? &k : NULL;
    sc->weak_any = lg_annot_has_weak();
    for (size_t i = 0; i < sc->n; i++) {
        const struct lg_block *b = &sc->blocks[i];
        uint32_t j = full ? NOT_OLD : p.old_of[i];
        bool clean = j != NOT_OLD && !(last.first[j] & RESCAN_MARK) && !(dirty && (dirty[i / 64] >> (i % 64) & 1));
        if (p.k) {
            k.addr[i] = b->addr;
            k.seq[i] = b->seq & LG_SEQ_MASK;
        }
        if (clean)
            st->replayed++;
        else
            st->rescanned++;
        if (!(clean ? replay(&p, i, j) : rescan(&p, i))) {
            /* out of memory midway: this block emitted nothing yet; go on keeping nothing */
            p.k = NULL;
            if (clean)
                replay(&p, i, j);
            else
                lg_scan_block(sc, i);
        }
    }
    kept_free(&spare);
    spare = last;
    valid = p.k != NULL;
    if (valid) {
        k.n = sc->n;
        fix_ends(&k);
        last = k;
    } else {
        kept_free(&k);
    }
}

void lg_livegraph_window(uintptr_t *lo, uintptr_t *hi)
{
    *lo = valid ? win_lo : 0;
    *hi = valid ? win_hi : 0;
}

void lg_livegraph_reset(void)
{
    kept_free(&last);
    kept_free(&spare);
    valid = false;
}
