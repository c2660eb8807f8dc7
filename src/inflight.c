/* Reallocs in flight at a stop; see inflight.h. */
#include "inflight.h"

#include "lock.h"
#include "stw.h"

__thread struct lg_inflight lg_inflight __attribute__((tls_model("initial-exec")));

#define FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)

void lg_inflight_publish_locked(const struct lg_inflight *f, bool self)
{
    if (f->state == LG_INFLIGHT_IDLE || !f->old.seq || (lg_inflight_in_glibc(f) && !self))
        return; /* nothing taken (yet), or nothing known */
    if (f->state != LG_INFLIGHT_NEW) { /* kept, or a crash inside glibc's realloc */
        lg_blocks_publish_locked(&f->old);
        return;
    }
    struct lg_block b = f->old;
    b.addr = f->new_addr;
    b.size = f->new_size;
    b.seq &= LG_SEQ_MASK; /* the annotations move after the record */
    lg_blocks_publish_locked(&b);
}

void lg_inflight_publish_stop_locked(const struct lg_stop_rec *recs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (__atomic_load_n(&recs[i].acked, __ATOMIC_ACQUIRE))
            lg_inflight_publish_locked(&recs[i].inflight, false);
    lg_inflight_publish_locked(&lg_inflight, true);
}

void lg_inflight_returned(void *p, uint64_t size)
{
    if (p) {
        lg_inflight.new_addr = (uintptr_t)p;
        lg_inflight.new_size = size;
        lg_inflight.old.addr = 0;
    } else if (!size) {
        lg_inflight.old.seq = 0; /* realloc(p, 0) freed it */
    }
    FENCE();
    lg_inflight.state = p ? LG_INFLIGHT_NEW : LG_INFLIGHT_KEPT;
    FENCE();
    if (__builtin_expect(lg_stop_deferred != 0, 0))
        lg_stw_deferred_stop();
}

void lg_inflight_end(void)
{
    FENCE();
    lg_inflight.state = LG_INFLIGHT_IDLE;
    FENCE();
    lg_inflight.old.addr = lg_inflight.new_addr = 0;
    lg_inflight.old.seq = 0;
}
