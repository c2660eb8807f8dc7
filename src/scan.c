/* Block index, lookups and Valgrind's interior-pointer heuristics. */
#include "scan.h"

#include "annot.h"
#include "arena.h"
#include "blockindex.h"

#include <malloc.h>
#include <string.h>

#define GRANULE_SHIFT LG_SCAN_GRANULE_SHIFT
#define LARGE_BLOCK (64u << 10)

bool lg_scan_sort(struct lg_block *b, size_t n)
{
    if (n < 2)
        return true;
    struct lg_block *tmp = lg_map_populated(n * sizeof *tmp);
    uint32_t *count = lg_map(65536 * sizeof *count);
    if (!tmp || !count) {
        lg_unmap(tmp, n * sizeof *tmp);
        lg_unmap(count, 65536 * sizeof *count);
        return false;
    }
    uint64_t all_or = 0, all_and = ~0ull;
    for (size_t i = 0; i < n; i++) {
        all_or |= b[i].addr;
        all_and &= b[i].addr;
    }
    struct lg_block *src = b, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 16) {
        if ((((all_or ^ all_and) >> shift) & 0xffff) == 0)
            continue; /* this digit is the same everywhere */
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(src[i].addr >> shift) & 0xffff]++;
        uint32_t sum = 0;
        for (int d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].addr >> shift) & 0xffff]++] = src[i];
        struct lg_block *t = src;
        src = dst;
        dst = t;
    }
    if (src != b)
        memcpy(b, src, n * sizeof *b);
    lg_unmap(tmp, n * sizeof *tmp);
    lg_unmap(count, 65536 * sizeof *count);
    return true;
}

/* gcc's dead code elimination dropped __builtin_prefetch here (gcc 12, -O1 and up): the
 * instruction itself, which nothing can drop. */
static inline void prefetch(const void *p) { __asm__ volatile("prefetcht0 (%0)" : : "r"(p)); }

static inline uint64_t ghash(uint64_t g) { return (g * 0x9E3779B97F4A7C15ull) >> 17; }

/* Granule g's slot in the hash table: its own, or the empty one it would take. */
static uint64_t gslot(const struct lg_scan *s, uint64_t g)
{
    uint64_t i = ghash(g) & s->gmask;
    while (s->gkey[i] && s->gkey[i] != g + 1)
        i = (i + 1) & s->gmask;
    return i;
}

/* Granule g's walk starts at block idx, or at the lower block it names already. */
static void gput(struct lg_scan *s, uint64_t g, uint32_t idx)
{
    uint64_t i = gslot(s, g);
    if (s->gkey[i]) {
        s->gval[i] = idx < s->gval[i] ? idx : s->gval[i];
        return;
    }
    s->gkey[i] = g + 1;
    s->gval[i] = idx;
    s->gused++;
}

#define NO_BLOCK UINT32_MAX
#define DENSE_GAP (256ull << 20) /* a gap this large starts a new run */

static inline bool in_dense(const struct lg_scan *s, uintptr_t a) { return a - s->dense_lo < s->dense_hi - s->dense_lo; }

static inline bool is_partial(const struct lg_scan *s, size_t i)
{
    return s->partial && (s->partial[i / 64] >> (i % 64) & 1);
}

/* What one pass over the sorted blocks tells the index: the run of blocks with no gap
 * over DENSE_GAP that holds the most blocks (the dense array's candidate), the highest
 * end + 1 of its blocks the granules take, their granules, and every such block's. One
 * pass, with the readability check in it: a million records are 32 MB, and each pass
 * over them cost 3-4 ms of a collection's pause (there were six). */
struct summary {
    size_t best_lo, best_n;
    uintptr_t best_hi;
    uint64_t best_granules, granules;
};

/* A block's last byte (its start when it is empty): the granules it takes end there. */
static inline uint64_t last_byte(const struct lg_block *b) { return b->addr + (b->size ? b->size - 1 : 0); }

static inline uint64_t granules_of(const struct lg_block *b)
{
    return (last_byte(b) >> GRANULE_SHIFT) - (b->addr >> GRANULE_SHIFT) + 1;
}

/* Whether [a, b) lies in readable memory; k: the walk's place in the sorted mappings. */
static inline bool readable(const struct lg_maps *m, size_t *k, uintptr_t a, uintptr_t b)
{
    while (*k < m->n && m->ent[*k].hi <= a)
        (*k)++;
    const struct lg_map_ent *e = *k < m->n ? &m->ent[*k] : NULL;
    if (a == b || (e && e->lo <= a && b <= e->hi && (e->flags & LG_MAP_R) &&
                   !(e->flags & (LG_MAP_SPECIAL | LG_MAP_DEVICE))))
        return true;
    return lg_maps_scannable(m, a, b);
}

