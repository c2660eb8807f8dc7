/* `leakgraph run [OPTIONS] -- PROG [ARGS...]`: preload the tracer into PROG and exec it.
 * Analyses nothing itself: the runtime inside PROG writes the snapshot at exit and spawns
 * `leakgraph analyze`. Refuses, before exec, what preloading cannot trace. */
#include "cmd.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_options.h"
#include "report.h"
#include "xalloc.h"

struct run_args {
    const char *lib;
    char **pairs; /* "name=value", in command-line order */
    size_t npairs;
    int prog; /* index of PROG in argv */
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph run [OPTIONS] [--] PROG [ARGS...]\n"
          "Run PROG with libleakgraph.so preloaded; at exit it prints a leak report on\n"
          "stderr. PROG's output and exit status are its own (see --error-exitcode).\n"
          "Options also come from LEAKGRAPH_OPTIONS=name=value:...; the command line wins.\n\n"
          "  --lib PATH\n      the tracer library (default: libleakgraph.so next to this"
          " command,\n      else ../lib/libleakgraph.so, else $LEAKGRAPH_LIB)\n", out);
    lgt_cli_print_options(out);
    fputs("Exit status: PROG's; 127 if PROG is not found; 126 if it cannot be run or traced\n"
          "(not executable, statically linked, setuid/setgid); 2 for a usage error.\n", out);
}

/* ---- options ---- */

static int unknown(const char *arg)
{
    const char **known = lgt_xcalloc(lgt_cli_noptions + 2, sizeof *known);
    char **names = lgt_xcalloc(lgt_cli_noptions, sizeof *names);
    for (size_t i = 0; i < lgt_cli_noptions; i++) {
        names[i] = lgt_xmalloc(strlen(lgt_cli_options[i].name) + 1);
        lgt_cli_flag_name(lgt_cli_options[i].name, names[i]);
        known[i] = names[i];
    }
    known[lgt_cli_noptions] = "lib";
    known[lgt_cli_noptions + 1] = "help";
    int rc = lgt_cli_unknown(arg, known, lgt_cli_noptions + 2, "run");
    for (size_t i = 0; i < lgt_cli_noptions; i++)
        free(names[i]);
    free(names);
    free(known);
    return rc;
}

/* Extra checks beyond the type: values the analyzer would reject later. */
static int check_semantics(const struct lgt_optdef *o, const char *v, char *err, size_t n)
{
    unsigned mask;
    long long x;
    if (!strcmp(o->name, "show_leak_kinds") || !strcmp(o->name, "errors_for_leak_kinds"))
        return lgt_report_parse_kinds(v, &mask, err, n);
    if (!strcmp(o->name, "error_exitcode") && (lgt_cli_parse_int(v, &x) || x < 0 || x > 255))
        return snprintf(err, n, "--error-exitcode: '%s' is not a status 0-255", v), -1;
    if (!strcmp(o->name, "explain") && (lgt_cli_parse_int(v, &x) || x < 0 || x > 1000000))
        return snprintf(err, n, "--explain: '%s' is not a number of sites 0-1000000", v), -1;
    return 0;
}

static int is_bool_word(const char *s)
{
    return !strcmp(s, "1") || !strcmp(s, "0") || !strcmp(s, "true") || !strcmp(s, "false") ||
           !strcmp(s, "yes") || !strcmp(s, "no") || !strcmp(s, "on") || !strcmp(s, "off");
}

