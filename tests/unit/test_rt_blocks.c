/* The block table: insert, remove, growth, backward-shift deletion, stats. */
#include "arena.h"
#include "blocks.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <time.h>

static struct lg_block mk(uint64_t addr, uint64_t size)
{
    return (struct lg_block){.addr = addr, .size = size, .seq = addr, .site = 7, .tid = 1};
}

Test(blocks, insert_lookup_remove)
{
    struct lg_block b = mk(0x10000, 40), out;
    cr_assert(lg_blocks_insert(&b));
    cr_assert(lg_blocks_remove(0x10000, &out));
    cr_assert_eq(out.size, 40);
    cr_assert_eq(out.site, 7);
    cr_assert_not(lg_blocks_remove(0x10000, NULL), "a block is forgotten once");
}

Test(blocks, many_blocks_survive_growth_and_deletion)
{
    const uint64_t n = 200000, base = 0x7f0000000000ull;
    for (uint64_t i = 0; i < n; i++) {
        struct lg_block b = mk(base + i * 16, i);
        cr_assert(lg_blocks_insert(&b));
    }
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, false);
    cr_assert_eq(st.live_blocks, n);
    /* Remove every other block; the rest must still be found (backward shift). */
    for (uint64_t i = 0; i < n; i += 2)
        cr_assert(lg_blocks_remove(base + i * 16, NULL));
    for (uint64_t i = 1; i < n; i += 2) {
        struct lg_block out;
        cr_assert(lg_blocks_remove(base + i * 16, &out), "block %lu lost", (unsigned long)i);
        cr_assert_eq(out.size, i);
    }
    lg_blocks_stats(&st, false);
    cr_assert_eq(st.live_blocks, 0);
    cr_assert_eq(st.live_bytes, 0);
    cr_assert_eq(st.total_allocs, n);
    cr_assert_eq(st.total_frees, n);
}

Test(blocks, copy_returns_every_live_block)
{
    for (uint64_t i = 1; i <= 1000; i++) {
        struct lg_block b = mk(i * 4096, i);
        lg_blocks_insert(&b);
    }
    struct lg_block *out = calloc(2000, sizeof *out);
    lg_blocks_lock_all();
    size_t n = lg_blocks_copy_locked(out, 2000);
    lg_blocks_unlock_all();
    cr_assert_eq(n, 1000);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += out[i].size;
    cr_assert_eq(sum, 1000 * 1001 / 2);
    free(out);
}

Test(blocks, reinsert_same_address_replaces)
{
    struct lg_block a = mk(0x5000, 10), b = mk(0x5000, 99), out;
    lg_blocks_insert(&a);
    lg_blocks_insert(&b);
    cr_assert(lg_blocks_remove(0x5000, &out));
    cr_assert_eq(out.size, 99);
    cr_assert_not(lg_blocks_remove(0x5000, NULL));
}

/* Batched frees: entries out of the table get LG_BLOCKS_GONE, annotated ones come back
 * (from the drain and from the batch), unknown addresses are skipped, and a drain (every
 * lock held) before the owner's flush leaves the flush nothing to do. Runs of four
 * entries share a 64 MiB region (one shard: its lock is held across the run). */