static bool summarize(struct lg_scan *s, struct summary *u)
{
    size_t lo = 0, k = 0;
    uintptr_t run_hi = 0;
    uint64_t run_granules = 0;
    memset(u, 0, sizeof *u);
    for (size_t i = 0; i <= s->n; i++) {
        if (i == s->n || (i && s->blocks[i].addr - s->blocks[i - 1].addr >= DENSE_GAP)) {
            if (i - lo > u->best_n)
                *u = (struct summary){lo, i - lo, run_hi, run_granules, u->granules};
            if (i == s->n)
                break;
            lo = i, run_hi = 0, run_granules = 0;
        }
        const struct lg_block *b = &s->blocks[i];
        uintptr_t end = b->addr + b->size;
        s->hi = end > s->hi ? end : s->hi;
        if (b->size <= LARGE_BLOCK) {
            uint64_t gr = granules_of(b);
            run_granules += gr;
            u->granules += gr;
            run_hi = end + 1 > run_hi ? end + 1 : run_hi;
        }
        if (!s->maps || readable(s->maps, &k, b->addr, end))
            continue;
        if (!s->partial && !(s->partial = lg_map((s->n + 63) / 64 * 8)))
            return false;
        s->partial[i / 64] |= 1ull << (i % 64);
    }
    return true;
}

/* Gives the best run a direct array when that costs at most 4 words per block: lookups
 * there touch one small array instead of probing a hash table. */
static bool build_dense(struct lg_scan *s, const struct summary *u)
{
    if (u->best_n < 1024)
        return true;
    uintptr_t dlo = s->blocks[u->best_lo].addr & ~(uintptr_t)((1u << GRANULE_SHIFT) - 1);
    uint64_t ng = ((u->best_hi - dlo) >> GRANULE_SHIFT) + 1;
    if (u->best_hi <= dlo || ng > 8 * (uint64_t)u->best_n)
        return true;
    s->dense = lg_map_populated(ng * sizeof *s->dense);
    if (!s->dense)
        return false;
    memset(s->dense, 0xff, ng * sizeof *s->dense);
    s->dense_lo = dlo;
    s->dense_hi = dlo + (ng << GRANULE_SHIFT);
    s->ndense = ng;
    return true;
}

/* The best run's blocks but the large ones are in the dense array (when there is one):
 * a block of another run is over DENSE_GAP away from it, larger than LARGE_BLOCK. */
static bool build_index(struct lg_scan *s, const struct summary *u)
{
    if (!build_dense(s, u))
        return false;
    /* only the blocks outside the dense array go into the hash table: sized for all of
     * them, its mapping (tens of MB on a million blocks, populated) cost more than the rest */
    uint64_t entries = u->granules - (s->dense ? u->best_granules : 0);
    uint64_t slots = 1024;
    while (slots < entries * 2)
        slots *= 2;
    s->gmask = slots - 1;
    s->gkey = lg_map_populated(slots * sizeof *s->gkey);
    s->gval = lg_map_populated(slots * sizeof *s->gval);
    s->large_cap = s->n + 1;
    s->large = lg_map(s->large_cap * sizeof *s->large);
    if (!s->gkey || !s->gval || !s->large)
        return false;
    size_t dense_end = s->dense ? u->best_lo + u->best_n : 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct lg_block *b = &s->blocks[i];
        if (b->size > LARGE_BLOCK) {
            s->large[s->nlarge++] = (uint32_t)i;
            continue;
        }
        uint64_t end = last_byte(b);
        if (i >= u->best_lo && i < dense_end) {
            for (uint64_t g = (b->addr - s->dense_lo) >> GRANULE_SHIFT; g <= (end - s->dense_lo) >> GRANULE_SHIFT; g++)
                if (s->dense[g] == NO_BLOCK)
                    s->dense[g] = (uint32_t)i;
            continue;
        }
        for (uint64_t g = b->addr >> GRANULE_SHIFT; g <= end >> GRANULE_SHIFT; g++)
            gput(s, g, (uint32_t)i);
    }
    return true;
}

static bool index_sorted(struct lg_scan *s);

/* Live blocks never overlap, but a record can outlive its block: a free the tracer could
 * not take (a signal handler's, while its thread held a table lock) leaves it until a
 * block takes the same address, and glibc may carve smaller blocks out of the chunk
 * meanwhile. Of two sorted records that overlap, the older allocation (lower sequence
 * number) is the stale one: it goes from the copy (the snapshot reader rejects overlaps,
 * and the look-ups assume none). Returns the records left. */
static size_t drop_overlaps(struct lg_block *b, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = true;
        while (k && b[i].addr < b[k - 1].addr + b[k - 1].size) {
            if ((b[i].seq & LG_SEQ_MASK) < (b[k - 1].seq & LG_SEQ_MASK)) {
                keep = false; /* b[i] is the stale one */
                break;
            }
            k--; /* b[k - 1] was */
        }
        if (keep)
            b[k++] = b[i];
    }
    return k;
}

