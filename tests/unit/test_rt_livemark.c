/* The in-process classification (src/livemark.c) on small graphs: Valgrind's kinds, the
 * lowest-addressed member of a lost cycle as the definite one, cycles and self-loops,
 * interior pointers, ignored blocks, and a long list (no recursion). */
#include "livemark.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#define R LG_LIVE_ROOT
#define I LG_LIVE_INTERIOR

static struct lg_livemark run(size_t n, const struct lg_live_edge *e, size_t ne, const uint8_t *ign)
{
    struct lg_livemark m;
    cr_assert(lg_livemark_run(&m, n, e, ne, ign));
    return m;
}

Test(livemark, reachable_chain_and_lost_chain)
{
    /* root -> 0 -> 1; 2 -> 3 lost */
    const struct lg_live_edge e[] = {{R, 0}, {0, 1}, {2, 3}};
    struct lg_livemark m = run(4, e, 3, NULL);
    cr_assert_eq(m.kind[0], LG_LIVE_REACHABLE);
    cr_assert_eq(m.kind[1], LG_LIVE_REACHABLE);
    cr_assert_eq(m.kind[2], LG_LIVE_DEFINITE);
    cr_assert_eq(m.kind[3], LG_LIVE_INDIRECT);
    cr_assert_eq(m.cycle[2] | m.cycle[3], 0, "a chain is no cycle");
    lg_livemark_release(&m);
}

Test(livemark, lost_ring_lowest_is_definite)
{
    /* 1 -> 2 -> 3 -> 1, nothing points in; 0 kept */
    const struct lg_live_edge e[] = {{R, 0}, {3, 1}, {1, 2}, {2, 3}};
    struct lg_livemark m = run(4, e, 4, NULL);
    cr_assert_eq(m.kind[1], LG_LIVE_DEFINITE);
    cr_assert_eq(m.kind[2], LG_LIVE_INDIRECT);
    cr_assert_eq(m.kind[3], LG_LIVE_INDIRECT);
    cr_assert_eq(m.ncycles, 1);
    cr_assert(m.cycle[1] == 1 && m.cycle[2] == 1 && m.cycle[3] == 1);
    cr_assert_eq(m.cycle[0], 0);
    lg_livemark_release(&m);
}

Test(livemark, self_loop_is_a_cycle_and_two_cycles_are_numbered_by_address)
{
    const struct lg_live_edge e[] = {{3, 3}, {0, 1}, {1, 0}};
    struct lg_livemark m = run(4, e, 3, NULL);
    cr_assert_eq(m.ncycles, 2);
    cr_assert_eq(m.cycle[0], 1);
    cr_assert_eq(m.cycle[1], 1);
    cr_assert_eq(m.cycle[2], 0, "a lone lost block without a self-reference is no cycle");
    cr_assert_eq(m.cycle[3], 2);
    cr_assert_eq(m.kind[2], LG_LIVE_DEFINITE);
    cr_assert_eq(m.kind[3], LG_LIVE_DEFINITE);
    lg_livemark_release(&m);
}

Test(livemark, interior_pointers_make_possible)
{
    /* root -interior-> 0 -> 1; root -> 2 -interior-> 3 */
    const struct lg_live_edge e[] = {{R, 0 | I}, {0, 1}, {R, 2}, {2, 3 | I}};
    struct lg_livemark m = run(4, e, 4, NULL);
    cr_assert_eq(m.kind[0], LG_LIVE_POSSIBLE);
    cr_assert_eq(m.kind[1], LG_LIVE_POSSIBLE);
    cr_assert_eq(m.kind[2], LG_LIVE_REACHABLE);
    cr_assert_eq(m.kind[3], LG_LIVE_POSSIBLE);
    lg_livemark_release(&m);
}

Test(livemark, ignored_blocks_and_what_they_reach)
{
    const struct lg_live_edge e[] = {{0, 1}, {2, 2}};
    const uint8_t ign[3] = {1, 0, 0};
    struct lg_livemark m = run(3, e, 2, ign);
    cr_assert_eq(m.kind[0], LG_LIVE_IGNORED);
    cr_assert_eq(m.kind[1], LG_LIVE_IGNORED);
    cr_assert_eq(m.kind[2], LG_LIVE_DEFINITE);
    cr_assert_eq(m.cycle[0] | m.cycle[1], 0);
    lg_livemark_release(&m);
}

Test(livemark, long_list_without_recursion)
{
    enum { N = 2000000 };
    struct lg_live_edge *e = malloc((N + 1) * sizeof *e);
    e[0] = (struct lg_live_edge){R, 0};
    for (uint32_t i = 0; i + 1 < N; i++)
        e[i + 1] = (struct lg_live_edge){i, i + 1};
    e[N] = (struct lg_live_edge){N - 1, 0}; /* and back: one big reachable cycle */
    struct lg_livemark m = run(N, e, N + 1, NULL);
    cr_assert_eq(m.kind[N - 1], LG_LIVE_REACHABLE);
    cr_assert_eq(m.ncycles, 0, "reachable cycles are not reported");
    lg_livemark_release(&m);
    e[0] = (struct lg_live_edge){N - 1, 0}; /* drop the root: one lost cycle of N */
    m = run(N, e, N + 1, NULL);
    cr_assert_eq(m.kind[0], LG_LIVE_DEFINITE);
    cr_assert_eq(m.kind[N - 1], LG_LIVE_INDIRECT);
    cr_assert_eq(m.ncycles, 1);
    cr_assert_eq(m.cycle[N / 2], 1);
    lg_livemark_release(&m);
    free(e);
}

Test(livemark, interior_from_the_roots_starts_phase_two)
{
    /* the live graph gives only unreached blocks, interior references into them from
     * reached blocks as from the roots: root ~> 0 -> 1; 2 <-> 3 lost */
    const struct lg_live_edge e[] = {{R, 0 | LG_LIVE_INTERIOR}, {0, 1}, {2, 3}, {3, 2}};
    struct lg_livemark m = run(4, e, 4, NULL);
    cr_assert_eq(m.kind[0], LG_LIVE_POSSIBLE);
    cr_assert_eq(m.kind[1], LG_LIVE_POSSIBLE);
    cr_assert_eq(m.kind[2], LG_LIVE_DEFINITE);
    cr_assert_eq(m.kind[3], LG_LIVE_INDIRECT);
    cr_assert(m.cycle && m.cycle[2] && m.cycle[2] == m.cycle[3]);
    lg_livemark_release(&m);
}

Test(livemark, nothing_lost_needs_no_cycle_numbers)
{
    const struct lg_live_edge e[] = {{R, 0}, {0, 1}};
    struct lg_livemark m = run(2, e, 2, NULL);
    cr_assert_eq(m.kind[1], LG_LIVE_REACHABLE);
    cr_assert_null(m.cycle);
    cr_assert_eq(m.ncycles, 0);
    lg_livemark_release(&m);
}
