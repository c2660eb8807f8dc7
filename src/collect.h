/* In-process collections (leakgraph_collect, collect_every, collect_interval): stop the
 * world, scan the roots and the blocks (incrementally when a dirty source is known),
 * classify in tracer memory, and remember which blocks are unreachable. */
#ifndef LG_COLLECT_H
#define LG_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One unreachable block of the last collection. */
struct lg_garbage {
    uint64_t addr, size, seq;
    uint32_t site;
    uint8_t kind;  /* LG_LIVE_DEFINITE or LG_LIVE_INDIRECT */
    uint8_t fresh; /* not unreachable at the collection before */
    uint32_t cycle;
    uintptr_t last_store; /* code address of the last hooked store that overwrote a reference to it */
};

/* Nonzero when collect_every or collect_interval is set: the allocation path calls
 * lg_collect_on_alloc. Written once by lg_collect_init. */
extern int lg_collect_active;

/* Reads the collect_* options. Called by lg_init. */
void lg_collect_init(void);
/* After each allocation when lg_collect_active; p is the new block, which only the
 * allocator's return value refers to yet (a root for a collection run here). */
void lg_collect_on_alloc(void *p);

/* One collection. Prints what became unreachable when print is set. Returns the number
 * of unreachable blocks, or -errno. caller_sp: where the program's frames begin. */
long lg_collect_run(uintptr_t caller_sp, bool print);

/* Copies up to cap entries of the last collection's unreachable blocks; returns how
 * many there are. */
size_t lg_collect_garbage(struct lg_garbage *out, size_t cap);

/* At exit: the collect_verify summary. */
void lg_collect_at_exit(void);
void lg_collect_atfork_child(void);

#endif