Test(blocks, remove_batch_and_drain)
{
    const uint64_t base = 0x7e0000000000ull, region = 64ull << 20;
    uint64_t batch[12];
    for (int i = 0; i < 12; i++) {
        struct lg_block b = mk(base + (uint64_t)(i / 4) * region + (uint64_t)i * 32, 100 + i);
        if (i == 2 || i == 6)
            b.seq |= LG_SEQ_ANNOTATED;
        if (i < 11)
            cr_assert(lg_blocks_insert(&b));
        batch[i] = b.addr; /* entry 11 was never inserted: skipped */
    }
    struct lg_blocks_stats st0, st;
    lg_blocks_stats(&st0, false);

    lg_blocks_lock_all();
    struct lg_block annot[12];
    size_t na = lg_blocks_drain_batch_locked(batch, 4, annot);
    lg_blocks_unlock_all();
    cr_assert_eq(na, 1, "the drain returns its annotated block");
    cr_assert_eq(annot[0].addr, base + 2 * 32);
    for (int i = 0; i < 4; i++)
        cr_assert(batch[i] & LG_BLOCKS_GONE, "drained entry %d is marked", i);
    cr_assert_not(batch[4] & LG_BLOCKS_GONE);
    lg_blocks_stats(&st, false);
    cr_assert_eq(st.total_frees - st0.total_frees, 4);

    na = lg_blocks_remove_batch(batch, 12, annot);
    cr_assert_eq(na, 1, "one annotated block left for the batch");
    cr_assert_eq(annot[0].addr, base + region + 6 * 32);
    cr_assert_eq(annot[0].size, 106);
    for (int i = 0; i < 12; i++)
        cr_assert(batch[i] & LG_BLOCKS_GONE, "entry %d is marked", i);
    lg_blocks_stats(&st, false);
    cr_assert_eq(st0.live_blocks - st.live_blocks, 11, "each of the 11 blocks removed once");
    cr_assert_eq(st.total_frees - st0.total_frees, 11);
    struct lg_block out;
    for (int i = 0; i < 11; i++)
        cr_assert_not(lg_blocks_lookup(batch[i] & ~(uint64_t)LG_BLOCKS_GONE, false, &out));
    cr_assert_eq(lg_blocks_remove_batch(batch, 12, annot), 0, "a second pass removes nothing");
    lg_blocks_stats(&st, false);
    cr_assert_eq(st.total_frees - st0.total_frees, 11, "and frees nothing");
}

/* Tracer memory (arena.c): a large mapping aligned for huge pages, zeroed, writable to
 * its last byte, and unmapped whole (the count of mapped bytes comes back); a small one
 * in small pages. */
Test(arena, populated_memory_is_aligned_zeroed_and_unmapped_whole)
{
    size_t sizes[] = {64u << 10, 4u << 20, (8u << 20) + 4096};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        uint64_t before = lg_arena_mapped_bytes();
        unsigned char *t = lg_map_populated(sizes[k]);
        cr_assert_not_null(t);
        if (sizes[k] >= (4u << 20))
            cr_assert_eq((uintptr_t)t % (2u << 20), 0, "aligned for huge pages");
        cr_assert_eq(t[0], 0);
        cr_assert_eq(t[sizes[k] - 1], 0);
        t[0] = t[sizes[k] - 1] = 1;
        cr_assert_eq(lg_arena_mapped_bytes(), before + ((sizes[k] + 4095) & ~(size_t)4095));
        lg_unmap(t, sizes[k]);
        cr_assert_eq(lg_arena_mapped_bytes(), before);
    }
}

/* The card table's memory: aligned for huge pages, zero when read anywhere, written
 * here and there, and counted. */
Test(arena, sparse_huge_memory_reads_zero_and_is_counted)
{
    size_t len = (16u << 20) + 4096;
    uint64_t before = lg_arena_mapped_bytes();
    volatile unsigned char *t = lg_map_sparse_huge(len);
    cr_assert_not_null(t);
    cr_assert_eq((uintptr_t)t % (2u << 20), 0, "aligned for huge pages");
    t[5 << 20] = 7;
    unsigned long sum = 0;
    for (size_t i = 0; i < len; i += 512)
        sum += t[i];
    cr_assert_eq(sum, 7, "zero but the one byte written");
    cr_assert_eq(t[len - 1], 0);
    cr_assert_eq(lg_arena_mapped_bytes(), before + len);
    lg_unmap((void *)t, len);
    cr_assert_eq(lg_arena_mapped_bytes(), before);
}

/* lg_grow keeps every element and zeroes the new ones, from small arrays (copied) into
 * large ones (moved by the kernel, aligned for huge pages), and counts what it maps. */
Test(arena, grow_keeps_contents_across_the_move_to_huge_pages)
{
    uint64_t before = lg_arena_mapped_bytes();
    uint64_t *v = NULL;
    size_t cap = 0, n = 0;
    for (size_t need = 1000; need <= (3u << 20); need = need * 3 + 7) { /* up to 24 MB */
        cr_assert(lg_grow((void **)&v, &cap, need, sizeof *v));
        cr_assert_geq(cap, need);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(v[i], i * 2654435761u, "element %zu kept at capacity %zu", i, cap);
        for (size_t i = n; i < cap; i++)
            cr_assert_eq(v[i], 0, "new element %zu zero at capacity %zu", i, cap);
        if (cap * sizeof *v >= (4u << 20))
            cr_assert_eq((uintptr_t)v % (2u << 20), 0, "aligned for huge pages");
        for (; n < need; n++)
            v[n] = n * 2654435761u;
        cr_assert_eq(lg_arena_mapped_bytes(), before + ((cap * sizeof *v + 4095) & ~(size_t)4095));
    }
    lg_unmap(v, cap * sizeof *v);
    cr_assert_eq(lg_arena_mapped_bytes(), before);
}

