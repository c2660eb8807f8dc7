/* `leakgraph check [OPTIONS] -- CMD [ARGS...]`: CI mode. Runs CMD with the tracer preloaded
 * into every descendant (each leaves its exit snapshot and a started file in a private
 * directory), then analyses them all, applies suppressions and the baseline, prints one
 * summary, writes the outputs and picks the exit status. */
#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "check.h"
#include "checkjudge.h"
#include "cli_options.h"
#include "report.h"
#include "suppress.h"
#include "xalloc.h"

#define DEFAULT_EXITCODE 23 /* LSan's */

struct check_args {
    const char *lib, *baseline, *baseline_write, *tolerance;
    const char *json, *junit, *sarif, *xml;
    const char *errors_for, *show, *skip;
    long long exitcode, wait_secs;
    int gen_supp, fail_missing, no_default_supp, keep;
    const char **supp_files;
    size_t nsupp_files;
    int cmd; /* index of CMD in argv */
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph check [OPTIONS] -- CMD [ARGS...]\n"
          "Run CMD (a test runner, make test, a script) with every descendant process traced\n"
          "through fork, exec and posix_spawn; gather their leak reports, print one summary and\n"
          "exit with --error-exitcode when a leak of the failing kinds is neither suppressed nor\n"
          "in the baseline, else with CMD's own status.\n\n"
          "  --suppressions FILE      LSan-style rules, leak:PATTERN or leak[KINDS]:PATTERN (repeatable)\n"
          "  --no-default-suppressions  drop the built-in rules for glibc, ld.so and libstdc++\n"
          "  --gen-suppressions       print a ready suppression for every failing leak\n"
          "  --baseline FILE          fail only on leak sites not in FILE, or grown beyond the tolerance\n"
          "  --baseline-tolerance N|N%  bytes a baseline site may grow by (default 0)\n"
          "  --baseline-write FILE    record the current failing-kind leak sites in FILE\n"
          "  --errors-for-leak-kinds=K  kinds that fail the run (default " LGT_ERRORS_DEFAULT ")\n"
          "  --show-leak-kinds=K      kinds listed in the outputs (default " LGT_SHOW_DEFAULT ")\n"
          "  --error-exitcode=N       status when the run fails on leaks (default 23; 0: CMD's)\n"
          "  --fail-on-missing-report  a process that left no report (killed, _exit before the\n"
          "                           report) fails the run too\n"
          "  --trace-children-skip=GLOB,...  leave out processes whose executable or argv[0]\n"
          "                           matches (full path or base name; * and ?), e.g. sh,make\n"
          "  --wait-descendants=SECONDS  after CMD exits, wait this long for descendants it left\n"
          "                           running (default 10)\n"
          "  --json FILE   --junit FILE   --sarif FILE   --xml FILE (Valgrind XML; %p: one per process)\n"
          "  --lib PATH               the tracer library (as for leakgraph run)\n"
          "  --keep-dir               keep the directory of snapshots (its path is printed)\n"
          "Runtime options (stack_depth, fast_unwind, ...) come from LEAKGRAPH_OPTIONS.\n"
          "Exit status: CMD's, or N on failing leaks; 127 if CMD is not found; 2 for a usage\n"
          "error or a bad suppression or baseline file (CMD is then not run).\n", out);
}

/* ---- arguments ---- */

static const char *const flags[] = {
    "suppressions", "no-default-suppressions", "gen-suppressions", "baseline", "baseline-tolerance",
    "baseline-write", "errors-for-leak-kinds", "show-leak-kinds", "error-exitcode",
    "fail-on-missing-report", "trace-children-skip", "wait-descendants", "json", "junit", "sarif",
    "xml", "lib", "keep-dir", "help"};

static int bad_value(const char *flag, const char *v, const char *what)
{
    fprintf(stderr, "leakgraph: --%s: '%s' %s\n", flag, v, what);
    return -1;
}

static int number(const char *flag, const char *v, long long max, long long *out)
{
    if (lgt_cli_parse_int(v, out) || *out < 0 || *out > max)
        return bad_value(flag, v, max == 255 ? "is not a status 0-255" : "is not a number of seconds");
    return 1;
}

static int check_kinds(const char *flag, const char *v)
{
    unsigned mask;
    char err[300];
    if (lgt_report_parse_kinds(v, &mask, err, sizeof err))
        return fprintf(stderr, "leakgraph: --%s: %s\n", flag, err), -1;
    return 1;
}

