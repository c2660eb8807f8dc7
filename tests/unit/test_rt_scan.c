/* The scanner: radix sort, block lookup (start, interior, one past the end, size 0,
 * large blocks), the glibc arena-word filter and the heuristics. */
#include "scan.h"

#include "blockindex.h"
#include "blocks.h"
#include "maps.h"
#include "writer.h"

#include <criterion/criterion.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each record kept whole, none lost, at a few sizes. */
Test(scan, radix_sort_orders_by_address)
{
    static const size_t sizes[] = {3, 100000, 300000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        struct lg_block *b = calloc(n, sizeof *b);
        uint64_t sum = 0;
        srand(1);
        for (size_t i = 0; i < n; i++) {
            b[i].addr = 0x7f0000000000ull + (((uint64_t)rand() << 20) ^ (uint64_t)rand());
            b[i].size = b[i].addr ^ 0x5555;
            sum += b[i].addr;
        }
        cr_assert(lg_scan_sort(b, n));
        for (size_t i = 0; i < n; i++) {
            cr_assert(i == 0 || b[i - 1].addr <= b[i].addr, "%zu records: out of order at %zu", n, i);
            cr_assert_eq(b[i].size, b[i].addr ^ 0x5555, "a record came apart");
            sum -= b[i].addr;
        }
        cr_assert_eq(sum, 0, "records lost or duplicated");
        free(b);
    }
}

static struct lg_scan make_scan(struct lg_block *b, size_t n)
{
    struct lg_scan s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < n; i++)
        lg_blocks_insert(&b[i]);
    lg_blocks_lock_all();
    cr_assert(lg_scan_prepare(&s, NULL));
    lg_blocks_unlock_all();
    return s;
}

static void drop(struct lg_block *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lg_blocks_remove(b[i].addr, NULL);
}

Test(scan, lookup_rules)
{
    struct lg_block b[] = {
        {.addr = 0x100000, .size = 32}, {.addr = 0x100030, .size = 0},
        {.addr = 0x100040, .size = 16}, {.addr = 0x200000, .size = 1 << 20}, /* large */
    };
    struct lg_scan s = make_scan(b, 4);
    cr_assert_eq(lg_scan_lookup(&s, 0x100000), 0);
    cr_assert_eq(lg_scan_lookup(&s, 0x10001f), 0, "interior");
    cr_assert_eq(lg_scan_lookup(&s, 0x100020), -1, "one past the end is not a reference");
    cr_assert_eq(lg_scan_lookup(&s, 0x100030), 1, "size 0: the start counts");
    cr_assert_eq(lg_scan_lookup(&s, 0x100031), -1);
    cr_assert_eq(lg_scan_lookup(&s, 0x10004f), 2);
    cr_assert_eq(lg_scan_lookup(&s, 0x200000 + 777777), 3, "interior of a large block");
    cr_assert_eq(lg_scan_lookup(&s, 0x300000), -1);
    cr_assert_eq(lg_scan_lookup(&s, 0x50), -1);
    lg_scan_release(&s);
    drop(b, 4);
}

struct sink {
    struct lg_snap_edge e[64];
    int n;
};

static void collect(void *ctx, const struct lg_snap_edge *e)
{
    struct sink *k = ctx;
    if (k->n < 64)
        k->e[k->n++] = *e;
}

Test(scan, edges_from_real_memory)
{
    /* Real heap blocks, so the arena-word filter can ask glibc for usable sizes. */
    void **a = malloc(64), **b = malloc(64);
    char *str = malloc(100);
    memset(a, 0, 64);
    memset(b, 0, 64);
    a[0] = b;            /* start pointer */
    a[1] = str + 10;     /* interior */
    a[2] = (char *)b + 64; /* one past the end: no edge */
    struct lg_block blk[] = {{.addr = (uintptr_t)a, .size = 64}, {.addr = (uintptr_t)b, .size = 64},
                             {.addr = (uintptr_t)str, .size = 100}};
    struct lg_scan s = make_scan(blk, 3);
    struct sink k = {.n = 0};
    s.emit = collect;
    s.ctx = &k;
    lg_scan_blocks(&s);
    cr_assert_eq(k.n, 2);
    cr_assert_eq(k.e[0].to_off, 0);
    cr_assert_eq(k.e[0].from_off, 0);
    cr_assert_eq(k.e[1].to_off, 10);
    cr_assert_eq(k.e[1].from_off, 8);
    cr_assert_eq(k.e[1].heur, LG_HEUR_NONE);
    lg_scan_release(&s);
    drop(blk, 3);
    free(a);
    free(b);
    free(str);
}

