/* The live graph between collections: for every block, the words of its contents that
 * may be references (values inside the heap window), kept in tracer memory. A collection
 * rescans new and dirty blocks and replays the kept words of the others; freed blocks
 * simply drop out (their records are not carried over). */
#ifndef LG_LIVEGRAPH_H
#define LG_LIVEGRAPH_H

#include "scan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_livegraph_stats {
    size_t rescanned, replayed;
    bool full; /* every block was rescanned (first collection, a new heap window...) */
};

/* Emits the references of every block of sc through sc->emit: blocks flagged in dirty
 * (a bitmap over sc->blocks, NULL for none), blocks born since the last call and blocks
 * that are not wholly readable are rescanned; with full, all of them. Keeps the words
 * for the next call; when out of tracer memory, forgets them (the next call is full).
 * Call with the world stopped. */
void lg_livegraph_scan(struct lg_scan *sc, const uint64_t *dirty, bool full, struct lg_livegraph_stats *st);

/* The heap window the kept words cover: what the store hooks should watch. */
void lg_livegraph_window(uintptr_t *lo, uintptr_t *hi);

/* Forgets the kept words (fork child; incremental collections turned off). */
void lg_livegraph_reset(void);

#endif
