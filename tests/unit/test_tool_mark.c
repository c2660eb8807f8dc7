/* Mark, clique pass and cycles: exact expected kinds for the classic leak shapes, Valgrind's
 * semantics cross-checked against a naive fixpoint on random graphs, and a 10^7-node list. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "classify.h"
#include "reader.h"
#include "snapbuild.h"

#define R LGT_KIND_STILL_REACHABLE
#define P LGT_KIND_POSSIBLY_LOST
#define D LGT_KIND_DEFINITELY_LOST
#define I LGT_KIND_INDIRECTLY_LOST

static struct lgt_heap heap;
static struct lgt_classes cls;

static void classify(const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    char err[512] = "";
    cr_assert_eq(lgt_reader_load_mem("t.lgs", b.buf, b.len, &heap, err, sizeof err), 0, "%s", err);
    free(b.buf);
    lgt_classify_run(&heap, &cls);
}

static void done(void)
{
    lgt_classify_free(&cls);
    lgt_reader_free(&heap);
}

static void expect_kinds(const uint8_t *want, size_t n)
{
    cr_assert_eq(cls.nblocks, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(cls.kinds[i], want[i], "block %zu: kind %d, want %d", i, cls.kinds[i], want[i]);
}

TestSuite(mark, .fini = done);

Test(mark, direct_leak)
{
    struct gb g;
    gb_init(&g);
    uint32_t kept = gb_block(&g, 10, 1);
    gb_block(&g, 24, 2);
    gb_root(&g, kept, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){R, D}, 2);
    cr_assert_eq(cls.total[D].bytes, 24);
    cr_assert_eq(cls.total[R].bytes, 10);
    cr_assert_eq(cls.ncycles, 0);
}

Test(mark, lost_tree_is_one_definite_and_indirect_rest)
{
    struct gb g;
    gb_init(&g);
    for (int i = 0; i < 5; i++)
        gb_block(&g, 16, 1);
    gb_edge(&g, 0, 1, 0, 0);
    gb_edge(&g, 0, 2, 0, 0);
    gb_edge(&g, 1, 3, 0, 0);
    gb_edge(&g, 2, 4, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){D, I, I, I, I}, 5);
    cr_assert_eq(cls.indirect_bytes[0], 64);
    cr_assert_eq(cls.cyclic_total.blocks, 0);
}

Test(mark, tree_root_above_its_children)
{
    /* The root has the highest address: earlier leaders (its children) get absorbed. */
    struct gb g;
    gb_init(&g);
    for (int i = 0; i < 3; i++)
        gb_block(&g, 16, 1);
    gb_edge(&g, 2, 0, 0, 0);
    gb_edge(&g, 2, 1, 0, 0);
    gb_edge(&g, 1, 0, 8, 0);
    classify(&g);
    expect_kinds((uint8_t[]){I, I, D}, 3);
    cr_assert_eq(cls.indirect_bytes[2], 32, "absorbed leaders hand over their bytes");
}

Test(mark, lost_ring_lowest_address_is_definite)
{
    struct gb g;
    gb_init(&g);
    for (int i = 0; i < 4; i++)
        gb_block(&g, 32, 1);
    for (uint32_t i = 0; i < 4; i++) {
        gb_edge(&g, i, (i + 1) % 4, 0, 0);
        gb_edge(&g, (i + 1) % 4, i, 0, 0);
    }
    classify(&g);
    expect_kinds((uint8_t[]){D, I, I, I}, 4);
    cr_assert_eq(cls.ncycles, 1);
    cr_assert_eq(cls.cycles[0].n, 4);
    cr_assert_eq(cls.cycles[0].bytes, 128);
    cr_assert_eq(cls.cyclic_total.blocks, 4);
    for (int i = 0; i < 4; i++)
        cr_assert(cls.cyclic[i]);
}

Test(mark, self_loop_is_cyclic)
{
    struct gb g;
    gb_init(&g);
    gb_block(&g, 8, 1);
    gb_block(&g, 8, 1);
    gb_edge(&g, 0, 0, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){D, D}, 2);
    cr_assert_eq(cls.ncycles, 1);
    cr_assert_eq(cls.cycles[0].n, 1);
    cr_assert(cls.cyclic[0]);
    cr_assert(!cls.cyclic[1]);
}

Test(mark, reachable_cycle_is_not_cyclic)
{
    struct gb g;
    gb_init(&g);
    gb_block(&g, 8, 1);
    gb_block(&g, 8, 1);
    gb_edge(&g, 0, 1, 0, 0);
    gb_edge(&g, 1, 0, 0, 0);
    gb_root(&g, 1, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){R, R}, 2);
    cr_assert_eq(cls.ncycles, 0);
    cr_assert_eq(cls.cyclic_total.blocks, 0);
}