Test(scan, newarray_and_length64_heuristics)
{
    uint64_t *arr = malloc(8 + 5 * 16); /* new T[5], sizeof(T) == 16: count cookie first */
    arr[0] = 5;
    uint64_t *len = malloc(8 + 40); /* length64: first word = size - 8 */
    len[0] = 40;
    uintptr_t words[2] = {(uintptr_t)(arr + 1), (uintptr_t)(len + 1)};
    struct lg_block blk[] = {{.addr = (uintptr_t)arr, .size = 8 + 5 * 16}, {.addr = (uintptr_t)len, .size = 48}};
    struct lg_scan s = make_scan(blk, 2);
    struct sink k = {.n = 0};
    s.emit = collect;
    s.ctx = &k;
    lg_scan_range(&s, (uintptr_t)words, (uintptr_t)(words + 2), 0, 0);
    cr_assert_eq(k.n, 2);
    cr_assert_eq(k.e[0].heur, LG_HEUR_NEWARRAY);
    cr_assert_eq(k.e[1].heur, LG_HEUR_LENGTH64);
    lg_scan_release(&s);
    drop(blk, 2);
    free(arr);
    free(len);
}

Test(scan, arena_word_is_ignored)
{
    char *p = malloc(24);
    size_t usable = malloc_usable_size(p);
    uintptr_t word = (uintptr_t)p + usable - 8; /* what glibc's bins hold */
    struct lg_block blk[] = {{.addr = (uintptr_t)p, .size = usable}};
    struct lg_scan s = make_scan(blk, 1);
    struct sink k = {.n = 0};
    s.emit = collect;
    s.ctx = &k;
    lg_scan_word(&s, word, 0, 0);
    cr_assert_eq(k.n, 0, "p + usable - 8 is glibc's bookkeeping, not a reference");
    lg_scan_word(&s, (uintptr_t)p + 8, 0, 0);
    cr_assert_eq(k.n, 1);
    lg_scan_release(&s);
    drop(blk, 1);
    free(p);
}

Test(writer, buffers_and_pads)
{
    char path[] = "/tmp/lgwriterXXXXXX";
    int fd = mkstemp(path);
    char buf[16];
    struct lg_writer w;
    lg_writer_init(&w, fd, buf, sizeof buf);
    lg_writer_put(&w, "abcdefghijklmnopqrstuvwxyz", 26); /* larger than the buffer */
    lg_writer_pad8(&w);
    cr_assert_eq(w.off, 32);
    cr_assert_eq(lg_writer_flush(&w), 0);
    cr_assert_eq(lseek(fd, 0, SEEK_END), 32);
    close(fd);
    unlink(path);
    int bad = -1;
    lg_writer_init(&w, bad, buf, sizeof buf);
    lg_writer_put(&w, "x", 1);
    cr_assert_neq(lg_writer_flush(&w), 0, "errors are reported, not swallowed");
}

/* Enough blocks for the dense direct-array index, plus far-away and large ones for the
 * hashed index: every lookup must agree with a linear search. */
Test(scan, dense_and_hashed_lookups_agree_with_brute_force)
{
    enum { N = 6000 };
    static struct lg_block b[N + 3];
    uint64_t base = 0x55550000000ull;
    for (int i = 0; i < N; i++)
        b[i] = (struct lg_block){.addr = base + (uint64_t)i * 48, .size = (uint64_t)(i % 5) * 10};
    b[N] = (struct lg_block){.addr = 0x7f0000000000ull, .size = 200};          /* far: hashed */
    b[N + 1] = (struct lg_block){.addr = 0x7f0000100000ull, .size = 1 << 20};  /* large */
    b[N + 2] = (struct lg_block){.addr = base + (uint64_t)N * 48 + 4096, .size = 100 << 10}; /* large, in the run */
    struct lg_scan s = make_scan(b, N + 3);
    cr_assert_neq(s.dense, NULL, "the dense index is in use");
    srand(7);
    for (int k = 0; k < 20000; k++) {
        uintptr_t a;
        switch (k % 3) {
        case 0: a = base + (uint64_t)(rand() % (N * 48 + 120000)); break;
        case 1: a = 0x7f0000000000ull + (uint64_t)(rand() % (0x200000)); break;
        default: a = (uintptr_t)rand() << 16; break;
        }
        long want = -1;
        for (int i = 0; i < N + 3; i++)
            if (a == b[i].addr || (a > b[i].addr && a < b[i].addr + b[i].size)) {
                want = i;
                break;
            }
        long got = lg_scan_lookup(&s, a);
        cr_assert_eq(got < 0 ? -1 : (long)s.blocks[got].addr, want < 0 ? -1 : (long)b[want].addr,
                     "lookup of %#lx", (unsigned long)a);
    }
    lg_scan_release(&s);
    drop(b, N + 3);
}

