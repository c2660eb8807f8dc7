/* The collections' sorted copy of the block table, kept from one collection to the next
 * and brought up to date from the table's change log (blocks.c): the addresses inserted,
 * removed or flagged since. Copying and sorting a million records took a third of an
 * incremental collection; merging the changes into the last copy is one sequential pass.
 * When a log overflowed (a shard changed more than it holds) the table is copied and
 * sorted again. Used with every shard lock held and the world stopped. */
#include "blockindex.h"

#include "arena.h"
#include "blocks.h"
#include "scan.h"

#include <string.h>

struct copy {
    struct lg_block *b;
    size_t n, cap;
};

/* The current copy, valid when valid is set, and the buffer the next one is merged
 * into; protected by the collection lock (collect.c). */
static struct copy cur, alt;
static bool valid;
/* Bumped whenever the copy changes (or is made anew): equal versions, equal copies. */
static uint64_t version;
/* The change log's addresses and records, kept mapped (grown when needed): mapping them
 * at every collection cost more than using them on small heaps. Same lock. */
static struct copy scratch;
static uint64_t *scratch_addr;
static size_t scratch_addr_cap;
/* The last merge's changes (lg_blockindex_changes), made from version merged_from;
 * kept mapped. Same lock. */
static struct lg_blockindex_change *last;
static size_t nlast, last_cap;
static uint64_t merged_from;
static bool last_valid;
/* alt holds the copy of version prev_version, when prev_valid (after a swap). */
static uint64_t prev_version;
static bool prev_valid;

static bool reserve(struct copy *c, size_t n)
{
    if (c->cap >= n)
        return true;
    lg_unmap(c->b, c->cap * sizeof *c->b);
    c->cap = n + n / 8 + 1024;
    c->b = lg_map_populated(c->cap * sizeof *c->b);
    if (!c->b)
        c->cap = 0;
    return c->b != NULL;
}

static bool reserve_addr(size_t n)
{
    if (scratch_addr_cap >= n)
        return true;
    lg_unmap(scratch_addr, scratch_addr_cap * sizeof *scratch_addr);
    scratch_addr_cap = n + n / 8 + 1024;
    scratch_addr = lg_map(scratch_addr_cap * sizeof *scratch_addr);
    if (!scratch_addr)
        scratch_addr_cap = 0;
    return scratch_addr != NULL;
}

/* Copies the table and sorts it into alt; starts the log. */
static bool full_copy(void)
{
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, true);
    if (!reserve(&alt, st.live_blocks))
        return false;
    alt.n = lg_blocks_copy_locked(alt.b, alt.cap);
    if (alt.n > alt.cap || !lg_scan_sort(alt.b, alt.n))
        return false;
    lg_blocks_log_start_locked();
    return true;
}

/* Sorts a few records in place; lg_scan_sort maps a quarter MB of counters, which cost
 * more than the rest of a collection of a small heap (collect_every on small victims). */
static bool sort_records(struct lg_block *b, size_t n)
{
    if (n > 64)
        return lg_scan_sort(b, n);
    for (size_t i = 1; i < n; i++) {
        struct lg_block x = b[i];
        size_t k = i;
        for (; k > 0 && b[k - 1].addr > x.addr; k--)
            b[k] = b[k - 1];
        b[k] = x;
    }
    return true;
}

/* The logged addresses as records in scratch, sorted and without repeats: the live ones
 * carry the table's record, the gone ones size UINT64_MAX. False when the log is
 * worthless (overflowed) or out of memory. */
static bool changes(size_t *n)
{
    bool lost;
    size_t nlog = lg_blocks_log_count_locked(&lost);
    *n = 0;
    if (lost || !reserve(&scratch, nlog) || !reserve_addr(nlog))
        return false;
    struct lg_block *ch = scratch.b;
    lg_blocks_log_take_locked(scratch_addr);
    for (size_t i = 0; i < nlog; i++)
        ch[i].addr = scratch_addr[i];
    if (!sort_records(ch, nlog))
        return false;
    for (size_t i = 0; i < nlog; i++) {
        if (*n && ch[*n - 1].addr == ch[i].addr)
            continue;
        uint64_t a = ch[i].addr;
        if (!lg_blocks_find_locked(a, &ch[*n]))
            ch[*n] = (struct lg_block){.addr = a, .size = UINT64_MAX};
        (*n)++;
    }
    return true;
}