Test(mark, cycle_hanging_off_a_leaked_block)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), x = gb_block(&g, 40, 2);
    gb_edge(&g, a, b, 0, 0);
    gb_edge(&g, b, a, 0, 0);
    gb_edge(&g, x, a, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){I, I, D}, 3);
    cr_assert(cls.cyclic[a] && cls.cyclic[b] && !cls.cyclic[x]);
    cr_assert_eq(cls.indirect_bytes[x], 32);
    cr_assert_eq(cls.cyclic_total.bytes, 32);
}

Test(mark, indirect_block_stops_later_floods)
{
    /* Valgrind: A leads {A, B}; C's flood stops at B (already indirect), so C never absorbs
     * A even though B points back at A. */
    struct gb g;
    gb_init(&g);
    gb_block(&g, 8, 1);
    gb_block(&g, 8, 1);
    gb_block(&g, 8, 1);
    gb_edge(&g, 0, 1, 0, 0);
    gb_edge(&g, 1, 0, 0, 0);
    gb_edge(&g, 2, 1, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){D, I, D}, 3);
}

Test(mark, interior_pointer_only_is_possibly_lost)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 64, 1), b = gb_block(&g, 16, 1), c = gb_block(&g, 16, 1);
    uint32_t d = gb_block(&g, 16, 1), e = gb_block(&g, 16, 1);
    gb_root(&g, a, 8, LG_HEUR_NONE);  /* interior, no heuristic */
    gb_edge(&g, a, b, 0, 0);          /* start pointer from a possibly lost block */
    gb_root(&g, c, 0, 0);
    gb_edge(&g, c, d, 4, LG_HEUR_NONE);
    gb_edge(&g, d, e, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){P, P, R, P, P}, 5);
    cr_assert_eq(cls.total[P].blocks, 4);
}

Test(mark, start_pointer_beats_interior_pointer)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 64, 1), b = gb_block(&g, 16, 1);
    gb_root(&g, a, 8, LG_HEUR_NONE);
    gb_root(&g, b, 0, 0);
    gb_edge(&g, b, a, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){R, R}, 2);
}

Test(mark, heuristic_interior_pointer_is_reachable)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 64, 1), b = gb_block(&g, 16, 1);
    gb_root(&g, a, 24, LG_HEUR_STDSTRING);
    gb_edge(&g, a, b, 8, LG_HEUR_NEWARRAY);
    classify(&g);
    expect_kinds((uint8_t[]){R, R}, 2);
}

Test(mark, no_blocks)
{
    struct gb g;
    gb_init(&g);
    classify(&g);
    cr_assert_eq(cls.nblocks, 0);
    cr_assert_eq(cls.total[D].blocks + cls.total[R].blocks, 0);
}

/* ---- random graphs against a naive fixpoint ---- */

struct naive {
    size_t n;
    uint8_t kind[GB_MAX];
};

static int naive_mark_step(const struct gb *g, uint8_t *k, int definite_only, uint8_t as)
{
    int changed = 0;
    for (size_t i = 0; i < g->nroot_edges; i++) {
        const struct lg_snap_edge *e = &g->root_edges[i];
        if (!k[e->to] && (!definite_only || e->to_off == 0 || e->heur))
            k[e->to] = as, changed = 1;
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const struct lg_snap_edge *e = &g->edges[i];
        int src_ok = definite_only ? k[e->from] == R : (k[e->from] == R || k[e->from] == P);
        if (src_ok && !k[e->to] && (!definite_only || e->to_off == 0 || e->heur))
            k[e->to] = as, changed = 1;
    }
    return changed;
}

/* Valgrind's clique pass, by repeated edge scans instead of a work stack. */
static void naive_cliques(const struct gb *g, uint8_t *k)
{
    for (size_t v = 0; v < g->nblocks; v++) {
        if (k[v])
            continue;
        uint8_t in[GB_MAX] = {0};
        in[v] = 1;
        for (int changed = 1; changed;) {
            changed = 0;
            for (size_t i = 0; i < g->nedges; i++) {
                const struct lg_snap_edge *e = &g->edges[i];
                if (in[e->from] && !in[e->to] && e->to != v && !k[e->to]) {
                    in[e->to] = 1;
                    k[e->to] = I;
                    changed = 1;
                }
            }
        }
    }
    for (size_t v = 0; v < g->nblocks; v++)
        if (!k[v])
            k[v] = D;
}