struct big_sink {
    struct lg_snap_edge *e;
    size_t n, cap;
};

static void collect_all(void *ctx, const struct lg_snap_edge *e)
{
    struct big_sink *k = ctx;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4096;
        k->e = realloc(k->e, k->cap * sizeof *k->e);
    }
    k->e[k->n++] = *e;
}

/* lg_scan_blocks looks words up a few behind the read, through a ring (scan.c): the
 * same edges, in the same order, as looking each word up at once (lg_scan_slot), on
 * real blocks whose words point anywhere among them (starts, interiors, one past the
 * end, not heap at all). */
Test(scan, pipelined_scan_emits_what_word_by_word_lookups_do)
{
    enum { N = 3000, W = 6 };
    uintptr_t *blk[N];
    struct lg_block *b = calloc(N, sizeof *b);
    srand(11);
    for (int i = 0; i < N; i++) {
        size_t sz = (size_t)(1 + rand() % W) * 8 + (size_t)(rand() % 3);
        blk[i] = malloc(sz);
        b[i] = (struct lg_block){.addr = (uintptr_t)blk[i], .size = sz, .seq = (uint64_t)i + 1};
    }
    for (int i = 0; i < N; i++)
        for (size_t w = 0; w < b[i].size / 8; w++) {
            int t = rand() % N;
            switch (rand() % 4) {
            case 0: blk[i][w] = (uintptr_t)blk[t]; break;
            case 1: blk[i][w] = (uintptr_t)blk[t] + (uintptr_t)(rand() % 24); break;
            case 2: blk[i][w] = (uintptr_t)blk[t] + b[t].size; break;
            default: blk[i][w] = (uintptr_t)rand(); break;
            }
        }
    struct lg_maps maps; /* the heuristics read the mappings */
    cr_assert_geq(lg_maps_read(&maps), 0);
    struct lg_scan s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < N; i++)
        lg_blocks_insert(&b[i]);
    lg_blocks_lock_all();
    cr_assert(lg_scan_prepare(&s, &maps));
    lg_blocks_unlock_all();
    struct big_sink piped = {0}, single = {0};
    s.emit = collect_all;
    s.ctx = &piped;
    lg_scan_blocks(&s);
    s.ctx = &single;
    for (size_t i = 0; i < s.n; i++) {
        uintptr_t a = s.blocks[i].addr;
        for (uintptr_t q = (a + 7) & ~(uintptr_t)7; q + 8 <= a + s.blocks[i].size; q += 8)
            lg_scan_slot(&s, *(const uintptr_t *)q, (uint32_t)i, q - a, q);
    }
    cr_assert_gt(single.n, (size_t)N, "the heap has references");
    cr_assert_eq(piped.n, single.n);
    cr_assert(!memcmp(piped.e, single.e, single.n * sizeof *single.e), "the same edges in the same order");
    lg_scan_release(&s);
    lg_maps_free(&maps);
    drop(b, N);
    for (int i = 0; i < N; i++)
        free(blk[i]);
    free(b);
    free(piped.e);
    free(single.e);
}

/* The brute force: the block of sorted b[n] holding a, or -1. */
static long holder(const struct lg_block *b, size_t n, uintptr_t a)
{
    size_t i = lg_scan_lower_bound(b, 0, n, a + 1); /* the first block past a */
    if (i == 0)
        return -1;
    const struct lg_block *x = &b[i - 1];
    return a == x->addr || (a > x->addr && a < x->addr + x->size) ? (long)(i - 1) : -1;
}

/* The collections' kept index, brought up to date from each merge's changes (scan.c),
 * against the brute force, over twenty rounds of removals and insertions: in the dense
 * run (in its gaps and where blocks went), past its end, far away (the hash table), and
 * large blocks; looked up at starts, interiors, ends and gaps. */