/* A value that travels in LEAKGRAPH_OPTIONS must not hold its separator. */
static int skip_globs(const char *v)
{
    if (strchr(v, ':'))
        return bad_value("trace-children-skip", v, "contains ':', which LEAKGRAPH_OPTIONS reserves");
    return 1;
}

/* One option at argv[*i]: 1 consumed, 0 not ours, -1 error (printed). */
static int take(int argc, char **argv, int *i, struct check_args *a)
{
    static const struct { const char *flag; size_t off; } strs[] = {
        {"baseline-write", offsetof(struct check_args, baseline_write)},
        {"baseline-tolerance", offsetof(struct check_args, tolerance)},
        {"baseline", offsetof(struct check_args, baseline)},
        {"json", offsetof(struct check_args, json)},
        {"junit", offsetof(struct check_args, junit)},
        {"sarif", offsetof(struct check_args, sarif)},
        {"xml", offsetof(struct check_args, xml)},
        {"lib", offsetof(struct check_args, lib)}};
    static const struct { const char *flag; size_t off; } bools[] = {
        {"--gen-suppressions", offsetof(struct check_args, gen_supp)},
        {"--fail-on-missing-report", offsetof(struct check_args, fail_missing)},
        {"--no-default-suppressions", offsetof(struct check_args, no_default_supp)},
        {"--keep-dir", offsetof(struct check_args, keep)}};
    const char *v;
    int k;
    for (size_t j = 0; j < sizeof bools / sizeof *bools; j++)
        if (!strcmp(argv[*i], bools[j].flag))
            return *(int *)((char *)a + bools[j].off) = 1, 1;
    for (size_t j = 0; j < sizeof strs / sizeof *strs; j++)
        if ((k = lgt_cli_take(argc, argv, i, strs[j].flag, &v)) != 0)
            return k < 0 ? -1 : (*(const char **)((char *)a + strs[j].off) = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "suppressions", &v)) != 0) {
        if (k < 0)
            return -1;
        a->supp_files = lgt_xrealloc(a->supp_files, a->nsupp_files + 1, sizeof *a->supp_files);
        a->supp_files[a->nsupp_files++] = v;
        return 1;
    }
    if ((k = lgt_cli_take(argc, argv, i, "errors-for-leak-kinds", &v)) != 0)
        return k < 0 ? -1 : (a->errors_for = v, check_kinds("errors-for-leak-kinds", v));
    if ((k = lgt_cli_take(argc, argv, i, "show-leak-kinds", &v)) != 0)
        return k < 0 ? -1 : (a->show = v, check_kinds("show-leak-kinds", v));
    if ((k = lgt_cli_take(argc, argv, i, "trace-children-skip", &v)) != 0)
        return k < 0 ? -1 : (a->skip = v, skip_globs(v));
    if ((k = lgt_cli_take(argc, argv, i, "error-exitcode", &v)) != 0)
        return k < 0 ? -1 : number("error-exitcode", v, 255, &a->exitcode);
    if ((k = lgt_cli_take(argc, argv, i, "wait-descendants", &v)) != 0)
        return k < 0 ? -1 : number("wait-descendants", v, 86400, &a->wait_secs);
    return 0;
}

/* -1 to go on, else an exit status. */
static int parse(int argc, char **argv, struct check_args *a)
{
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout), 0;
        int k = take(argc, argv, &i, a);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (argv[i][0] != '-')
            break;
        return lgt_cli_unknown(argv[i], flags, sizeof flags / sizeof *flags, "check");
    }
    if (i >= argc) {
        fprintf(stderr, "leakgraph: check: missing CMD; see 'leakgraph check --help'\n");
        return 2;
    }
    a->cmd = i;
    return -1;
}

/* ---- inputs: suppressions and the baseline, all read before CMD runs ---- */

static int load_inputs(const struct check_args *a, struct lgt_supp_set *s, struct lgt_baseline *b)
{
    char err[600];
    if (!a->no_default_supp)
        lgt_supp_add_defaults(s);
    for (size_t i = 0; i < a->nsupp_files; i++)
        if (lgt_supp_load(s, a->supp_files[i], err, sizeof err))
            return fprintf(stderr, "leakgraph: %s\n", err), 2;
    if (a->baseline && lgt_baseline_load(b, a->baseline, err, sizeof err))
        return fprintf(stderr, "leakgraph: %s\n", err), 2;
    if (a->tolerance && lgt_baseline_tolerance(b, a->tolerance, err, sizeof err))
        return fprintf(stderr, "leakgraph: %s\n", err), 2;
    if (a->tolerance && !a->baseline)
        return fprintf(stderr, "leakgraph: --baseline-tolerance needs --baseline FILE\n"), 2;
    return 0;
}

