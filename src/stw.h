/* Stop-the-world by signals: every other thread runs a handler that saves its
 * registers and waits on a futex until the snapshot is done. No ptrace, so it works
 * under gdb and strace. Call with the loader lock held (from a dl_iterate_phdr
 * callback) so no stopped thread holds it. */
#ifndef LG_STW_H
#define LG_STW_H

#include "inflight.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_STW_NREGS 23

enum lg_stop_state {
    LG_STOP_SIGNALLED = 0, /* sent the signal; stopped when acked */
    LG_STOP_BLOCKS = 1,    /* waits for the stop signal in sigwait, or kept it masked from before
                            * it was sent, or masked it since and waits in futex(2) (stw.c) */
    LG_STOP_GONE = 2,      /* exiting or a zombie (a main thread after pthread_exit) */
    LG_STOP_MASKED = 3,    /* masks the signal: watched for a while (see stw.c), then BLOCKS */
    LG_STOP_REALLOC = 4    /* was inside glibc's realloc and did not return in time: ran on */
};

struct lg_stop_rec {
    uint32_t tid;
    uint32_t epoch; /* of the stop (attempt) that made it: a late handler leaves it alone */
    volatile uint32_t acked;
    uint32_t state; /* enum lg_stop_state */
    uintptr_t sp;
    uintptr_t regs[LG_STW_NREGS];
    struct lg_inflight inflight; /* its realloc in flight, copied by its handler */
    uintptr_t pending_lo, pending_hi; /* its hooked write maybe in flight (dirtyset.h) */
    /* 1: signalled inside glibc's realloc, stops at its end (lg_stw_deferred_stop); 2: did;
     * 3: the stop gave up waiting. Changed by CAS only. */
    uint32_t deferred;
    /* The stop's epoch << 2 | 0: open; 1: the thread took the stop (its handler, or
     * lg_stw_at_loader_lock); 2: the stop gave up on it. Changed by CAS only, so that a
     * thread and the stopper never both count the one acknowledgement (stw.c). */
    uint32_t claim;
    uint64_t since_ms; /* when it was listed, or sent the signal after it unmasked it */
};

/* Called by the interposed dl_iterate_phdr before it takes the loader lock, which a stop
 * holds for its whole length: a thread that has the stop signal blocked there (libunwind
 * blocks every signal around the call) and that the stop waits for stops here instead of
 * waiting for the lock in vain until the stop gives up on it. AS-safe. */
void lg_stw_at_loader_lock(void);

/* Calls dl_iterate_phdr(cb, arg), cb to stop the world at its first call (and return
 * nonzero): the stop announced before, so that a thread masking the stop signal at the
 * loader lock waits for it in lg_stw_at_loader_lock rather than for the lock. */
struct dl_phdr_info;
/* The stop signal: stop_signal, or SIGRTMIN+3. */
int lg_stw_signal(void);
void lg_stw_run_locked(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg);

/* Stops every other thread; waits at most timeout_ms for each round of
 * acknowledgements. Returns the number of records; *recs points at them, or is NULL
 * when nothing could be stopped (no memory, or the handler could not be installed). */
uint32_t lg_stw_stop(int signo, long timeout_ms, struct lg_stop_rec **recs);
void lg_stw_resume(void);
/* Warns about each thread the stop left running, and each one whose block in realloc is
 * missing (what: "snapshot" or "collection"). */
void lg_stw_report_unstopped(const struct lg_stop_rec *recs, uint32_t n, const char *what);
/* Whether the last stop met more threads than it can record (they were not stopped). */
bool lg_stw_overflowed(void);
/* When lg_stw_stop gave no records: ENOMEM, or EINVAL (the handler could not be set). */
int lg_stw_error(void);

#endif
