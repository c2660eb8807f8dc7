/* The live block table: address -> requested size, site, sequence number, thread.
 * 256 shards, each an open-addressing table under its own spinlock, in mmap'd memory:
 * no global lock on the allocation path, and nothing in the program's heap. */
#ifndef LG_BLOCKS_H
#define LG_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The top bit of lg_block.seq: the block has annotations (src/annot.c), which go when it
 * is freed. Sequence numbers never come near it; snapshots write seq & LG_SEQ_MASK. */
#define LG_SEQ_ANNOTATED (1ull << 63)
#define LG_SEQ_MASK (LG_SEQ_ANNOTATED - 1)

struct lg_block {
    uint64_t addr; /* 0 marks an empty slot */
    uint64_t size;
    uint64_t seq;
    uint32_t site;
    uint32_t tid;
};

struct lg_blocks_stats {
    uint64_t live_blocks;
    uint64_t live_bytes;
    uint64_t table_bytes; /* bytes mapped for slots */
    uint64_t total_allocs;
    uint64_t total_frees;
    uint64_t total_bytes;
};

/* Maps the initial shards. Returns false when the kernel refuses memory. */
bool lg_blocks_init(void);

/* Records a new block. False when the table cannot grow (out of metadata memory). */
bool lg_blocks_insert(const struct lg_block *b);

/* For a block that a signal handler allocated while its thread was inside the tracer:
 * records it now when its shard's lock is free and not its own thread's, else leaves it
 * pending (see blocks.c). 1: recorded, 0: pending, -1: dropped (no room). AS-safe, never
 * waits. */
int lg_blocks_insert_nested(const struct lg_block *b);
/* A pending record for addr is cancelled (1: its block is freed before it was recorded;
 * the record is copied to *out unless out is NULL), is going into the table right now
 * (-1: free the block later), or there is none (0). AS-safe. */
int lg_blocks_pending_cancel(uint64_t addr, struct lg_block *out);
/* Pending records, how many (a hint, atomic); flush: all of them into the table, taking
 * the locks (outside the tracer); drain: the same with every shard lock held (a stop). */
extern int lg_blocks_npending;
void lg_blocks_pending_flush(void);
void lg_blocks_pending_drain_locked(void);
/* Records that found no pending slot: blocks never recorded. */
uint64_t lg_blocks_pending_lost(void);

/* A stop's in-flight block (inflight.c), with every shard lock held: records b unless
 * a record for its address exists. Not counted as an allocation. True if it was added. */
bool lg_blocks_publish_locked(const struct lg_block *b);
/* Every shard lock held: forgets addr, copying its record to *out. AS-safe. */
bool lg_blocks_remove_locked(uint64_t addr, struct lg_block *out);
/* Starts loading addr's slot into the cache, so that the insert after the stack capture
 * finds it there. Reads the shard without its lock: a hint only, never faults. */
void lg_blocks_prefetch(uint64_t addr);

/* Forgets addr; copies its record to *out when out is not NULL. False if unknown. */
bool lg_blocks_remove(uint64_t addr, struct lg_block *out);
/* The same, then calls then(arg) before the shard's lock goes: a drain, which holds
 * every shard lock, sees both or neither. */
bool lg_blocks_remove_then(uint64_t addr, struct lg_block *out, void (*then)(void *), void *arg);
/* For frees and reallocs made while their thread is inside the tracer (a signal
 * handler's): 1 when addr's record was removed (copied to *out), also a pending one
 * (lg_blocks_insert_nested), 0 when there is none, -1 when that could not be done here:
 * the shard's lock is taken, the block has annotations (their lock may be taken too),
 * or its pending record is going into the table. Never waits. */
int lg_blocks_remove_try(uint64_t addr, struct lg_block *out);
/* Batched frees (freebatch.c). Entries are block addresses; bit 0 (LG_BLOCKS_GONE) set
 * on an entry means it is out of the table already. Removes every entry without the bit,
 * sets the bit on each (under the shard's lock, so a drain never races it), copies the
 * records of annotated blocks to annotated (room for n) and returns how many. */
#define LG_BLOCKS_GONE 1u
size_t lg_blocks_remove_batch(uint64_t *addr, size_t n, struct lg_block *annotated);
/* The same with every shard lock already held: for the stops that drain every thread's
 * batch. AS-safe. */
size_t lg_blocks_drain_batch_locked(uint64_t *addr, size_t n, struct lg_block *annotated);

/* Looks up the live block starting at addr; with mark, flags it LG_SEQ_ANNOTATED.
 * Copies its record to *out. False if addr starts no live block. */
bool lg_blocks_lookup(uint64_t addr, bool mark, struct lg_block *out);

/* Takes or releases every shard lock: around a snapshot and around fork. */
void lg_blocks_lock_all(void);
void lg_blocks_unlock_all(void);
/* The crash path's: every shard lock tried for up to ms in all; held[LG_BLOCKS_NSHARDS]
 * says which were taken (and are released by lg_blocks_unlock_held). False if any was
 * not. AS-safe. */
#define LG_BLOCKS_NSHARDS 256
bool lg_blocks_lock_all_within(long ms, bool *held);
void lg_blocks_unlock_held(const bool *held);
/* In a fork child: the other threads are gone, so their locks are reset. */
void lg_blocks_atfork_child(void);

/* Call with all shard locks held. Copies every live block into out (capacity cap)
 * and returns the number of live blocks (which may exceed cap). */
size_t lg_blocks_copy_locked(struct lg_block *out, size_t cap);

/* Sums the shards' counters; takes each shard lock in turn (or none when locked). */
void lg_blocks_stats(struct lg_blocks_stats *st, bool locked);

/* The change log, for the sorted copy of the table the collections keep (blockindex.c).
 * All with every shard lock held. Start: from now on every insert, remove and annotation
 * flag logs the block's address (the logs start empty). Stop: no more logging. Count: how
 * many addresses are logged; *lost when a log overflowed (it never outgrows its shard)
 * or logging is off: then the log is worthless. Take: copies them to out (count long,
 * in no order, repeats possible) and empties the logs. */
void lg_blocks_log_start_locked(void);
void lg_blocks_log_stop_locked(void);
size_t lg_blocks_log_count_locked(bool *lost);
void lg_blocks_log_take_locked(uint64_t *out);
/* Every shard lock held: the record of the live block at addr, if any. */
bool lg_blocks_find_locked(uint64_t addr, struct lg_block *out);

#endif