Test(scan, kept_index_follows_merges)
{
    enum { N = 20000, ROUNDS = 20, SLOTS = 4 * N };
    static uint8_t used[SLOTS]; /* slot k: an address of the run, 64 bytes apart */
    uint64_t base = 0x55550000000ull, far = 0x7f0000000000ull;
    srand(11);
    for (size_t k = 0; k < N; k++) {
        size_t slot = (size_t)rand() % SLOTS;
        if (used[slot])
            continue;
        used[slot] = 1;
        lg_blocks_insert(&(struct lg_block){.addr = base + slot * 64, .size = (uint64_t)(rand() % 60)});
    }
    lg_blocks_insert(&(struct lg_block){.addr = far, .size = 100});
    lg_blocks_insert(&(struct lg_block){.addr = base + SLOTS * 64 + 4096, .size = 100 << 10}); /* large */
    uint64_t updates = lg_scan_kept_updates();
    for (int r = 0; r <= ROUNDS; r++) {
        if (r > 0) {
            for (int k = 0; k < 600; k++) {
                size_t slot = (size_t)rand() % SLOTS;
                uintptr_t a = base + slot * 64;
                if (used[slot])
                    lg_blocks_remove(a, NULL);
                else
                    lg_blocks_insert(&(struct lg_block){.addr = a, .size = (uint64_t)(rand() % 60)});
                used[slot] ^= 1;
            }
            /* past the run's end, far away, large ones (some replace the last round's) */
            lg_blocks_insert(&(struct lg_block){.addr = base + SLOTS * 64 + 200000 + (uint64_t)r * 512, .size = 300});
            lg_blocks_insert(&(struct lg_block){.addr = far + (uint64_t)r * 4096, .size = 1000});
            if (r % 2 == 0)
                lg_blocks_remove(far + (uint64_t)(r - 2) * 4096, NULL);
            lg_blocks_remove(far + 0x10000000 + (uint64_t)((r - 1) % 3) * 0x100000, NULL);
            lg_blocks_insert(&(struct lg_block){.addr = far + 0x10000000 + (uint64_t)(r % 3) * 0x100000,
                                                .size = (uint64_t)(70 + r) << 10});
        }
        struct lg_block *b;
        size_t n;
        bool merged, same;
        struct lg_scan s;
        lg_blocks_lock_all();
        cr_assert(lg_blockindex_get(&b, &n, &merged, &same));
        cr_assert(lg_scan_prepare_kept(&s, NULL, b, n, lg_blockindex_version(), same));
        for (int k = 0; k < 30000; k++) {
            uintptr_t a;
            switch (k % 4) {
            case 0: a = base + (uint64_t)rand() % (SLOTS * 64 + 300000); break;
            case 1: a = b[(size_t)rand() % n].addr + (uint64_t)(rand() % 3) * 7; break;
            case 2: a = far + (uint64_t)rand() % 0x10300000; break;
            default: a = b[(size_t)rand() % n].addr + b[(size_t)rand() % n].size; break;
            }
            cr_assert_eq(lg_scan_lookup(&s, a), holder(b, n, a), "round %d: lookup of %#lx", r, (unsigned long)a);
        }
        lg_scan_release(&s);
        lg_blocks_unlock_all();
    }
    cr_assert_geq(lg_scan_kept_updates() - updates, ROUNDS - 2, "the index was brought up to date, not built anew");
}

/* The first block of sorted b[n] but the large ones (over 64 KiB) overlapping granule g,
 * or -1: what a build puts in the index. */
static long first_small(const struct lg_block *b, size_t n, uint64_t g)
{
    uint64_t lo = g << LG_SCAN_GRANULE_SHIFT, hi = lo + (1u << LG_SCAN_GRANULE_SHIFT);
    size_t i = lg_scan_lower_bound(b, 0, n, lo);
    if (i > 0 && b[i - 1].addr + (b[i - 1].size ? b[i - 1].size - 1 : 0) >= lo)
        i--;
    for (; i < n && b[i].addr < hi; i++)
        if (b[i].size <= (64u << 10))
            return (long)i;
    return -1;
}

/* Every entry of the index names what a build would: the first block but the large ones
 * overlapping its granule (a hashed granule that none overlaps may name one past it). */
static void check_entries(const struct lg_scan *s, const char *when)
{
    for (uint64_t k = 0; s->dense && k < s->ndense; k++) {
        long f = first_small(s->blocks, s->n, (s->dense_lo >> LG_SCAN_GRANULE_SHIFT) + k);
        cr_assert_eq(s->dense[k] == UINT32_MAX ? -1 : (long)s->dense[k], f, "%s: dense granule %lu", when,
                     (unsigned long)k);
    }
    for (uint64_t i = 0; i <= s->gmask; i++) {
        if (!s->gkey[i])
            continue;
        uint64_t g = s->gkey[i] - 1;
        long f = first_small(s->blocks, s->n, g);
        cr_assert(f >= 0 ? s->gval[i] == (uint32_t)f
                         : s->gval[i] >= s->n || s->blocks[s->gval[i]].addr >= (g + 1) << LG_SCAN_GRANULE_SHIFT,
                  "%s: hashed granule %#lx names %u, want %ld", when, (unsigned long)g, s->gval[i], f);
    }
}