bool lg_scan_prepare(struct lg_scan *s, const struct lg_maps *maps)
{
    size_t slack = 1024;
    memset(s, 0, sizeof *s);
    s->maps = maps;
    s->weak_any = lg_annot_has_weak();
    for (;;) {
        struct lg_blocks_stats st;
        lg_blocks_stats(&st, true);
        s->cap = st.live_blocks + slack;
        s->blocks = lg_map_populated(s->cap * sizeof *s->blocks);
        if (!s->blocks)
            return false;
        s->n = lg_blocks_copy_locked(s->blocks, s->cap);
        if (s->n <= s->cap)
            break;
        lg_unmap(s->blocks, s->cap * sizeof *s->blocks);
        slack *= 4;
    }
    if (!lg_scan_sort(s->blocks, s->n))
        return false;
    s->n = drop_overlaps(s->blocks, s->n);
    return index_sorted(s);
}

bool lg_scan_prepare_sorted(struct lg_scan *s, const struct lg_maps *maps, struct lg_block *blocks, size_t n)
{
    memset(s, 0, sizeof *s);
    s->maps = maps;
    s->weak_any = lg_annot_has_weak();
    s->blocks = blocks;
    s->n = s->cap = n;
    s->borrowed = true;
    return index_sorted(s);
}

/* The rest of the preparation, once the blocks are sorted. */
static bool index_sorted(struct lg_scan *s)
{
    struct summary u;
    if (!summarize(s, &u))
        return false;
    if (s->n) {
        s->lo = s->blocks[0].addr;
        if (s->blocks[s->n - 1].addr >= s->hi)
            s->hi = s->blocks[s->n - 1].addr + 1; /* a trailing malloc(0) */
    }
    return build_index(s, &u);
}

/* The collections' kept index (kept.index_kept set when valid) and the mappings its
 * partial bitmap was computed against. Protected by the collection lock. */
static struct lg_scan kept;
/* The blockindex version kept is of, the blocks inserted into it since it was built, and
 * how many times it was brought up to date rather than built (for the tests). */
static uint64_t kept_version, kept_inserted, kept_updates;
static struct lg_map_ent *kept_maps;
static size_t kept_nmaps, kept_maps_cap;

static void free_index(struct lg_scan *s)
{
    lg_unmap(s->gkey, (s->gmask + 1) * sizeof *s->gkey);
    lg_unmap(s->gval, (s->gmask + 1) * sizeof *s->gval);
    lg_unmap(s->large, s->large_cap * sizeof *s->large);
    lg_unmap(s->dense, s->ndense * sizeof *s->dense);
    lg_unmap(s->partial, (s->n + 63) / 64 * 8);
}

void lg_scan_drop_kept(void)
{
    if (kept.index_kept)
        free_index(&kept);
    memset(&kept, 0, sizeof kept);
}

static bool same_maps(const struct lg_maps *m)
{
    if (m->n != kept_nmaps)
        return false;
    for (size_t i = 0; i < m->n; i++) /* field by field: the struct has padding */
        if (m->ent[i].lo != kept_maps[i].lo || m->ent[i].hi != kept_maps[i].hi || m->ent[i].flags != kept_maps[i].flags)
            return false;
    return true;
}

static void keep_maps(const struct lg_maps *m)
{
    if (m->n > kept_maps_cap) {
        lg_unmap(kept_maps, kept_maps_cap * sizeof *kept_maps);
        kept_maps_cap = m->n + 64;
        kept_maps = lg_map(kept_maps_cap * sizeof *kept_maps);
        if (!kept_maps) {
            kept_maps_cap = kept_nmaps = 0;
            return;
        }
    }
    memcpy(kept_maps, m->ent, m->n * sizeof *m->ent);
    kept_nmaps = m->n;
}

size_t lg_scan_lower_bound(const struct lg_block *b, size_t l, size_t h, uintptr_t addr)
{
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (b[mid].addr < addr)
            l = mid + 1;
        else
            h = mid;
    }
    return l;
}

/* Whether each block overlapping [lo, hi) is wholly readable now. */
static bool recheck_partial(struct lg_scan *s, uintptr_t lo, uintptr_t hi)
{
    size_t l = lg_scan_lower_bound(s->blocks, 0, s->n, lo);
    if (l > 0 && s->blocks[l - 1].addr + s->blocks[l - 1].size > lo)
        l--;
    for (; l < s->n && s->blocks[l].addr < hi; l++) {
        uintptr_t a = s->blocks[l].addr, b = a + s->blocks[l].size;
        bool part = a != b && !lg_maps_scannable(s->maps, a, b);
        if (part && !s->partial && !(s->partial = lg_map((s->n + 63) / 64 * 8)))
            return false;
        if (part)
            s->partial[l / 64] |= 1ull << (l % 64);
        else if (s->partial)
            s->partial[l / 64] &= ~(1ull << (l % 64));
    }
    return true;
}

/* The mappings changed (the tracer's own working memory does at every collection): only
 * blocks inside a mapping that is not in both lists can have changed. Both are sorted
 * and their entries do not overlap, so one merge finds those. */