/* ---- running CMD ---- */

static char *make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = lgt_xasprintf("%s/leakgraph-check.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir) || strchr(dir, ':')) {
        fprintf(stderr, "leakgraph: cannot make a private directory %s: %s\n", dir,
                errno && !strchr(dir, ':') ? strerror(errno) : "':' in $TMPDIR");
        free(dir);
        return NULL;
    }
    return dir;
}

static void set_env(const char *lib, const char *dir, const struct check_args *a)
{
    const char *old = getenv("LD_PRELOAD");
    char *preload = old && old[0] ? lgt_xasprintf("%s:%s", lib, old) : lgt_xstrdup(lib);
    const char *env = getenv("LEAKGRAPH_OPTIONS");
    /* Ours come last, so they win over the user's: the run depends on them. */
    char *opts = lgt_xasprintf("%s%sreport=0:follow_children=1:error_exitcode=0:json=:"
                               "snapshot=%s/snap.%%p.lgs:started_file=%s/started.%%p:"
                               "trace_children_skip=%s", env && env[0] ? env : "",
                               env && env[0] ? ":" : "", dir, dir, a->skip ? a->skip : "");
    if (setenv("LD_PRELOAD", preload, 1) || setenv("LEAKGRAPH_OPTIONS", opts, 1)) {
        fprintf(stderr, "leakgraph: cannot set the environment: %s\n", strerror(errno));
        _exit(2);
    }
    free(preload);
    free(opts);
}

static void note(struct lgt_chk_reaped **r, size_t *n, unsigned pid, int status)
{
    *r = lgt_xrealloc(*r, *n + 1, sizeof **r);
    (*r)[(*n)++] = (struct lgt_chk_reaped){pid, status};
}

/* Waits for CMD, then (as a subreaper) for the descendants it left behind, at most
 * wait_secs: their reports are written when they exit. Returns CMD's wait status. */
static int wait_all(pid_t cmd, long long wait_secs, struct lgt_chk_reaped **r, size_t *n)
{
    int st, cmd_status = 0;
    pid_t p;
    while ((p = waitpid(-1, &st, 0)) != cmd)
        if (p > 0)
            note(r, n, (unsigned)p, st);
        else if (errno != EINTR)
            return 0;
    cmd_status = st;
    note(r, n, (unsigned)cmd, st);
    struct timespec start, now, nap = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            note(r, n, (unsigned)p, st);
            continue;
        }
        if (p < 0 && errno != EINTR)
            break; /* ECHILD: every descendant is gone */
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= wait_secs) {
            fprintf(stderr, "leakgraph: check: descendants of CMD still running after %llds;"
                    " not waiting for them (see --wait-descendants)\n", wait_secs);
            break;
        }
        nanosleep(&nap, NULL);
    }
    return cmd_status;
}

/* CMD's pid while check waits for it, for forward_signal; 0 otherwise. */
static volatile pid_t cmd_pid;

/* SIGTERM and SIGHUP (a cancelled CI job) go on to CMD; check stays to report. */
static void forward_signal(int sig)
{
    int e = errno;
    if (cmd_pid > 0)
        kill(cmd_pid, sig);
    errno = e;
}

