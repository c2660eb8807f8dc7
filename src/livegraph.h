/* The live graph between collections: every block under a stable id (kept while the
 * block lives, so that births and deaths renumber nothing), the words of its contents
 * that may be references, kept in tracer memory, and the marking parent of every block
 * reached from the roots by definite references. A collection rescans new, dirty and
 * not wholly readable blocks only, updates the rows they change, and marks only from
 * what changed: below a marking parent's reference that went, it marks again locally. */
#ifndef LG_LIVEGRAPH_H
#define LG_LIVEGRAPH_H

#include "livemark.h"
#include "scan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_livegraph_stats {
    size_t rescanned, kept; /* blocks read again; blocks whose rows held */
    bool full;     /* every block was rescanned (first collection, a new heap window...) */
    bool remarked;   /* the reachable set was marked again from the roots */
    size_t suspects; /* reached blocks whose marking parent's reference went */
    bool scanned_rows; /* finding what refers to them took a pass over every kept row */
    bool scanned_diffs; /* they were looked for in the dirty rows (the pass before that one) */
};

/* What the roots do not reach by definite references, numbered 0..n-1 in address order
 * (pos[c]: block c's index in the scan), with the references lg_livemark_run needs to
 * classify them: theirs among themselves, and the interior ones into them from a root or
 * a reached block (as from LG_LIVE_ROOT: phase 2 starts at both alike). Valid until the
 * next call. */
struct lg_live_sub {
    size_t n;
    const uint32_t *pos;
    const struct lg_live_edge *e;
    size_t ne;
};

/* The dirty cards of a block of LG_HUGE_ROW bytes or more, at position pos of the scan's
 * blocks: bit k covers its bytes [64 k, 64 k + 64), nbits of them. The rest of a dirty
 * block of that size is clean, and its rescan skips it. */
#define LG_HUGE_ROW (64u << 10)
struct lg_dirty_cards {
    const uint64_t *bits;
    uint32_t pos, nbits;
};

/* Brings the graph up to date with the blocks of sc (the world stopped): blocks flagged
 * in dirty (a bitmap over sc->blocks, NULL for none; cards: those of the large ones,
 * sorted by pos, every one of them, or NULL), blocks born since the last call
 * and blocks not wholly readable are rescanned; with full, all of them. version: the
 * blockindex version of sc->blocks (the same as last time: nothing to match). roots: the
 * roots' references (from LG_LIVE_ROOT) of this stop, in sc's indices, the first
 * nstable from roots that outlive the stop (not stacks or registers). Then gives the
 * blocks the roots do not reach, in *sub; every other block is reachable. False when
 * out of tracer memory: the graph is forgotten (the next call is full) and nothing is
 * given; the caller scans every block itself. */
bool lg_livegraph_update(struct lg_scan *sc, uint64_t version, const uint64_t *dirty, const struct lg_dirty_cards *cards,
                         size_t ncards, bool full, const struct lg_live_edge *roots, size_t nstable, size_t nroots,
                         struct lg_live_sub *sub, struct lg_livegraph_stats *st);

/* collect_verify, after a successful update with the world still stopped: checks the
 * kept graph against its invariants (ids and positions agree, every row equals its
 * block's words now, targets live and at their values, in-degrees recounted, flags,
 * lists, the marking tree, scratch state zero). Logs the first violations as
 * MISMATCH errors of the collection; returns how many. sp (sorted here): the stack
 * pointers of the stopped threads and the caller; a block holding one is not compared
 * with its memory (a coroutine's stack). */
size_t lg_livegraph_check(const struct lg_scan *sc, unsigned collection, uintptr_t *sp, size_t nsp);

/* The heap window the kept words cover: what the store hooks should watch. */
void lg_livegraph_window(uintptr_t *lo, uintptr_t *hi);

/* A collection that keeps nothing (collect_dirty=full): forgets the graph, but the
 * window follows the heap, for the store hooks' last-overwrite records. */
void lg_livegraph_unkept(const struct lg_scan *sc);
/* Forgets the graph and the window (fork child). */
void lg_livegraph_reset(void);

#endif
