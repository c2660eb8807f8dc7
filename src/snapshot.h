/* The one internal entry point that writes a snapshot: exit today; signal, API, timer
 * and crash triggers reuse it. Stops the world, scans, writes, resumes. */
#ifndef LG_SNAPSHOT_H
#define LG_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "leakgraph/format.h"

struct lg_snapshot_req {
    int fd;              /* where the file goes */
    uint32_t reason;     /* enum lg_snap_reason */
    uint32_t signo;
    uint64_t fault_addr;
    uintptr_t caller_sp; /* scan the calling thread's stack from here up */
    /* Crash mode (from a fatal signal's handler): the signal, filled in by the caller;
     * sp and regs are the interrupted thread's. Locks are taken with a time limit, the
     * buffers are the ones lg_snapshot_reserve() mapped, and the record is written as
     * LG_SEC_CRASH with the flags of what happened. NULL otherwise. */
    struct lg_snap_crash *crash;
};

/* After a crash snapshot: resumes the other threads and releases the tracer's locks,
 * which the crash snapshot keeps until then (the analyser runs meanwhile). AS-safe. */
void lg_snapshot_crash_release(void);

/* Maps the writer's buffers for a crash snapshot in advance. False when out of memory. */
bool lg_snapshot_reserve(void);

/* Writes a complete snapshot to req->fd. 0 or -errno. Not AS-safe (it stops the
 * world with signals and reads /proc); serialised by an internal lock. */
int lg_snapshot_take(const struct lg_snapshot_req *req);

/* Statistics of the last snapshot, for the report header. */
struct lg_snapshot_timing {
    uint64_t stop_ns, scan_ns, scanned_bytes, blocks, edges;
    uint64_t index_ns; /* of scan_ns: copying, sorting and indexing the blocks */
    uint64_t words_ns; /* of scan_ns: the word-by-word scan of roots and blocks, with its writes */
};
void lg_snapshot_last_timing(struct lg_snapshot_timing *t);

/* The calling thread's registers now, with the callee-saved ones as the first program
 * frame had them (our frames may hold them spilled below the scanned stack). regs has
 * LG_STW_NREGS entries. */
void lg_snapshot_save_registers(uintptr_t *regs);

#endif
