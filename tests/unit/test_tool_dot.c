/* leakgraph dot: the depth limit of --backrefs, the "+K more" cut, rings drawn whole (also
 * when closed at the depth limit), lost blocks filled red, the chain mode, label escaping,
 * and the command's exit statuses. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dot.h"
#include "offline.h"
#include "snapbuild.h"

static void load(struct lgt_ctx *x, const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    cr_assert_eq(lgt_ctx_load(x, "t.lgs", b.buf, b.len), 0);
    free(b.buf);
}

/* The dot text for targets t[0..n) of g. */
static char *draw(const struct gb *g, enum lgt_dot_mode mode, unsigned depth, unsigned too_many,
                  const uint32_t *t, size_t n)
{
    struct lgt_ctx x;
    load(&x, g);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct lgt_dot_opts o = {.mode = mode, .max_depth = depth, .too_many = too_many};
    lgt_dot_write(f, &x, t, n, &o);
    fclose(f);
    lgt_ctx_free(&x);
    return buf;
}

/* The node id ("n3") of the block at addr, or "" when it is not drawn. */
static const char *node(const char *dot, uint64_t addr, char id[16])
{
    char key[48];
    snprintf(key, sizeof key, " [label=\"0x%llx\\n", (unsigned long long)addr);
    const char *p = strstr(dot, key);
    id[0] = '\0';
    if (!p)
        return id;
    const char *line = p;
    while (line > dot && line[-1] != '\n')
        line--;
    snprintf(id, 16, "%.*s", (int)(p - line - 2), line + 2);
    return id;
}

/* Whether the edge from -> to is drawn (any attributes). */
static int has_edge(const char *dot, const struct gb *g, uint32_t from, uint32_t to)
{
    char a[16], b[16], key[48];
    node(dot, g->blocks[from].addr, a);
    node(dot, g->blocks[to].addr, b);
    if (!a[0] || !b[0])
        return 0;
    snprintf(key, sizeof key, "  %s -> %s ", a, b);
    char key2[48];
    snprintf(key2, sizeof key2, "  %s -> %s;", a, b);
    return strstr(dot, key) || strstr(dot, key2);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

static int drawn(const char *dot, const struct gb *g, uint32_t b)
{
    char id[16];
    return node(dot, g->blocks[b].addr, id)[0] != '\0';
}

/* root -> a -> b -> c -> d -> t: backrefs of t at depth 2 draw t, d, c only. */
Test(dot, backrefs_depth_limit)
{
    struct gb g;
    gb_init(&g);
    uint32_t v[5];
    for (int i = 0; i < 5; i++)
        v[i] = gb_block(&g, 16, 1);
    uint32_t t = gb_block(&g, 32, 2);
    gb_root(&g, v[0], 0, 0);
    for (int i = 0; i < 4; i++)
        gb_edge(&g, v[i], v[i + 1], 0, 0);
    gb_edge(&g, v[4], t, 0, 0);
    char *dot = draw(&g, LGT_DOT_BACKREFS, 2, 10, &t, 1);
    cr_assert(drawn(dot, &g, t) && drawn(dot, &g, v[4]) && drawn(dot, &g, v[3]), "%s", dot);
    cr_assert(!drawn(dot, &g, v[2]) && !drawn(dot, &g, v[1]), "beyond depth 2:\n%s", dot);
    cr_assert_null(strstr(dot, "global"), "the root is 6 references away:\n%s", dot);
    cr_assert(has_edge(dot, &g, v[4], t) && has_edge(dot, &g, v[3], v[4]), "%s", dot);
    free(dot);
    dot = draw(&g, LGT_DOT_BACKREFS, 5, 10, &t, 1);
    cr_assert(drawn(dot, &g, v[0]) && !strstr(dot, "global"), "%s", dot);
    free(dot);
    dot = draw(&g, LGT_DOT_BACKREFS, 6, 10, &t, 1);
    cr_assert(strstr(dot, "global data in prog") && strstr(dot, "shape=ellipse"), "%s", dot);
    free(dot);
}

/* 15 referrers of t, too_many 4: 4 drawn, then "+11 more"; and --refs of a block with 15
 * references likewise. */
Test(dot, too_many_truncation)
{
    struct gb g;
    gb_init(&g);
    uint32_t t = gb_block(&g, 64, 2), h = gb_block(&g, 128, 1), v[15];
    for (int i = 0; i < 15; i++) {
        v[i] = gb_block(&g, 16, 1);
        gb_edge(&g, v[i], t, 0, 0);
        gb_edge(&g, h, v[i], 0, 0);
    }
    char *dot = draw(&g, LGT_DOT_BACKREFS, 1, 4, &t, 1);
    cr_assert_eq(count(dot, "16 bytes,"), 4, "%s", dot);
    cr_assert(strstr(dot, "label=\"+11 more\""), "%s", dot);
    cr_assert_eq(count(dot, " -> "), 5, "4 references and the one to '+11 more':\n%s", dot);
    free(dot);
    dot = draw(&g, LGT_DOT_REFS, 1, 4, &h, 1);
    cr_assert_eq(count(dot, "16 bytes,"), 4, "%s", dot);
    cr_assert(strstr(dot, "label=\"+11 more\""), "%s", dot);
    free(dot);
    dot = draw(&g, LGT_DOT_BACKREFS, 1, 15, &t, 1);
    cr_assert_eq(count(dot, "16 bytes,"), 15, "%s", dot);
    cr_assert_null(strstr(dot, "more\""), "%s", dot);
    free(dot);
}

/* A lost ring a -> b -> c -> a: --refs from a has all three edges, also when the depth
 * limit stops the walk at c (the closing edge comes from the frontier). Lost members are
 * red, cyclic ones double-bordered; the target has a thick border. */
Test(dot, ring_drawn_whole)
{
    struct gb g;
    gb_init(&g);
    uint32_t keep = gb_block(&g, 8, 1);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), c = gb_block(&g, 16, 2);
    gb_root(&g, keep, 0, 0);
    gb_edge(&g, a, b, 0, 0);
    gb_edge(&g, b, c, 0, 0);
    gb_edge(&g, c, a, 0, 0);
    for (unsigned depth = 2; depth <= 3; depth++) {
        char *dot = draw(&g, LGT_DOT_REFS, depth, 10, &a, 1);
        cr_assert(has_edge(dot, &g, a, b) && has_edge(dot, &g, b, c) && has_edge(dot, &g, c, a),
                  "depth %u:\n%s", depth, dot);
        cr_assert_eq(count(dot, " -> "), 3, "%s", dot);
        cr_assert_eq(count(dot, "peripheries=2"), 3, "%s", dot);
        cr_assert_eq(count(dot, "penwidth=3"), 1, "%s", dot);
        free(dot);
    }
    char *dot = draw(&g, LGT_DOT_BACKREFS, 3, 10, &b, 1);
    cr_assert(has_edge(dot, &g, a, b) && has_edge(dot, &g, c, a) && has_edge(dot, &g, b, c),
              "%s", dot);
    free(dot);
}

