/* The block table: insert, remove, growth, backward-shift deletion, stats. */
#include "blocks.h"

#include <criterion/criterion.h>
#include <stdlib.h>

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
