/* Reports: JSON validity and numbers (checked by python3's json module), the text layout,
 * kind lists, symbolization of a real module, and the analyze command's exit statuses. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cmd.h"
#include "reader.h"
#include "report.h"
#include "snapbuild.h"
#include "symbolize.h"

/* definite 16 + indirect 2x32 (a lost ring hanging off it), possible 8, reachable 72704. */
static void sample_graph(struct gb *g)
{
    gb_init(g);
    uint32_t d = gb_block(g, 16, 1), a = gb_block(g, 32, 2), b = gb_block(g, 32, 2);
    uint32_t p = gb_block(g, 8, 1), r = gb_block(g, 72704, 2);
    gb_edge(g, d, a, 0, 0);
    gb_edge(g, a, b, 8, 0);
    gb_edge(g, b, a, 0, 0);
    gb_root(g, p, 4, 0);
    gb_root(g, r, 0, 0);
    g->with_stats = 1;
}

struct built {
    struct lgt_heap h;
    struct lgt_classes c;
    struct lgt_symbolizer *sym;
    struct lgt_report r;
};

static void build(struct built *x, const struct gb *g, const char *show)
{
    struct sb b = {0};
    gb_write(g, &b);
    char err[512] = "";
    cr_assert_eq(lgt_reader_load_mem("t.lgs", b.buf, b.len, &x->h, err, sizeof err), 0, "%s", err);
    free(b.buf);
    lgt_classify_run(&x->h, &x->c);
    x->sym = lgt_symbolize_open(&x->h);
    memset(&x->r, 0, sizeof x->r);
    cr_assert_eq(lgt_report_parse_kinds(show, &x->r.show, err, sizeof err), 0, "%s", err);
    lgt_report_build(&x->r, &x->h, &x->c, x->sym);
}

static void unbuild(struct built *x)
{
    lgt_report_free(&x->r);
    lgt_symbolize_close(x->sym);
    lgt_classify_free(&x->c);
    lgt_reader_free(&x->h);
}

static char *render_text(struct lgt_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    lgt_report_text(f, r);
    fclose(f);
    return buf;
}

Test(report, text_layout)
{
    struct gb g;
    sample_graph(&g);
    struct built x;
    build(&x, &g, "all");
    char *t = render_text(&x.r);
    cr_assert(strstr(t, "==4242== leakgraph " LG_VERSION ": leak report for pid 4242"
                        " (/nonexistent/prog), at exit\n"), "%s", t);
    cr_assert(strstr(t, "==4242== 80 (16 direct, 64 indirect) bytes in 1 blocks are definitely"
                        " lost in loss record 2 of 4\n"), "%s", t);
    cr_assert(strstr(t, "==4242== 72,704 bytes in 1 blocks are still reachable in loss record"
                        " 1 of 4\n"), "%s", t);
    cr_assert(strstr(t, "==4242==    at 0x401010: ??? [prog+0x1010]\n"), "%s", t);
    cr_assert(strstr(t, "==4242==    by 0x402000: ??? [prog+0x2000]\n"), "%s", t);
    cr_assert(strstr(t, "==4242== cycle 1: 2 blocks, 64 bytes, unreachable"), "%s", t);
    cr_assert(strstr(t, "==4242==    0x10020 (32 bytes, site 2) +8 -> 0x10050 (32 bytes, site 2) +8\n"),
              "%s", t);
    cr_assert(strstr(t, "==4242==    definitely lost: 16 bytes in 1 blocks\n"), "%s", t);
    cr_assert(strstr(t, "==4242==    indirectly lost: 64 bytes in 2 blocks\n"), "%s", t);
    cr_assert(strstr(t, "==4242==      possibly lost: 8 bytes in 1 blocks\n"), "%s", t);
    cr_assert(strstr(t, "==4242==    still reachable: 72,704 bytes in 1 blocks\n"), "%s", t);
    cr_assert(strstr(t, "==4242==             cyclic: 64 bytes in 2 blocks (1 cycles)\n"), "%s", t);
    cr_assert(strstr(t, "stop 1.5 ms, scan 2.5 ms"), "%s", t);
    free(t);
    unbuild(&x);
}

