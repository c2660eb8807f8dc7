/* The live graph under stable ids. Each live block has an id, from the collection it
 * was first seen at until it dies (then the id is reused); per id: its row of kept words
 * in one pool, its position in this collection's sorted block array, its marking parent,
 * and how many kept start pointers refer to it. A word remembers its target's id, so a
 * clean block costs nothing: it is neither read nor replayed.
 *
 * What a collection touches: the rows of dirty, new and dead blocks (of a dirty block of
 * LG_HUGE_ROW bytes or more, only the words of its dirty cards); the words that
 * referred to nothing (they may refer to a block born since, blocks never overlap); the
 * interior pointers (looked up again each time: the heuristics read the target); the
 * roots. The mark keeps each reached block's parent, in a tree: with no parent
 * reference gone (dead holder, rewritten word, root gone), everything reached stays
 * reached and only the new references are followed; otherwise the blocks below the lost
 * references are marked again from what changed and the roots, and those still not
 * reached from a pass over every kept row when a row the mark did not follow may refer
 * to them (over a quarter of the heap: everything, from the roots). No block is read for
 * it. A dead block still referred to by kept start pointers (dangling pointers) costs one
 * pass over the pool. What the roots do not reach goes to livemark as a graph of its own.
 *
 * Everything here is protected by the collection lock (collect.c) and used with the
 * world stopped. */
#include "livegraph.h"

#include "annot.h"
#include "arena.h"
#include "blockindex.h"
#include "log.h"

#include <string.h>

#define WINDOW_SLACK (1ull << 30)
/* A word's target: an id; W_ID for none. W_SLOW: an interior pointer, resolved again at
 * every collection, whose last resolution the rest holds; W_INTER: that resolution is an
 * interior pointer no heuristic accepts (not a definite reference). */
#define W_SLOW 0x80000000u
#define W_INTER 0x40000000u
#define W_ID 0x3fffffffu
#define P_NONE UINT32_MAX           /* tree parent: not reached */
#define P_ROOT (UINT32_MAX - 1)     /* reached from a root */
#define P_DETACHED (UINT32_MAX - 2) /* reached, its parent died this collection */
#define NIL UINT32_MAX              /* no child, no sibling */
#define DEAD UINT32_MAX         /* pos[] of a free id */
#define NEW UINT32_MAX          /* cur_id[] of a block not seen before, until it has an id */

/* F_DIFF: touched with its old row kept, rescanned against it */
enum { F_SLOW = 1, F_NONE = 2, F_PARTIAL = 4, F_TOUCHED = 8, F_LISTED = 16, F_DIFF = 32 };

struct word {
    uint64_t value;
    uint32_t off;    /* byte offset in the block */
    uint32_t target; /* see W_* */
};

struct ids {
    uint32_t *v;
    size_t n, cap;
};

/* The graph (valid when valid is set): per-id arrays [cap], the pool, the lists of ids
 * with slow words, with words referring to nothing, not wholly readable; the definite
 * root targets of the last collection; the last collection's blocks by position. */
struct rec {
    uint64_t row;        /* the row's first word in the pool */
    uint32_t len;        /* its words */
    uint32_t indeg;      /* kept start pointers (not slow words) referring to the id */
};

/* The marking tree: each reached block's parent, and its children in a doubly linked
 * list, so that the blocks below a parent reference that went are found without a pass
 * over every block. */
struct tnode {
    uint32_t parent; /* an id, P_ROOT, P_DETACHED or P_NONE */
    uint32_t first, next, prev;
};

static struct {
    struct rec *rec;
    struct tnode *t;
    uint32_t *pos;
    uint8_t *flags, *tm; /* tm: a scratch mark per id, all zero between uses */
    uint8_t *mk;         /* t[].parent != P_NONE, in a byte: the mark's test */
    uint32_t *cnt;       /* scratch counts per id, all zero between uses */
    uint64_t *dead;      /* a bit per id: died this collection (drop_dead to release_dead) */
    size_t dead_cap;     /* its words */
    size_t nid, cap;
    struct ids free_ids, slow, none, partial, roots;
    size_t nstable; /* roots.v[0, nstable): targets of lasting roots */
    struct word *pool;
    size_t npool, pool_cap, live;
    const uint32_t *pid;
    size_t pn;
    bool weak; /* the last collection saw weak slots: its words are not all kept */
    uint64_t version; /* the blockindex version of the positions above */
} g;
static bool valid;
static uintptr_t win_lo, win_hi;

/* One collection's working state (arrays kept mapped between collections). */
struct pass {
    struct lg_scan *sc;
    uint32_t *cur_id;           /* [n] */
    uint32_t *fresh;            /* positions of new blocks, ascending */
    size_t nfresh;
    uintptr_t fresh_hi;
    struct ids dead, touched, queue;
    struct ids diffs;           /* the touched rescanned against their old rows */
    struct ids rint;            /* the roots' interior targets */
    size_t qhead;               /* queue.v[qhead, n): reached, row not followed yet */
    struct ids cand;            /* pairs (child, holder): a holder's row was dropped */
    struct ids seeds;           /* pairs (holder, target): new references of clean rows */
    struct ids sus;             /* reached blocks whose parent reference went */
    bool scanned_rows;          /* finding the references into them took a pass over the rows */
    bool scanned_diffs;         /* they were looked for in the dirty rows first */
    bool oom;
    struct lg_snap_edge last;   /* what lg_scan_slot emitted */
    bool unmoved;               /* the same blocks at the same places as last time */
    uint64_t base;              /* the blockindex version of the last collection */
    bool got;
    const struct lg_dirty_cards *cards; /* see lg_livegraph_update */
    size_t ncards;
};
static struct lg_buf b_cur_id, b_fresh;
/* The last collection's ids by position (g.pid points into it); its blocks by position
 * are the block copy of version g.version (blockindex.c keeps it until the next). */
static struct lg_buf b_pid;
static struct ids w_dead, w_touched, w_queue, w_cand, w_seeds, w_list, w_sus, w_diffs, w_rint;
/* Pool ranges [v[2k], v[2k+1]) that rescan filled with words still to look up. */
static struct {
    uint64_t *v;
    size_t n, cap;
} w_unresolved;

/* The words of dirty rows whose value changed, looked up after the rows (pend_resolve):
 * the value, the row's id, the word's index in the row (PEND_OLD: an old word was at
 * that offset, with target old). Emptied at every collection. */
#define PEND_OLD 0x80000000u
struct pend {
    uint64_t value;
    uint32_t id, w, old;
};
static struct {
    struct pend *v;
    size_t n, cap;
} w_pend;

static bool unresolved_add(uint64_t lo, uint64_t hi)
{
    if (w_unresolved.n && w_unresolved.v[w_unresolved.n - 1] == lo) { /* rows come one after another */
        w_unresolved.v[w_unresolved.n - 1] = hi;
        return true;
    }
    if (!lg_grow((void **)&w_unresolved.v, &w_unresolved.cap, w_unresolved.n + 2, sizeof *w_unresolved.v))
        return false;
    w_unresolved.v[w_unresolved.n++] = lo;
    w_unresolved.v[w_unresolved.n++] = hi;
    return true;
}

/* What give() hands out: the unreached blocks' positions and their references. */
static struct ids w_sub_pos;
static struct {
    struct lg_live_edge *v;
    size_t n, cap;
} w_sub_e;

/* ---- memory ---- */

