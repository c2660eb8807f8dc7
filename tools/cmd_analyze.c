/* `leakgraph analyze SNAPSHOT`: read, classify, symbolize and report one snapshot. Exit 0, or
 * --error-exitcode when leaks of the error kinds exist, or 2 on any error. */
#include "cmd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "core.h"
#include "journal.h"
#include "cli_options.h"
#include "explain.h"
#include "groupby.h"
#include "outfile.h"
#include "reader.h"
#include "report.h"
#include "symbolize.h"
#include "xalloc.h"

static void usage(FILE *out)
{
    fputs("usage: leakgraph analyze SNAPSHOT [OPTIONS]\n"
          "       leakgraph analyze --journal FILE [--core CORE] [OPTIONS]\n"
          "       leakgraph analyze SNAPSHOT --core CORE [OPTIONS]\n"
          "Classify the heap blocks of a snapshot (Valgrind's semantics) and report leaks.\n\n"
          "  --journal FILE               the blocks live when the process was killed (journal=FILE);\n"
          "                               alone: listed per site, not classified (no memory image)\n"
          "  --core CORE                  classify the blocks of the journal or snapshot with the\n"
          "                               memory, registers and mappings of an ELF core dump\n"
          "  --json FILE                  also write the report as JSON (%p: the pid)\n"
          "  --log-file FILE              write the text report to FILE, not stderr (%p: the pid)\n"
          "  --show-leak-kinds=KINDS      loss records listed (default " LGT_SHOW_DEFAULT ")\n"
          "  --errors-for-leak-kinds=KINDS  kinds that are errors (default " LGT_ERRORS_DEFAULT ")\n"
          "  --error-exitcode=N           exit N when errors are found (default 0)\n"
          "  --by site|function|file|tag  one loss record per allocation site (default), or per\n"
          "                               allocating function, source file or type tag\n"
          "  --explain=N                  who keeps the N largest still-reachable sites alive:\n"
          "                               a retention chain for each, before the summary\n"
          "                               (default 0)\n"
          "KINDS: comma-separated definite, indirect, possible, reachable, cyclic, all, none.\n"
          "Exit status: 0, N as above, 2 for an unreadable snapshot, journal or core, a core that\n"
          "does not match the journal or snapshot, or a usage error.\n", out);
}

/* ---- output ---- */

/* fallback: a warning and stderr instead of an error, for the text report. */
static FILE *open_out(const char *pattern, unsigned pid, FILE *fallback)
{
    char err[512];
    char *path = lgt_outfile_expand(pattern, pid);
    FILE *f = lgt_outfile_open(path, err, sizeof err);
    if (!f)
        fprintf(stderr, "leakgraph: %s%s\n", fallback ? "warning: " : "", err);
    if (!f && fallback)
        fputs("leakgraph: writing the report to stderr instead\n", stderr);
    free(path);
    return f ? f : fallback;
}

static int write_reports(const struct lgt_analyze_args *a, struct lgt_report *r)
{
    unsigned pid = r->heap->proc.pid;
    /* A lost report is worse than one in the wrong place: fall back to stderr. */
    FILE *log = a->log_file ? open_out(a->log_file, pid, stderr) : stderr;
    lgt_report_text(log, r);
    int rc = 0;
    if (log != stderr && fclose(log) != 0)
        rc = -1;
    FILE *j = a->json ? open_out(a->json, pid, NULL) : NULL;
    if (a->json && !j)
        rc = -1; /* open_out said why */
    if (j && (lgt_report_json(j, r) | fclose(j)) != 0) {
        fprintf(stderr, "leakgraph: could not write the JSON report %s\n", a->json);
        rc = -1;
    }
    return rc;
}

/* --journal and --core: -1 with *h loaded (blocks, and with a core the roots and
 * references) for the usual analysis, else the exit status (the journal-only report, 2). */
static int load_crash(const struct lgt_analyze_args *a, struct lgt_heap *h)
{
    char err[768];
    struct lgt_journal_info info;
    if (a->journal && a->snapshot) {
        fprintf(stderr, "leakgraph: give a snapshot or --journal, not both\n");
        return 2;
    }
    if (!a->journal && !a->snapshot) {
        fprintf(stderr, "leakgraph: --core needs the block list: --journal FILE or a snapshot\n");
        return 2;
    }
    int bad = a->journal ? lgt_journal_load_file(a->journal, h, &info, err, sizeof err)
                         : lgt_reader_load_file(a->snapshot, h, err, sizeof err);
    if (bad) {
        fprintf(stderr, "leakgraph: %s\n", err);
        return 2;
    }
    if (!a->core) {
        FILE *log = a->log_file ? open_out(a->log_file, h->proc.pid, stderr) : stderr;
        FILE *j = a->json ? open_out(a->json, h->proc.pid, NULL) : NULL;
        int rc = (a->json && !j) ? 2 : 0;
        if (lgt_journal_report(log, j, h, &info))
            rc = 2;
        if (log != stderr && fclose(log) != 0)
            rc = 2;
        if (j && fclose(j) != 0)
            rc = 2;
        lgt_reader_free(h);
        return rc;
    }
    struct lgt_core core;
    if (lgt_core_open(a->core, &core, err, sizeof err) || lgt_core_scan(&core, h, err, sizeof err)) {
        fprintf(stderr, "leakgraph: %s\n", err);
        if (core.name)
            lgt_core_close(&core);
        lgt_reader_free(h);
        return 2;
    }
    lgt_core_close(&core);
    if (a->journal && (info.dropped_blocks || info.missing_sites))
        fprintf(stderr, "leakgraph: warning: %s: %" PRIu64 " allocations were not journaled and %" PRIu64
                " blocks have no stack; the report is incomplete\n", a->journal, info.dropped_blocks,
                info.missing_sites);
    return -1;
}