Test(report, show_leak_kinds_filters_records_not_summary)
{
    struct gb g;
    sample_graph(&g);
    struct built x;
    build(&x, &g, "possible");
    char *t = render_text(&x.r);
    cr_assert(strstr(t, "are possibly lost in loss record"), "%s", t);
    cr_assert_null(strstr(t, "are definitely lost"), "%s", t);
    cr_assert_null(strstr(t, "cycle 1:"), "%s", t);
    cr_assert(strstr(t, "definitely lost: 16 bytes in 1 blocks"), "%s", t);
    free(t);
    unbuild(&x);
}

Test(report, no_blocks_message)
{
    struct gb g;
    gb_init(&g);
    struct built x;
    build(&x, &g, LGT_SHOW_DEFAULT);
    char *t = render_text(&x.r);
    cr_assert(strstr(t, "All heap blocks were freed -- no leaks are possible"), "%s", t);
    cr_assert(strstr(t, "definitely lost: 0 bytes in 0 blocks"), "%s", t);
    free(t);
    unbuild(&x);
}

static void check_json(const char *path, const char *python_checks)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); %s'"
             " %s", python_checks, path);
    cr_assert_eq(system(cmd), 0, "json check failed: %s", cmd);
}

Test(report, json_is_valid_and_matches_summary)
{
    struct gb g;
    sample_graph(&g);
    struct built x;
    build(&x, &g, LGT_SHOW_DEFAULT);
    char path[] = "/tmp/lgt-json-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    cr_assert_eq(lgt_report_json(f, &x.r), 0);
    fclose(f);
    check_json(path,
        "s=d[\"summary\"]; "
        "assert d[\"tool\"]==\"leakgraph\" and d[\"pid\"]==4242 and d[\"exe\"]==\"/nonexistent/prog\"; "
        "assert s[\"definitely_lost\"]=={\"bytes\":16,\"blocks\":1}, s; "
        "assert s[\"indirectly_lost\"]=={\"bytes\":64,\"blocks\":2}, s; "
        "assert s[\"possibly_lost\"]=={\"bytes\":8,\"blocks\":1}, s; "
        "assert s[\"still_reachable\"]=={\"bytes\":72704,\"blocks\":1}, s; "
        "assert s[\"cyclic\"]=={\"bytes\":64,\"blocks\":2,\"cycles\":1}, s; "
        "k=sorted(l[\"kind\"] for l in d[\"leaks\"]); "
        "assert k==[\"definitely_lost\",\"indirectly_lost\",\"possibly_lost\"], k; "
        "fr=d[\"leaks\"][0][\"stack\"][0]; "
        "assert fr[\"function\"] is None and fr[\"line\"] is None and fr[\"module\"]==\"prog\", fr; "
        "c=d[\"cycles\"][0]; assert c[\"blocks\"]==2 and c[\"bytes\"]==64 and len(c[\"members\"])==2; "
        "assert len(c[\"edges\"])==2 and c[\"members\"][0][\"address\"].startswith(\"0x\")");
    unlink(path);
    unbuild(&x);
}

Test(report, json_escapes_strings)
{
    struct gb g;
    gb_init(&g);
    struct sb b = {0};
    sb_header(&b, 1, 0);
    gb_process(&b, 7, "/tmp/we\"ird\\name\n\x01", 0);
    struct lg_snap_end e = {0};
    sb_section(&b, LG_SEC_END, 1, &e, sizeof e);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(lgt_reader_load_mem("t.lgs", b.buf, b.len, &h, err, sizeof err), 0, "%s", err);
    struct lgt_classes c;
    lgt_classify_run(&h, &c);
    struct lgt_report r = {.show = LGT_SHOW_ALL};
    lgt_report_build(&r, &h, &c, NULL);
    char path[] = "/tmp/lgt-json-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    cr_assert_eq(lgt_report_json(f, &r), 0);
    fclose(f);
    check_json(path, "assert d[\"exe\"]==\"/tmp/we\\\"ird\\\\name\\n\\x01\", d[\"exe\"]");
    unlink(path);
    lgt_report_free(&r);
    lgt_classify_free(&c);
    lgt_reader_free(&h);
    free(b.buf);
}

