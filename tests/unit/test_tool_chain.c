/* Retention chains: the shortest of two paths, interior pointers marked, unreachable targets,
 * and the chain command's exit statuses. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "cmd.h"
#include "offline.h"
#include "rootname.h"
#include "snapbuild.h"

/* Everything written to the redirected stream so far. */
static char *redirected(FILE *stream, FILE *in)
{
    fflush(stream);
    size_t cap = 1 << 16, n = fread(NULL, 0, 0, in);
    char *buf = calloc(1, cap);
    n = fread(buf, 1, cap - 1, in);
    buf[n] = '\0';
    return buf;
}

static void load(struct lgt_ctx *x, const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    cr_assert_eq(lgt_ctx_load(x, "t.lgs", b.buf, b.len), 0);
    free(b.buf);
}

/* root -> a -> b -> c -> t and root -> d -> t: the chain must be root, d, t. */
Test(chain, shortest_of_two_paths)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), c = gb_block(&g, 16, 1);
    uint32_t d = gb_block(&g, 32, 2), t = gb_block(&g, 64, 2);
    gb_root(&g, a, 0, 0);
    gb_edge(&g, a, b, 0, 0);
    gb_edge(&g, b, c, 0, 0);
    gb_edge(&g, c, t, 0, 0);
    gb_root(&g, d, 0, 0);
    gb_edge(&g, d, t, 0, 0);
    struct lgt_ctx x;
    load(&x, &g);
    struct lgt_chain ch;
    lgt_chain_bfs(&x.h, &x.c.graph, &ch);
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(&x.h, &ch, t, &p);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0]->from, GB_ROOT_ID);
    cr_assert_eq(p[0]->to, d);
    cr_assert_eq(p[1]->from, d);
    cr_assert_eq(p[1]->to, t);
    struct lgt_rootnamer *rn = lgt_rootname_open(&x.h);
    struct lgt_rootname name;
    lgt_rootname_get(rn, p[0], &name);
    cr_assert_str_eq(name.kind, "global");
    cr_assert(strstr(name.text, "in prog [module offset 0x"), "%s", name.text);
    lgt_rootname_clear(&name);
    lgt_rootname_close(rn);
    free(p);
    lgt_chain_free(&ch);
    lgt_ctx_free(&x);
}

Test(chain, interior_pointer_marked, .init = cr_redirect_stdout)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 64, 1), t = gb_block(&g, 48, 2);
    gb_root(&g, a, 0, 0);
    gb_edge(&g, a, t, 24, 0);
    struct lgt_ctx x;
    load(&x, &g);
    struct lgt_chain ch;
    lgt_chain_bfs(&x.h, &x.c.graph, &ch);
    const struct lg_snap_edge **p;
    cr_assert_eq(lgt_chain_path(&x.h, &ch, t, &p), 2);
    cr_assert_eq(p[1]->to_off, 24);
    free(p);
    lgt_chain_free(&ch);
    char addr[32], path[64];
    snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)x.h.blocks[t].addr + 30);
    lgt_ctx_free(&x);
    struct sb b = {0};
    gb_write(&g, &b);
    sb_to_file(&b, path, sizeof path);
    free(b.buf);
    char *argv[] = {"chain", path, addr, NULL};
    cr_assert_eq(lgt_cmd_chain(3, argv), 0);
    unlink(path);
    char *out = redirected(stdout, cr_get_redirected_stdout());
    cr_assert(strstr(out, "is inside the block"), "%s", out);
    cr_assert(strstr(out, "+24 (interior pointer) 48 bytes"), "%s", out);
    cr_assert(strstr(out, "2 references from a root"), "%s", out);
    free(out);
}

/* A lost block: "not reachable from any root", its kind, exit 1; a non-block: exit 1. */
Test(chain, unreachable_target, .init = cr_redirect_stdout)
{
    struct gb g;
    gb_init(&g);
    uint32_t r = gb_block(&g, 16, 1), lost = gb_block(&g, 40, 2);
    gb_root(&g, r, 0, 0);
    char path[64], addr[32], bad[32];
    snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)g.blocks[lost].addr);
    snprintf(bad, sizeof bad, "0x%llx", (unsigned long long)g.next_addr + 0x1000);
    struct sb b = {0};
    gb_write(&g, &b);
    sb_to_file(&b, path, sizeof path);
    free(b.buf);
    struct lgt_ctx x;
    cr_assert_eq(lgt_ctx_load(&x, path, NULL, 0), 0);
    struct lgt_chain ch;
    lgt_chain_bfs(&x.h, &x.c.graph, &ch);
    const struct lg_snap_edge **p;
    cr_assert_eq(lgt_chain_path(&x.h, &ch, lost, &p), 0);
    cr_assert_null(p);
    lgt_chain_free(&ch);
    lgt_ctx_free(&x);
    char *argv[] = {"chain", path, addr, NULL};
    cr_assert_eq(lgt_cmd_chain(3, argv), 1);
    char *argv2[] = {"chain", path, bad, NULL};
    cr_assert_eq(lgt_cmd_chain(3, argv2), 1);
    char *argv3[] = {"chain", path, "--site", "nothing*", NULL};
    cr_assert_eq(lgt_cmd_chain(4, argv3), 1);
    char *argv4[] = {"chain", "/nonexistent/snap", addr, NULL};
    cr_assert_eq(lgt_cmd_chain(3, argv4), 2);
    unlink(path);
    char *out = redirected(stdout, cr_get_redirected_stdout());
    cr_assert(strstr(out, "(40 bytes) is not reachable from any root: definitely lost"), "%s", out);
    free(out);
}
