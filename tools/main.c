/* The leakgraph command: subcommand dispatch, --help and --version. Everything else lives
 * in cmd_*.c. */
#include "cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_options.h"
#include "hint.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"run", lgt_cmd_run, "run a program with the tracer preloaded; leak report at exit"},
    {"check", lgt_cmd_check, "CI mode: run a command, trace every descendant, fail on new leaks"},
    {"analyze", lgt_cmd_analyze, "classify a snapshot's heap and report leaks"},
    {"cycles", lgt_cmd_cycles, "list the reference cycles among the lost blocks"},
    {"chain", lgt_cmd_chain, "the shortest chain of references from a root to a block"},
    {"growth", lgt_cmd_growth, "what grew between two snapshots, per allocation site"},
    {"top", lgt_cmd_top, "the most common allocation sites of a snapshot"},
    {"dot", lgt_cmd_dot, "a Graphviz picture of the references around blocks"},
    {"cflags", lgt_cmd_cflags, "compile and link flags that instrument a program's stores"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The commands that load a snapshot fill arrays of hundreds of MB (a 2-million-block
 * snapshot: 160 MB read, 300 MB of analysis) right after allocating them. In 4 KiB pages
 * that is a page fault per 4 KiB: `leakgraph analyze` on such a snapshot took 1.3-1.65 s,
 * and 0.9-1.3 s with glibc's malloc on transparent huge pages. That switch is a tunable
 * read only at start-up, so these commands run themselves again with it set; `run` and
 * `check` do not, since the programs they start would inherit it. A failed exec (no
 * /proc) goes on as before. */
static void with_huge_pages(char **argv)
{
    const char *old = getenv("GLIBC_TUNABLES");
    if (old && strstr(old, "glibc.malloc.hugetlb"))
        return; /* ours after the exec, or the user's own choice */
    char *saved = old ? strdup(old) : NULL;
    if (old && !saved)
        return;
    size_t n = (old ? strlen(old) : 0) + sizeof ":glibc.malloc.hugetlb=1";
    char *val = malloc(n);
    if (val) {
        snprintf(val, n, "%s%sglibc.malloc.hugetlb=1", old ? old : "", old && *old ? ":" : "");
        if (setenv("GLIBC_TUNABLES", val, 1) == 0)
            execv("/proc/self/exe", argv);
        if (saved)
            setenv("GLIBC_TUNABLES", saved, 1);
        else
            unsetenv("GLIBC_TUNABLES");
    }
    free(val);
    free(saved);
}

static bool loads_snapshots(const char *cmd)
{
    static const char *const names[] = {"analyze", "cycles", "chain", "growth", "top", "dot"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(cmd, names[i]))
            return true;
    return false;
}

static void usage(FILE *out)
{
    fputs("usage: leakgraph COMMAND [OPTIONS] ...\n"
          "A leak and cycle tracer for C/C++ programs (Valgrind's leak kinds, with cycles).\n\n"
          "Commands:\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
    fputs("\n  leakgraph run [OPTIONS] [--] PROG [ARGS...]\n"
          "  leakgraph check [--suppressions F] [--baseline F] [--junit F] [--sarif F] [--xml F]\n"
          "                  [--json F] [OPTIONS] -- CMD [ARGS...]\n"
          "  leakgraph analyze SNAPSHOT [--json FILE] [--log-file FILE] [--show-leak-kinds=K]\n"
          "                    [--errors-for-leak-kinds=K] [--error-exitcode=N] [--by G]\n"
          "  leakgraph cycles SNAPSHOT [--json FILE]\n"
          "  leakgraph chain SNAPSHOT (ADDRESS | --site PATTERN | --tag NAME) [--all] [--json FILE]\n"
          "  leakgraph growth OLD NEW [--by site|function|file|tag] [--limit N] [--all]\n"
          "                   [--json FILE]\n"
          "  leakgraph top SNAPSHOT [--by site|function|file|tag] [--limit N] [--json FILE]\n"
          "  leakgraph dot SNAPSHOT (--backrefs | --refs | --chain) (ADDRESS | --site PATTERN |\n"
          "                --tag NAME) [--max-depth N] [--too-many N] [-o FILE.dot|.svg|.png]\n"
          "  leakgraph cflags [--compile | --link] clang|gcc\n"
          "  leakgraph --version\n\n"
          "Options of 'run' (also LEAKGRAPH_OPTIONS=name=value:name=value):\n", out);
    lgt_cli_print_options(out);
    fputs("\nSee 'leakgraph COMMAND --help' for each command.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return usage(stdout), 0;
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
        return puts("leakgraph " LG_VERSION), 0;
    if (loads_snapshots(cmd))
        with_huge_pages(argv);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    const char *names[NCOMMANDS + 2];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    names[NCOMMANDS] = "help";
    names[NCOMMANDS + 1] = "version";
    if (cmd[0] == '-')
        return lgt_cli_unknown(cmd, names + NCOMMANDS, 2, NULL);
    const char *hint = lgt_hint_closest(cmd, names, NCOMMANDS);
    fprintf(stderr, "leakgraph: unknown command '%s'", cmd);
    if (hint)
        fprintf(stderr, "; did you mean '%s'?", hint);
    fputs(" see 'leakgraph --help'\n", stderr);
    return 2;
}
