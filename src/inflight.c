/* Reallocs in flight at a stop; see inflight.h. */
#include "inflight.h"

#include "guard.h"
#include "stw.h"

__thread struct lg_inflight lg_inflight __attribute__((tls_model("initial-exec")));

void lg_inflight_on_stop(struct lg_inflight *out)
{
    *out = lg_inflight;
    if (lg_inflight.state != LG_INFLIGHT_IDLE)
        lg_inflight.published = 1;
}

void lg_inflight_publish_locked(const struct lg_inflight *f)
{
    if (f->state == LG_INFLIGHT_IDLE || !f->old.addr)
        return;
    if (f->state == LG_INFLIGHT_OLD) { /* glibc may be moving it: the old block it is */
        lg_blocks_publish_locked(&f->old);
        return;
    }
    struct lg_block b = f->old;
    b.addr = f->new_addr;
    b.size = f->new_size;
    b.seq &= LG_SEQ_MASK; /* the annotations move after the record */
    lg_blocks_publish_locked(&b);
    /* a stop earlier in this realloc may have put the old block back */
    if (f->new_addr != f->old.addr)
        lg_blocks_unpublish(f->old.addr, f->old.seq, true);
}

void lg_inflight_publish_stop_locked(const struct lg_stop_rec *recs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (__atomic_load_n(&recs[i].acked, __ATOMIC_ACQUIRE))
            lg_inflight_publish_locked(&recs[i].inflight);
    lg_inflight_publish_locked(&lg_inflight); /* a crash inside glibc's realloc */
}

void lg_inflight_end(bool old_gone)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    lg_inflight.state = LG_INFLIGHT_IDLE;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint64_t old = lg_inflight.old.addr;
    /* static TLS is a root: the addresses must not keep the blocks reachable */
    lg_inflight.old.addr = lg_inflight.new_addr = 0;
    if (__builtin_expect(lg_inflight.published, 0)) {
        lg_inflight.published = 0;
        if (old_gone) {
            LG_ENTER(); /* a signal handler's free meanwhile must not wait for the lock */
            lg_blocks_unpublish(old, lg_inflight.old.seq, false);
            LG_LEAVE();
        }
    }
}
