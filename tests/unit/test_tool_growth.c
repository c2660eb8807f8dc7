/* Growth between snapshots: sites matched by stack whatever their ids and load address, a
 * site that shrank, different programs; and top's ordering. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "growth.h"
#include "offline.h"
#include "snapbuild.h"

static void load(struct lgt_ctx *x, const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    cr_assert_eq(lgt_ctx_load(x, "t.lgs", b.buf, b.len), 0);
    free(b.buf);
}

/* nsite1 reachable blocks of 16 bytes at site A, nsite2 lost blocks of 100 at site B. */
static void sample(struct gb *g, int n1, int n2, uint32_t id1, uint32_t id2, uint64_t base)
{
    gb_init(g);
    g->site_id[0] = id1;
    g->site_id[1] = id2;
    g->base = base;
    for (int i = 0; i < n1; i++)
        gb_root(g, gb_block(g, 16, id1), 0, 0);
    for (int i = 0; i < n2; i++)
        gb_block(g, 100, id2);
}

static const struct lgt_grow_row *find(const struct lgt_growth *g, int lost)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].lost == lost)
            return &g->rows[i];
    return NULL;
}

Test(growth, sites_matched_by_stack_not_id)
{
    struct gb a, b;
    sample(&a, 2, 3, 1, 2, 0);
    sample(&b, 5, 1, 40, 17, 0x7f0000000000ULL); /* other ids, other load address */
    struct lgt_ctx old, new;
    load(&old, &a);
    load(&new, &b);
    struct lgt_growth g;
    lgt_growth_init(&g, LGT_BY_SITE);
    lgt_growth_add(&g, &old, 1);
    lgt_growth_add(&g, &new, 0);
    lgt_growth_sort_delta(&g);
    cr_assert_eq(g.n, 2, "sites not matched across snapshots: %zu rows", g.n);
    const struct lgt_grow_row *r = find(&g, 0), *l = find(&g, 1);
    cr_assert_eq(r->count, 5);
    cr_assert_eq(lgt_growth_count_delta(r), 3);
    cr_assert_eq(lgt_growth_bytes_delta(r), 48);
    cr_assert_eq(l->count, 1);
    cr_assert_eq(lgt_growth_bytes_delta(l), -200);
    cr_assert_eq(&g.rows[0], r, "the largest growth comes first");
    cr_assert(strstr(r->label, "prog+0x1010"), "%s", r->label);
    lgt_growth_free(&g);
    lgt_ctx_free(&new);
    lgt_ctx_free(&old);
}

static char *write_snap(const struct gb *g, char *path, size_t n)
{
    struct sb b = {0};
    gb_write(g, &b);
    sb_to_file(&b, path, n);
    free(b.buf);
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Site B shrank from 3 to 1 lost blocks: only site A's row is shown by default. */
Test(growth, shrunk_site_hidden_by_default)
{
    struct gb a, b;
    sample(&a, 2, 3, 1, 2, 0);
    sample(&b, 5, 1, 2, 1, 0);
    char pa[64], pb[64], json[64] = "/tmp/lgt-test-growth-XXXXXX";
    write_snap(&a, pa, sizeof pa);
    write_snap(&b, pb, sizeof pb);
    close(mkstemp(json));
    char *argv[] = {"growth", pa, pb, "--json", json, NULL};
    cr_assert_eq(lgt_cmd_growth(5, argv), 0);
    char *j = slurp(json);
    cr_assert(strstr(j, "\"count\": 5, \"bytes\": 80, \"count_delta\": 3, \"bytes_delta\": 48"), "%s", j);
    cr_assert_null(strstr(j, "\"class\": \"lost\""), "%s", j);
    free(j);
    char *argv2[] = {"growth", pa, pb, "--all", "--json", json, NULL};
    cr_assert_eq(lgt_cmd_growth(6, argv2), 0);
    j = slurp(json);
    cr_assert(strstr(j, "\"class\": \"lost\", \"count\": 1, \"bytes\": 100, \"count_delta\": -2,"
                        " \"bytes_delta\": -200"), "%s", j);
    free(j);
    unlink(pa);
    unlink(pb);
    unlink(json);
}

Test(growth, different_programs_rejected)
{
    struct gb a, b;
    sample(&a, 1, 0, 1, 2, 0);
    sample(&b, 2, 0, 1, 2, 0);
    b.exe = "/nonexistent/other";
    char pa[64], pb[64];
    write_snap(&a, pa, sizeof pa);
    write_snap(&b, pb, sizeof pb);
    char *argv[] = {"growth", pa, pb, NULL};
    cr_assert_eq(lgt_cmd_growth(3, argv), 1);
    char *bad[] = {"growth", pa, pb, "--by", "colour", NULL};
    cr_assert_eq(lgt_cmd_growth(5, bad), 2);
    char *one[] = {"growth", pa, NULL};
    cr_assert_eq(lgt_cmd_growth(2, one), 2);
    unlink(pa);
    unlink(pb);
}

Test(growth, top_orders_by_count_and_bytes)
{
    struct gb a;
    sample(&a, 5, 2, 1, 2, 0); /* 5 x 16 reachable, 2 x 100 lost */
    struct lgt_ctx x;
    load(&x, &a);
    struct lgt_growth g;
    lgt_growth_init(&g, LGT_BY_FUNCTION);
    lgt_growth_add(&g, &x, 0);
    lgt_growth_sort_total(&g, 0);
    cr_assert_eq(g.rows[0].count, 5);
    lgt_growth_sort_total(&g, 1);
    cr_assert_eq(g.rows[0].bytes, 200);
    cr_assert_eq(g.rows[0].lost, 1);
    lgt_growth_free(&g);
    lgt_ctx_free(&x);
}