/* One option from options.def at argv[*i]: 0, or an exit status. */
static int take_table_option(int argc, char **argv, int *i, struct run_args *r)
{
    const char *a = argv[*i] + 2, *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const struct lgt_optdef *o = lgt_cli_find(a, len);
    if (!o)
        return unknown(argv[*i]);
    const char *v = eq ? eq + 1 : NULL;
    if (!v && o->type == LGT_OPT_BOOL)
        v = *i + 1 < argc && is_bool_word(argv[*i + 1]) ? argv[++*i] : "1";
    if (!v && *i + 1 >= argc)
        return fprintf(stderr, "leakgraph: option '--%.*s' needs a value\n", (int)len, a), 2;
    if (!v)
        v = argv[++*i];
    char err[512];
    if (lgt_cli_check_value(o, v, err, sizeof err) || check_semantics(o, v, err, sizeof err))
        return fprintf(stderr, "leakgraph: %s\n", err), 2;
    r->pairs = lgt_xrealloc(r->pairs, r->npairs + 1, sizeof *r->pairs);
    r->pairs[r->npairs++] = lgt_xasprintf("%s=%s", o->name, v);
    return 0;
}

/* -1 to go on, else an exit status. */
static int parse(int argc, char **argv, struct run_args *r)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 0;
        int k = lgt_cli_take(argc, argv, &i, "lib", &v);
        if (k < 0)
            return 2;
        if (k > 0) {
            r->lib = v;
            continue;
        }
        if (a[0] != '-')
            break;
        int rc = strncmp(a, "--", 2) == 0 ? take_table_option(argc, argv, &i, r) : unknown(a);
        if (rc)
            return rc;
    }
    if (i >= argc) {
        fprintf(stderr, "leakgraph: run: missing PROG; see 'leakgraph run --help'\n");
        return 2;
    }
    r->prog = i;
    return -1;
}

/* ---- the library ---- */

char *lgt_run_find_lib(const char *given)
{
    char buf[PATH_MAX];
    if (given)
        return realpath(given, buf) ? lgt_xstrdup(buf) : NULL;
    char *self = realpath("/proc/self/exe", NULL);
    if (self) {
        char *slash = strrchr(self, '/');
        *slash = '\0';
        static const char *const rel[] = {"libleakgraph.so", "../lib/libleakgraph.so"};
        for (size_t i = 0; i < 2; i++) {
            char *cand = lgt_xasprintf("%s/%s", self, rel[i]);
            char *ok = realpath(cand, buf);
            free(cand);
            if (ok) {
                free(self);
                return lgt_xstrdup(buf);
            }
        }
        free(self);
    }
    const char *env = getenv("LEAKGRAPH_LIB");
    return env && realpath(env, buf) ? lgt_xstrdup(buf) : NULL;
}

/* ---- PROG ---- */

/* PATH search like a shell. Sets *status to 127/126 and returns NULL when unusable. */
char *lgt_run_resolve(const char *prog, int *status)
{
    struct stat st;
    if (strchr(prog, '/')) {
        *status = stat(prog, &st) == 0 ? 0 : 127;
        return *status ? NULL : lgt_xstrdup(prog);
    }
    const char *path = getenv("PATH");
    char *found_noexec = NULL;
    for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; ; p++) {
        size_t len = strcspn(p, ":");
        char *cand = lgt_xasprintf("%.*s%s%s", (int)len, len ? p : ".", "/", prog);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                free(found_noexec);
                return cand;
            }
            if (!found_noexec)
                found_noexec = lgt_xstrdup(cand);
        }
        free(cand);
        p += len;
        if (!*p)
            break;
    }
    *status = found_noexec ? 0 : 127;
    return found_noexec;
}

/* 1 when path is an ELF file without PT_INTERP (static; LD_PRELOAD cannot apply). */
static int is_static_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr eh;
    int is_static = 0;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        is_static = 1;
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != sizeof ph ||
                ph.p_type == PT_INTERP) {
                is_static = 0; /* unreadable headers: let the loader decide */
                break;
            }
        }
    }
    close(fd);
    return is_static;
}