static bool update_partial(struct lg_scan *s, const struct lg_maps *m)
{
    size_t i = 0, k = 0;
    while (i < kept_nmaps || k < m->n) {
        const struct lg_map_ent *o = i < kept_nmaps ? &kept_maps[i] : NULL, *e = k < m->n ? &m->ent[k] : NULL;
        if (o && e && o->lo == e->lo && o->hi == e->hi && o->flags == e->flags) {
            i++, k++;
            continue;
        }
        bool old_first = o && (!e || o->lo <= e->lo);
        const struct lg_map_ent *x = old_first ? o : e;
        if (!recheck_partial(s, x->lo, x->hi))
            return false;
        if (old_first)
            i++;
        else
            k++;
    }
    return true;
}

/* ---- the kept index brought up to date from a merge's changes ----
 *
 * Building the index anew cost a sixth of an incremental collection of a million blocks
 * with one percent of them replaced: two passes over every record. The changes (sorted
 * by address, each with its place in the old and the new copy) say where every old
 * position went: an unchanged block moves by the insertions minus the removals before
 * it. The granules of a block that went (or shrank in place) are then set again from
 * the new copy, and the new blocks' granules take the lower of their entry and the new
 * position. Every entry names the first block but the large ones overlapping its
 * granule, as a build does; a hashed granule no block overlaps any more names a block
 * past it. */

/* The kept index's partial bitmap for the mappings maps (NULL: none, in unit tests). */
static bool follow_maps(const struct lg_maps *maps)
{
    if (maps && !same_maps(maps) && !update_partial(&kept, maps)) {
        lg_scan_drop_kept();
        return false;
    }
    if (maps)
        keep_maps(maps);
    return true;
}

struct remap {
    const struct lg_blockindex_change *ch;
    size_t nch, u; /* ch[0, u): the changes at or before the last position asked for */
};

/* The new position of old position p, and whether p itself went (gone or replaced).
 * Fast when asked in ascending order (the dense array, the large list); else it
 * searches. */
static uint32_t remap(struct remap *r, uint32_t p, bool *went)
{
    if (r->u && r->ch[r->u - 1].old_pos > p) { /* behind the cursor: search */
        size_t l = 0, h = r->u;
        while (l < h) {
            size_t mid = l + (h - l) / 2;
            if (r->ch[mid].old_pos <= p)
                l = mid + 1;
            else
                h = mid;
        }
        r->u = l;
    }
    while (r->u < r->nch && r->ch[r->u].old_pos <= p)
        r->u++;
    *went = false;
    if (!r->u)
        return p;
    const struct lg_blockindex_change *c = &r->ch[r->u - 1];
    bool old = c->what & LG_BI_OLD, neu = c->what & LG_BI_NEW;
    if (old && c->old_pos == p) { /* (the last change at p is p's own, when it has one) */
        *went = true;
        return (uint32_t)c->new_pos;
    }
    return (uint32_t)(p - (c->old_pos + old) + c->new_pos + neu);
}

/* The large list: the old entries that stayed, moved, merged with the new large blocks
 * (both in address order). */
static bool remap_large(struct lg_scan *s, const struct lg_blockindex_change *ch, size_t nch, size_t n)
{
    uint32_t *out = lg_map((n + 1) * sizeof *out);
    if (!out)
        return false;
    struct remap r = {ch, nch, 0};
    size_t m = 0, k = 0;
    for (size_t i = 0; i < s->nlarge; i++) {
        bool went;
        uint32_t p = remap(&r, s->large[i], &went);
        for (; k < nch && ch[k].new_pos < p; k++)
            if ((ch[k].what & LG_BI_NEW) && s->blocks[ch[k].new_pos].size > LARGE_BLOCK)
                out[m++] = (uint32_t)ch[k].new_pos;
        if (!went)
            out[m++] = p;
    }
    for (; k < nch; k++)
        if ((ch[k].what & LG_BI_NEW) && s->blocks[ch[k].new_pos].size > LARGE_BLOCK)
            out[m++] = (uint32_t)ch[k].new_pos;
    lg_unmap(s->large, s->large_cap * sizeof *s->large);
    s->large = out;
    s->large_cap = n + 1;
    s->nlarge = m;
    return true;
}

/* The first block of the new copy overlapping granule g but the large ones (which are
 * in their list, as in a build), from the cursor *j on (moving up); NO_BLOCK when none. */
static uint32_t first_in_granule(const struct lg_scan *s, size_t *j, uint64_t g)
{
    const struct lg_block *b = s->blocks;
    while (*j < s->n &&
           ((last_byte(&b[*j]) >> GRANULE_SHIFT) < g || b[*j].size > LARGE_BLOCK))
        (*j)++;
    return *j < s->n && (b[*j].addr >> GRANULE_SHIFT) <= g ? (uint32_t)*j : NO_BLOCK;
}

