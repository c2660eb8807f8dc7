/* Tracer metadata memory: mmap'd directly with raw syscalls, never from the program's
 * heap and never through our own mmap interposer. Every mapping is counted, so the
 * report can state the overhead, and snapshots know these ranges are not roots. */
#ifndef LG_ARENA_H
#define LG_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maps len bytes of zeroed memory (rounded to pages). NULL on failure. Not AS-safe
 * only in the sense that it counts with atomics; it takes no lock. */
void *lg_map(size_t len);
void lg_unmap(void *p, size_t len);
/* Like lg_map, in huge pages where the system grants them on request, for a large
 * mapping read whole and written here and there (the store hooks' card table): a read
 * of a part never written maps one shared huge zero page per 2 MiB, not one zero page
 * per 4 KiB (each a fault: reading 16 MB of them took 38 ms here); a written part
 * takes 2 MiB at once. */
void *lg_map_sparse_huge(size_t len);
/* Like lg_map, for memory that will be filled at once (rehashed tables, snapshot
 * arrays): the kernel populates it in one call, 4-5x cheaper than first-touch page
 * faults on the VMs we measured. From 4 MiB on, in transparent huge pages where the
 * system grants them on request, aligned for them (arena.c says why). */
void *lg_map_populated(size_t len);

/* A mapping kept from one use to the next and grown (by a quarter more) when too small:
 * collections reuse their working arrays, since mapping and populating them anew cost
 * more than filling them. Not thread-safe: its owner serialises. */
struct lg_buf {
    void *p;
    size_t bytes;
};
/* b's memory, at least bytes long (contents not kept when it grows); NULL on failure. */
void *lg_buf_reserve(struct lg_buf *b, size_t bytes);

/* Grows the array *p of *cap elements of elem bytes to hold need (doubling, from 1024),
 * keeping its contents; the new part is zero. From 4 MiB on, in huge pages like
 * lg_map_populated's, and moved by the kernel rather than copied. False when the kernel
 * refuses memory (*p stays). Not thread-safe: its owner serialises. */
bool lg_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Bump allocation for small objects that live until exit (sites, modules). Takes the
 * arena lock. NULL when the kernel refuses memory. */
void *lg_arena_alloc(size_t len);
/* The same, or NULL at once when another caller holds the arena: for a signal handler
 * that may have interrupted one. */
void *lg_arena_alloc_try(size_t len);

/* Bytes of tracer metadata currently mapped. */
uint64_t lg_arena_mapped_bytes(void);

/* Resets the arena lock in a fork child. */
void lg_arena_atfork_child(void);
/* Held across fork, so the child never inherits a half-done allocation. */
void lg_arena_fork_lock(void);
void lg_arena_fork_unlock(void);

#endif