static bool ids_push(struct ids *l, uint32_t x)
{
    if (l->n == l->cap && !lg_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
        return false;
    l->v[l->n++] = x;
    return true;
}

static void ids_free(struct ids *l)
{
    lg_unmap(l->v, l->cap * sizeof *l->v);
    memset(l, 0, sizeof *l);
}

static bool grow_ids(size_t need)
{
    if (need <= g.cap)
        return true;
    size_t nc = g.cap ? g.cap : 1024;
    while (nc < need)
        nc *= 2;
    size_t c;
#define GROW(a) (c = g.cap, lg_grow((void **)&g.a, &c, nc, sizeof *g.a))
    bool ok = GROW(rec) && GROW(t) && GROW(pos) && GROW(flags) && GROW(tm) && GROW(mk) && GROW(cnt) &&
              lg_grow((void **)&g.dead, &g.dead_cap, nc / 64, sizeof *g.dead);
#undef GROW
    if (ok)
        g.cap = nc;
    return ok;
}

static bool pool_reserve(size_t more)
{
    return lg_grow((void **)&g.pool, &g.pool_cap, g.npool + more, sizeof *g.pool);
}

static void forget(void)
{
    size_t c = g.cap;
    lg_unmap(g.rec, c * sizeof *g.rec);
    lg_unmap(g.pos, c * sizeof *g.pos);
    lg_unmap(g.t, c * sizeof *g.t);
    lg_unmap(g.cnt, c * sizeof *g.cnt);
    lg_unmap(g.flags, c);
    lg_unmap(g.tm, c);
    lg_unmap(g.mk, c);
    lg_unmap(g.dead, g.dead_cap * sizeof *g.dead);
    ids_free(&g.free_ids);
    ids_free(&g.slow);
    ids_free(&g.none);
    ids_free(&g.partial);
    ids_free(&g.roots);
    lg_unmap(g.pool, g.pool_cap * sizeof *g.pool);
    memset(&g, 0, sizeof g);
    valid = false;
}

/* Forgets the graph but keeps its memory: a full collection refills it. */
static void clear(void)
{
    g.nid = g.npool = g.live = g.pn = 0;
    g.free_ids.n = g.slow.n = g.none.n = g.partial.n = g.roots.n = 0;
    valid = false;
}

/* ---- words ---- */

/* gcc 12 left some __builtin_prefetch calls of this file out of the object, as in scan.c
 * (those of a helper inlined into two loops: 18 calls in the source, 15 instructions):
 * the instruction itself, which nothing can drop. */
static inline void prefetch(const void *p) { __asm__ volatile("prefetcht0 (%0)" : : "r"(p)); }

static uint32_t tid(uint32_t t) { return t & W_ID; }
static bool definite(uint32_t t) { return !(t & W_INTER) && tid(t) != W_ID; }

static void capture(void *ctx, const struct lg_snap_edge *e)
{
    struct pass *p = ctx;
    p->last = *e;
    p->got = true;
}

/* What the word v at offset off of the block at position i refers to now, with the
 * target's position where the id goes (rescans turn positions into ids afterwards, with
 * the loads prefetched). */
static uint32_t resolve_pos(struct pass *p, size_t i, uintptr_t v, uint32_t off)
{
    const struct lg_block *b = &p->sc->blocks[i];
    p->got = false;
    long t = lg_scan_slot(p->sc, v, (uint32_t)i, off, b->addr + off);
    if (t < 0 || !p->got || (p->last.flags & LG_EDGE_WEAK))
        return W_ID;
    if (v == p->sc->blocks[t].addr)
        return (uint32_t)t;
    return W_SLOW | (p->last.heur == LG_HEUR_NONE ? W_INTER : 0) | (uint32_t)t;
}

static uint32_t resolve(struct pass *p, size_t i, uintptr_t v, uint32_t off)
{
    uint32_t t = resolve_pos(p, i, v, off);
    return tid(t) == W_ID ? t : (t & ~W_ID) | p->cur_id[tid(t)];
}

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

/* ---- rows ---- */

/* A new definite reference from holder to target, to follow if holder is reached; a
 * start pointer is flagged, since it counts in the target's in-degree. */
#define SEED_PLAIN 0x80000000u
static void seed(struct pass *p, uint32_t holder, uint32_t t)
{
    if (!ids_push(&p->seeds, holder) || !ids_push(&p->seeds, tid(t) | (t & W_SLOW ? 0 : SEED_PLAIN)))
        p->oom = true;
}

static void suspect(struct pass *p, uint32_t v)
{
    if (!ids_push(&p->sus, v))
        p->oom = true;
}

/* Drops id's row; the children it was the marking parent of become candidates (a dead
 * holder's are taken from its tree node by bury_dead). */
static void drop_row(struct pass *p, uint32_t id, bool dying)
{
    const struct word *w = &g.pool[g.rec[id].row];
    for (uint32_t k = 0; k < g.rec[id].len; k++) {
        uint32_t t = w[k].target;
        if (!(t & W_SLOW) && tid(t) != W_ID)
            g.rec[t].indeg--;
        if (!dying && definite(t) && g.t[tid(t)].parent == id &&
            (!ids_push(&p->cand, tid(t)) || !ids_push(&p->cand, id)))
            p->oom = true;
    }
    g.live -= g.rec[id].len;
    g.rec[id].len = 0;
}

static void add_flagged(struct ids *l, uint32_t id, uint8_t flag, struct pass *p)
{
    if ((g.flags[id] & flag) && !ids_push(l, id))
        p->oom = true;
}

/* Piece by piece (part of it is not readable): the references as emitted. */
static void partial_capture(void *ctx, const struct lg_snap_edge *e)
{
    struct pass *p = ctx;
    if ((e->flags & LG_EDGE_WEAK) || !pool_reserve(1)) {
        p->oom |= !(e->flags & LG_EDGE_WEAK);
        return;
    }
    const struct lg_block *t = &p->sc->blocks[e->to];
    uint32_t target = !e->to_off ? e->to : W_SLOW | (e->heur == LG_HEUR_NONE ? W_INTER : 0) | e->to;
    g.pool[g.npool++] = (struct word){t->addr + e->to_off, (uint32_t)e->from_off, target};
}

/* Rescans the block at position i, whose id has no row: its words go into the pool with
 * the holder's position for a target, looked up by resolve_rows (the pieces of a block
 * not wholly readable are looked up as they come). */
static bool rescan(struct pass *p, size_t i)
{
    struct lg_scan *sc = p->sc;
    uint32_t id = p->cur_id[i];
    uintptr_t a = sc->blocks[i].addr, end = a + sc->blocks[i].size;
    g.flags[id] = (uint8_t)(g.flags[id] & F_TOUCHED);
    g.rec[id].row = g.npool;
    if (lg_scan_is_partial(sc, i) || sc->blocks[i].size > UINT32_MAX) {
        g.flags[id] |= F_PARTIAL;
        sc->emit = partial_capture;
        lg_scan_block(sc, i);
        sc->emit = capture;
    } else {
        sc->scanned_bytes += sc->blocks[i].size;
        if (!pool_reserve(sc->blocks[i].size / 8))
            return false;
        uint64_t from = g.npool;
        for (uintptr_t q = (a + 7) & ~(uintptr_t)7; q + 8 <= end; q += 8) {
            uintptr_t v = *(const volatile uintptr_t *)q;
            if (v - win_lo < win_hi - win_lo)
                g.pool[g.npool++] = (struct word){v, (uint32_t)(q - a), (uint32_t)i};
        }
        if (g.npool > from && !unresolved_add(from, g.npool))
            return false;
    }
    if (p->oom)
        return false;
    g.rec[id].len = (uint32_t)(g.npool - g.rec[id].row);
    g.live += g.rec[id].len;
    return true;
}

#define AHEAD_TOUCHED 16 /* touched rows ahead whose flags are loaded; then position, record, block */

/* Rescans the new and the piecewise blocks among the touched (not the dirty ones, which
 * rescan_diffs compares with their rows), the loads of those ahead started early, each
 * once the one before it is in: the new blocks are anywhere in the heap, and their
 * flags, position, record and memory were four misses one after the other. The dirty ones, all of the touched under userfaultfd,
 * cost only their flags. */
static bool rescan_touched(struct pass *p)
{
    const uint32_t *v = p->touched.v;
    const struct lg_block *blocks = p->sc->blocks;
    size_t n = p->touched.n;
    for (size_t k = 0; k < n; k++) {
        size_t a = k + 2 * AHEAD_TOUCHED, b = k + AHEAD_TOUCHED, c = k + AHEAD_TOUCHED / 2, d = k + AHEAD_TOUCHED / 4;
        if (a < n)
            prefetch(&g.flags[v[a]]);
        if (b < n && !(g.flags[v[b]] & F_DIFF))
            prefetch(&g.pos[v[b]]);
        if (c < n && !(g.flags[v[c]] & F_DIFF))
            prefetch(&blocks[g.pos[v[c]]]);
        if (d < n && !(g.flags[v[d]] & F_DIFF)) {
            const struct lg_block *x = &blocks[g.pos[v[d]]];
            prefetch((const void *)(uintptr_t)x->addr);
            if (x->size > 1)
                prefetch((const void *)(uintptr_t)(x->addr + x->size - 1));
        }
        if (!(g.flags[v[k]] & F_DIFF) && !rescan(p, g.pos[v[k]]))
            return false;
    }
    return true;
}

#define AHEAD_INDEX 16 /* words ahead whose target's index entry is loaded */
#define AHEAD_BLOCK 8  /* and whose target's block record */

/* Looks up the words rescan left with their holder's position, the loads of the words
 * ahead started early: each look-up missed the cache twice (index, block record), and
 * a first collection of a million random blocks spent most of its time there. */
static void resolve_rows(struct pass *p)
{
    for (size_t r = 0; r < w_unresolved.n; r += 2) {
        uint64_t lo = w_unresolved.v[r], hi = w_unresolved.v[r + 1];
        for (uint64_t k = lo; k < hi; k++) {
            if (k + AHEAD_INDEX < hi)
                lg_scan_prefetch(p->sc, g.pool[k + AHEAD_INDEX].value, false);
            if (k + AHEAD_BLOCK < hi)
                lg_scan_prefetch(p->sc, g.pool[k + AHEAD_BLOCK].value, true);
            struct word *w = &g.pool[k];
            size_t i = w->target;
            p->sc->holder_seq = p->sc->blocks[i].seq & LG_SEQ_MASK;
            w->target = resolve_pos(p, i, w->value, w->off);
        }
    }
    w_unresolved.n = 0;
}

/* The flags of the rows rescanned (not against an old row). */
static void flag_rows(const struct pass *p)
{
    for (size_t k = 0; k < p->touched.n; k++) {
        uint32_t id = p->touched.v[k];
        if (g.flags[id] & F_DIFF)
            continue;
        const struct word *w = &g.pool[g.rec[id].row];
        for (uint32_t x = 0; x < g.rec[id].len; x++)
            g.flags[id] |= w[x].target & W_SLOW ? F_SLOW : w[x].target == W_ID ? F_NONE : 0;
    }
}

#define AHEAD_ID 16 /* words ahead whose target's id is prefetched */
#define AHEAD_IN 8  /* and whose target's record */

/* The rows rescanned, pool[from, npool), hold positions: ids now, and the start
 * pointers counted. Both loads missed the cache on nearly every word of a full rescan;
 * prefetched, they cost a fraction. */
static void positions_to_ids(struct pass *p, size_t from)
{
    struct word *w = g.pool;
    for (size_t k = from; k < g.npool; k++) {
        if (k + AHEAD_ID < g.npool && tid(w[k + AHEAD_ID].target) != W_ID)
            prefetch(&p->cur_id[tid(w[k + AHEAD_ID].target)]);
        if (k + AHEAD_IN < g.npool && tid(w[k + AHEAD_IN].target) != W_ID)
            prefetch(&g.rec[p->cur_id[tid(w[k + AHEAD_IN].target)]]);
        uint32_t t = w[k].target;
        if (tid(t) == W_ID)
            continue;
        uint32_t id = p->cur_id[tid(t)];
        w[k].target = (t & ~W_ID) | id;
        if (!(t & W_SLOW))
            g.rec[id].indeg++;
    }
}

/* The old word w of a dirty row, at the same offset and with the same value as now:
 * whether its target still holds. Start pointers do unless their block died (a live
 * block keeps its address; g.dead has the dead until release_dead, a bit per id, an
 * eighth of the flags, so that its tests hit the cache); a word that referred to
 * nothing does unless a block was born there; interior pointers are looked up again. */
static bool still_holds(const struct pass *p, const struct word *w)
{
    uint32_t t = w->target;
    if (t & W_SLOW)
        return false;
    if (tid(t) != W_ID)
        return !(g.dead[t / 64] >> (t % 64) & 1);
    return !in_fresh(p, w->value);
}

/* An old word that went (or changed): its start pointer no longer counts, and the child
 * it was the marking parent of becomes a candidate. */
static void word_gone(struct pass *p, uint32_t id, uint32_t t)
{
    if (!(t & W_SLOW) && tid(t) != W_ID)
        g.rec[t].indeg--;
    if (definite(t) && g.t[tid(t)].parent == id && (!ids_push(&p->cand, tid(t)) || !ids_push(&p->cand, id)))
        p->oom = true;
}

/* A run of a dirty block's words, from q, up to the first that differs from its old row
 * (from old[*k]): words at the same offsets, with the same values, each still leading
 * where it led, stay as they are, row, counts and tree, and need no write while the row
 * is rewritten in place with nothing shifted. Most blocks of a dirty page, or next to a
 * dirty card, did not change at all, and a large block changed in a few words (measured
 * under userfaultfd, where a page makes 64 small blocks dirty: rewriting their rows was a
 * fifth of a collection). Returns where the run stopped; *k the next old word, *none
 * gains F_NONE if a kept word refers to nothing. */
static uintptr_t unchanged_run(const struct pass *p, uintptr_t a, uintptr_t q, uintptr_t end, const struct word *old,
                               uint32_t olen, uint32_t *k, uint8_t *none)
{
    uint32_t n = *k;
    for (; q + 8 <= end; q += 8) {
        uintptr_t v = *(const volatile uintptr_t *)q;
        if (v - win_lo >= win_hi - win_lo)
            continue; /* an old word at this offset went: the next test, or the caller, sees it */
        if (n == olen || old[n].off != (uint32_t)(q - a) || old[n].value != v || !still_holds(p, &old[n]))
            break;
        *none |= old[n++].target == W_ID ? F_NONE : 0;
    }
    *k = n;
    return q;
}

/* The first run of dirty cards of dc from card c on: [*lo, *hi), clipped to the block
 * [a, end); *lo = *hi = end when there is none. */
static void dirty_run(const struct lg_dirty_cards *dc, uint64_t c, uintptr_t a, uintptr_t end, uintptr_t *lo,
                      uintptr_t *hi)
{
    uint64_t s = c;
    while (s < dc->nbits && !(dc->bits[s / 64] >> (s % 64) & 1))
        s = dc->bits[s / 64] >> (s % 64) ? s + 1 : (s / 64 + 1) * 64; /* (a clean word at once) */
    uint64_t e = s;
    while (e < dc->nbits && (dc->bits[e / 64] >> (e % 64) & 1))
        e = ~dc->bits[e / 64] >> (e % 64) ? e + 1 : (e / 64 + 1) * 64;
    *lo = s < dc->nbits ? a + 64 * s : end;
    *hi = s < dc->nbits && a + 64 * e < end ? a + 64 * e : end;
}

/* A clean stretch [from, to) (byte offsets) of a large dirty block: the old words before
 * it that went (a word that left the window is consumed only by the next word looked
 * at), then the stretch's words kept, moved down to the row being written. The row had
 * no interior pointer and no word referring to nothing (the caller checks): such words
 * are looked up again at every collection. A start pointer into a block that died since
 * is found by release_dead's pass over the rows (clear_dangling). */
static void keep_clean(struct pass *p, uint32_t id, uint32_t from, uint32_t to, const struct word *old, uint32_t olen,
                       struct word *out, uint32_t *k, uint32_t *w)
{
    for (; *k < olen && old[*k].off < from; (*k)++)
        word_gone(p, id, old[*k].target);
    uint32_t lo = *k, hi = olen;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (old[mid].off < to)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (out + *w != old + *k)
        memmove(out + *w, old + *k, (lo - *k) * sizeof *out);
    *w += lo - *k;
    *k = lo;
}

/* Rescans the dirty block at position i against its old row, word by word (both in
 * offset order): a word with the same value keeps its target without a look-up, and
 * only the words that changed touch the counts and the tree. Most words of a dirty
 * block are as they were (a card or a page is dirty, not every word in it). The new
 * row is written over the old one while it is no longer (the words read stay ahead of
 * the words written), else moved to the end of the pool: a large block's row is not
 * copied at every collection. */
static bool rescan_diff(struct pass *p, size_t i, const struct lg_dirty_cards *dc)
{
    struct lg_scan *sc = p->sc;
    uint32_t id = p->cur_id[i];
    uintptr_t a = sc->blocks[i].addr, end = a + sc->blocks[i].size;
    if (!pool_reserve(sc->blocks[i].size / 8))
        return false;
    struct word *old = &g.pool[g.rec[id].row], *out = old;
    uint32_t olen = g.rec[id].len, k = 0, w = 0;
    uint8_t fl = 0; /* F_SLOW, F_NONE: of the new row */
    bool moved = false;
    sc->scanned_bytes += sc->blocks[i].size;
    sc->holder_seq = sc->blocks[i].seq & LG_SEQ_MASK;
    uintptr_t lim = dc ? a : end; /* with dc: the end of the dirty cards q is in */
    for (uintptr_t q = (a + 7) & ~(uintptr_t)7;; q += 8) {
        for (;;) {
            if (dc && q >= lim) { /* clean cards up to the next dirty ones: their words stay */
                uintptr_t nq;
                dirty_run(dc, (q - a) / 64, a, end, &nq, &lim);
                if (nq > q) {
                    keep_clean(p, id, (uint32_t)(q - a), (uint32_t)(nq - a), old, olen, out, &k, &w);
                    q = nq;
                }
                dc = lim < end ? dc : NULL;
            }
            if (!moved && w == k) { /* in place, nothing shifted: the unchanged words stay */
                q = unchanged_run(p, a, q, lim, old, olen, &k, &fl);
                w = k;
                if (dc && q >= lim && q + 8 <= end)
                    continue; /* (up to the clean cards) */
            }
            break;
        }
        if (q + 8 > end)
            break;
        uintptr_t v = *(const volatile uintptr_t *)q;
        uint32_t off = (uint32_t)(q - a);
        for (; k < olen && old[k].off < off; k++)
            word_gone(p, id, old[k].target);
        bool same = k < olen && old[k].off == off && old[k].value == v;
        if (v - win_lo >= win_hi - win_lo) {
            if (same)
                k++;
            continue; /* out of the window: not kept (old[k], if any, goes next round) */
        }
        uint32_t t = W_ID; /* a changed word's: pend_resolve's */
        if (same && still_holds(p, &old[k])) {
            t = old[k++].target;
            fl |= t & W_SLOW ? F_SLOW : t == W_ID ? F_NONE : 0;
        } else {
            bool had = k < olen && old[k].off == off;
            if (w_pend.n == w_pend.cap && !lg_grow((void **)&w_pend.v, &w_pend.cap, w_pend.n + 1, sizeof *w_pend.v))
                return p->oom = true, false;
            w_pend.v[w_pend.n++] = (struct pend){v, id, w | (had ? PEND_OLD : 0), had ? old[k].target : 0};
            k += had;
        }
        if (!moved && w >= k) { /* would overwrite an unread old word: move */
            moved = true;
            out = &g.pool[g.npool];
            memcpy(out, old, w * sizeof *out);
        }
        out[w++] = (struct word){v, off, t};
    }
    g.flags[id] = (uint8_t)((g.flags[id] & ~(F_SLOW | F_NONE)) | fl);
    if (k == olen && w == olen && !moved)
        return !p->oom; /* (the usual case: nothing went, nothing moved) */
    for (; k < olen; k++)
        word_gone(p, id, old[k].target);
    if (moved) { /* (an empty old row may sit at the pool's end: out == old then) */
        g.rec[id].row = g.npool;
        g.npool += w;
    }
    g.live += w;
    g.live -= olen;
    g.rec[id].len = w;
    return !p->oom;
}

/* The changed words of the dirty rows, looked up with the loads of those ahead started
 * early (each look-up missed the cache two or three times, one after the other: with
 * store hooks, look-ups were an eighth of a collection's time). Then, as for a word
 * rescanned: the old word at its offset goes unless it led to the same target, the start
 * pointer counts, and a definite reference is followed if its holder is reached. */
static void pend_resolve(struct pass *p)
{
    const struct pend *e = w_pend.v;
    size_t n = w_pend.n;
    for (size_t k = 0; k < n; k++) {
        if (k + AHEAD_INDEX < n)
            lg_scan_prefetch(p->sc, e[k + AHEAD_INDEX].value, false);
        if (k + AHEAD_BLOCK < n)
            lg_scan_prefetch(p->sc, e[k + AHEAD_BLOCK].value, true);
        uint32_t id = e[k].id;
        size_t i = g.pos[id];
        struct word *wd = &g.pool[g.rec[id].row + (e[k].w & ~PEND_OLD)];
        p->sc->holder_seq = p->sc->blocks[i].seq & LG_SEQ_MASK;
        uint32_t t = wd->target = resolve(p, i, e[k].value, wd->off);
        bool counted = !(t & W_SLOW) && tid(t) != W_ID;
        if ((e[k].w & PEND_OLD) && e[k].old != t)
            word_gone(p, id, e[k].old);
        else if ((e[k].w & PEND_OLD) && counted)
            g.rec[t].indeg--; /* counted again below */
        if (counted)
            g.rec[t].indeg++;
        if (definite(t))
            seed(p, id, t); /* the unchanged words lead where they led */
        g.flags[id] |= t & W_SLOW ? F_SLOW : t == W_ID ? F_NONE : 0;
    }
    w_pend.n = 0;
}

#define AHEAD_DIFF 8 /* dirty rows ahead whose record, block and words are prefetched */

/* The dirty cards of the block at position pos, or NULL. */
static const struct lg_dirty_cards *cards_of(const struct pass *p, uint32_t pos)
{
    size_t lo = 0, hi = p->ncards;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->cards[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->ncards && p->cards[lo].pos == pos ? &p->cards[lo] : NULL;
}

/* The dirty rows, with the loads of the ones ahead started early: each row's record,
 * block and old words are in three different places, and missed the cache. */
static bool rescan_diffs(struct pass *p)
{
    const uint32_t *v = p->diffs.v;
    size_t n = p->diffs.n;
    for (size_t k = 0; k < n; k++) {
        if (k + 2 * AHEAD_DIFF < n) {
            prefetch(&g.rec[v[k + 2 * AHEAD_DIFF]]);
            prefetch(&g.pos[v[k + 2 * AHEAD_DIFF]]);
            prefetch(&g.flags[v[k + 2 * AHEAD_DIFF]]);
        }
        if (k + AHEAD_DIFF < n) {
            const struct lg_block *b = &p->sc->blocks[g.pos[v[k + AHEAD_DIFF]]];
            prefetch(b);
            prefetch(&g.pool[g.rec[v[k + AHEAD_DIFF]].row]);
        }
        if (k + AHEAD_DIFF / 2 < n)
            prefetch((const void *)(uintptr_t)p->sc->blocks[g.pos[v[k + AHEAD_DIFF / 2]]].addr);
        if (!(g.flags[v[k]] & F_DIFF))
            continue;
        const struct lg_dirty_cards *dc = NULL;
        if (p->sc->blocks[g.pos[v[k]]].size >= LG_HUGE_ROW && !(g.flags[v[k]] & (F_SLOW | F_NONE)))
            dc = cards_of(p, g.pos[v[k]]);
        if (!rescan_diff(p, g.pos[v[k]], dc))
            return false;
    }
    pend_resolve(p);
    return !p->oom;
}

/* A filter of the few ids a pass over many words looks for (the dead, the unreached of
 * D), small enough for the first-level cache: a word's target is tested in g.tm (a
 * byte per id, a megabyte for a million blocks: a miss at random) only when its bit is
 * set. Filled and emptied by the pass that uses it; all zero between uses. */
#define IDF_BITS (1u << 18)
static uint64_t idf[IDF_BITS / 64];

static void idf_add(uint32_t id) { idf[(id & (IDF_BITS - 1)) >> 6] |= 1ull << (id & 63); }
static bool idf_has(uint32_t id) { return idf[(id & (IDF_BITS - 1)) >> 6] >> (id & 63) & 1; }
static void idf_clear(void) { memset(idf, 0, sizeof idf); }

/* ---- matching the blocks with the last collection's ---- */

static void fresh_at(struct pass *p, size_t i)
{
    const struct lg_block *b = &p->sc->blocks[i];
    p->cur_id[i] = NEW;
    p->fresh[p->nfresh++] = (uint32_t)i;
    if (b->addr + b->size + 1 > p->fresh_hi)
        p->fresh_hi = b->addr + b->size + 1;
}


/* Matching from the block copy's changes since the last collection: the blocks between
 * two changed addresses are the same as last time, in the same order, so their ids are
 * copied a run at a time, and the merge said where each change is in both copies
 * (comparing every block with its old position read 48 bytes a block and wrote 20;
 * looking the changes up missed the cache at every step). old: the last collection's
 * blocks. False, with nothing found, when the changes do not fit them: the caller
 * compares every block. */
static bool match_changes(struct pass *p, const struct lg_block *old, const struct lg_blockindex_change *ch,
                          size_t nch)
{
    const struct lg_scan *sc = p->sc;
    size_t n = sc->n, pn = g.pn, i = 0, j = 0;
    for (size_t k = 0; k <= nch; k++) {
        size_t to = k < nch ? ch[k].new_pos : n, run = to - i;
        if (to < i || to > n || j + run > pn || (k < nch && ch[k].old_pos != j + run))
            return false;
        memcpy(&p->cur_id[i], &g.pid[j], run * sizeof *p->cur_id);
        i += run, j += run;
        if (k == nch)
            break;
        bool was = ch[k].what & LG_BI_OLD, is = ch[k].what & LG_BI_NEW;
        if (was && (j >= pn || old[j].addr != ch[k].addr || (old[j].seq & LG_SEQ_MASK) != ch[k].old_seq))
            return false;
        if (is && (i >= n || sc->blocks[i].addr != ch[k].addr))
            return false;
        if (was && is && ch[k].old_seq == ch[k].new_seq && old[j].size == sc->blocks[i].size) {
            /* the same block (an annotation flag); a size changed under the same seq is a
             * realloc in place caught at a stop before its record (inflight.c): its new
             * part was never scanned, so it counts as a new block */
            p->cur_id[i++] = g.pid[j++];
            continue;
        }
        if (was && !ids_push(&p->dead, g.pid[j++]))
            return p->oom = true, false;
        if (is)
            fresh_at(p, i++);
    }
    return i == n && j == pn;
}

/* Gives every block of this collection its id (NEW for those born since), and lists the
 * dead, from the last collection's blocks (the block copy of version p->base). */
static bool match(struct pass *p, bool full)
{
    const struct lg_scan *sc = p->sc;
    size_t n = sc->n;
    if (p->unmoved) { /* last time's ids, as they are */
        p->cur_id = (uint32_t *)g.pid;
        return true;
    }
    p->cur_id = lg_buf_reserve(&b_cur_id, (n + 1) * sizeof *p->cur_id);
    p->fresh = lg_buf_reserve(&b_fresh, (n + 1) * sizeof *p->fresh);
    if (!p->cur_id || !p->fresh)
        return false;
    const struct lg_block *old = NULL;
    size_t pn = 0, nold;
    if (!full) {
        if (!lg_blockindex_copy_of(p->base, &old, &nold) || nold != g.pn)
            return false; /* (lg_livegraph_update made sure of it) */
        pn = g.pn;
        const struct lg_blockindex_change *ch;
        size_t nch;
        if (lg_blockindex_changes(p->base, &ch, &nch)) {
            if (match_changes(p, old, ch, nch))
                return true;
            if (p->oom)
                return false;
            p->dead.n = p->nfresh = 0; /* (the changes did not fit: start again) */
            p->fresh_hi = 0;
        }
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lg_block *b = &sc->blocks[i];
        uint64_t seq = b->seq & LG_SEQ_MASK;
        for (; j < pn && old[j].addr < b->addr; j++)
            if (!ids_push(&p->dead, g.pid[j]))
                return false;
        if (j < pn && old[j].addr == b->addr && (old[j].seq & LG_SEQ_MASK) == seq && old[j].size == b->size) {
            p->cur_id[i] = g.pid[j++];
            continue;
        }
        if (j < pn && old[j].addr == b->addr && !ids_push(&p->dead, g.pid[j++]))
            return false; /* the same address, another allocation */
        fresh_at(p, i);
    }
    for (; j < pn; j++)
        if (!ids_push(&p->dead, g.pid[j]))
            return false;
    return true;
}

/* ---- births and deaths ---- */

/* Kept start pointers to the dead ids flagged in tm refer to nothing now. */
static void clear_dangling(struct pass *p)
{
    for (uint32_t id = 0; id < g.nid; id++) {
        struct word *w = &g.pool[g.rec[id].row];
        for (uint32_t k = 0; k < g.rec[id].len; k++) {
            if ((w[k].target & W_SLOW) || tid(w[k].target) == W_ID || !g.tm[w[k].target])
                continue;
            if (g.flags[id] & F_TOUCHED) { /* a clean stretch rescan_diff kept: looked up now */
                uint32_t t = w[k].target = resolve(p, g.pos[id], w[k].value, w[k].off);
                g.flags[id] |= t & W_SLOW ? F_SLOW : t == W_ID ? F_NONE : 0; /* (listed with the touched) */
                if (!(t & W_SLOW) && t != W_ID)
                    g.rec[t].indeg++;
                if (definite(t))
                    seed(p, id, t);
                continue;
            }
            w[k].target = W_ID;
            if (!(g.flags[id] & F_NONE)) {
                g.flags[id] |= F_NONE;
                if (!ids_push(&g.none, id))
                    p->oom = true;
            }
        }
    }
}

/* Drops the dead blocks' rows; their flags go, so nothing below takes them for live.
 * They are in g.dead until release_dead: a dirty row's word into one is looked up again
 * by rescan_diff, like a changed word (a pass of its own over the dirty rows, before,
 * missed the cache on each as rescan_diff then did again). */
static void drop_dead(struct pass *p)
{
    for (size_t k = 0; k < p->dead.n; k++) {
        uint32_t d = p->dead.v[k];
        drop_row(p, d, true);
        g.flags[d] = 0;
        g.dead[d / 64] |= 1ull << (d % 64);
    }
}

/* ---- the marking tree ---- */

static void link_child(uint32_t v, uint32_t parent)
{
    struct tnode *tv = &g.t[v];
    tv->parent = parent;
    tv->prev = tv->next = NIL;
    if (parent >= P_DETACHED)
        return;
    struct tnode *tp = &g.t[parent];
    tv->next = tp->first;
    if (tp->first != NIL)
        g.t[tp->first].prev = v;
    tp->first = v;
}

static void unlink_child(uint32_t v)
{
    struct tnode *tv = &g.t[v];
    if (tv->parent >= P_DETACHED)
        return;
    if (tv->prev != NIL)
        g.t[tv->prev].next = tv->next;
    else
        g.t[tv->parent].first = tv->next;
    if (tv->next != NIL)
        g.t[tv->next].prev = tv->prev;
}

/* The dead leave the tree; their children are detached, and suspects. */
static void bury_tree(struct pass *p)
{
    for (size_t k = 0; k < p->dead.n; k++)
        if (g.mk[p->dead.v[k]])
            unlink_child(p->dead.v[k]);
    for (size_t k = 0; k < p->dead.n; k++)
        g.tm[p->dead.v[k]] = 3;
    for (size_t k = 0; k < p->dead.n; k++) {
        uint32_t c = g.t[p->dead.v[k]].first;
        while (c != NIL) {
            uint32_t next = g.t[c].next;
            g.t[c] = (struct tnode){P_DETACHED, g.t[c].first, NIL, NIL};
            if (!g.tm[c])
                suspect(p, c);
            c = next;
        }
    }
    for (size_t k = 0; k < p->dead.n; k++)
        g.tm[p->dead.v[k]] = 0;
}

/* The dead leave the marking tree; their ids stay taken until release_dead, so that a
 * word into one is not taken for a word into a block born now. */
static void bury_dead(struct pass *p)
{
    bury_tree(p);
    for (size_t k = 0; k < p->dead.n; k++) {
        uint32_t d = p->dead.v[k];
        g.pos[d] = DEAD;
        g.t[d] = (struct tnode){P_NONE, NIL, NIL, NIL};
        g.mk[d] = 0;
    }
}

/* Frees the dead ids, once every row that will go has gone: kept start pointers still
 * referring to one are in clean rows, dangling, and refer to nothing now. */
static bool release_dead(struct pass *p)
{
    bool dangling = false;
    for (size_t k = 0; k < p->dead.n; k++) {
        uint32_t d = p->dead.v[k];
        dangling |= g.rec[d].indeg != 0;
        g.tm[d] = g.rec[d].indeg != 0;
    }
    if (dangling)
        clear_dangling(p);
    for (size_t k = 0; k < p->dead.n; k++) {
        uint32_t d = p->dead.v[k];
        g.tm[d] = 0;
        g.rec[d].indeg = 0;
        g.dead[d / 64] &= ~(1ull << (d % 64));
        if (!ids_push(&g.free_ids, d))
            return false;
    }
    return !p->oom;
}

static bool give_ids(struct pass *p)
{
    for (size_t k = 0; k < p->nfresh; k++) {
        uint32_t id;
        if (g.free_ids.n) {
            id = g.free_ids.v[--g.free_ids.n];
        } else {
            if (g.nid >= W_ID || !grow_ids(g.nid + 1))
                return false;
            id = (uint32_t)g.nid++;
        }
        g.rec[id].len = g.rec[id].indeg = 0;
        g.flags[id] = F_TOUCHED;
        g.t[id] = (struct tnode){P_NONE, NIL, NIL, NIL};
        g.mk[id] = 0;
        p->cur_id[p->fresh[k]] = id;
        if (!ids_push(&p->touched, id))
            return false;
    }
    if (p->nfresh || p->dead.n || g.pn != p->sc->n)
        for (size_t i = 0; i < p->sc->n; i++)
            g.pos[p->cur_id[i]] = (uint32_t)i;
    return true;
}

/* ---- what changed in clean rows ---- */

/* A row changed: the children it parented that it no longer refers to definitely. */
static void check_cands(struct pass *p, uint32_t holder, const uint32_t *pair, size_t npairs)
{
    const struct word *w = &g.pool[g.rec[holder].row];
    for (uint32_t k = 0; k < g.rec[holder].len; k++)
        if (definite(w[k].target))
            g.tm[tid(w[k].target)] = 1;
    for (size_t c = 0; c < npairs; c++) /* pairs (child, holder) */
        if (g.t[pair[2 * c]].parent == holder && !g.tm[pair[2 * c]])
            suspect(p, pair[2 * c]);
    for (uint32_t k = 0; k < g.rec[holder].len; k++)
        if (definite(w[k].target))
            g.tm[tid(w[k].target)] = 0;
}

static void check_all_cands(struct pass *p)
{
    for (size_t a = 0; a < p->cand.n;) {
        uint32_t holder = p->cand.v[a + 1];
        size_t b = a;
        while (b < p->cand.n && p->cand.v[b + 1] == holder)
            b += 2;
        check_cands(p, holder, &p->cand.v[a], (b - a) / 2);
        a = b;
    }
}

/* Takes id into the rebuilt list l once (F_LISTED); false when it was there already or
 * no longer has what the list is for. */
static bool list_once(struct pass *p, struct ids *l, uint32_t id, uint8_t flag)
{
    if (!(g.flags[id] & flag) || (g.flags[id] & F_LISTED))
        return false;
    g.flags[id] |= F_LISTED;
    if (!ids_push(l, id))
        p->oom = true;
    return true;
}

static void unlist(struct ids *l)
{
    for (size_t k = 0; k < l->n; k++)
        g.flags[l->v[k]] &= (uint8_t)~F_LISTED;
}

/* Looks up again the words of a clean row that referred to nothing, when a block born
 * since is where they point. */
static void resolve_none_row(struct pass *p, uint32_t id)
{
    struct word *w = &g.pool[g.rec[id].row];
    bool left = false;
    for (uint32_t x = 0; x < g.rec[id].len; x++) {
        if (w[x].target != W_ID)
            continue;
        uint32_t t = in_fresh(p, w[x].value) ? resolve(p, g.pos[id], w[x].value, w[x].off) : W_ID;
        w[x].target = t;
        if (t == W_ID) {
            left = true;
            continue;
        }
        if (t & W_SLOW) {
            if (!(g.flags[id] & F_SLOW) && !ids_push(&g.slow, id))
                p->oom = true;
            g.flags[id] |= F_SLOW;
        } else {
            g.rec[t].indeg++;
        }
        if (definite(t))
            seed(p, id, t);
    }
    if (!left)
        g.flags[id] &= (uint8_t)~F_NONE;
}

/* Words of clean rows that referred to nothing: a block born since may be there. */
static void resolve_none(struct pass *p)
{
    struct ids *l = &w_list;
    l->n = 0;
    for (size_t k = 0; k < g.none.n; k++) {
        uint32_t id = g.none.v[k];
        if (list_once(p, l, id, F_NONE) && p->nfresh && !(g.flags[id] & F_TOUCHED))
            resolve_none_row(p, id);
    }
    unlist(l);
    struct ids t = g.none;
    g.none = *l;
    *l = t;
}

/* Looks up again the interior pointers of a clean row; a child it parented through one
 * that changed is a candidate. */
static void resolve_slow_row(struct pass *p, uint32_t id)
{
    struct word *w = &g.pool[g.rec[id].row];
    size_t c0 = p->cand.n;
    for (uint32_t x = 0; x < g.rec[id].len; x++) {
        uint32_t old = w[x].target;
        if (!(old & W_SLOW))
            continue;
        uint32_t t = resolve(p, g.pos[id], w[x].value, w[x].off);
        w[x].target = t == W_ID ? W_SLOW | W_INTER | W_ID : (t | W_SLOW);
        /* the same id may be another block now (freed, and its id reused by one born at
         * that address): a definite target not reached yet is a new reference */
        if (w[x].target == old && !(definite(old) && !g.mk[tid(old)]))
            continue;
        if (definite(old) && g.t[tid(old)].parent == id && (!ids_push(&p->cand, tid(old)) || !ids_push(&p->cand, id)))
            p->oom = true;
        if (definite(w[x].target))
            seed(p, id, w[x].target);
    }
    if (p->cand.n > c0) {
        check_cands(p, id, &p->cand.v[c0], (p->cand.n - c0) / 2);
        p->cand.n = c0;
    }
}

/* Interior pointers of clean rows, looked up again. */
static void resolve_slow(struct pass *p)
{
    struct ids *l = &w_list;
    l->n = 0;
    for (size_t k = 0; k < g.slow.n; k++) {
        uint32_t id = g.slow.v[k];
        if (list_once(p, l, id, F_SLOW) && !(g.flags[id] & F_TOUCHED))
            resolve_slow_row(p, id);
    }
    unlist(l);
    struct ids t = g.slow;
    g.slow = *l;
    *l = t;
}

/* The roots' definite targets, those of lasting roots first; a root-parented block no
 * root refers to now is a suspect. */
static void new_roots(struct pass *p, const struct lg_live_edge *e, size_t nstable, size_t ne)
{
    for (size_t k = 0; k < ne; k++)
        if (!(e[k].to & LG_LIVE_INTERIOR))
            g.tm[p->cur_id[e[k].to]] = 1;
    for (size_t k = 0; k < g.roots.n; k++) {
        uint32_t o = g.roots.v[k];
        if (g.mk[o] && g.t[o].parent == P_ROOT && !g.tm[o])
            suspect(p, o);
    }
    g.roots.n = 0;
    for (size_t k = 0; k < ne; k++) {
        if (k == nstable)
            g.nstable = g.roots.n;
        if ((e[k].to & LG_LIVE_INTERIOR) && !ids_push(&p->rint, p->cur_id[e[k].to & ~LG_LIVE_INTERIOR]))
            p->oom = true;
        if (e[k].to & LG_LIVE_INTERIOR)
            continue;
        uint32_t id = p->cur_id[e[k].to];
        if (g.tm[id]) {
            g.tm[id] = 0;
            if (!ids_push(&g.roots, id))
                p->oom = true;
        }
    }
    if (nstable >= ne)
        g.nstable = g.roots.n;
}

/* ---- the mark ---- */

static void reach(struct pass *p, uint32_t v, uint32_t parent)
{
    if (g.mk[v])
        return;
    g.mk[v] = 1;
    link_child(v, parent);
    p->queue.v[p->queue.n++] = v; /* sized for every id: a block enters once */
}

#define AHEAD_REC 16 /* queue places ahead whose record is prefetched */
#define AHEAD_ROW 8  /* and whose row */

static void drain(struct pass *p)
{
    const uint32_t *q = p->queue.v;
    for (size_t h = p->qhead; h < p->queue.n; h++) {
        if (h + AHEAD_REC < p->queue.n)
            prefetch(&g.rec[q[h + AHEAD_REC]]);
        if (h + AHEAD_ROW < p->queue.n)
            prefetch(&g.pool[g.rec[q[h + AHEAD_ROW]].row]);
        uint32_t b = q[h];
        const struct word *w = &g.pool[g.rec[b].row];
        for (uint32_t k = 0; k < g.rec[b].len; k++)
            if (definite(w[k].target))
                reach(p, tid(w[k].target), b);
    }
    p->qhead = p->queue.n;
}

/* Marks D, the suspects and everything below them in the tree (tm = 4), or says the
 * whole mark is cheaper. */
static bool below_suspects(struct pass *p, struct ids *d)
{
    d->n = 0;
    for (size_t k = 0; k < p->sus.n; k++) {
        uint32_t v = p->sus.v[k];
        if (g.mk[v] && g.tm[v] != 4) {
            if (!ids_push(d, v))
                return p->oom = true, false; /* tm set only with the push: unmark clears d */
            g.tm[v] = 4;
        }
    }
    for (size_t h = 0; h < d->n && d->n <= g.nid / 4; h++)
        for (uint32_t c = g.t[d->v[h]].first; c != NIL; c = g.t[c].next)
            if (g.tm[c] != 4) {
                if (!ids_push(d, c))
                    return p->oom = true, false;
                g.tm[c] = 4;
            }
    return d->n <= g.nid / 4;
}

static void count_into_d(uint32_t id)
{
    const struct word *w = &g.pool[g.rec[id].row];
    for (uint32_t x = 0; x < g.rec[id].len; x++)
        if (!(w[x].target & W_SLOW) && tid(w[x].target) != W_ID && g.tm[w[x].target] == 4)
            g.cnt[w[x].target]++;
}

/* D (tm 4: still unreached, 6: reached again): whether a row outside D refers to a
 * block still unreached by a word the mark did not follow. It followed the rows of D, the
 * new rows and the new words of the others (when their holders are reached), and, with
 * diffs, every word of the dirty rows: if the start pointers among those account for
 * every one counted (indeg), and no interior pointer elsewhere is definite into D,
 * nothing else does. */
static bool referred_from_outside(const struct pass *p, const struct ids *d, bool diffs)
{
    bool outside = false;
    for (size_t k = 0; k < d->n; k++)
        count_into_d(d->v[k]);
    for (size_t k = 0; k < p->touched.n; k++) {
        uint32_t u = p->touched.v[k];
        if (g.tm[u] != 4 && g.tm[u] != 6 && (diffs || !(g.flags[u] & F_DIFF)))
            count_into_d(u);
    }
    for (size_t k = 0; k < p->seeds.n; k += 2) { /* what the others' new words refer to */
        uint32_t u = p->seeds.v[k], t = p->seeds.v[k + 1];
        if ((t & SEED_PLAIN) && g.tm[u] != 4 && g.tm[u] != 6 && g.tm[t & ~SEED_PLAIN] == 4 &&
            !(diffs && (g.flags[u] & F_DIFF))) /* (counted with their rows then) */
            g.cnt[t & ~SEED_PLAIN]++;
    }
    for (size_t k = 0; k < d->n; k++) {
        outside |= g.tm[d->v[k]] == 4 && g.cnt[d->v[k]] != g.rec[d->v[k]].indeg;
        g.cnt[d->v[k]] = 0;
    }
    for (size_t k = 0; k < g.slow.n && !outside; k++) {
        uint32_t id = g.slow.v[k];
        const struct word *w = &g.pool[g.rec[id].row];
        bool in_d = g.tm[id] == 4 || g.tm[id] == 6;
        for (uint32_t x = 0; !in_d && !(g.flags[id] & F_TOUCHED) && x < g.rec[id].len; x++)
            outside |= (w[x].target & W_SLOW) && definite(w[x].target) && g.tm[tid(w[x].target)] == 4;
    }
    return outside;
}

/* Follows every word of the reached dirty rows into D's unreached blocks (their
 * unchanged words were not followed: only what changed was), then marks D's blocks
 * reached again (tm 6). Returns whether some are still unreached. */
static bool reach_from_diffs(struct pass *p, const struct ids *d)
{
    for (size_t k = 0; k < p->touched.n; k++) {
        uint32_t u = p->touched.v[k];
        if (!(g.flags[u] & F_DIFF) || !g.mk[u] || g.tm[u] == 4 || g.tm[u] == 6)
            continue;
        const struct word *w = &g.pool[g.rec[u].row];
        for (uint32_t x = 0; x < g.rec[u].len; x++)
            if (definite(w[x].target) && idf_has(tid(w[x].target)) && g.tm[tid(w[x].target)] == 4)
                reach(p, tid(w[x].target), u);
    }
    drain(p);
    bool left = false;
    for (size_t k = 0; k < d->n; k++) {
        g.tm[d->v[k]] = g.mk[d->v[k]] ? 6 : 4;
        left |= !g.mk[d->v[k]];
    }
    return left;
}

/* Takes D, the suspects and the blocks below them, out of the mark (tm 4 until the mark
 * is done). *all: D is too large, mark everything from the roots instead. */
static bool unmark_suspects(struct pass *p, bool *all)
{
    struct ids *d = &w_list;
    bool ok = below_suspects(p, d);
    for (size_t k = 0; ok && k < d->n; k++)
        if (g.t[d->v[k]].parent < P_DETACHED && g.tm[g.t[d->v[k]].parent] != 4)
            unlink_child(d->v[k]);
    for (size_t k = 0; ok && k < d->n; k++) {
        g.t[d->v[k]] = (struct tnode){P_NONE, NIL, NIL, NIL};
        g.mk[d->v[k]] = 0;
    }
    *all = !ok;
    if (!ok) {
        for (size_t k = 0; k < d->n; k++)
            g.tm[d->v[k]] = 0;
        d->n = 0;
    }
    return !p->oom;
}

/* After the mark from what changed: the blocks of D it did not reach again may still be
 * referred to by a clean row; if so, one pass over every kept row finds those that are
 * reached, and the mark goes on from them. Then D's marks go. */
static void finish_suspects(struct pass *p)
{
    struct ids *d = &w_list;
    bool left = false;
    for (size_t k = 0; k < d->n; k++) {
        g.tm[d->v[k]] = g.mk[d->v[k]] ? 6 : 4;
        left |= !g.mk[d->v[k]];
    }
    /* A clean row or a dirty row's unchanged word may refer to them: the dirty rows
     * first (a pass over them, where the one below is over every row), and only if a
     * reference from elsewhere is still unaccounted for, every row. */
    for (size_t k = 0; left && k < d->n; k++)
        if (g.tm[d->v[k]] == 4)
            idf_add(d->v[k]);
    if (left && referred_from_outside(p, d, false) && (p->scanned_diffs = true, reach_from_diffs(p, d)) &&
        referred_from_outside(p, d, true)) {
        p->scanned_rows = true;
        for (uint32_t id = 0; id < g.nid; id++) {
            const struct word *w = &g.pool[g.rec[id].row];
            for (uint32_t x = 0; g.mk[id] && x < g.rec[id].len; x++)
                if (definite(w[x].target) && idf_has(tid(w[x].target)) && g.tm[tid(w[x].target)] == 4)
                    reach(p, tid(w[x].target), id);
        }
        drain(p);
    }
    if (left)
        idf_clear();
    for (size_t k = 0; k < d->n; k++)
        g.tm[d->v[k]] = 0;
    d->n = 0;
}

/* Lasting roots first, then what changed, then stacks and registers: a block reached
 * through the heap as well as from a stack gets a parent that outlives the stop. */
static bool mark(struct pass *p, bool *from_roots)
{
    p->queue.n = p->qhead = 0;
    w_list.n = 0; /* D, for finish_suspects */
    if (!lg_grow((void **)&p->queue.v, &p->queue.cap, g.nid + 1, sizeof *p->queue.v))
        return false;
    if (!*from_roots && p->sus.n && !unmark_suspects(p, from_roots))
        return false;
    if (*from_roots) {
        memset(g.mk, 0, g.nid);
        for (uint32_t id = 0; id < g.nid; id++)
            g.t[id] = (struct tnode){P_NONE, NIL, NIL, NIL};
    }
    for (size_t k = 0; k < g.nstable; k++)
        reach(p, g.roots.v[k], P_ROOT);
    if (!*from_roots) {
        for (size_t k = 0; k < p->touched.n; k++) { /* new and piecewise rows: all new */
            uint32_t u = p->touched.v[k];
            const struct word *w = &g.pool[g.rec[u].row];
            for (uint32_t x = 0; !(g.flags[u] & F_DIFF) && g.mk[u] && x < g.rec[u].len; x++)
                if (definite(w[x].target))
                    reach(p, tid(w[x].target), u);
        }
        for (size_t k = 0; k < p->seeds.n; k += 2)
            if (g.mk[p->seeds.v[k]])
                reach(p, p->seeds.v[k + 1] & ~SEED_PLAIN, p->seeds.v[k]);
    }
    drain(p);
    for (size_t k = g.nstable; k < g.roots.n; k++)
        reach(p, g.roots.v[k], P_ROOT);
    drain(p);
    if (!*from_roots)
        finish_suspects(p);
    return true;
}

/* ---- what the classification gets ---- */

static bool sub_edge(uint32_t from, uint32_t to)
{
    if (w_sub_e.n == w_sub_e.cap && !lg_grow((void **)&w_sub_e.v, &w_sub_e.cap, w_sub_e.n + 1, sizeof *w_sub_e.v))
        return false;
    w_sub_e.v[w_sub_e.n++] = (struct lg_live_edge){from, to};
    return true;
}

/* The interior references into the unreached (cnt[id]: 1 + its number) from the roots
 * and from reached rows, as from the roots. */
static bool sub_seeds(struct pass *p)
{
    for (size_t k = 0; k < p->rint.n; k++)
        if (g.cnt[p->rint.v[k]] && !sub_edge(LG_LIVE_ROOT, (g.cnt[p->rint.v[k]] - 1) | LG_LIVE_INTERIOR))
            return false;
    for (size_t k = 0; k < g.slow.n; k++) {
        uint32_t id = g.slow.v[k];
        const struct word *w = &g.pool[g.rec[id].row];
        for (uint32_t x = 0; g.mk[id] && x < g.rec[id].len; x++) {
            uint32_t t = w[x].target;
            if ((t & W_INTER) && tid(t) != W_ID && g.cnt[tid(t)] &&
                !sub_edge(LG_LIVE_ROOT, (g.cnt[tid(t)] - 1) | LG_LIVE_INTERIOR))
                return false;
        }
    }
    return true;
}

/* The blocks not reached, numbered in address order, and their references. */
static bool give(struct pass *p, struct lg_live_sub *sub)
{
    struct ids *u = &w_sub_pos;
    u->n = w_sub_e.n = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < p->sc->n; i++) {
        uint32_t id = p->cur_id[i];
        if (!g.mk[id]) {
            ok = ids_push(u, (uint32_t)i);
            g.cnt[id] = (uint32_t)u->n;
        }
    }
    ok = ok && sub_seeds(p);
    for (size_t c = 0; ok && c < u->n; c++) {
        uint32_t id = p->cur_id[u->v[c]];
        const struct word *w = &g.pool[g.rec[id].row];
        for (uint32_t k = 0; ok && k < g.rec[id].len; k++) {
            uint32_t t = w[k].target;
            if (tid(t) != W_ID && g.cnt[tid(t)])
                ok = sub_edge((uint32_t)c, (g.cnt[tid(t)] - 1) | (t & W_INTER ? LG_LIVE_INTERIOR : 0));
        }
    }
    for (size_t c = 0; c < u->n; c++)
        g.cnt[p->cur_id[u->v[c]]] = 0;
    *sub = (struct lg_live_sub){u->n, u->v, w_sub_e.v, w_sub_e.n};
    return ok;
}

/* ---- the collection ---- */

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

static bool touch(struct pass *p, uint32_t id)
{
    g.flags[id] |= F_TOUCHED;
    return ids_push(&p->touched, id);
}

/* Takes the rows to rescan: dirty blocks (their rows are kept, to rescan against) and
 * the not wholly readable ones (dropped: scanned piece by piece as emitted). */
static bool take_dirty(struct pass *p, const uint64_t *dirty)
{
    for (size_t w = 0; dirty && w < (p->sc->n + 63) / 64; w++) {
        for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
            uint32_t id = i < p->sc->n ? p->cur_id[i] : NEW;
            if (id == NEW || (g.flags[id] & F_TOUCHED))
                continue;
            if (g.flags[id] & F_PARTIAL)
                drop_row(p, id, false);
            else if (g.flags[id] |= F_DIFF, !ids_push(&p->diffs, id))
                return false;
            if (!touch(p, id))
                return false;
        }
    }
    for (size_t k = 0; k < g.partial.n; k++) {
        uint32_t id = g.partial.v[k];
        /* died (flags cleared), or dirty anyway */
        if (!(g.flags[id] & F_PARTIAL) || (g.flags[id] & F_TOUCHED))
            continue;
        drop_row(p, id, false);
        if (!touch(p, id))
            return false;
    }
    /* blocks not wholly readable now that were: their rows hold words no scan reads */
    for (size_t w = 0; p->sc->partial && w < (p->sc->n + 63) / 64; w++) {
        for (uint64_t bits = p->sc->partial[w]; bits; bits &= bits - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
            uint32_t id = i < p->sc->n ? p->cur_id[i] : NEW;
            if (id == NEW || (g.flags[id] & F_TOUCHED))
                continue;
            drop_row(p, id, false);
            if (!touch(p, id))
                return false;
        }
    }
    g.partial.n = 0;
    return !p->oom;
}