/* Forks CMD with the tracer's environment. 0 with *status, or an exit status (127/126). */
static int run_cmd(const struct check_args *a, char **argv, int argc, const char *lib,
                   const char *dir, int *status, struct lgt_chk_reaped **r, size_t *n)
{
    int rc = 0;
    char *path = lgt_run_resolve(argv[0], &rc);
    if (!path) {
        fprintf(stderr, strchr(argv[0], '/') ? "leakgraph: %s: No such file or directory\n"
                                             : "leakgraph: %s: command not found\n", argv[0]);
        return 127;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* Like system(): a ^C reaches CMD, and check stays to report what it left. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward_signal}, old_int, old_quit,
                     old_term, old_hup;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, &old_term);
    sigaction(SIGHUP, &fwd, &old_hup);
    /* Held until cmd_pid is set: a SIGTERM that came between fork and that (CMD may be
     * running already) found no pid to forward to, and check then waited for a CMD
     * that nobody would stop (seen in CI under load). */
    sigset_t fwd_set, old_mask;
    sigemptyset(&fwd_set);
    sigaddset(&fwd_set, SIGTERM);
    sigaddset(&fwd_set, SIGHUP);
    sigprocmask(SIG_BLOCK, &fwd_set, &old_mask);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        set_env(lib, dir, a);
        lgt_run_exec(path, argc, argv);
        fprintf(stderr, "leakgraph: %s: cannot execute: %s\n", argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    free(path);
    if (pid > 0)
        cmd_pid = pid;
    sigprocmask(SIG_SETMASK, &old_mask, NULL); /* a held SIGTERM goes on to CMD now */
    if (pid < 0)
        return fprintf(stderr, "leakgraph: fork: %s\n", strerror(errno)), 2;
    *status = wait_all(pid, a->wait_secs, r, n);
    cmd_pid = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return 0;
}

/* Only the files our tracer wrote are in it: the directory is private (mkdtemp). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char *path = lgt_xasprintf("%s/%s", dir, e->d_name);
            unlink(path);
            free(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* ---- the whole command ---- */

static int outputs(const struct check_args *a, const struct lgt_chk_run *run)
{
    int rc = 0;
    if (a->json)
        rc |= lgt_out_json(run, a->json);
    if (a->junit)
        rc |= lgt_out_junit(run, a->junit);
    if (a->sarif)
        rc |= lgt_out_sarif(run, a->sarif);
    if (a->xml)
        rc |= lgt_out_vgxml(run, a->xml);
    if (a->baseline_write)
        rc |= lgt_baseline_write(run, a->baseline_write);
    return rc ? 2 : 0;
}

static int status_of(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

static int execute(struct check_args *a, char **argv, int argc)
{
    struct lgt_supp_set supps = {0};
    struct lgt_baseline base = {0};
    struct lgt_chk_run run = {.argv = argv, .supps = &supps, .fail_on_missing = a->fail_missing};
    char err[300];
    lgt_report_parse_kinds(a->errors_for ? a->errors_for : LGT_ERRORS_DEFAULT, &run.errors_mask,
                           err, sizeof err);
    lgt_report_parse_kinds(a->show ? a->show : LGT_SHOW_DEFAULT, &run.show_mask, err, sizeof err);
    int rc = load_inputs(a, &supps, &base);
    char *lib = rc ? NULL : lgt_run_find_lib(a->lib);
    if (!rc && !lib) {
        fprintf(stderr, "leakgraph: cannot find libleakgraph.so; use --lib PATH or set LEAKGRAPH_LIB\n");
        rc = 2;
    }
    char *dir = rc ? NULL : make_dir();
    if (!rc && !dir)
        rc = 2;
    struct lgt_chk_reaped *reaped = NULL;
    size_t nreaped = 0;
    if (!rc)
        rc = run_cmd(a, argv, argc, lib, dir, &run.cmd_status, &reaped, &nreaped);
    if (!rc && lgt_chk_collect(&run, dir) == 0) {
        run.baseline = a->baseline ? &base : NULL;
        lgt_judge_statuses(&run, reaped, nreaped);
        lgt_judge_run(&run);
        lgt_judge_summary(stderr, &run, a->gen_supp);
        rc = outputs(a, &run);
        if (!rc)
            rc = lgt_judge_fails(&run) && a->exitcode ? (int)a->exitcode : status_of(run.cmd_status);
    } else if (!rc) {
        rc = 2;
    }
    if (dir && a->keep)
        fprintf(stderr, "leakgraph: check: snapshots kept in %s\n", dir);
    else if (dir)
        remove_dir(dir);
    lgt_chk_run_free(&run);
    lgt_supp_free(&supps);
    lgt_baseline_free(&base);
    free(reaped);
    free(dir);
    free(lib);
    return rc;
}

int lgt_cmd_check(int argc, char **argv)
{
    struct check_args a = {.exitcode = DEFAULT_EXITCODE, .wait_secs = 10};
    int rc = parse(argc, argv, &a);
    if (rc < 0)
        rc = execute(&a, argv + a.cmd, argc - a.cmd);
    free(a.supp_files);
    return rc;
}