/* 0 when PROG can be traced, else the exit status (message printed). */
static int check_prog(const char *prog, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fprintf(stderr, "leakgraph: %s: %s\n", prog, strerror(errno)), 127;
    if (S_ISDIR(st.st_mode))
        return fprintf(stderr, "leakgraph: %s: is a directory\n", prog), 126;
    if (access(path, X_OK) != 0)
        return fprintf(stderr, "leakgraph: %s: permission denied (not executable)\n", prog), 126;
    if (st.st_mode & (S_ISUID | S_ISGID))
        return fprintf(stderr, "leakgraph: %s: is setuid/setgid: the dynamic loader ignores"
                       " LD_PRELOAD for secure-execution programs, so it cannot be traced\n",
                       prog), 126;
    if (is_static_elf(path))
        return fprintf(stderr, "leakgraph: %s: statically linked: LD_PRELOAD cannot trace it"
                       " (link it dynamically)\n", prog), 126;
    return 0;
}

/* ---- environment and exec ---- */

static void set_env(const char *lib, const struct run_args *r)
{
    const char *old = getenv("LD_PRELOAD");
    char *preload = old && old[0] ? lgt_xasprintf("%s:%s", lib, old) : lgt_xstrdup(lib);
    char **pairs = lgt_xcalloc(r->npairs + 2, sizeof *pairs);
    size_t n = 0;
    char *self = realpath("/proc/self/exe", NULL);
    if (self && !strchr(self, ':'))
        pairs[n++] = lgt_xasprintf("tool_path=%s", self); /* first: the user's value wins */
    const char *env = getenv("LEAKGRAPH_OPTIONS");
    if (env && env[0])
        pairs[n++] = lgt_xstrdup(env);
    for (size_t i = 0; i < r->npairs; i++)
        pairs[n++] = lgt_xstrdup(r->pairs[i]);
    char *opts = lgt_cli_join_options(NULL, pairs, n);
    if (setenv("LD_PRELOAD", preload, 1) || setenv("LEAKGRAPH_OPTIONS", opts, 1)) {
        fprintf(stderr, "leakgraph: cannot set the environment: %s\n", strerror(errno));
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        free(pairs[i]);
    free(pairs);
    free(self);
    free(preload);
    free(opts);
}

/* execv, and like a shell (and execvp) run a file without "#!" or ELF magic with /bin/sh. */
void lgt_run_exec(const char *path, int argc, char **argv)
{
    execv(path, argv);
    if (errno != ENOEXEC)
        return;
    char **sh = lgt_xcalloc((size_t)argc + 2, sizeof *sh);
    sh[0] = "/bin/sh";
    sh[1] = (char *)path;
    for (int i = 1; i < argc; i++)
        sh[i + 1] = argv[i];
    execv(sh[0], sh);
    free(sh);
}

int lgt_cmd_run(int argc, char **argv)
{
    struct run_args r = {0};
    int rc = parse(argc, argv, &r);
    if (rc < 0) {
        const char *prog = argv[r.prog];
        char *path = lgt_run_resolve(prog, &rc);
        if (!path)
            fprintf(stderr, strchr(prog, '/') ? "leakgraph: %s: No such file or directory\n"
                                              : "leakgraph: %s: command not found\n", prog);
        else
            rc = check_prog(prog, path);
        char *lib = rc ? NULL : lgt_run_find_lib(r.lib);
        if (!rc && !lib) {
            fprintf(stderr, r.lib ? "leakgraph: --lib %s: %s\n" : "leakgraph: cannot find"
                    " libleakgraph.so%.0s%.0s; use --lib PATH or set LEAKGRAPH_LIB\n",
                    r.lib ? r.lib : "", strerror(errno));
            rc = 2;
        }
        if (!rc) {
            set_env(lib, &r);
            lgt_run_exec(path, argc - r.prog, argv + r.prog);
            rc = errno == ENOENT ? 127 : 126;
            fprintf(stderr, "leakgraph: %s: cannot execute: %s\n", prog, strerror(errno));
        }
        free(lib);
        free(path);
    }
    for (size_t i = 0; i < r.npairs; i++)
        free(r.pairs[i]);
    free(r.pairs);
    return rc;
}