Test(report, kind_lists)
{
    unsigned m;
    char err[256];
    cr_assert_eq(lgt_report_parse_kinds("definite,indirect", &m, err, sizeof err), 0);
    cr_assert_eq(m, LGT_SHOW(LGT_KIND_DEFINITELY_LOST) | LGT_SHOW(LGT_KIND_INDIRECTLY_LOST));
    cr_assert_eq(lgt_report_parse_kinds("all", &m, err, sizeof err), 0);
    cr_assert_eq(m, LGT_SHOW_ALL);
    cr_assert_eq(lgt_report_parse_kinds("none", &m, err, sizeof err), 0);
    cr_assert_eq(m, 0);
    cr_assert_eq(lgt_report_parse_kinds("definite,posible", &m, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown leak kind 'posible'; did you mean 'possible'?"), "%s", err);
}

/* ---- symbolization of this very test binary ---- */

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uint64_t *)data = info->dlpi_addr;
    return 1;
}

__attribute__((noinline)) static int symbolize_me(void)
{
    return 42;
}

Test(report, symbolizes_a_real_module)
{
    uint64_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    struct lgt_module mod = {.base = bias, .lo = bias, .hi = UINT64_MAX, .id = 1,
                             .flags = LG_MOD_MAIN, .path = exe};
    struct lgt_heap h = {.modules = &mod, .nmodules = 1, .exe = exe};
    struct lgt_symbolizer *s = lgt_symbolize_open(&h);
    uint64_t pc = (uint64_t)(uintptr_t)&symbolize_me + 1; /* as a return address */
    const struct lgt_frame *f = lgt_symbolize_pc(s, pc);
    cr_assert_not_null(f->function);
    cr_assert_str_eq(f->function, "symbolize_me");
    cr_assert_not_null(f->file);
    cr_assert(strstr(f->file, "test_tool_report.c"), "%s", f->file);
    cr_assert_gt(f->line, 0);
    cr_assert_eq(lgt_symbolize_pc(s, pc), f, "cached");
    cr_assert_eq(symbolize_me(), 42);
    lgt_symbolize_close(s);
}

/* ---- the analyze command ---- */

static void write_snapshot(const struct gb *g, char *path, size_t n)
{
    struct sb b = {0};
    gb_write(g, &b);
    sb_to_file(&b, path, n);
    free(b.buf);
}

static int analyze(char *const *args, int n)
{
    char *argv[16] = {"analyze"};
    for (int i = 0; i < n; i++)
        argv[i + 1] = args[i];
    return lgt_cmd_analyze(n + 1, argv);
}

#define ANALYZE(...) \
    analyze((char *[]){__VA_ARGS__}, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))

Test(analyze, exit_statuses_and_outputs)
{
    struct gb g;
    sample_graph(&g);
    char snap[64], log[] = "/tmp/lgt-log-%p.txt", json[] = "/tmp/lgt-%p.json";
    write_snapshot(&g, snap, sizeof snap);
    cr_assert_eq(ANALYZE(snap, "--log-file", log, "--json", json), 0);
    cr_assert_eq(ANALYZE(snap, "--log-file", log, "--error-exitcode=7"), 7,
                 "definite leaks are errors by default");
    cr_assert_eq(ANALYZE(snap, "--log-file", log, "--error-exitcode", "7",
                                    "--errors-for-leak-kinds=reachable"), 7);
    cr_assert_eq(ANALYZE(snap, "--log-file", log, "--error-exitcode=7",
                                    "--errors-for-leak-kinds=none"), 0);
    check_json("/tmp/lgt-4242.json", "assert d[\"summary\"][\"possibly_lost\"][\"bytes\"]==8");
    FILE *f = fopen("/tmp/lgt-log-4242.txt", "r");
    cr_assert_not_null(f, "%%p expanded to the snapshot's pid");
    fclose(f);
    cr_assert_eq(ANALYZE(snap, "--show-leak-kinds=bogus"), 2);
    cr_assert_eq(ANALYZE(snap, "--jsn", "x"), 2);
    cr_assert_eq(ANALYZE("/nonexistent.lgs"), 2);
    cr_assert_eq(ANALYZE(snap, snap), 2);
    cr_assert_eq(ANALYZE("--help"), 0);
    char *cyc[] = {"cycles", snap, "--log-file", log};
    cr_assert_eq(lgt_cmd_cycles(4, cyc), 0);
    unlink(snap);
    unlink("/tmp/lgt-4242.json");
    unlink("/tmp/lgt-log-4242.txt");
}

