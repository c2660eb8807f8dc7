/* The conservative scanner: a sorted copy of the live blocks, an index from address
 * granules to blocks, and the word-by-word scan of roots and blocks that emits one
 * reference for every aligned word pointing into a block. Runs with the world stopped. */
#ifndef LG_SCAN_H
#define LG_SCAN_H

#include "blocks.h"
#include "leakgraph/format.h"
#include "maps.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The index's granule: 256 bytes. */
#define LG_SCAN_GRANULE_SHIFT 8

struct lg_scan {
    struct lg_block *blocks; /* sorted by addr */
    size_t n, cap;
    bool borrowed; /* blocks belong to the caller of lg_scan_prepare_sorted */
    bool index_kept; /* the index and partial belong to lg_scan_prepare_kept's cache */
    const struct lg_maps *maps;
    /* granule index: open addressing, key = granule + 1 (0 = empty) */
    uint64_t *gkey;
    uint32_t *gval;
    uint64_t gmask;
    /* the densest run of blocks (usually the main heap), indexed directly:
     * dense[(addr - dense_lo) >> 8] = first block overlapping that granule */
    uint32_t *dense;
    uintptr_t dense_lo, dense_hi;
    uint64_t ndense;
    uint64_t gused; /* granules in the hash table */
    /* blocks too big for the granule index, as indices into blocks */
    uint32_t *large;
    size_t nlarge, large_cap;
    uintptr_t lo, hi; /* lowest block start, highest block end */
    /* bit i set: block i is not wholly readable (the program mprotect'ed part of it);
     * NULL when every block is. Such blocks are scanned piece by piece. */
    uint64_t *partial;
    uint64_t scanned_bytes;
    /* weak slots (leakgraph_weak) exist; the sequence number of the block being
     * scanned, 0 while scanning roots */
    bool weak_any;
    uint64_t holder_seq;
    /* where references go */
    void (*emit)(void *ctx, const struct lg_snap_edge *e);
    void *ctx;
};

/* Copies the live blocks (shard locks held), sorts them and builds the index.
 * False when out of tracer memory. */
bool lg_scan_prepare(struct lg_scan *s, const struct lg_maps *maps);
/* The same over blocks already sorted by address, which stay the caller's (the
 * collections keep theirs from one to the next: blockindex.c). */
bool lg_scan_prepare_sorted(struct lg_scan *s, const struct lg_maps *maps, struct lg_block *blocks, size_t n);
/* The same for the collections, over blockindex.c's copy of version `version`, often
 * unchanged from one collection to the next (same: the same array, unchanged): the
 * index built last time is kept and used again, and so are the not wholly readable
 * blocks when the mappings are the same. When the copy was merged from the one the
 * kept index is of, the index is brought up to date from the merge's changes. */
bool lg_scan_prepare_kept(struct lg_scan *s, const struct lg_maps *maps, struct lg_block *blocks, size_t n,
                          uint64_t version, bool same);
/* How many times the kept index was brought up to date from a merge's changes. */
uint64_t lg_scan_kept_updates(void);
/* Forgets the kept index (a fork child, or its blocks changed). */
void lg_scan_drop_kept(void);
void lg_scan_release(struct lg_scan *s);

/* Index of the block containing addr (start or interior), or -1. */
long lg_scan_lookup(const struct lg_scan *s, uintptr_t addr);
/* Starts loading what lg_scan_lookup(s, addr) will read: its index entry (first), or,
 * once that is in, the block record it names (second). For look-ups made a few words
 * behind the read. */
void lg_scan_prefetch(const struct lg_scan *s, uintptr_t addr, bool second);

/* Scans the aligned words of [lo, hi); from and base_off label the references. */
void lg_scan_range(struct lg_scan *s, uintptr_t lo, uintptr_t hi, uint32_t from, uint64_t base_off);
/* Scans one word held elsewhere (a saved register). */
void lg_scan_word(struct lg_scan *s, uintptr_t v, uint32_t from, uint64_t off);
/* Scans a word read from slot (a block's word, for weak slots; 0 for none). Returns the
 * index of the block it refers to, or -1 when it makes no reference. */
long lg_scan_slot(struct lg_scan *s, uintptr_t v, uint32_t from, uint64_t off, uintptr_t slot);
/* Scans block i's contents, piece by piece when it is not wholly readable. */
void lg_scan_block(struct lg_scan *s, size_t i);
/* Whether block i is not wholly readable (scanned piece by piece). */
bool lg_scan_is_partial(const struct lg_scan *s, size_t i);
/* Scans every block's contents. */
void lg_scan_blocks(struct lg_scan *s);

/* The first of b[l, h) (sorted by address) that starts at addr or after: h if none. */
size_t lg_scan_lower_bound(const struct lg_block *b, size_t l, size_t h, uintptr_t addr);

/* Sorts blocks by address (LSD radix); exposed for the unit tests. */
bool lg_scan_sort(struct lg_block *b, size_t n);

#endif
