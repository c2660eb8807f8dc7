/* leakgraph check's pieces: suppression parsing (errors name file:line) and LSan-style
 * matching with the kind filter, baseline keys, files and tolerance, and the verdicts. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "check.h"
#include "checkjudge.h"
#include "mark.h"
#include "suppress.h"

static struct lgt_chk_frame fr(const char *fn, const char *file, unsigned line, const char *mod)
{
    return (struct lgt_chk_frame){(char *)fn, (char *)file, line, (char *)mod, NULL, 0x1234, 0x34};
}

/* ---- suppressions ---- */

Test(suppress, lsan_template_match)
{
    cr_assert(lgt_supp_match_pattern("foo", "xfooy"));
    cr_assert(lgt_supp_match_pattern("^foo", "foobar"));
    cr_assert_not(lgt_supp_match_pattern("^foo", "xfoo"));
    cr_assert(lgt_supp_match_pattern("bar$", "foobar"));
    cr_assert_not(lgt_supp_match_pattern("bar$", "barx"));
    cr_assert(lgt_supp_match_pattern("^foo$", "foo"));
    cr_assert_not(lgt_supp_match_pattern("^foo$", "food"));
    cr_assert(lgt_supp_match_pattern("^a*c$", "abbbc"));
    cr_assert(lgt_supp_match_pattern("lib*.so", "/usr/lib/libz.so.1"));
    cr_assert_not(lgt_supp_match_pattern("foo", NULL));
    cr_assert(lgt_supp_match_pattern("std::vector<int>", "std::vector<int>::push_back"));
}