/* The crash path waits for the shard locks once in all, not once per shard: with every
 * lock held (by the crashing thread itself, say), 50 ms a shard would be 12.8 s. The
 * bound is loose on purpose; it tells the two apart on a loaded machine. */
Test(blocks, lock_all_within_gives_up_once)
{
    static bool held[LG_BLOCKS_NSHARDS];
    lg_blocks_lock_all();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert(!lg_blocks_lock_all_within(50, held));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int i = 0; i < LG_BLOCKS_NSHARDS; i++)
        cr_assert(!held[i], "shard %d taken while held", i);
    lg_blocks_unlock_all();
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(s, 5.0, "gave up after %.1f s", s);
    cr_assert(lg_blocks_lock_all_within(50, held));
    for (int i = 0; i < LG_BLOCKS_NSHARDS; i++)
        cr_assert(held[i]);
    lg_blocks_unlock_held(held);
}

/* ---- records of blocks that signal handlers allocate inside the tracer ---- */

static uint64_t handler_base;
static int handler_count, handler_rc[1024];

/* Stands for a program's handler that allocates on top of the tracer: it records its
 * blocks the way the nested allocation path does (track.c). */
static void insert_from_handler(int sig)
{
    (void)sig;
    for (int i = 0; i < handler_count; i++) {
        struct lg_block b = mk(handler_base + (uint64_t)i * 64, 48);
        handler_rc[i] = lg_blocks_insert_nested(&b);
    }
}

static void handler_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = insert_from_handler;
    sigaction(SIGUSR1, &sa, NULL);
}

static void run_handler(uint64_t base, int n)
{
    handler_base = base;
    handler_count = n;
    raise(SIGUSR1);
}

Test(nested, recorded_at_once_when_no_lock_is_held, .init = handler_setup)
{
    struct lg_block out;
    run_handler(0x5000000, 1);
    cr_assert_eq(handler_rc[0], 1);
    cr_assert(lg_blocks_lookup(0x5000000, false, &out));
    cr_assert_eq(lg_blocks_npending, 0);
}

/* The handler's thread holds every lock (a snapshot's): the record waits, and goes in
 * when the locks go, before anybody else can look. */
Test(nested, pending_under_its_own_lock_until_released, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0x6000000, 3);
    cr_assert_eq(handler_rc[0], 0);
    cr_assert_eq(handler_rc[2], 0);
    cr_assert_eq(lg_blocks_npending, 3);
    cr_assert_not(lg_blocks_find_locked(0x6000000, &out), "not in the table while pending");
    lg_blocks_unlock_all();
    cr_assert_eq(lg_blocks_npending, 0);
    for (uint64_t a = 0x6000000; a < 0x6000000 + 3 * 64; a += 64)
        cr_assert(lg_blocks_lookup(a, false, &out), "%#lx recorded at the release", (unsigned long)a);
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, false);
    cr_assert_eq(st.live_blocks, 3);
    cr_assert_eq(st.total_allocs, 3, "counted as the program's allocations");
}

/* A stop's drain (every lock held) takes them too. */
Test(nested, a_stop_drains_them, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0x6100000, 2);
    lg_blocks_pending_drain_locked();
    cr_assert(lg_blocks_find_locked(0x6100000, &out));
    cr_assert(lg_blocks_find_locked(0x6100040, &out));
    cr_assert_eq(lg_blocks_npending, 0);
    lg_blocks_unlock_all();
}

