/* Kept words per block: parallel arrays sorted by block address (the order of the
 * scan's block array, so matching old to new is one merge) and one pool of words.
 * Double-buffered: each collection builds the next arrays from the previous ones. */
#include "livegraph.h"

#include "annot.h"
#include "arena.h"

#include <string.h>

#define WINDOW_SLACK (1ull << 30)

struct word {
    uint64_t value;
    uint64_t off; /* byte offset in the block */
};

/* What one collection kept. */
struct kept {
    uint64_t *addr, *seq; /* [n] */
    uint64_t *first;      /* [n + 1] into pool; UINT64_MAX marks "always rescan" */
    struct word *pool;
    size_t n, cap, npool, pool_cap;
};

/* The last collection's words, valid when valid is set; the heap window they cover.
 * Protected by the collection lock (collect.c), used with the world stopped. */
static struct kept last;
static bool valid;
static uintptr_t win_lo, win_hi;

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
    memset(k, 0, sizeof *k);
    k->cap = n ? n : 1;
    k->addr = lg_map(k->cap * sizeof *k->addr);
    k->seq = lg_map(k->cap * sizeof *k->seq);
    k->first = lg_map((k->cap + 1) * sizeof *k->first);
    k->pool_cap = pool_cap < 4096 ? 4096 : pool_cap;
    k->pool = lg_map(k->pool_cap * sizeof *k->pool);
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

/* Rescans block i word by word, keeping the words inside the window. */
static bool rescan(struct lg_scan *sc, size_t i, struct kept *k)
{
    if (lg_scan_is_partial(sc, i)) {
        lg_scan_block(sc, i); /* piece by piece; never kept */
        k->first[i] = UINT64_MAX;
        return true;
    }
    uintptr_t a = sc->blocks[i].addr, end = a + sc->blocks[i].size;
    sc->holder_seq = sc->blocks[i].seq & LG_SEQ_MASK;
    sc->scanned_bytes += sc->blocks[i].size;
    k->first[i] = k->npool;
    if (!pool_reserve(k, sc->blocks[i].size / 8))
        return false;
    for (uintptr_t p = (a + 7) & ~(uintptr_t)7; p + 8 <= end; p += 8) {
        uintptr_t v = *(const volatile uintptr_t *)p;
        if (v - win_lo >= win_hi - win_lo)
            continue;
        k->pool[k->npool++] = (struct word){v, p - a};
        lg_scan_slot(sc, v, (uint32_t)i, p - a, p);
    }
    return true;
}

#define RESCAN_MARK (1ull << 63)

/* Replays the words kept for old block j as new block i; keeps them in k unless NULL. */
static bool replay(struct lg_scan *sc, size_t i, size_t j, struct kept *k)
{
    uint64_t lo = last.first[j] & ~RESCAN_MARK, hi = last.first[j + 1] & ~RESCAN_MARK;
    uintptr_t a = sc->blocks[i].addr;
    sc->holder_seq = sc->blocks[i].seq & LG_SEQ_MASK;
    if (k) {
        k->first[i] = k->npool;
        if (!pool_reserve(k, hi - lo))
            return false;
        memcpy(k->pool + k->npool, last.pool + lo, (hi - lo) * sizeof *k->pool);
        k->npool += hi - lo;
    }
    for (uint64_t w = lo; w < hi; w++)
        lg_scan_slot(sc, last.pool[w].value, (uint32_t)i, last.pool[w].off, a + last.pool[w].off);
    return true;
}

/* The end of old block j's words: first[j + 1], skipping "always rescan" marks. */
static void fix_ends(struct kept *k)
{
    uint64_t next = k->npool;
    k->first[k->n] = next;
    for (size_t i = k->n; i-- > 0;) {
        if (k->first[i] == UINT64_MAX)
            k->first[i] = next | RESCAN_MARK;
        else
            next = k->first[i];
    }
}

static bool replayable(size_t j, uint64_t seq)
{
    return last.seq[j] == seq && !(last.first[j] & RESCAN_MARK);
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

void lg_livegraph_scan(struct lg_scan *sc, const uint64_t *dirty, bool full, struct lg_livegraph_stats *st)
{
    struct kept k;
    memset(st, 0, sizeof *st);
    full |= new_window(sc) || !valid;
    st->full = full;
    bool keep = kept_init(&k, sc->n, valid ? last.npool + last.npool / 8 : sc->n * 2);
    size_t j = 0;
    sc->weak_any = lg_annot_has_weak();
    for (size_t i = 0; i < sc->n; i++) {
        const struct lg_block *b = &sc->blocks[i];
        while (!full && j < last.n && last.addr[j] < b->addr)
            j++;
        bool clean = !full && j < last.n && last.addr[j] == b->addr && replayable(j, b->seq & LG_SEQ_MASK) &&
                     !(dirty && (dirty[i / 64] >> (i % 64) & 1));
        if (keep) {
            k.addr[i] = b->addr;
            k.seq[i] = b->seq & LG_SEQ_MASK;
        }
        if (clean)
            st->replayed++;
        else
            st->rescanned++;
        if (keep && !(clean ? replay(sc, i, j, &k) : rescan(sc, i, &k)))
            keep = false; /* out of memory: finish this collection without keeping */
        if (!keep) {
            if (clean)
                replay(sc, i, j, NULL);
            else
                lg_scan_block(sc, i);
        }
    }
    k.n = sc->n;
    kept_free(&last);
    valid = keep;
    if (keep) {
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
    valid = false;
}