/* The granules of a block that went, or shrank in place (old: its record). Their
 * entries named it; remapped, they name the next block, which can start far past them
 * (the small blocks that took its place were walked through, a thousand of them in
 * 64 KiB): each is set again to the first block overlapping it now. pos: where the old
 * address is in the new copy. */
static void index_gone(struct lg_scan *s, const struct lg_block *old, size_t pos)
{
    uint64_t g0 = old->addr >> GRANULE_SHIFT, g1 = last_byte(old) >> GRANULE_SHIFT;
    size_t j = pos < s->n ? pos : s->n;
    while (j > 0 && (last_byte(&s->blocks[j - 1]) >> GRANULE_SHIFT) >= g0)
        j--; /* blocks before it in its first granule (one may start in an earlier one) */
    for (uint64_t g = g0; g <= g1; g++) {
        uint32_t f = first_in_granule(s, &j, g);
        uintptr_t a = (uintptr_t)g << GRANULE_SHIFT;
        if (s->dense && in_dense(s, a)) {
            s->dense[(a - s->dense_lo) >> GRANULE_SHIFT] = f;
            continue;
        }
        uint64_t i = gslot(s, g);
        if (s->gkey[i])
            s->gval[i] = f != NO_BLOCK ? f : (uint32_t)j; /* (none: a block past it, or the end) */
        else if (f != NO_BLOCK)
            gput(s, g, f);
    }
}

/* A new block's granules: the dense array's inside its range, the hash table's outside. */
static void index_new(struct lg_scan *s, const struct lg_block *b, uint32_t pos)
{
    for (uint64_t g = b->addr >> GRANULE_SHIFT; g <= last_byte(b) >> GRANULE_SHIFT; g++) {
        uintptr_t a = (uintptr_t)g << GRANULE_SHIFT;
        if (s->dense && in_dense(s, a)) {
            uint32_t *d = &s->dense[(a - s->dense_lo) >> GRANULE_SHIFT];
            *d = pos < *d ? pos : *d; /* (NO_BLOCK is the highest) */
        } else {
            gput(s, g, pos);
        }
    }
}

/* Updates s (the kept index, of the old copy) for the new copy blocks[n]; false when it
 * is better built anew: not wholly readable blocks (their bitmap is by position), a hash
 * table that would fill up, or many insertions since the last build (the dense array
 * was chosen for the heap as it was then). */
static bool index_changes(struct lg_scan *s, struct lg_block *blocks, size_t n,
                          const struct lg_blockindex_change *ch, size_t nch, uint64_t *inserted)
{
    uint64_t add = 0, gadd = 0; /* insertions, and granules the hash table may take */
    if (s->partial || n >= NO_BLOCK)
        return false;
    size_t mk = 0; /* the mappings' walk, as in summarize */
    for (size_t k = 0; k < nch; k++) {
        if (k + 8 < nch)
            prefetch(&blocks[ch[k + 8].new_pos]);
        const struct lg_block *b = &blocks[ch[k].new_pos];
        if (!(ch[k].what & LG_BI_NEW))
            continue;
        add++;
        bool dense = s->dense && in_dense(s, b->addr) && in_dense(s, last_byte(b));
        gadd += b->size <= LARGE_BLOCK && !dense ? granules_of(b) : 0;
        if (s->maps && !readable(s->maps, &mk, b->addr, b->addr + b->size))
            return false; /* (the partial bitmap is built with the index) */
    }
    if (*inserted + add > n / 2 || (s->gused + gadd) * 2 > s->gmask + 1)
        return false;
    struct remap r = {ch, nch, 0};
    bool went;
    for (uint64_t g = 0; g < s->ndense; g++)
        if (s->dense[g] != NO_BLOCK)
            s->dense[g] = remap(&r, s->dense[g], &went);
    for (uint64_t i = 0; i <= s->gmask; i++)
        if (s->gkey[i])
            s->gval[i] = remap(&r, s->gval[i], &went);
    const struct lg_block *old = s->blocks;
    s->blocks = blocks; /* (remap_large reads the new blocks) */
    if (!remap_large(s, ch, nch, n))
        return false;
    s->n = s->cap = n;
    for (size_t k = 0; k < nch; k++) {
        if (k + 8 < nch)
            prefetch(&old[ch[k + 8].old_pos]);
        if ((ch[k].what & LG_BI_OLD) && old[ch[k].old_pos].size <= LARGE_BLOCK)
            index_gone(s, &old[ch[k].old_pos], ch[k].new_pos);
    }
    for (size_t k = 0; k < nch; k++) {
        const struct lg_block *b = &blocks[ch[k].new_pos];
        if ((ch[k].what & LG_BI_NEW) && b->size <= LARGE_BLOCK)
            index_new(s, b, (uint32_t)ch[k].new_pos);
    }
    /* as summarize and index_sorted have them: the last block ends highest */
    s->lo = n ? blocks[0].addr : 0;
    s->hi = n ? blocks[n - 1].addr + (blocks[n - 1].size ? blocks[n - 1].size : 1) : 0;
    *inserted += add;
    return true;
}