static void kept_round(const char *when, struct lg_scan *s)
{
    struct lg_block *b;
    size_t n;
    bool merged, same;
    lg_blocks_lock_all();
    cr_assert(lg_blockindex_get(&b, &n, &merged, &same));
    cr_assert(lg_scan_prepare_kept(s, NULL, b, n, lg_blockindex_version(), same));
    check_entries(s, when);
    for (size_t i = 0; i < n; i++)
        for (uint64_t o = 0; o < b[i].size || o == 0; o += b[i].size > 4096 ? 997 : 7)
            cr_assert_eq(lg_scan_lookup(s, b[i].addr + o), (long)i, "%s: %#lx", when, (unsigned long)(b[i].addr + o));
    cr_assert_eq(s->lo, n ? b[0].addr : 0, "%s: lo", when);
    cr_assert_eq(s->hi, n ? b[n - 1].addr + (b[n - 1].size ? b[n - 1].size : 1) : 0, "%s: hi", when);
    lg_scan_release(s);
    lg_blocks_unlock_all();
}

/* A block of up to 64 KiB freed and its range taken by small blocks, one shrunk in place
 * and small ones in its tail, one grown in place over freed neighbours, blocks far away
 * (hashed) replaced the same ways, then every block gone: the kept index's entries stay
 * those of a build (before, the small blocks were walked through from the first one, a
 * thousand per look-up), its span too. */
Test(scan, kept_index_entries_stay_exact)
{
    enum { N = 8000 };
    uint64_t base = 0x55550000000ull, big = base + N * 64, shrink = big + 65536, far = 0x7f0000000000ull;
    for (size_t i = 0; i < N; i++)
        lg_blocks_insert(&(struct lg_block){.addr = base + i * 64, .size = 40});
    lg_blocks_insert(&(struct lg_block){.addr = big, .size = 60000});
    lg_blocks_insert(&(struct lg_block){.addr = shrink, .size = 50000});
    lg_blocks_insert(&(struct lg_block){.addr = shrink + 65536, .size = 100 << 10}); /* large */
    lg_blocks_insert(&(struct lg_block){.addr = far, .size = 30000});
    uint64_t updates = lg_scan_kept_updates();
    struct lg_scan s;
    kept_round("built", &s);
    lg_blocks_remove(big, NULL); /* freed, then small blocks where it was */
    for (uint64_t a = big; a + 40 <= big + 60000; a += 48)
        lg_blocks_insert(&(struct lg_block){.addr = a, .size = 40});
    lg_blocks_remove(shrink, NULL); /* shrunk in place, small blocks in the tail */
    lg_blocks_insert(&(struct lg_block){.addr = shrink, .size = 100, .seq = 1});
    for (uint64_t a = shrink + 112; a + 40 <= shrink + 50000; a += 48)
        lg_blocks_insert(&(struct lg_block){.addr = a, .size = 40});
    lg_blocks_remove(far, NULL); /* the same far away, in the hash table */
    for (uint64_t a = far + 32; a + 24 <= far + 30000; a += 320) /* (few: the hash table holds 1024) */
        lg_blocks_insert(&(struct lg_block){.addr = a, .size = 24});
    kept_round("freed and shrunk", &s);
    for (size_t i = 0; i < 8; i++) /* grown in place over its freed neighbours */
        lg_blocks_remove(base + (100 + i) * 64, NULL);
    lg_blocks_remove(base + 99 * 64, NULL);
    lg_blocks_insert(&(struct lg_block){.addr = base + 99 * 64, .size = 9 * 64 - 8, .seq = 2});
    for (uint64_t a = far + 32; a + 24 <= far + 30000; a += 640) /* half of them go */
        lg_blocks_remove(a, NULL);
    kept_round("grown", &s);
    cr_assert_eq(lg_scan_kept_updates() - updates, 2, "the index was brought up to date, not built anew (%lu)", (unsigned long)(lg_scan_kept_updates() - updates));
    struct lg_block *all = calloc(2 * N + 4000, sizeof *all);
    lg_blocks_lock_all();
    size_t n = lg_blocks_copy_locked(all, 2 * N + 4000);
    lg_blocks_unlock_all();
    for (size_t i = 0; i < n; i++)
        lg_blocks_remove(all[i].addr, NULL);
    free(all);
    kept_round("all gone", &s);
}
