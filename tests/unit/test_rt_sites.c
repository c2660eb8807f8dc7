/* The site depot: identical stacks intern to one id, different stacks to different ids. */
#include "sites.h"

#include <criterion/criterion.h>

static void setup(void) { lg_sites_init(0, 0, 30, false); }

TestSuite(sites, .init = setup);

Test(sites, dedup)
{
    uintptr_t a[] = {0x401000, 0x402000, 0x403000};
    uintptr_t b[] = {0x401000, 0x402000, 0x403004};
    uint32_t ia = lg_sites_intern(a, 3), ia2 = lg_sites_intern(a, 3), ib = lg_sites_intern(b, 3);
    uint32_t ishort = lg_sites_intern(a, 2);
    cr_assert_neq(ia, 0);
    cr_assert_eq(ia, ia2);
    cr_assert_neq(ia, ib);
    cr_assert_neq(ia, ishort, "a prefix is a different stack");
    cr_assert_eq(lg_sites_count(), 3);
}

Test(sites, list_holds_every_site)
{
    for (uintptr_t i = 1; i <= 5000; i++) {
        uintptr_t pc[2] = {i, i * 3};
        lg_sites_intern(pc, 2);
    }
    uint32_t n = 0;
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next)
        n++;
    cr_assert_eq(n, 5000);
    cr_assert_eq(lg_sites_count(), 5000);
}

static __attribute__((noinline)) uint32_t capture_here(void) { return lg_sites_capture(); }

Test(sites, capture_distinguishes_call_sites)
{
    uint32_t a = capture_here();
    uint32_t b = capture_here();
    cr_assert_neq(a, 0);
    cr_assert_neq(b, 0);
    cr_assert_neq(a, b, "two call lines have two return addresses");
    uint32_t c = 0;
    for (volatile int i = 0; i < 2; i++) { /* volatile: no unrolling into two call sites */
        uint32_t x = capture_here();
        if (i == 0)
            c = x;
        else
            cr_assert_eq(c, x, "the same line twice is one site");
    }
}