/* Compacts the pool when dropped rows fill most of it. */
static void compact(void)
{
    if (g.npool < 2 * g.live + 65536)
        return;
    size_t cap = g.live + g.live / 4 + 4096;
    struct word *np = lg_map(cap * sizeof *np);
    if (!np)
        return;
    size_t k = 0;
    for (uint32_t id = 0; id < g.nid; id++) {
        memcpy(&np[k], &g.pool[g.rec[id].row], g.rec[id].len * sizeof *np);
        g.rec[id].row = k;
        k += g.rec[id].len;
    }
    lg_unmap(g.pool, g.pool_cap * sizeof *g.pool);
    g.pool = np;
    g.pool_cap = cap;
    g.npool = k;
}

/* This collection's blocks become the last collection's: the buffers swap. */
static void keep_positions(struct pass *p)
{
    if (p->unmoved)
        return;
    struct lg_buf t = b_cur_id;
    b_cur_id = b_pid, b_pid = t;
    g.pid = p->cur_id;
    g.pn = p->sc->n;
}

static bool update(struct pass *p, const uint64_t *dirty, bool full, const struct lg_live_edge *roots,
                   size_t nstable, size_t nroots, struct lg_livegraph_stats *st)
{
    if (!match(p, full))
        return false;
    drop_dead(p);
    if (!take_dirty(p, dirty))
        return false;
    bury_dead(p);
    if (!give_ids(p)) /* (not the ids of this collection's dead) */
        return false;
    struct lg_scan *sc = p->sc;
    size_t from = g.npool;
    for (size_t k = 0; k < p->diffs.n; k++) {
        uint32_t id = p->diffs.v[k];
        if (sc->partial && (lg_scan_is_partial(sc, g.pos[id]) || sc->blocks[g.pos[id]].size > UINT32_MAX)) {
            drop_row(p, id, false); /* partly unreadable since */
            g.flags[id] &= (uint8_t)~F_DIFF;
        }
    }
    if (!rescan_touched(p))
        return false;
    resolve_rows(p);
    positions_to_ids(p, from);
    flag_rows(p);
    if (!rescan_diffs(p) || !release_dead(p))
        return false;
    for (size_t k = 0; k < p->touched.n; k++) {
        uint32_t id = p->touched.v[k];
        add_flagged(&g.slow, id, F_SLOW, p);
        add_flagged(&g.none, id, F_NONE, p);
        add_flagged(&g.partial, id, F_PARTIAL, p);
    }
    check_all_cands(p);
    resolve_none(p);
    resolve_slow(p);
    new_roots(p, roots, nstable, nroots);
    if (p->oom)
        return false;
    st->rescanned = p->touched.n;
    st->kept = sc->n - p->touched.n;
    st->suspects = p->sus.n;
    st->remarked = full;
    if (!mark(p, &st->remarked))
        return false;
    st->scanned_rows = p->scanned_rows;
    st->scanned_diffs = p->scanned_diffs;
    for (size_t k = 0; k < p->touched.n; k++)
        g.flags[p->touched.v[k]] &= (uint8_t)~(F_TOUCHED | F_DIFF);
    keep_positions(p);
    return !p->oom;
}

