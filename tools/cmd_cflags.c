/* leakgraph cflags [--compile|--link] clang|gcc: the flags that build a program whose
 * stores the tracer sees (clang's trace-stores coverage, gcc's outline KASAN calls), and
 * the link flags for libleakgraph_hooks.so, the no-op hooks used when not preloaded. */
#include "cmd.h"

#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hint.h"

/* -fno-sanitize-link-runtime: the driver would link the UBSan runtime, whose interceptors
 * (sigaction, signal) are not set up when the tracer calls them at start-up.
 * -fno-builtin-mem*: clang lowers memcpy/memmove/memset inline, where no hook sees them;
 * as calls they reach the tracer's interposed ones (measured: the mutator test). */
static const char *const clang_flags = "-fsanitize-coverage=func,trace-stores -fno-sanitize-link-runtime "
                                       "-fno-builtin-memcpy -fno-builtin-memmove -fno-builtin-memset";
/* call threshold 0: every store is an outline call; no reads, stack or globals.
 * -fno-plt: each hook call goes straight through the GOT, not via a PLT stub (gcc
 * honours it for its KASAN calls; clang does not for its coverage callbacks). */
static const char *const gcc_flags =
    "-fsanitize=kernel-address --param asan-instrumentation-with-call-threshold=0 "
    "--param asan-instrument-reads=0 --param asan-stack=0 --param asan-globals=0 "
    "--param asan-use-after-return=0 -fno-plt";

static void help(FILE *out)
{
    fputs("usage: leakgraph cflags [--compile | --link] clang|gcc\n"
          "Prints the flags that instrument a program's stores for incremental collections\n"
          "(leakgraph_collect, collect_every, collect_interval) and that name the store that\n"
          "overwrote the last reference to a block. Build with\n"
          "  cc $(leakgraph cflags gcc) prog.c -o prog\n"
          "and run it under `leakgraph run` (without the tracer the hooks do nothing).\n"
          "  --compile  only the compile flags\n"
          "  --link     only the link flags\n", out);
}

/* The directory of libleakgraph_hooks.so: next to the command (a build tree), else
 * ../lib (an installation). */
static int lib_dir(char *out, size_t cap, char *inc, size_t icap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *dir = dirname(exe);
    snprintf(out, cap, "%s/libleakgraph_hooks.so", dir);
    if (access(out, R_OK) == 0) {
        snprintf(out, cap, "%s", dir);
        snprintf(inc, icap, "%s/../include", dir);
        return 0;
    }
    snprintf(out, cap, "%s/../lib/libleakgraph_hooks.so", dir);
    if (access(out, R_OK) == 0) {
        snprintf(out, cap, "%s/../lib", dir);
        snprintf(inc, icap, "%s/../include", dir);
        return 0;
    }
    return -1;
}

int lgt_cmd_cflags(int argc, char **argv)
{
    int compile = 1, link = 1;
    const char *cc = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return help(stdout), 0;
        if (!strcmp(argv[i], "--compile"))
            link = 0;
        else if (!strcmp(argv[i], "--link"))
            compile = 0;
        else if (argv[i][0] == '-' || cc) {
            fprintf(stderr, "leakgraph cflags: unexpected argument '%s'; see 'leakgraph cflags --help'\n", argv[i]);
            return 2;
        } else
            cc = argv[i];
    }
    if (!cc || (strcmp(cc, "clang") && strcmp(cc, "gcc"))) {
        const char *names[] = {"clang", "gcc"};
        const char *hint = cc ? lgt_hint_closest(cc, names, 2) : NULL;
        fprintf(stderr, "leakgraph cflags: name the compiler: clang or gcc%s%s%s\n", hint ? " (did you mean '" : "",
                hint ? hint : "", hint ? "'?)" : "");
        return 2;
    }
    if (!compile && !link) {
        fputs("leakgraph cflags: --compile and --link exclude each other\n", stderr);
        return 2;
    }
    char dir[PATH_MAX + 32], inc[PATH_MAX + 32];
    bool found = lib_dir(dir, sizeof dir, inc, sizeof inc) == 0;
    if (link && !found) {
        fputs("leakgraph cflags: libleakgraph_hooks.so is neither next to this command nor in ../lib\n", stderr);
        return 1;
    }
    if (compile)
        printf("%s%s%s", !strcmp(cc, "clang") ? clang_flags : gcc_flags, found ? " -I" : "", found ? inc : "");
    if (link)
        printf("%s-L%s -Wl,-rpath,%s -lleakgraph_hooks", compile ? " " : "", dir, dir);
    putchar('\n');
    return 0;
}
