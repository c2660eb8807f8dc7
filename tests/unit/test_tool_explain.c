/* analyze --explain: the largest still-reachable site is chosen, its block nearest to a root
 * is explained with the chain printer, in the text and in the JSON report. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "offline.h"
#include "snapbuild.h"

static char *render(struct lgt_explain *e, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (json)
        lgt_explain_json(f, e);
    else
        lgt_explain_text(f, e);
    fclose(f);
    return buf;
}

/* Site 1: three 16-byte blocks; site 2: one 100-byte block behind one of them, and a lost
 * 500-byte block of site 2 that must not count. --explain=1 explains site 2. */
Test(explain, largest_reachable_site)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), c = gb_block(&g, 16, 1);
    uint32_t big = gb_block(&g, 100, 2);
    gb_block(&g, 500, 2); /* lost */
    gb_root(&g, a, 0, 0);
    gb_root(&g, b, 0, 0);
    gb_edge(&g, b, c, 0, 0);
    gb_edge(&g, a, big, 0, 0);
    struct sb buf = {0};
    gb_write(&g, &buf);
    struct lgt_ctx x;
    cr_assert_eq(lgt_ctx_load(&x, "t.lgs", buf.buf, buf.len), 0);
    free(buf.buf);
    struct lgt_explain *e = lgt_explain_build(&x.r, 1);
    char *text = render(e, 0), *json = render(e, 1);
    char want[128];
    snprintf(want, sizeof want, "==4242== chain to 0x%llx (100 bytes, still reachable), 2"
             " references from a root:\n", (unsigned long long)g.blocks[big].addr);
    cr_assert(strstr(text, "==4242== site 2: 100 bytes in 1 blocks still reachable"), "%s", text);
    cr_assert(strstr(text, want), "%s", text);
    cr_assert(strstr(text, "==4242==   global data in prog"), "%s", text);
    cr_assert_null(strstr(text, "site 1:"), "%s", text);
    cr_assert(strstr(json, ",\n  \"explain\": [\n    {\"site\": 2, \"bytes\": 100, \"blocks\": 1,"
                     " \"chain\": {\"target\": "), "%s", json);
    free(text);
    free(json);
    lgt_explain_free(e);
    e = lgt_explain_build(&x.r, 5); /* more than there are: both sites, largest first */
    text = render(e, 0);
    char *s2 = strstr(text, "site 2:"), *s1 = strstr(text, "site 1: 48 bytes in 3 blocks");
    cr_assert(s2 && s1 && s2 < s1, "%s", text);
    free(text);
    lgt_explain_free(e);
    lgt_ctx_free(&x);
}