Test(analyze, refuses_symlinked_output)
{
    struct gb g;
    sample_graph(&g);
    char snap[64];
    write_snapshot(&g, snap, sizeof snap);
    char link[] = "/tmp/lgt-link-XXXXXX";
    int fd = mkstemp(link);
    close(fd);
    unlink(link);
    cr_assert_eq(symlink("/tmp/lgt-victim-file", link), 0);
    cr_assert_eq(ANALYZE(snap, "--log-file", "/dev/null", "--json", link), 2);
    cr_assert_eq(access("/tmp/lgt-victim-file", F_OK), -1, "nothing written through the link");
    unlink(link);
    unlink(snap);
}

Test(report, build_id_mismatch_warns, .init = cr_redirect_stderr)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    unsigned char wrong[4] = {1, 2, 3, 4};
    struct lgt_module mod = {.base = 0x10000000, .lo = 0x10000000, .hi = 0x20000000, .id = 1,
                             .path = exe, .build_id = wrong, .build_id_len = 4};
    struct lgt_module gone = {.base = 0x30000000, .lo = 0x30000000, .hi = 0x40000000, .id = 2,
                              .path = "/nonexistent/libgone.so"};
    struct lgt_module both[2] = {mod, gone};
    struct lgt_heap h = {.modules = both, .nmodules = 2, .exe = exe};
    struct lgt_symbolizer *s = lgt_symbolize_open(&h);
    const struct lgt_frame *f = lgt_symbolize_pc(s, 0x30001234);
    cr_assert_null(f->function, "no file: no symbol");
    cr_assert_str_eq(f->module, "libgone.so");
    cr_assert_eq(f->module_off, 0x1234, "module+offset kept for a missing file");
    lgt_symbolize_close(s);
    fflush(stderr);
    char buf[1024] = "";
    FILE *err = cr_get_redirected_stderr();
    size_t got = fread(buf, 1, sizeof buf - 1, err);
    buf[got] = '\0';
    cr_assert(strstr(buf, "has changed since the snapshot (build-id differs)"), "stderr: %s", buf);
}

/* ---- inlined frames ---- */

__attribute__((noinline)) static uintptr_t return_address(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

static inline __attribute__((always_inline)) uintptr_t inlined_helper(void)
{
    uintptr_t r = return_address();
    __asm__ volatile("" ::: "memory"); /* no tail call: the return address stays inside */
    return r;
}

__attribute__((noinline)) static uintptr_t outer_function(void)
{
    uintptr_t r = inlined_helper();
    __asm__ volatile("" ::: "memory");
    return r;
}

Test(report, inlined_frames)
{
    uint64_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    struct lgt_module mod = {.base = bias, .lo = bias, .hi = UINT64_MAX, .id = 1, .path = exe};
    struct lgt_heap h = {.modules = &mod, .nmodules = 1, .exe = exe};
    struct lgt_symbolizer *s = lgt_symbolize_open(&h);
    const struct lgt_frame *f = lgt_symbolize_pc(s, outer_function());
    cr_assert_not_null(f->function);
    cr_assert_str_eq(f->function, "inlined_helper");
    cr_assert_not_null(f->caller, "the inlining function follows");
    cr_assert_str_eq(f->caller->function, "outer_function");
    cr_assert_not_null(f->caller->file);
    cr_assert(strstr(f->caller->file, "test_tool_report.c"), "%s", f->caller->file);
    cr_assert_gt(f->caller->line, f->line, "called from below the helper's body");
    cr_assert_eq(f->caller->pc, f->pc);
    cr_assert_null(f->caller->caller);
    lgt_symbolize_close(s);
}