bool lg_scan_prepare_kept(struct lg_scan *s, const struct lg_maps *maps, struct lg_block *blocks, size_t n,
                          uint64_t version, bool same)
{
    if (same && kept.index_kept && kept.blocks == blocks && kept.n == n && kept_version == version) {
        kept.maps = maps;
        if (!follow_maps(maps))
            return false;
        *s = kept;
        s->maps = maps;
        s->weak_any = lg_annot_has_weak();
        return true;
    }
    const struct lg_blockindex_change *ch;
    size_t nch;
    if (kept.index_kept && lg_blockindex_changes(kept_version, &ch, &nch) && version == kept_version + 1) {
        kept.maps = maps;
        if (index_changes(&kept, blocks, n, ch, nch, &kept_inserted)) {
            if (!follow_maps(maps))
                return false;
            kept_version = version;
            kept_updates++;
            *s = kept;
            s->weak_any = lg_annot_has_weak();
            return true;
        }
    }
    lg_scan_drop_kept();
    if (!lg_scan_prepare_sorted(s, maps, blocks, n))
        return false;
    s->index_kept = true;
    kept = *s;
    kept_version = version;
    kept_inserted = 0;
    if (maps)
        keep_maps(maps);
    return true;
}

uint64_t lg_scan_kept_updates(void) { return kept_updates; }

void lg_scan_release(struct lg_scan *s)
{
    if (s->index_kept) {
        memset(s, 0, sizeof *s);
        return;
    }
    if (!s->borrowed)
        lg_unmap(s->blocks, s->cap * sizeof *s->blocks);
    lg_unmap(s->gkey, (s->gmask + 1) * sizeof *s->gkey);
    lg_unmap(s->gval, (s->gmask + 1) * sizeof *s->gval);
    lg_unmap(s->large, s->large_cap * sizeof *s->large);
    lg_unmap(s->dense, s->ndense * sizeof *s->dense);
    lg_unmap(s->partial, (s->n + 63) / 64 * 8);
    memset(s, 0, sizeof *s);
}

/* A start pointer, or an interior pointer inside the requested size; one past the
 * end does not count, and a block of size 0 is reached only at its start. */
static inline bool inside(const struct lg_block *b, uintptr_t a)
{
    return a == b->addr || (a > b->addr && a < b->addr + b->size);
}

static long lookup_large(const struct lg_scan *s, uintptr_t a)
{
    size_t lo = 0, hi = s->nlarge;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->blocks[s->large[mid]].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    uint32_t i = s->large[lo - 1];
    return inside(&s->blocks[i], a) ? (long)i : -1;
}

static long walk(const struct lg_scan *s, size_t j, uintptr_t a)
{
    for (; j < s->n && s->blocks[j].addr <= a; j++)
        if (inside(&s->blocks[j], a))
            return (long)j;
    return -1;
}

long lg_scan_lookup(const struct lg_scan *s, uintptr_t a)
{
    if (a < s->lo || a >= s->hi)
        return -1;
    if (s->dense && in_dense(s, a)) {
        uint32_t j = s->dense[(a - s->dense_lo) >> GRANULE_SHIFT];
        long r = j == NO_BLOCK ? -1 : walk(s, j, a);
        return r >= 0 || !s->nlarge ? r : lookup_large(s, a);
    }
    uint64_t g = a >> GRANULE_SHIFT, i = ghash(g) & s->gmask;
    for (; s->gkey[i]; i = (i + 1) & s->gmask) {
        if (s->gkey[i] != g + 1)
            continue;
        long r = walk(s, s->gval[i], a);
        if (r >= 0)
            return r;
        break;
    }
    return s->nlarge ? lookup_large(s, a) : -1;
}

/* ---- Valgrind's default heuristics (memcheck/mc_leakcheck.c) ---- */

/* A vtable: in a readable file mapping, and its first non-null words point into
 * executable file mappings (two of them within 20 words). */
static bool is_vtable(const struct lg_maps *m, uintptr_t p)
{
    const struct lg_map_ent *e = lg_maps_find(m, p);
    if (!e || !(e->flags & LG_MAP_FILE) || !(e->flags & LG_MAP_R) || (p & 7))
        return false;
    int fns = 0;
    for (uintptr_t q = p; q + 8 <= e->hi && q < p + 20 * 8; q += 8) {
        uintptr_t f = *(const uintptr_t *)q;
        if (!f)
            continue;
        const struct lg_map_ent *fe = lg_maps_find(m, f);
        if (!fe || !(fe->flags & LG_MAP_FILE) || !(fe->flags & LG_MAP_X))
            return false;
        if (++fns == 2)
            return true;
    }
    return false;
}

