/* Allocation bookkeeping: guard, lazy init, stack capture, block table. */
#include "track.h"

#include "annot.h"
#include "blocks.h"
#include "collect.h"
#include "freebatch.h"
#include "guard.h"
#include "init.h"
#include "journal.h"
#include "sites.h"
#include "threads.h"
#include "trigger.h"

#include <errno.h>
#include <stdint.h>

/* Sequence numbers are handed to threads in batches so the hot path does not
 * bounce one shared counter between cores. */
#define SEQ_BATCH 256
static uint64_t seq_global;
static __thread uint64_t seq_next __attribute__((tls_model("initial-exec")));
static __thread uint64_t seq_end __attribute__((tls_model("initial-exec")));

static inline uint64_t next_seq(void)
{
    if (seq_next == seq_end) {
        seq_next = __atomic_fetch_add(&seq_global, SEQ_BATCH, __ATOMIC_RELAXED) + 1;
        seq_end = seq_next + SEQ_BATCH;
    }
    return seq_next++;
}

static inline bool ready(void)
{
    if (__builtin_expect(lg_state == LG_READY, 1))
        return !lg_busy;
    if (lg_state == LG_UNINIT && !lg_busy)
        lg_init();
    return lg_state == LG_READY && !lg_busy;
}

/* An allocation made while this thread is inside the tracer: a signal handler's (recorded,
 * without waiting for any lock) or the tracer's own (not recorded). */
static void __attribute__((noinline)) track_nested(void *p, size_t size)
{
    int saved_errno = errno;
    LG_ENTER();
    bool handler;
    uint32_t site = lg_sites_capture_handler(&handler);
    if (handler) {
        struct lg_block b = {.addr = (uintptr_t)p, .size = size,
                             .seq = __atomic_add_fetch(&seq_global, 1, __ATOMIC_RELAXED), /* (one, not a batch) */
                             .site = site, .tid = lg_threads_tid()};
        lg_blocks_insert_nested(&b);
    }
    LG_LEAVE();
    errno = saved_errno;
}

void *lg_track_alloc(void *p, size_t size)
{
    if (!p)
        return p;
    if (!ready()) {
        if (__builtin_expect(lg_busy && lg_state == LG_READY, 0))
            track_nested(p, size);
        return p;
    }
    /* A successful malloc leaves errno alone; unwinding, growing the table and a
     * snapshot trigger make system calls that may not. */
    int saved_errno = errno;
    LG_ENTER();
    lg_blocks_prefetch((uintptr_t)p); /* its miss overlaps the stack walk */
    struct lg_block b = {.addr = (uintptr_t)p, .size = size, .seq = next_seq(),
                         .site = lg_sites_capture(), .tid = lg_threads_tid()};
    if (!lg_blocks_insert(&b))
        lg_disable("out of memory for the block table");
    else if (lg_journal_active)
        lg_journal_add(&b);
    LG_LEAVE();
    lg_freebatch_poll();
    lg_trigger_on_alloc();
    if (__builtin_expect(lg_collect_active, 0))
        lg_collect_on_alloc(p);
    errno = saved_errno;
    return p;
}

/* Never called inside the tracer: frees and reallocs made there (a signal handler's,
 * glibc's own in a dlsym) go to free_nested and realloc_nested, which never wait. */
static bool forget(void *p, struct lg_block *b)
{
    lg_freebatch_poll(); /* a signal handler's block may still wait to be recorded */
    LG_ENTER(); /* a signal handler's free meanwhile must not wait for the lock held here */
    bool found = lg_blocks_remove((uintptr_t)p, b);
    LG_LEAVE();
    return found;
}

bool lg_track_free(void *p)
{
    if (!p || lg_state != LG_READY)
        return false;
    struct lg_block b;
    if (!forget(p, &b))
        return false;
    if (lg_journal_active)
        lg_journal_remove(b.addr);
    if (__builtin_expect(b.seq & LG_SEQ_ANNOTATED, 0))
        lg_annot_forget(b.addr, b.size);
    return true;
}

uint64_t lg_track_seq_bound(void) { return __atomic_load_n(&seq_global, __ATOMIC_ACQUIRE) + 1; }

bool lg_track_take(void *p, struct lg_block *saved)
{
    if (!p || lg_state != LG_READY)
        return false;
    if (!forget(p, saved))
        return false;
    if (lg_journal_active)
        lg_journal_remove(saved->addr);
    return true;
}

void lg_track_restore(const struct lg_block *saved)
{
    LG_ENTER(); /* (as in forget) */
    bool in = lg_blocks_insert(saved);
    LG_LEAVE();
    if (in && lg_journal_active)
        lg_journal_add(saved);
}