bool lg_livegraph_update(struct lg_scan *sc, uint64_t version, const uint64_t *dirty, const struct lg_dirty_cards *cards,
                         size_t ncards, bool full, const struct lg_live_edge *roots, size_t nstable, size_t nroots,
                         struct lg_live_sub *sub, struct lg_livegraph_stats *st)
{
    struct pass p = {.sc = sc, .cards = cards, .ncards = cards ? ncards : 0, .dead = w_dead, .touched = w_touched,
                     .queue = w_queue, .cand = w_cand, .seeds = w_seeds, .sus = w_sus, .diffs = w_diffs,
                     .rint = w_rint};
    p.dead.n = p.touched.n = p.queue.n = p.cand.n = p.seeds.n = p.sus.n = p.diffs.n = p.rint.n = 0;
    w_unresolved.n = w_pend.n = 0; /* (a failed collection may have left some) */
    memset(st, 0, sizeof *st);
    sc->weak_any = lg_annot_has_weak();
    /* weak slots are not kept as words: while any exist, and once after, rescan all; and
     * without the last collection's block copy nothing can be matched */
    const struct lg_block *last_copy;
    size_t nlast;
    full |= new_window(sc) || !valid || sc->weak_any || g.weak || sc->n >= W_ID ||
            !lg_blockindex_copy_of(g.version, &last_copy, &nlast) || nlast != g.pn;
    if (full) {
        clear();
        (void)new_window(sc);
    }
    g.weak = sc->weak_any;
    st->full = full;
    p.unmoved = !full && g.version == version && g.pn == sc->n;
    p.base = g.version;
    g.version = version;
    void (*emit)(void *, const struct lg_snap_edge *) = sc->emit;
    void *ectx = sc->ctx;
    sc->emit = capture;
    sc->ctx = &p;
    bool ok = update(&p, full ? NULL : dirty, full, roots, nstable, nroots, st);
    sc->emit = emit;
    sc->ctx = ectx;
    ok = ok && give(&p, sub);
    w_dead = p.dead, w_touched = p.touched, w_queue = p.queue, w_cand = p.cand, w_seeds = p.seeds, w_sus = p.sus,
    w_diffs = p.diffs, w_rint = p.rint;
    if (!ok) {
        forget();
        win_lo = win_hi = 0;
        return false;
    }
    valid = true;
    compact();
    return true;
}