static uint8_t heuristic(const struct lg_scan *s, size_t j, uintptr_t a)
{
    const struct lg_block *b = &s->blocks[j];
    const uint64_t *w = (const uint64_t *)b->addr;
    if (is_partial(s, j) && (!lg_maps_scannable(s->maps, b->addr, b->addr + (b->size < 24 ? b->size : 24)) ||
                             ((a & 7) == 0 && a + 8 <= b->addr + b->size && !lg_maps_scannable(s->maps, a, a + 8))))
        return LG_HEUR_NONE; /* the words the heuristics read are not readable */
    uint64_t off = a - b->addr;
    if (off == 24 && b->size >= 24) { /* stdstring: length, capacity, refcount, chars */
        if (24 + w[1] + 1 == b->size && w[0] <= w[1])
            return LG_HEUR_STDSTRING;
    }
    if (off == 8 && b->size >= 8) {
        if (w[0] > 0 && b->size - 8 == w[0])
            return LG_HEUR_LENGTH64;
        if (w[0] > 0 && (b->size - 8) % w[0] == 0)
            return LG_HEUR_NEWARRAY;
    }
    if (!(a & 7) && b->size >= 16 && off + 8 <= b->size) {
        uintptr_t inner = *(const uintptr_t *)a, first = w[0];
        if (!(inner & 7) && inner >= 4096 && !(first & 7) && first >= 4096 && is_vtable(s->maps, inner) &&
            is_vtable(s->maps, first))
            return LG_HEUR_MULTIPLEINHERITANCE;
    }
    return LG_HEUR_NONE;
}

/* What malloc_usable_size says of the block at position j, from its chunk's size word
 * alone, or 0 when that word is not a live chunk's for this block. malloc_usable_size
 * also reads the next chunk's header, at the address the size word gives: a record
 * left behind by a free the tracer could not take (a signal handler's, while its thread
 * held a table lock) names a chunk glibc may have merged since, and the scan crashed
 * there. In use: size - 8 (the next chunk's first word is the block's); mmapped:
 * size - 16. The slack allowed past the requested size: a chunk realloc shrank in place
 * keeps a remainder under 32 bytes, on top of the rounding; an mmapped one, a page. */
static uint64_t usable_size(const struct lg_scan *s, size_t j)
{
    const struct lg_block *b = &s->blocks[j];
    if (is_partial(s, j) || (s->maps && !lg_maps_scannable(s->maps, b->addr - 8, b->addr)))
        return 0;
    uint64_t w = ((const volatile uint64_t *)b->addr)[-1], size = w & ~(uint64_t)7;
    uint64_t hdr = (w & 2) ? 16 : 8, slack = (w & 2) ? 4096 + 16 : 64;
    return size >= b->size + hdr && size - hdr - b->size < slack ? size - hdr : 0;
}

/* Emits the reference v makes, if any; returns the target's index, or -1. */
static inline long consider(struct lg_scan *s, uintptr_t v, uint32_t from, uint64_t off, uintptr_t slot)
{
    long j = lg_scan_lookup(s, v);
    if (j < 0)
        return -1;
    const struct lg_block *b = &s->blocks[j];
    struct lg_snap_edge e = {.from = from, .to = (uint32_t)j, .from_off = off};
    uint64_t to_off = v - b->addr;
    if (to_off) {
        /* glibc's bins point at the next chunk's header: p + usable - 8 (FEASIBILITY §6) */
        if (to_off + 8 >= b->size && v == b->addr + usable_size(s, (size_t)j) - 8)
            return -1;
        e.heur = heuristic(s, (size_t)j, v);
    }
    e.to_off = to_off > UINT32_MAX ? UINT32_MAX : (uint32_t)to_off;
    if (__builtin_expect(s->weak_any, 0) && slot && lg_annot_is_weak(slot, s->holder_seq))
        e.flags |= LG_EDGE_WEAK;
    s->emit(s->ctx, &e);
    return j;
}

/* Words are looked up a few words behind the read: candidates (words inside the
 * blocks' span) wait in a ring, their index entry loaded when they come in,
 * their block record half-way, looked up and emitted, in order, when they leave. On a
 * heap whose references go anywhere, each look-up missed the cache twice (index, then
 * block record), and the full scan ran at about a tenth of the memory's speed. */
#define PIPE 32 /* a power of two */
struct pipe {
    struct lg_scan *s;
    struct cand {
        uintptr_t v, slot;
        uint32_t from;
        uint64_t off;
    } c[PIPE];
    size_t in, out;
};

static inline void pipe_first_load(const struct lg_scan *s, uintptr_t v)
{
    if (s->dense && in_dense(s, v))
        prefetch(&s->dense[(v - s->dense_lo) >> GRANULE_SHIFT]);
    else
        prefetch(&s->gkey[ghash(v >> GRANULE_SHIFT) & s->gmask]);
}

static inline void pipe_second_load(const struct lg_scan *s, uintptr_t v)
{
    if (s->dense && in_dense(s, v)) {
        uint32_t j = s->dense[(v - s->dense_lo) >> GRANULE_SHIFT];
        if (j != NO_BLOCK)
            prefetch(&s->blocks[j]);
    }
}