/* Freed before it was recorded: it never is. */
Test(nested, cancelled_by_a_free_before_it_goes_in, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0x7000000, 2);
    cr_assert_eq(lg_blocks_pending_cancel(0x7000040, &out), 1);
    cr_assert_eq(out.addr, 0x7000040);
    cr_assert_eq(out.size, 48);
    cr_assert_eq(lg_blocks_pending_cancel(0x7000040, NULL), 0, "cancelled once");
    lg_blocks_unlock_all();
    cr_assert_not(lg_blocks_lookup(0x7000040, false, &out));
    cr_assert(lg_blocks_lookup(0x7000000, false, &out), "the other one went in");
    cr_assert_eq(lg_blocks_pending_cancel(0x7000000, NULL), 0, "recorded: nothing pending");
}

/* A handler's free of such a block (lg_blocks_remove_try) takes the record back from
 * its slot, even while the table's locks are held. */
Test(nested, a_nested_free_takes_a_waiting_record, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0x7100000, 1);
    cr_assert_eq(lg_blocks_remove_try(0x7100000, &out), 1);
    cr_assert_eq(out.size, 48);
    cr_assert_eq(lg_blocks_npending, 0);
    cr_assert_eq(lg_blocks_remove_try(0x6f00000, &out), -1, "any other address under a held lock: not now");
    lg_blocks_unlock_all();
    cr_assert_not(lg_blocks_lookup(0x7100000, false, &out));
}

/* More than the first chunk of slots holds (a stopping thread's handlers, for the whole
 * stop): more chunks are mapped, nothing is lost. */
Test(nested, more_than_a_chunk_waits_too, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0x8000000, 1000);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(handler_rc[i], 0, "record %d pending", i);
    cr_assert_eq(lg_blocks_npending, 1000);
    cr_assert_eq(lg_blocks_pending_lost(), 0);
    lg_blocks_unlock_all();
    cr_assert_eq(lg_blocks_npending, 0);
    for (int i = 0; i < 1000; i++)
        cr_assert(lg_blocks_lookup(0x8000000 + (uint64_t)i * 64, false, &out), "record %d in", i);
}

/* A look-up (an annotation of the block) takes a waiting record in first. */
Test(nested, a_lookup_finds_a_waiting_record, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0xa000000, 1);
    cr_assert_eq(handler_rc[0], 0);
    /* released without the drain, as a thread that held only some shards would */
    lg_blocks_unlock_held((bool[LG_BLOCKS_NSHARDS]){[0 ... LG_BLOCKS_NSHARDS - 1] = true});
    cr_assert_eq(lg_blocks_npending, 1, "still waiting");
    cr_assert(lg_blocks_lookup(0xa000000, true, &out), "found by the look-up");
    cr_assert_eq(lg_blocks_npending, 0);
}

/* A fork child counts the waiting records again from the slots it inherited. */
Test(nested, a_fork_child_keeps_what_waits, .init = handler_setup)
{
    struct lg_block out;
    lg_blocks_lock_all();
    run_handler(0xb000000, 2);
    lg_blocks_npending = 5; /* as if a thread were between a slot's change and the count's */
    pid_t pid = fork();
    if (pid == 0) {
        lg_blocks_atfork_child();
        int ok = lg_blocks_npending == 2;
        ok &= lg_blocks_lookup(0xb000000, false, &out) && lg_blocks_lookup(0xb000040, false, &out);
        ok &= lg_blocks_npending == 0;
        _exit(ok ? 0 : 1);
    }
    lg_blocks_npending = 2;
    lg_blocks_unlock_all();
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child recounted and took both records");
}

/* Another thread holds the locks: the handler does not wait for it either. */
static volatile int holder_state;

static void *hold_all(void *arg)
{
    (void)arg;
    lg_blocks_lock_all();
    holder_state = 1;
    while (holder_state != 2)
        ;
    lg_blocks_unlock_all();
    return NULL;
}

Test(nested, another_threads_lock_is_not_waited_for, .init = handler_setup)
{
    struct lg_block out;
    pthread_t t;
    holder_state = 0;
    cr_assert_eq(pthread_create(&t, NULL, hold_all, NULL), 0);
    while (holder_state != 1)
        ;
    run_handler(0x9000000, 1);
    cr_assert_eq(handler_rc[0], 0, "pending, not waiting");
    holder_state = 2;
    pthread_join(t, NULL);
    cr_assert(lg_blocks_lookup(0x9000000, false, &out), "in when the holder let go");
}
