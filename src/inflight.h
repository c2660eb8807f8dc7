/* A realloc in flight: between taking the old block's record out of the table and
 * recording the new block, neither is in the table, and a stop there lost the block and,
 * through it, everything it points to (reported lost). Each thread publishes its realloc
 * in TLS; the stop handler copies it into the thread's stop record and the stopping
 * thread puts the block back into the table for the stop (lg_inflight_publish_locked). */
#ifndef LG_INFLIGHT_H
#define LG_INFLIGHT_H

#include "blocks.h"

#include <stdint.h>

enum lg_inflight_state {
    LG_INFLIGHT_IDLE,
    LG_INFLIGHT_OLD, /* old's record (when old.addr) is out; glibc has not returned */
    LG_INFLIGHT_NEW, /* glibc returned new_addr; its record is not in yet */
};

struct lg_inflight {
    uint32_t state;
    uint32_t published; /* a stop came while not idle: the old record may be back */
    uint64_t new_addr, new_size;
    struct lg_block old;
};

/* This thread's; initial-exec TLS, written by the thread and its stop handler only. */
extern __thread struct lg_inflight lg_inflight __attribute__((tls_model("initial-exec")));

/* The stop handler's part: copies this thread's state to *out; AS-safe. */
void lg_inflight_on_stop(struct lg_inflight *out);

/* Every shard lock held, the world stopped: puts the block of an in-flight realloc
 * (copied by lg_inflight_on_stop, or the calling thread's own) into the table, unless a
 * record for its address is there. */
void lg_inflight_publish_locked(const struct lg_inflight *f);

/* The same for every thread a stop stopped (recs, n of them) and for the calling thread. */
struct lg_stop_rec;
void lg_inflight_publish_stop_locked(const struct lg_stop_rec *recs, uint32_t n);

/* The realloc is over: when a stop had published its old block and the old address is no
 * longer the program's, that record goes again. old_gone: the realloc moved or freed it. */
void lg_inflight_end(bool old_gone);

#endif