/* The line of node b. */
static char *node_line(const char *dot, const struct gb *g, uint32_t b)
{
    char id[16], key[24];
    node(dot, g->blocks[b].addr, id);
    snprintf(key, sizeof key, "  %s [", id);
    const char *p = strstr(dot, key);
    cr_assert_not_null(p);
    return strndup(p, strcspn(p, "\n"));
}

Test(dot, lost_nodes_marked)
{
    struct gb g;
    gb_init(&g);
    uint32_t r = gb_block(&g, 16, 1), lost = gb_block(&g, 40, 2), ind = gb_block(&g, 24, 2);
    gb_root(&g, r, 0, 0);
    gb_edge(&g, lost, r, 0, 0);
    gb_edge(&g, lost, ind, 0, 0);
    char *dot = draw(&g, LGT_DOT_REFS, 3, 10, &lost, 1);
    char *l = node_line(dot, &g, lost), *i = node_line(dot, &g, ind), *k = node_line(dot, &g, r);
    cr_assert(strstr(l, "definitely lost") && strstr(l, "fillcolor=\"#ff6b6b\""), "%s", l);
    cr_assert(strstr(i, "indirectly lost") && strstr(i, "fillcolor=\"#ffb3b3\""), "%s", i);
    cr_assert(strstr(k, "still reachable") && !strstr(k, "#ff"), "%s", k);
    free(l);
    free(i);
    free(k);
    free(dot);
}

/* Two chains to t: the drawing is the shortest one, root -> d -> t, and nothing else. */
Test(dot, chain_mode)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), d = gb_block(&g, 32, 2);
    uint32_t t = gb_block(&g, 64, 2);
    gb_root(&g, a, 0, 0);
    gb_edge(&g, a, b, 0, 0);
    gb_edge(&g, b, t, 0, 0);
    gb_root(&g, d, 0, 0);
    gb_edge(&g, d, t, 24, 0);
    char *dot = draw(&g, LGT_DOT_CHAIN, 3, 10, &t, 1);
    cr_assert(drawn(dot, &g, d) && drawn(dot, &g, t), "%s", dot);
    cr_assert(!drawn(dot, &g, a) && !drawn(dot, &g, b), "%s", dot);
    cr_assert_eq(count(dot, " -> "), 2, "%s", dot);
    cr_assert(strstr(dot, "to +24"), "the interior offset on the edge:\n%s", dot);
    free(dot);
}

