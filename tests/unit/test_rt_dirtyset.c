/* The store hooks' dirty sets (src/dirtyset.c): cards and ranges, two generations, the
 * overflow that forces a full rescan, the disarmed state, and the last-overwrite table. */
#include "dirtyset.h"

#include <criterion/criterion.h>

struct seen {
    uintptr_t lo[64], hi[64];
    int n;
};

static void collect(void *p, uintptr_t lo, uintptr_t hi)
{
    struct seen *s = p;
    if (s->n < 64) {
        s->lo[s->n] = lo;
        s->hi[s->n] = hi;
    }
    s->n++;
}

static bool covered(const struct seen *s, uintptr_t a)
{
    for (int i = 0; i < s->n && i < 64; i++)
        if (s->lo[i] <= a && a < s->hi[i])
            return true;
    return false;
}

Test(dirtyset, cards_ranges_and_two_generations)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000));
    lg_dirtyset_card_async(0x100048);
    lg_dirtyset_card_async(0x100050); /* same card */
    lg_dirtyset_range_async(0x150000, 0x151000);
    lg_dirtyset_range_async(0x160030, 0x1600a0); /* small: three cards */
    struct seen s = {0};
    cr_assert(lg_dirtyset_each(collect, &s));
    cr_assert_eq(s.n, 5, "1 card + 1 range + 3 cards, got %d", s.n);
    cr_assert(covered(&s, 0x100040) && covered(&s, 0x10007f) && !covered(&s, 0x100080));
    cr_assert(covered(&s, 0x150000) && covered(&s, 0x150fff));
    cr_assert(covered(&s, 0x160030) && covered(&s, 0x16009f));
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000));
    s.n = 0;
    cr_assert(lg_dirtyset_each(collect, &s));
    cr_assert_eq(s.n, 5, "the previous generation is still rescanned (a hook runs before its store)");
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000));
    s.n = 0;
    cr_assert(lg_dirtyset_each(collect, &s));
    cr_assert_eq(s.n, 0);
}

Test(dirtyset, overflow_means_rescan_everything)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000));
    for (uintptr_t a = 0; a < (1u << 18); a++)
        lg_dirtyset_card_async(0x10000000 + a * 64);
    struct seen s = {0};
    cr_assert_not(lg_dirtyset_each(collect, &s));
    for (int i = 0; i < 5000; i++)
        lg_dirtyset_range_async(0x100000, 0x200000);
    cr_assert_not(lg_dirtyset_each(collect, &s));
}

Test(dirtyset, last_overwrite)
{
    lg_dirtyset_reset();
    cr_assert(lg_dirtyset_rotate(0x100000, 0x200000));
    lg_dirtyset_note_overwrite_async(0x123450, 0x401000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123450), 0x401000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123460), 0);
    lg_dirtyset_note_overwrite_async(0x123450, 0x402000);
    cr_assert_eq(lg_dirtyset_last_overwrite(0x123450), 0x402000, "the last store wins");
}