static void random_graph(struct gb *g, unsigned seed)
{
    srand(seed);
    gb_init(g);
    size_t n = 1 + (size_t)rand() % 40;
    for (size_t i = 0; i < n; i++)
        gb_block(g, (uint64_t)(rand() % 64), 1 + (uint32_t)(rand() % 2));
    size_t m = (size_t)rand() % (2 * n + 1);
    for (size_t i = 0; i < m; i++) {
        int interior = rand() % 4 == 0;
        gb_edge(g, (uint32_t)(rand() % (int)n), (uint32_t)(rand() % (int)n), interior ? 8 : 0,
                interior && rand() % 2 ? LG_HEUR_LENGTH64 : 0);
    }
    for (size_t i = 0, r = (size_t)rand() % 4; i < r; i++)
        gb_root(g, (uint32_t)(rand() % (int)n), rand() % 3 == 0 ? 8 : 0, 0);
}

Test(mark, random_graphs_match_naive_fixpoint)
{
    for (unsigned seed = 1; seed <= 300; seed++) {
        struct gb g;
        random_graph(&g, seed);
        uint8_t k[GB_MAX] = {0};
        while (naive_mark_step(&g, k, 1, R))
            ;
        while (naive_mark_step(&g, k, 0, P))
            ;
        naive_cliques(&g, k);
        classify(&g);
        for (size_t v = 0; v < g.nblocks; v++)
            cr_assert_eq(cls.kinds[v], k[v], "seed %u block %zu: %d, naive %d", seed, v,
                         cls.kinds[v], k[v]);
        done();
    }
    /* The fini hook frees again: leave it something valid. */
    struct gb g;
    gb_init(&g);
    classify(&g);
}

/* ---- a very long list: no recursion anywhere ---- */

/* 2 million by default: page faults dominate here (10^7 takes 9-20 s per test under
 * ASan on the 2-CPU CI box); LGT_TEST_LONG_LIST=10000000 runs the full size. */
static uint32_t long_list_len(void)
{
    const char *env = getenv("LGT_TEST_LONG_LIST");
    long n = env ? atol(env) : 0;
    return n >= 2 && n < 100000000 ? (uint32_t)n : 2000000u;
}
#define LONG_LIST long_list_len()

static void long_list(int rooted)
{
    memset(&heap, 0, sizeof heap);
    heap.nblocks = LONG_LIST;
    heap.blocks = malloc(LONG_LIST * sizeof *heap.blocks);
    heap.nedges = LONG_LIST - 1;
    heap.edges = calloc(LONG_LIST - 1, sizeof *heap.edges);
    cr_assert(heap.blocks && heap.edges);
    for (uint32_t i = 0; i < LONG_LIST; i++) {
        heap.blocks[i] = (struct lg_snap_block){.addr = 0x100000 + 32ull * i, .size = 16};
        if (i + 1 < LONG_LIST) /* links point to lower addresses: the worst order */
            heap.edges[i] = (struct lg_snap_edge){.from = i + 1, .to = i};
    }
    if (rooted) {
        heap.nroots = 1;
        heap.roots = calloc(1, sizeof *heap.roots);
        heap.nroot_edges = 1;
        heap.root_edges = calloc(1, sizeof *heap.root_edges);
        heap.root_edges[0].to = LONG_LIST - 1;
    }
    lgt_classify_run(&heap, &cls);
}

Test(mark, long_list_from_a_root, .timeout = 120)
{
    long_list(1);
    cr_assert_eq(cls.total[R].blocks, LONG_LIST);
    cr_assert_eq(cls.total[D].blocks, 0);
}

Test(mark, long_lost_list, .timeout = 120)
{
    long_list(0);
    cr_assert_eq(cls.total[D].blocks, 1);
    cr_assert_eq(cls.kinds[LONG_LIST - 1], D);
    cr_assert_eq(cls.total[I].blocks, LONG_LIST - 1);
    cr_assert_eq(cls.indirect_bytes[LONG_LIST - 1], 16ull * (LONG_LIST - 1));
    cr_assert_eq(cls.ncycles, 0);
}

Test(mark, long_lost_ring, .timeout = 120)
{
    long_list(0);
    /* Close the ring: the whole list is one strongly connected part. */
    lgt_classify_free(&cls);
    heap.edges = realloc(heap.edges, LONG_LIST * sizeof *heap.edges);
    cr_assert_not_null(heap.edges);
    heap.edges[LONG_LIST - 1] = (struct lg_snap_edge){.from = 0, .to = LONG_LIST - 1};
    heap.nedges = LONG_LIST;
    lgt_classify_run(&heap, &cls);
    cr_assert_eq(cls.kinds[0], D);
    cr_assert_eq(cls.total[I].blocks, LONG_LIST - 1);
    cr_assert_eq(cls.ncycles, 1);
    cr_assert_eq(cls.cycles[0].n, LONG_LIST);
}
