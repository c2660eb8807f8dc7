/* A test-and-test-and-set spinlock for short critical sections on tracer tables.
 * No futex, no allocation, usable from fork handlers; lg_lock_try() is the only form
 * a signal handler may use. Threads yield after a few spins, so 64 threads on 2 cores
 * do not burn their time slices. */
#ifndef LG_LOCK_H
#define LG_LOCK_H

#include <sched.h>
#include <stdbool.h>
#include <time.h>

/* A stop that came while this thread was inside glibc's realloc, not answered yet (its
 * epoch; stw.c): a wait for a tracer lock answers it, since the lock may be the stopper's
 * (a signal handler of the program that allocates, on top of the realloc). */
extern __thread volatile unsigned lg_stop_deferred __attribute__((tls_model("initial-exec")));
void lg_stw_deferred_stop(void);

typedef struct { volatile int v; } lg_lock_t;
#define LG_LOCK_INIT {0}

static inline bool lg_lock_try(lg_lock_t *l)
{
    return !__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE);
}

static inline void lg_lock(lg_lock_t *l)
{
    for (int spins = 0; !lg_lock_try(l); spins++) {
        while (__atomic_load_n(&l->v, __ATOMIC_RELAXED)) {
            if (++spins > 64) {
                if (__builtin_expect(lg_stop_deferred != 0, 0))
                    lg_stw_deferred_stop();
                sched_yield();
                spins = 0;
            } else {
                __builtin_ia32_pause();
            }
        }
    }
}

/* The crash path's form: tries for up to ms milliseconds (yielding, so a thread that holds
 * the lock can finish), then gives up. The lock has no owner, so a lock the crashing thread
 * itself holds is only ever given up on. AS-safe. */
static inline bool lg_lock_within(lg_lock_t *l, long ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!lg_lock_try(l)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
            return false;
        sched_yield();
    }
    return true;
}

static inline void lg_unlock(lg_lock_t *l) { __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE); }

/* After fork only the forking thread survives: a lock held by another thread is
 * forgotten, not waited for. */
static inline void lg_lock_reset(lg_lock_t *l) { l->v = 0; }

#endif
