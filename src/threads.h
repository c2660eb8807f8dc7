/* The thread registry: stack bounds and thread pointer of every thread, recorded when
 * it starts (pthread_create is wrapped), plus the per-thread state of a stop. */
#ifndef LG_THREADS_H
#define LG_THREADS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define LG_MAX_THREADS 16384
#define LG_NREGS 23 /* NGREG on x86-64 */

enum { LG_T_LIVE = 1, LG_T_EXITED = 2, LG_T_MAIN = 4 };

struct lg_thread {
    uint32_t tid;
    uint32_t flags;
    uintptr_t stack_lo, stack_hi; /* the usable stack, 0 when unknown */
    uintptr_t tp;                 /* thread pointer (pthread_self) */
    uintptr_t exit_sp;            /* SP at its pthread_exit call (the main thread) or at its
                                   * exit in the trampoline (others); 0 before */
    /* Stop state, written by the thread's own stop handler. */
    volatile uint32_t acked;
    uintptr_t sp;
    uintptr_t regs[LG_NREGS];
};

/* The calling thread is in pthread_exit with its frames above sp: what a zombie main
 * thread's stack holds from then on. */
void lg_threads_note_exit(uintptr_t sp);

/* Registers the calling (main) thread. */
bool lg_threads_init(void);

/* The registry: records [0, n). Entries are appended, never removed. */
struct lg_thread *lg_threads_at(uint32_t i);
uint32_t lg_threads_count(void);
struct lg_thread *lg_threads_find(uint32_t tid);
/* The calling thread's record, or NULL. AS-safe. */
struct lg_thread *lg_threads_self(void);
/* The calling thread's id, cached. AS-safe. */
uint32_t lg_threads_tid(void);

/* pthread_create through a trampoline that registers the new thread. */
int lg_threads_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                      int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));

/* thrd_create's: the same for a C11 thread (fn returns int); -1 when the tracer has no
 * memory for it (the caller creates it itself). */
int lg_threads_create_c11(pthread_t *t, int (*fn)(void *), void *arg,
                          int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));

/* Called where a thread first takes a per-thread buffer: a thread the trampoline did not
 * start gets them given back at its exit (a pthread key's destructor). */
void lg_threads_adopt(void);

/* Static TLS and the thread control block of the thread whose pointer is tp. */
bool lg_threads_tls_range(uintptr_t tp, uintptr_t *lo, uintptr_t *hi);

/* After fork: the calling thread is the only one alive, with a new tid. */
void lg_threads_atfork_child(void);
/* Held across fork, so the child never inherits a half-written record. */
void lg_threads_fork_lock(void);
void lg_threads_fork_unlock(void);

#endif
