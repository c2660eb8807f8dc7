/* show_growth: objgraph's peak rule, the row order and limit, site names from the
 * test binary's .symtab, and the JSON lines. */
#include "blocks.h"
#include "options.h"
#include "showgrowth.h"
#include "sites.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char json[64];

static void setup(void)
{
    lg_sites_init(0, 0, 30, false);
    lg_options_defaults(&lg_opt);
    snprintf(json, sizeof json, "/tmp/lg-unit-growth.%d.json", (int)getpid());
    unlink(json);
    snprintf(lg_opt.growth_json, sizeof lg_opt.growth_json, "%s", json);
}

static void teardown(void) { unlink(json); }

TestSuite(showgrowth, .init = setup, .fini = teardown);

/* Not exported: only the .symtab names it. The address + 5 is "a return address". */
__attribute__((noinline)) static void growth_alpha(void) { __asm__ volatile("nop"); }
__attribute__((noinline)) static void growth_beta(void) { __asm__ volatile("nop; nop"); }

static uint64_t next_addr = 0x10000;

static uint32_t site_of(void (*fn)(void))
{
    uintptr_t pc = (uintptr_t)fn + 1;
    return lg_sites_intern(&pc, 1);
}

/* Makes the site's live count n: inserts or removes its newest blocks. */
static void set_live(uint32_t site, uint64_t *addrs, int *live, int n)
{
    for (; *live < n; (*live)++) {
        struct lg_block b = {.addr = next_addr, .size = 48, .seq = next_addr, .site = site, .tid = 1};
        addrs[*live] = next_addr;
        next_addr += 64;
        cr_assert(lg_blocks_insert(&b));
    }
    for (; *live > n; (*live)--)
        cr_assert(lg_blocks_remove(addrs[*live - 1], NULL));
}

/* The JSON lines of report number `report`, as "function count delta_count delta_bytes". */
static int rows_of(int report, char out[][128], int max)
{
    FILE *f = fopen(json, "r");
    if (!f)
        return 0;
    char line[1024], fn[64];
    int n = 0, g;
    unsigned long count;
    long dc, db;
    while (fgets(line, sizeof line, f) && n < max) {
        char *p = strstr(line, "\"function\":\"");
        if (sscanf(line, "{\"growth\":%d", &g) != 1 || g != report || !p || sscanf(p, "\"function\":\"%63[^\"]", fn) != 1)
            continue;
        cr_assert(sscanf(strstr(line, "\"count\":"), "\"count\":%lu", &count) == 1);
        cr_assert(sscanf(strstr(line, "\"delta_count\":"), "\"delta_count\":%ld", &dc) == 1);
        cr_assert(sscanf(strstr(line, "\"delta_bytes\":"), "\"delta_bytes\":%ld", &db) == 1);
        snprintf(out[n++], 128, "%s %lu %+ld %+ld", fn, count, dc, db);
    }
    fclose(f);
    return n;
}

Test(showgrowth, peak_rule)
{
    uint32_t a = site_of(growth_alpha);
    uint64_t addrs[32];
    int live = 0;
    char rows[8][128];
    static const int steps[] = {10, 5, 10, 15};
    static const int want_rows[] = {1, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        set_live(a, addrs, &live, steps[i]);
        cr_assert_eq(lg_showgrowth_run(0, 0, false), want_rows[i], "step %d", i + 1);
    }
    cr_assert_eq(rows_of(1, rows, 8), 1);
    cr_assert_str_eq(rows[0], "growth_alpha 10 +10 +480");
    cr_assert_eq(rows_of(2, rows, 8) + rows_of(3, rows, 8), 0);
    cr_assert_eq(rows_of(4, rows, 8), 1);
    cr_assert_str_eq(rows[0], "growth_alpha 15 +5 +240");
}

Test(showgrowth, order_and_limit)
{
    uint32_t a = site_of(growth_alpha), b = site_of(growth_beta);
    uint64_t aa[32], ba[32];
    int la = 0, lb = 0;
    char rows[8][128];
    set_live(a, aa, &la, 3);
    set_live(b, ba, &lb, 7);
    lg_opt.growth_limit = 1;
    cr_assert_eq(lg_showgrowth_run(0, 0, false), 1);
    cr_assert_eq(rows_of(1, rows, 8), 1);
    cr_assert_str_eq(rows[0], "growth_beta 7 +7 +336", "the largest growth first");
    lg_opt.growth_limit = 0;
    set_live(a, aa, &la, 5);
    set_live(b, ba, &lb, 9);
    cr_assert_eq(lg_showgrowth_run(0, 0, false), 2);
    cr_assert_eq(rows_of(2, rows, 8), 2);
    cr_assert_str_eq(rows[0], "growth_alpha 5 +2 +96", "alpha was never shown: its peak is 3 all the same");
    cr_assert_str_eq(rows[1], "growth_beta 9 +2 +96");
}