void lg_scan_prefetch(const struct lg_scan *s, uintptr_t addr, bool second)
{
    if (addr < s->lo || addr >= s->hi)
        return;
    if (second)
        pipe_second_load(s, addr);
    else
        pipe_first_load(s, addr);
}

static inline void pipe_leave(struct pipe *p)
{
    const struct cand *c = &p->c[p->out++ % PIPE];
    consider(p->s, c->v, c->from, c->off, c->slot);
}

static inline void pipe_enter(struct pipe *p, uintptr_t v, uint32_t from, uint64_t off, uintptr_t slot)
{
    if (p->in - p->out == PIPE)
        pipe_leave(p);
    if (p->in - p->out >= PIPE / 2)
        pipe_second_load(p->s, p->c[(p->in - PIPE / 2) % PIPE].v);
    pipe_first_load(p->s, v);
    p->c[p->in++ % PIPE] = (struct cand){v, slot, from, off};
}

static void pipe_flush(struct pipe *p)
{
    while (p->out < p->in)
        pipe_leave(p);
}

/* The last flush: then the ring's entries are zeroed. They hold heap addresses on the
 * stack of the thread that scans (a program thread, for leakgraph_collect and
 * collect_every), below its frames; a later conservative scan of that stack could find
 * them in the program's deeper frames, as sites.c's scrub_below says of libunwind's. */
static void pipe_done(struct pipe *p)
{
    pipe_flush(p);
    memset(p->c, 0, (p->in < PIPE ? p->in : PIPE) * sizeof *p->c);
    __asm__ volatile("" : : "r"(p->c) : "memory"); /* the stores must happen */
}

/* The aligned words of [lo, hi) into the ring, labelled from, at base_off + their offset. */
static inline void pipe_words(struct pipe *p, uintptr_t lo, uintptr_t hi, uint32_t from, uint64_t base_off)
{
    struct lg_scan *s = p->s;
    uintptr_t q = (lo + 7) & ~(uintptr_t)7;
    if (hi < q)
        return;
    s->scanned_bytes += hi - q;
    for (; q + 8 <= hi; q += 8) {
        uintptr_t v = *(const volatile uintptr_t *)q;
        if (v >= s->lo && v < s->hi)
            pipe_enter(p, v, from, base_off + (q - lo), q);
    }
}

void lg_scan_range(struct lg_scan *s, uintptr_t lo, uintptr_t hi, uint32_t from, uint64_t base_off)
{
    struct pipe p; /* not zeroed: 1 KB, for ranges of a few words as often as not */
    p.s = s;
    p.in = p.out = 0;
    pipe_words(&p, lo, hi, from, base_off);
    pipe_done(&p);
}

long lg_scan_slot(struct lg_scan *s, uintptr_t v, uint32_t from, uint64_t off, uintptr_t slot)
{
    return v >= s->lo && v < s->hi ? consider(s, v, from, off, slot) : -1;
}

void lg_scan_word(struct lg_scan *s, uintptr_t v, uint32_t from, uint64_t off)
{
    if (v >= s->lo && v < s->hi)
        consider(s, v, from, off, 0);
}

struct piece_ctx {
    struct lg_scan *s;
    uint32_t from;
    uintptr_t base;
};

static void scan_piece(void *p, uintptr_t lo, uintptr_t hi)
{
    struct piece_ctx *c = p;
    lg_scan_range(c->s, lo, hi, c->from, lo - c->base);
}

bool lg_scan_is_partial(const struct lg_scan *s, size_t i) { return is_partial(s, i); }

void lg_scan_block(struct lg_scan *s, size_t i)
{
    uintptr_t a = s->blocks[i].addr, b = a + s->blocks[i].size;
    s->holder_seq = s->blocks[i].seq & LG_SEQ_MASK;
    if (!is_partial(s, i)) {
        lg_scan_range(s, a, b, (uint32_t)i, 0);
    } else {
        struct piece_ctx c = {s, (uint32_t)i, a};
        lg_maps_clip(s->maps, a, b, 0, 0, scan_piece, &c);
    }
}

void lg_scan_blocks(struct lg_scan *s)
{
    s->weak_any = lg_annot_has_weak();
    if (s->weak_any) { /* a weak slot's test reads the holder: one block at a time */
        for (size_t i = 0; i < s->n; i++)
            lg_scan_block(s, i);
        return;
    }
    struct pipe p; /* one ring across the blocks */
    p.s = s;
    p.in = p.out = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (is_partial(s, i)) {
            pipe_flush(&p); /* the edges stay in block order */
            lg_scan_block(s, i);
            continue;
        }
        pipe_words(&p, s->blocks[i].addr, s->blocks[i].addr + s->blocks[i].size, (uint32_t)i, 0);
    }
    pipe_done(&p);
}