/* Weak references are drawn, dashed and labelled. */
Test(dot, weak_edge_dashed)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1);
    gb_root(&g, a, 0, 0);
    gb_weak(&g, a, b);
    char *dot = draw(&g, LGT_DOT_REFS, 3, 10, &a, 1);
    cr_assert(has_edge(dot, &g, a, b), "%s", dot);
    cr_assert(strstr(dot, "weak\", style=dashed"), "%s", dot);
    free(dot);
}

static char *quoted(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    lgt_dot_quote(f, s);
    fclose(f);
    return buf;
}

Test(dot, label_escaping)
{
    char *q = quoted("a\"b\\c<d>{e}|f\n\x01\xc3\xa9");
    cr_assert_str_eq(q, "\"a\\\"b\\\\c<d>{e}|f\\n\\\\x01\\\\xc3\\\\xa9\"");
    free(q);
    q = quoted(NULL);
    cr_assert_str_eq(q, "\"\"");
    free(q);
    /* A C++ type name as a tag, in a whole drawing. */
    struct gb g;
    gb_init(&g);
    uint32_t tag = gb_tag(&g, "std::map<int, \"x\\y\">");
    uint32_t a = gb_block(&g, 16, 1);
    gb_attr(&g, a, tag, 0);
    gb_root(&g, a, 0, 0);
    char *dot = draw(&g, LGT_DOT_BACKREFS, 3, 10, &a, 1);
    cr_assert(strstr(dot, "\\n[std::map<int, \\\"x\\\\y\\\">]\\n"), "%s", dot);
    free(dot);
}

/* ---- the command ---- */

static void snapshot_file(const struct gb *g, char *path, size_t n)
{
    struct sb b = {0};
    gb_write(g, &b);
    sb_to_file(&b, path, n);
    free(b.buf);
}

static int run(int argc, char **argv)
{
    return lgt_cmd_dot(argc, argv);
}

static void quiet(void)
{
    cr_redirect_stdout();
    cr_redirect_stderr();
}

Test(dot, command_statuses, .init = quiet)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), lost = gb_block(&g, 40, 2);
    gb_root(&g, a, 0, 0);
    char path[64], addr[32], bad[32], lostaddr[32], out[80];
    snapshot_file(&g, path, sizeof path);
    snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)g.blocks[a].addr + 4);
    snprintf(lostaddr, sizeof lostaddr, "0x%llx", (unsigned long long)g.blocks[lost].addr);
    snprintf(bad, sizeof bad, "0x%llx", (unsigned long long)g.next_addr + 0x1000);
    snprintf(out, sizeof out, "%s.dot", path);
    char *ok[] = {"dot", path, "--backrefs", addr, "-o", out, NULL};
    cr_assert_eq(run(6, ok), 0);
    FILE *f = fopen(out, "r");
    cr_assert_not_null(f);
    char head[64] = "";
    cr_assert_not_null(fgets(head, sizeof head, f));
    fclose(f);
    cr_assert_str_eq(head, "digraph leakgraph {\n");
    unlink(out);
    char *notblock[] = {"dot", path, "--refs", bad, NULL};
    cr_assert_eq(run(4, notblock), 1);
    char *nothing[] = {"dot", path, "--refs", "--site", "no_such_*", NULL};
    cr_assert_eq(run(5, nothing), 1);
    char *unreached[] = {"dot", path, "--chain", lostaddr, NULL};
    cr_assert_eq(run(4, unreached), 1);
    char *typo[] = {"dot", path, "--backref", addr, NULL};
    cr_assert_eq(run(4, typo), 2);
    char *nomode[] = {"dot", path, addr, NULL};
    cr_assert_eq(run(3, nomode), 2);
    char *pdf[] = {"dot", path, "--refs", addr, "-o", "x.pdf", NULL};
    cr_assert_eq(run(6, pdf), 2);
    char *depth[] = {"dot", path, "--refs", addr, "--max-depth", "x", NULL};
    cr_assert_eq(run(6, depth), 2);
    char *missing[] = {"dot", "/nonexistent/snap", "--refs", addr, NULL};
    cr_assert_eq(run(4, missing), 2);
    unlink(path);
    fflush(stderr);
    char err[8192] = "";
    size_t n = fread(err, 1, sizeof err - 1, cr_get_redirected_stderr());
    err[n] = '\0';
    cr_assert(strstr(err, "not inside any heap block"), "%s", err);
    cr_assert(strstr(err, "did you mean '--backrefs'?"), "%s", err);
    cr_assert(strstr(err, "-o x.pdf: unknown format"), "%s", err);
    cr_assert(strstr(err, "missing --backrefs, --refs or --chain"), "%s", err);
}
