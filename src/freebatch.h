/* Batched frees: free() hands a thread's freed blocks to the block table and to glibc
 * in batches (free_batch), so the table's shard lock is taken once per batch instead
 * of once per free. A block in a batch is still the program's memory to nobody: it
 * stays out of glibc until it is out of the table, so its address cannot be handed
 * out again while the table still holds it. */
#ifndef LG_FREEBATCH_H
#define LG_FREEBATCH_H

#include "blocks.h"

#include <stdbool.h>
#include <stddef.h>

/* Sets the batch size from the free_batch option (0: every free at once). */
void lg_freebatch_init(long batch);

/* free(p) for p != NULL: records the free and hands p to glibc, now or with the batch. */
void lg_freebatch_free(void *p);

/* Frees p once its record is out of the table: at the next free made outside the tracer
 * (by any thread), or at a stop's drain. For frees that cannot wait for a lock here (a
 * signal handler's, inside the tracer). AS-safe. */
void lg_freebatch_defer(void *p);

/* The deferred frees' chain (NULL when empty), and what gives them back to glibc: called
 * outside the tracer, at every free and allocation that finds the chain not empty. */
extern void *lg_freebatch_deferred;
void lg_freebatch_consume(void);
static inline void lg_freebatch_poll(void)
{
    if (__builtin_expect(__atomic_load_n(&lg_freebatch_deferred, __ATOMIC_RELAXED) != NULL, 0) ||
        __builtin_expect(__atomic_load_n(&lg_blocks_npending, __ATOMIC_RELAXED) != 0, 0))
        lg_freebatch_consume();
}

/* With every shard lock held (and the annotation lock when annot_held): takes the
 * blocks of every thread's pending batch, and the deferred frees, out of the table, so a snapshot, a collection
 * or a growth count sees them freed. AS-safe when annot_held. */
void lg_freebatch_drain_locked(bool annot_held);

/* The calling thread is exiting: its batch is flushed and its buffer goes back. */
void lg_freebatch_thread_exit(void);

/* In a fork child: the batches of the threads that did not survive are drained out of
 * the table and dropped (their blocks stay out of glibc: a small leak in the child,
 * never a double free). */
void lg_freebatch_atfork_child(void);

#endif
