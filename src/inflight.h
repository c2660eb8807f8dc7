/* A realloc in flight: between taking the old block's record out of the table and
 * recording the new block, neither is in the table, and a stop there lost the block and,
 * through it, everything it points to (reported lost). Each thread publishes its realloc
 * in TLS; the stop handler copies it into the thread's stop record and the stopping
 * thread puts the block back into the table for the stop (lg_inflight_publish_locked).
 * Inside glibc's realloc the old block may be moved, freed or unmapped at any time and
 * the new one is not known yet: a stop signal arriving there is answered when glibc
 * returns (lg_stw_deferred_stop). */
#ifndef LG_INFLIGHT_H
#define LG_INFLIGHT_H

#include "blocks.h"

#include <stdbool.h>
#include <stdint.h>

enum lg_inflight_state {
    LG_INFLIGHT_IDLE,
    LG_INFLIGHT_OUT,   /* old's record goes out (taken once old.seq is set); glibc next */
    LG_INFLIGHT_GLIBC, /* inside glibc's realloc */
    LG_INFLIGHT_NEW,   /* glibc returned new_addr; its record is not in yet */
    LG_INFLIGHT_KEPT,  /* glibc failed: old is still the program's, its record not back yet
                        * (old.seq is 0 when there is none, or realloc(p, 0) freed it) */
};

struct lg_inflight {
    uint32_t state;
    uint64_t new_addr, new_size;
    /* old's record; in state NEW its address is cleared (static TLS is a root, and glibc
     * may have freed it), the rest serves the new block's record */
    struct lg_block old;
};

/* Whether a stop must wait for the thread until glibc's realloc returned: old's record
 * is out and glibc is about to move, free or unmap it, or doing so. A stop that
 * published the old block there would leave a record nothing takes out again. */
static inline bool lg_inflight_in_glibc(const struct lg_inflight *f)
{
    return f->state == LG_INFLIGHT_GLIBC || (f->state == LG_INFLIGHT_OUT && f->old.seq);
}

/* This thread's; initial-exec TLS, written by the thread and its stop handler only. */
extern __thread struct lg_inflight lg_inflight __attribute__((tls_model("initial-exec")));

/* Every shard lock held, the world stopped: puts the block of an in-flight realloc
 * (copied by the stop handler, or the calling thread's own: self) into the table,
 * unless a record for its address is there. Another thread stopped inside glibc's
 * realloc (a signal handler of the program ran on top of it) has no block to give: it
 * is missing from the stop. */
void lg_inflight_publish_locked(const struct lg_inflight *f, bool self);

/* The same for every thread a stop stopped (recs, n of them) and for the calling thread
 * (a crash inside glibc's realloc: its old block, the best there is). */
struct lg_stop_rec;
void lg_inflight_publish_stop_locked(const struct lg_stop_rec *recs, uint32_t n);

/* glibc's realloc returned p (NULL: failed, old unchanged): the state says so, and a stop
 * that came meanwhile stops this thread now. */
void lg_inflight_returned(void *p, uint64_t size);

/* The realloc is over: back to idle, the addresses cleared. */
void lg_inflight_end(void);

#endif