Test(suppress, matches_function_file_or_module_and_honours_kinds)
{
    struct lgt_supp_set s = {0};
    char err[256];
    cr_assert_eq(lgt_supp_parse(&s, "t.supp", "# comment\n\nleak:^helper$\n  leak[possible,cyclic]:pool.c  \n"
                                "leak:libfoo.so\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.n, 3);
    cr_assert_eq(s.v[0].line, 3);
    cr_assert_str_eq(s.v[1].pattern, "pool.c");
    struct lgt_chk_frame a[] = {fr("alloc_it", "/src/x.c", 3, "prog"), fr("helper", "/src/y.c", 9, "prog")};
    cr_assert_eq(lgt_supp_match(&s, LGT_KIND_DEFINITELY_LOST, a, 2), 0);
    struct lgt_chk_frame b[] = {fr("grow", "/src/pool.c", 7, "prog")};
    cr_assert_eq(lgt_supp_match(&s, LGT_KIND_DEFINITELY_LOST, b, 1), -1, "the kind filter leaves definite out");
    cr_assert_eq(lgt_supp_match(&s, LGT_KIND_POSSIBLY_LOST, b, 1), 1);
    cr_assert_eq(lgt_supp_match(&s, LGT_CHK_CYCLIC, b, 1), 1);
    struct lgt_chk_frame c[] = {fr(NULL, NULL, 0, "libfoo.so.2")};
    cr_assert_eq(lgt_supp_match(&s, LGT_KIND_STILL_REACHABLE, c, 1), 2);
    lgt_supp_free(&s);
}

static void bad_supp(const char *text, const char *want)
{
    struct lgt_supp_set s = {0};
    char err[300] = "";
    cr_assert_eq(lgt_supp_parse(&s, "bad.supp", text, err, sizeof err), -1, "accepted: %s", text);
    cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
    lgt_supp_free(&s);
}

Test(suppress, malformed_lines_name_file_and_line)
{
    bad_supp("leak:ok\nlaek:typo\n", "bad.supp:2: unknown suppression type 'laek'");
    bad_supp("called_from_lib:x\n", "bad.supp:1: unknown suppression type 'called_from_lib'");
    bad_supp("\n\nleak:\n", "bad.supp:3: empty pattern");
    bad_supp("leak:^\n", "bad.supp:1: empty pattern");
    bad_supp("leak[definit]:x\n", "bad.supp:1: unknown leak kind 'definit'; did you mean 'definite'");
    bad_supp("leak[definite:x\n", "bad.supp:1: '[' without ']'");
    bad_supp("leak[]:x\n", "bad.supp:1: empty kind filter");
    bad_supp("leak[definite]x\n", "bad.supp:1: expected ':' after the kind filter");
    bad_supp("leak:a\x01\n", "bad.supp:1: control characters");
}

Test(suppress, missing_file_is_named)
{
    struct lgt_supp_set s = {0};
    char err[300];
    cr_assert_eq(lgt_supp_load(&s, "/nonexistent/x.supp", err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/x.supp: cannot read the suppression file: No such file"), "%s", err);
    cr_assert_eq(lgt_supp_load(&s, "/", err, sizeof err), -1, "a directory");
}

Test(suppress, builtin_rules_load)
{
    struct lgt_supp_set s = {0};
    lgt_supp_add_defaults(&s);
    cr_assert_gt(s.n, 3);
    struct lgt_chk_frame tls[] = {fr("calloc", NULL, 0, "libc.so.6"), fr("_dl_allocate_tls", NULL, 0, "ld-linux-x86-64.so.2"),
                                  fr("pthread_create", NULL, 0, "libc.so.6")};
    cr_assert_geq(lgt_supp_match(&s, LGT_KIND_POSSIBLY_LOST, tls, 3), 0);
    struct lgt_chk_frame user[] = {fr("make_node", "/src/list.c", 4, "prog"), fr("main", "/src/list.c", 20, "prog")};
    cr_assert_eq(lgt_supp_match(&s, LGT_KIND_DEFINITELY_LOST, user, 2), -1);
    cr_assert(s.v[0].builtin);
    lgt_supp_free(&s);
}

/* ---- baseline ---- */

Test(baseline, keys_ignore_addresses_lines_and_directories)
{
    struct lgt_chk_frame a[] = {fr("leak_one", "/build/a/src/x.c", 12, "prog"), fr("main", "/build/a/src/x.c", 30, "prog")};
    struct lgt_chk_frame b[] = {fr("leak_one", "/other/src/x.c", 14, "prog"), fr("main", "/other/src/x.c", 33, "prog")};
    b[0].pc = 0x7777;
    char *ka = lgt_baseline_key(LGT_KIND_DEFINITELY_LOST, a, 2), *kb = lgt_baseline_key(LGT_KIND_DEFINITELY_LOST, b, 2);
    cr_assert_str_eq(ka, "definite\tleak_one@x.c < main@x.c");
    cr_assert_str_eq(ka, kb);
    char *kc = lgt_baseline_key(LGT_KIND_INDIRECTLY_LOST, a, 2);
    cr_assert_str_neq(ka, kc, "the kind is part of the key");
    struct lgt_chk_frame c[] = {fr("f\tg", NULL, 0, "libq.so"), fr(NULL, NULL, 0, NULL)};
    char *kd = lgt_baseline_key(LGT_CHK_CYCLIC, c, 2);
    cr_assert_str_eq(kd, "cyclic\tf g@[libq.so] < [?]");
    char *ke = lgt_baseline_key(LGT_KIND_DEFINITELY_LOST, c, 0);
    cr_assert_str_eq(ke, "definite\t(no stack)");
    free(ka);
    free(kb);
    free(kc);
    free(kd);
    free(ke);
}

Test(baseline, parse_find_and_tolerance)
{
    struct lgt_baseline b = {0};
    char err[300];
    cr_assert_eq(lgt_baseline_parse(&b, "b.txt", LGT_BASELINE_HEADER "\n# comment\n100\t2\tdefinite\tf@x.c < main@x.c\n"
                                    "8\t1\tindirect\tg@y.c\n", err, sizeof err), 0, "%s", err);
    cr_assert_eq(b.n, 2);
    const struct lgt_baseline_entry *e = lgt_baseline_find(&b, "definite\tf@x.c < main@x.c");
    cr_assert_not_null(e);
    cr_assert_eq(e->bytes, 100);
    cr_assert_null(lgt_baseline_find(&b, "definite\tg@y.c"));
    cr_assert_eq(lgt_baseline_allowed(&b, e), 100);
    cr_assert_eq(lgt_baseline_tolerance(&b, "50", err, sizeof err), 0);
    cr_assert_eq(lgt_baseline_allowed(&b, e), 150);
    cr_assert_eq(lgt_baseline_tolerance(&b, "10%", err, sizeof err), 0);
    cr_assert_eq(lgt_baseline_allowed(&b, e), 110);
    cr_assert_eq(lgt_baseline_tolerance(&b, "5x", err, sizeof err), -1);
    cr_assert_eq(lgt_baseline_tolerance(&b, "-1", err, sizeof err), -1);
    cr_assert_eq(lgt_baseline_tolerance(&b, "1.5", err, sizeof err), -1);
    cr_assert_eq(lgt_baseline_tolerance(&b, "%", err, sizeof err), -1);
    lgt_baseline_free(&b);
}

static void bad_base(const char *text, const char *want)
{
    struct lgt_baseline b = {0};
    char err[300] = "";
    cr_assert_eq(lgt_baseline_parse(&b, "b.txt", text, err, sizeof err), -1, "accepted: %s", text);
    cr_assert(strstr(err, want), "error '%s' lacks '%s'", err, want);
    lgt_baseline_free(&b);
}

Test(baseline, malformed_files_name_file_and_line)
{
    bad_base("leak:foo\n", "b.txt:1: not a leakgraph baseline");
    bad_base("", "b.txt:1: not a leakgraph baseline");
    bad_base(LGT_BASELINE_HEADER "\n16\t1\tdefinite\n", "b.txt:2: expected 4 tab-separated fields");
    bad_base(LGT_BASELINE_HEADER "\n\n16x\t1\tdefinite\tf@x.c\n", "b.txt:3: BYTES and BLOCKS must be decimal");
    bad_base(LGT_BASELINE_HEADER "\n16\t1\tdefinitely\tf@x.c\n", "b.txt:2: unknown kind 'definitely'");
    bad_base(LGT_BASELINE_HEADER "\n16\t1\tdefinite\t\n", "b.txt:2: empty stack");
}

/* ---- verdicts ---- */

Test(judge, suppressions_then_baseline_per_site_summed_over_processes)
{
    struct lgt_chk_frame f1[] = {fr("site_a", "/s/a.c", 1, "p")}, f2[] = {fr("site_b", "/s/b.c", 2, "p")};
    struct lgt_chk_leak l[4] = {
        {.kind = LGT_KIND_DEFINITELY_LOST, .bytes = 10, .blocks = 1, .frames = f1, .nframes = 1},
        {.kind = LGT_KIND_DEFINITELY_LOST, .bytes = 10, .blocks = 1, .frames = f1, .nframes = 1},
        {.kind = LGT_KIND_DEFINITELY_LOST, .bytes = 5, .blocks = 1, .frames = f2, .nframes = 1},
        {.kind = LGT_KIND_POSSIBLY_LOST, .bytes = 7, .blocks = 1, .frames = f2, .nframes = 1},
    };
    for (int i = 0; i < 4; i++)
        l[i].key = lgt_baseline_key(l[i].kind, l[i].frames, 1);
    struct lgt_chk_proc p[2] = {{.pid = 1, .leaks = l, .nleaks = 2, .has_report = 1},
                                {.pid = 2, .leaks = l + 2, .nleaks = 2, .has_report = 0}};
    struct lgt_supp_set s = {0};
    char err[100];
    cr_assert_eq(lgt_supp_parse(&s, "s", "leak:nothing_here\n", err, sizeof err), 0);
    struct lgt_baseline b = {0};
    cr_assert_eq(lgt_baseline_parse(&b, "b", LGT_BASELINE_HEADER "\n15\t1\tdefinite\tsite_a@a.c\n", err, sizeof err), 0);
    struct lgt_chk_run run = {.procs = p, .nprocs = 2, .supps = &s, .baseline = &b,
                              .errors_mask = (1u << LGT_KIND_DEFINITELY_LOST)};
    lgt_judge_run(&run);
    cr_assert_eq(l[0].verdict, LGT_CHK_GREW, "20 bytes over two processes > 15");
    cr_assert_eq(l[2].verdict, LGT_CHK_NEW);
    cr_assert_eq(l[3].verdict, LGT_CHK_NOT_ERROR);
    cr_assert_eq(run.nfailing, 3);
    cr_assert_eq(run.nmissing, 1);
    cr_assert(lgt_judge_fails(&run));
    cr_assert_eq(lgt_baseline_tolerance(&b, "5", err, sizeof err), 0);
    lgt_judge_run(&run);
    cr_assert_eq(l[0].verdict, LGT_CHK_BASELINE);
    cr_assert_eq(run.nfailing, 1);
    char *rule = lgt_judge_suppression(&l[2]);
    cr_assert_str_eq(rule, "leak[definite]:^site_b$");
    free(rule);
    for (int i = 0; i < 4; i++)
        free(l[i].key);
    lgt_supp_free(&s);
    lgt_baseline_free(&b);
}