int lgt_cmd_analyze_execute(const struct lgt_analyze_args *a)
{
    char err[512];
    unsigned show, errors;
    if (lgt_report_parse_kinds(a->show ? a->show : LGT_SHOW_DEFAULT, &show, err, sizeof err) ||
        lgt_report_parse_kinds(a->errors_for ? a->errors_for : LGT_ERRORS_DEFAULT, &errors,
                               err, sizeof err)) {
        fprintf(stderr, "leakgraph: %s\n", err);
        return 2;
    }
    struct lgt_heap h;
    if (a->journal || a->core) {
        int k = load_crash(a, &h);
        if (k >= 0)
            return k; /* the journal-only report, or an error */
    } else if (lgt_reader_load_file(a->snapshot, &h, err, sizeof err)) {
        fprintf(stderr, "leakgraph: %s\n", err);
        return 2;
    }
    struct lgt_classes c;
    lgt_classify_run(&h, &c);
    struct lgt_symbolizer *sym = lgt_symbolize_open(&h);
    struct lgt_report r = {.show = show, .cycles_only = a->cycles_only,
                           .by = (enum lgt_group_by)a->by};
    lgt_report_build(&r, &h, &c, sym);
    if (a->explain && !a->cycles_only)
        r.explain = lgt_explain_build(&r, (size_t)a->explain);
    int rc = write_reports(a, &r) ? 2 : 0;
    if (rc == 0 && a->error_exitcode && lgt_report_has_errors(&r, errors))
        rc = (int)a->error_exitcode;
    lgt_explain_free(r.explain);
    lgt_report_free(&r);
    lgt_symbolize_close(sym);
    lgt_classify_free(&c);
    lgt_reader_free(&h);
    return rc;
}

/* ---- arguments ---- */

static const char *const analyze_flags[] = {"json", "journal", "core", "log-file", "log-path", "show-leak-kinds", "by",
                                            "errors-for-leak-kinds", "error-exitcode",
                                            "verbosity", "explain", "help"};

/* The N of --explain=N: 0, or -1 with a message naming where it came from. */
static int explain_count(const char *v, const char *from, long long *n)
{
    if (lgt_cli_parse_int(v, n) || *n < 0 || *n > 1000000) {
        fprintf(stderr, "leakgraph: %s: '%s' is not a number of sites 0-1000000\n", from, v);
        return -1;
    }
    return 0;
}

/* One option at argv[*i]: 1 consumed, 0 not an option of ours, -1 error (printed). */
static int take_option(int argc, char **argv, int *i, struct lgt_analyze_args *a)
{
    const char *v;
    int k;
    if ((k = lgt_cli_take(argc, argv, i, "json", &v)) != 0)
        return k < 0 ? -1 : (a->json = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "journal", &v)) != 0)
        return k < 0 ? -1 : (a->journal = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "core", &v)) != 0)
        return k < 0 ? -1 : (a->core = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "log-file", &v)) != 0 ||
        (k = lgt_cli_take(argc, argv, i, "log-path", &v)) != 0)
        return k < 0 ? -1 : (a->log_file = v[0] ? v : NULL, 1);
    if ((k = lgt_cli_take(argc, argv, i, "show-leak-kinds", &v)) != 0)
        return k < 0 ? -1 : (a->show = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "errors-for-leak-kinds", &v)) != 0)
        return k < 0 ? -1 : (a->errors_for = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "by", &v)) != 0) {
        enum lgt_group_by by;
        if (k > 0 && lgt_group_parse(v, &by) == 0)
            return a->by = (int)by, 1;
        if (k > 0)
            fprintf(stderr, "leakgraph: --by: '%s' is not one of " LGT_GROUP_CHOICES "\n", v);
        return -1;
    }
    if ((k = lgt_cli_take(argc, argv, i, "explain", &v)) != 0)
        return k < 0 || explain_count(v, "--explain", &a->explain) ? -1 : 1;
    if ((k = lgt_cli_take(argc, argv, i, "verbosity", &v)) != 0)
        return k < 0 ? -1 : 1; /* accepted for the runtime's sake; the report is the same */
    if ((k = lgt_cli_take(argc, argv, i, "error-exitcode", &v)) != 0) {
        if (k < 0)
            return -1;
        if (lgt_cli_parse_int(v, &a->error_exitcode) || a->error_exitcode < 0 ||
            a->error_exitcode > 255) {
            fprintf(stderr, "leakgraph: --error-exitcode: '%s' is not a status 0-255\n", v);
            return -1;
        }
        return 1;
    }
    return 0;
}

int lgt_cmd_analyze_parse(int argc, char **argv, struct lgt_analyze_args *a, const char *cmd,
                          void (*help)(FILE *))
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return help(stdout), 0;
        int k = take_option(argc, argv, &i, a);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return lgt_cli_unknown(argv[i], analyze_flags,
                                   sizeof analyze_flags / sizeof *analyze_flags, cmd);
        if (a->snapshot) {
            fprintf(stderr, "leakgraph: %s takes one snapshot ('%s' and '%s' given); see"
                    " 'leakgraph %s --help'\n", cmd, a->snapshot, argv[i], cmd);
            return 2;
        }
        a->snapshot = argv[i];
    }
    if (!a->snapshot && !a->journal && !a->core) {
        fprintf(stderr, "leakgraph: %s: missing SNAPSHOT; see 'leakgraph %s --help'\n", cmd, cmd);
        return 2;
    }
    return -1;
}

int lgt_cmd_analyze(int argc, char **argv)
{
    struct lgt_analyze_args a = {0};
    int rc = lgt_cmd_analyze_parse(argc, argv, &a, "analyze", usage);
    return rc >= 0 ? rc : lgt_cmd_analyze_execute(&a);
}