void lg_livegraph_window(uintptr_t *lo, uintptr_t *hi)
{
    *lo = win_lo;
    *hi = win_hi;
}

void lg_livegraph_unkept(const struct lg_scan *sc)
{
    forget();
    (void)new_window(sc);
}

void lg_livegraph_reset(void)
{
    forget();
    win_lo = win_hi = 0;
}

/* ---- collect_verify: the kept graph against its invariants ---- */

struct check {
    unsigned collection;
    size_t bad;
    const uintptr_t *sp; /* the stack pointers of the stopped threads and the checker, sorted */
    size_t nsp;
};

/* Whether a thread's stack pointer is inside the block (a coroutine's stack): below it,
 * the stop handler's frames change after the thread acknowledged the stop. */
static bool holds_sp(const struct check *c, const struct lg_block *b)
{
    size_t lo = 0, hi = c->nsp;
    while (lo < hi) { /* the first sp >= b->addr */
        size_t mid = lo + (hi - lo) / 2;
        if (c->sp[mid] < b->addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nsp && c->sp[lo] - b->addr < b->size;
}

static void check_fail(struct check *c, const char *what, uint64_t id, uint64_t a, uint64_t b)
{
    if (c->bad++ < 10)
        lg_log(LG_LOG_ERROR, "collect_verify: MISMATCH at collection %u: the kept graph: %s (id %lu: %lu, %lu)",
               c->collection, what, (unsigned long)id, (unsigned long)a, (unsigned long)b);
}

/* Ids and positions agree, free ids hold nothing, the scratch state is zero. live[id]:
 * 1 for a live id, 2 for a free one. */
static void check_ids(struct check *c, const struct lg_scan *sc, uint8_t *live)
{
    for (size_t w = 0; w < g.dead_cap; w++)
        if (g.dead[w])
            check_fail(c, "a dead id's bit left", w * 64, g.dead[w], 0);
    for (size_t id = 0; id < g.nid; id++)
        if (g.tm[id] || g.cnt[id])
            check_fail(c, "scratch state left", id, g.tm[id], g.cnt[id]);
    if (g.pn != sc->n)
        check_fail(c, "kept positions for another number of blocks", 0, g.pn, sc->n);
    for (size_t i = 0; i < sc->n && i < g.pn; i++) {
        uint32_t id = g.pid[i];
        if (id >= g.nid || live[id] || g.pos[id] != i)
            check_fail(c, "position and id disagree", id, i, id < g.nid ? g.pos[id] : 0);
        else
            live[id] = 1;
    }
    for (size_t k = 0; k < g.free_ids.n; k++) {
        uint32_t id = g.free_ids.v[k];
        if (id >= g.nid || live[id] || g.rec[id].len || g.rec[id].indeg || g.mk[id])
            check_fail(c, "a free id is in use", id, id < g.nid ? g.rec[id].len : 0, id < g.nid ? live[id] : 0);
        else
            live[id] = 2;
    }
    for (size_t id = 0; id < g.nid; id++)
        if (!live[id])
            check_fail(c, "an id neither live nor free", id, 0, 0);
}

/* One live row: its words are the block's words in the window now, in offset order,
 * each start pointer's target the block at its value (counted in cnt), no word
 * referring to nothing where a block starts, and its flags and tree node say so. */
static void check_row(struct check *c, const struct lg_scan *sc, uint32_t id, const uint8_t *live, uint32_t *cnt)
{
    const struct lg_block *b = &sc->blocks[g.pos[id]];
    const struct word *w = &g.pool[g.rec[id].row];
    uint8_t fl = 0;
    for (uint32_t x = 0; x < g.rec[id].len; x++) {
        uint32_t t = w[x].target, ti = tid(t);
        fl |= t & W_SLOW ? F_SLOW : t == W_ID ? F_NONE : 0;
        if (ti == W_ID) {
            long at = (t & W_SLOW) ? -1 : lg_scan_lookup(sc, w[x].value);
            if (at >= 0 && sc->blocks[at].addr == w[x].value)
                check_fail(c, "a word refers to nothing at a block's start", id, w[x].off, (uint64_t)at);
            continue;
        }
        const struct lg_block *tb = ti < g.nid && live[ti] == 1 ? &sc->blocks[g.pos[ti]] : NULL;
        if (!tb)
            check_fail(c, "a word refers to an id not live", id, w[x].off, ti);
        else if (!(t & W_SLOW) && w[x].value != tb->addr)
            check_fail(c, "a start pointer's target is not at its value", id, w[x].off, ti);
        else if ((t & W_SLOW) && (w[x].value < tb->addr || w[x].value - tb->addr > tb->size))
            check_fail(c, "an interior pointer outside its target", id, w[x].off, ti);
        else if (!(t & W_SLOW))
            cnt[ti]++;
    }
    /* (not a block a thread runs on, a coroutine's stack: frames below its stack pointer
     * have changed since the block was read, the checker's own and a stopped thread's
     * stop handler after it acknowledged the stop) */
    if (!(g.flags[id] & F_PARTIAL) && !holds_sp(c, b)) {
        uint32_t x = 0;
        for (uintptr_t q = (b->addr + 7) & ~(uintptr_t)7; q + 8 <= b->addr + b->size; q += 8) {
            uintptr_t v = *(const volatile uintptr_t *)q;
            if (v - win_lo >= win_hi - win_lo)
                continue;
            if (x >= g.rec[id].len || w[x].off != (uint32_t)(q - b->addr) || w[x].value != v) {
                check_fail(c, "a row differs from its block", id, q - b->addr, x);
                x = UINT32_MAX;
                break;
            }
            x++;
        }
        if (x != UINT32_MAX && x != g.rec[id].len)
            check_fail(c, "a row longer than its block's words", id, x, g.rec[id].len);
    }
    if ((fl & ~g.flags[id]) || (g.flags[id] & (F_TOUCHED | F_DIFF | F_LISTED)))
        check_fail(c, "a row's flags", id, fl, g.flags[id]);
    uint32_t par = g.t[id].parent;
    if (g.mk[id] != (par != P_NONE) || (par < P_DETACHED && (par >= g.nid || live[par] != 1 || !g.mk[par])))
        check_fail(c, "a tree node", id, par, g.mk[id]);
}

/* Shell sort: qsort may allocate, and other threads are stopped. */
static void sort_uptr(uintptr_t *v, size_t n)
{
    for (size_t gap = n / 2; gap; gap /= 2)
        for (size_t i = gap; i < n; i++)
            for (size_t k = i; k >= gap && v[k - gap] > v[k]; k -= gap) {
                uintptr_t t = v[k];
                v[k] = v[k - gap];
                v[k - gap] = t;
            }
}

size_t lg_livegraph_check(const struct lg_scan *sc, unsigned collection, uintptr_t *sp, size_t nsp)
{
    struct check c = {collection, 0, sp, nsp};
    sort_uptr(sp, nsp);
    if (!valid || g.weak || sc->weak_any)
        return 0; /* nothing kept, or weak slots left out of the rows */
    uint8_t *live = lg_map(g.nid + 1);
    uint32_t *cnt = lg_map((g.nid + 1) * sizeof *cnt);
    if (live && cnt) {
        check_ids(&c, sc, live);
        for (uint32_t id = 0; id < g.nid; id++)
            if (live[id] == 1)
                check_row(&c, sc, id, live, cnt);
        for (uint32_t id = 0; id < g.nid; id++)
            if (live[id] == 1 && g.rec[id].indeg != cnt[id])
                check_fail(&c, "an in-degree", id, g.rec[id].indeg, cnt[id]);
        for (size_t k = 0; k < g.none.n; k++)
            live[g.none.v[k]] |= 4;
        for (size_t k = 0; k < g.slow.n; k++)
            live[g.slow.v[k]] |= 8;
        for (size_t k = 0; k < g.partial.n; k++)
            live[g.partial.v[k]] |= 16;
        for (uint32_t id = 0; id < g.nid; id++)
            if ((live[id] & 3) == 1 && (((g.flags[id] & F_NONE) && !(live[id] & 4)) ||
                                       ((g.flags[id] & F_SLOW) && !(live[id] & 8)) ||
                                       ((g.flags[id] & F_PARTIAL) && !(live[id] & 16))))
                check_fail(&c, "a flagged row not listed", id, g.flags[id], live[id]);
    } else {
        lg_log(LG_LOG_WARN, "collect_verify: out of tracer memory; the kept graph not checked");
    }
    lg_unmap(live, g.nid + 1);
    lg_unmap(cnt, (g.nid + 1) * sizeof *cnt);
    return c.bad;
}