/* alt = cur without the changed addresses, merged with the changed records still live;
 * what each change was goes to last (when there is room: last_valid says). */
static bool merge(const struct lg_block *ch, size_t nch)
{
    if (!reserve(&alt, cur.n + nch))
        return false;
    last_valid = lg_grow((void **)&last, &last_cap, nch, sizeof *last);
    size_t i = 0, k = 0, n = 0;
    while (i < cur.n || k < nch) {
        if (k == nch || (i < cur.n && cur.b[i].addr < ch[k].addr)) {
            alt.b[n++] = cur.b[i++];
            continue;
        }
        struct lg_blockindex_change c = {.addr = ch[k].addr, .old_pos = i, .new_pos = n};
        if (i < cur.n && cur.b[i].addr == ch[k].addr) { /* replaced, or gone */
            c.what |= LG_BI_OLD;
            c.old_seq = cur.b[i++].seq & LG_SEQ_MASK;
        }
        if (ch[k].size != UINT64_MAX) {
            c.what |= LG_BI_NEW;
            c.new_seq = ch[k].seq & LG_SEQ_MASK;
            alt.b[n++] = ch[k];
        }
        if (last_valid)
            last[k] = c;
        k++;
    }
    alt.n = n;
    nlast = nch;
    return true;
}

/* Merges the changes into alt; *same when there were none (cur stays as it is). */
static bool update(bool *same)
{
    size_t nch;
    if (!changes(&nch))
        return false;
    *same = nch == 0;
    return *same || merge(scratch.b, nch);
}

bool lg_blockindex_get(struct lg_block **blocks, size_t *n, bool *incremental, bool *same)
{
    *same = false;
    last_valid = false;
    merged_from = version;
    bool was_valid = valid;
    prev_valid = false; /* (alt is written below) */
    *incremental = valid && update(same);
    if (!*incremental && !full_copy()) {
        valid = false;
        lg_blocks_log_stop_locked();
        return false;
    }
    if (!*same) {
        struct copy t = cur;
        cur = alt;
        alt = t;
        prev_valid = was_valid;
        prev_version = version++;
    }
    /* The next collection merges into alt: mapped now, with the first copy, when alt
     * holds no copy to keep. Its first touch (a million records: 37 MB, 55 ms on the VMs
     * we measured) would otherwise fall on the first incremental collection. */
    if (!*incremental && !was_valid && alt.cap < cur.n)
        reserve(&alt, cur.n);
    valid = true;
    *blocks = cur.b;
    *n = cur.n;
    return true;
}

bool lg_blockindex_check(void)
{
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, true);
    if (!valid || !reserve(&scratch, st.live_blocks))
        return true; /* nothing to compare */
    scratch.n = lg_blocks_copy_locked(scratch.b, scratch.cap);
    if (!sort_records(scratch.b, scratch.n))
        return true;
    return scratch.n == cur.n && !memcmp(scratch.b, cur.b, cur.n * sizeof *cur.b);
}

void lg_blockindex_reset(void)
{
    valid = false;
    version++;
}

uint64_t lg_blockindex_version(void) { return version; }

#define SPAN_SHIFT 26 /* 64 MiB: a binary search each, empty stretches between not read */

bool lg_blockindex_each_span(void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx)
{
    if (!valid)
        return false;
    for (size_t k = 0; k < cur.n;) {
        uintptr_t next = ((cur.b[k].addr >> SPAN_SHIFT) + 1) << SPAN_SHIFT;
        size_t l = lg_scan_lower_bound(cur.b, k + 1, cur.n, next); /* the first block there or above */
        const struct lg_block *last = &cur.b[l - 1]; /* blocks do not overlap: it ends highest */
        fn(ctx, cur.b[k].addr, last->addr + (last->size ? last->size : 1));
        k = l;
    }
    return true;
}

bool lg_blockindex_copy_of(uint64_t v, const struct lg_block **b, size_t *n)
{
    const struct copy *c = valid && v == version ? &cur : prev_valid && v == prev_version ? &alt : NULL;
    if (c) {
        *b = c->b;
        *n = c->n;
    }
    return c != NULL;
}

bool lg_blockindex_changes(uint64_t base, const struct lg_blockindex_change **ch, size_t *n)
{
    if (!last_valid || merged_from != base || version != base + 1)
        return false;
    *ch = last;
    *n = nlast;
    return true;
}
