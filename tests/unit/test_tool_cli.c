/* Command-line plumbing: options.def long options, typo hints, output files, and `run`'s
 * checks before exec (exit 127/126) and the environment it hands to PROG. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_options.h"
#include "cmd.h"
#include "hint.h"
#include "outfile.h"

Test(cli, options_table_from_options_def)
{
    const struct lgt_optdef *o = lgt_cli_find("log-path", 8);
    cr_assert_not_null(o);
    cr_assert_str_eq(o->name, "log_path");
    cr_assert_eq(o->type, LGT_OPT_STR);
    o = lgt_cli_find("stack-depth", 11);
    cr_assert_not_null(o);
    cr_assert_str_eq(o->defval, "30");
    cr_assert_null(lgt_cli_find("stack-dept", 10));
    char flag[64];
    lgt_cli_flag_name("errors_for_leak_kinds", flag);
    cr_assert_str_eq(flag, "errors-for-leak-kinds");
}

Test(cli, values_checked_by_type)
{
    char err[256];
    const struct lgt_optdef *b = lgt_cli_find("fast-unwind", 11), *i = lgt_cli_find("stack-depth", 11);
    cr_assert_eq(lgt_cli_check_value(b, "yes", err, sizeof err), 0);
    cr_assert_eq(lgt_cli_check_value(b, "maybe", err, sizeof err), -1);
    cr_assert(strstr(err, "--fast-unwind: 'maybe' is not a boolean"), "%s", err);
    cr_assert_eq(lgt_cli_check_value(i, "4K", err, sizeof err), 0);
    cr_assert_eq(lgt_cli_check_value(i, "4X", err, sizeof err), -1);
    long long v;
    cr_assert_eq(lgt_cli_parse_int("2M", &v), 0);
    cr_assert_eq(v, 2 << 20);
    cr_assert_eq(lgt_cli_check_value(lgt_cli_find("log-path", 8), "/a:b", err, sizeof err), -1);
}

Test(cli, take_both_spellings)
{
    char *argv[] = {"x", "--json=a.json", "--json", "b.json", "--json"};
    const char *v = NULL;
    int i = 1;
    cr_assert_eq(lgt_cli_take(5, argv, &i, "json", &v), 1);
    cr_assert_str_eq(v, "a.json");
    i = 2;
    cr_assert_eq(lgt_cli_take(5, argv, &i, "json", &v), 1);
    cr_assert_str_eq(v, "b.json");
    cr_assert_eq(i, 3);
    i = 4;
    cr_assert_eq(lgt_cli_take(5, argv, &i, "json", &v), -1, "missing value");
    i = 1;
    cr_assert_eq(lgt_cli_take(5, argv, &i, "js", &v), 0, "no prefix matching");
}

Test(cli, hints_and_joins)
{
    const char *const words[] = {"json", "log-file", "show-leak-kinds"};
    cr_assert_str_eq(lgt_hint_closest("jsn", words, 3), "json");
    cr_assert_str_eq(lgt_hint_closest("show-leak-kind", words, 3), "show-leak-kinds");
    cr_assert_null(lgt_hint_closest("frobnicate", words, 3));
    char *pairs[] = {"a=1", "b=2"};
    char *s = lgt_cli_join_options("x=0", pairs, 2);
    cr_assert_str_eq(s, "x=0:a=1:b=2");
    free(s);
    s = lgt_cli_join_options("", pairs, 2);
    cr_assert_str_eq(s, "a=1:b=2");
    free(s);
}

Test(cli, outfile_replaces_ours_refuses_links)
{
    char *p = lgt_outfile_expand("/tmp/lgt-out-%p-%%.txt", 99);
    cr_assert_str_eq(p, "/tmp/lgt-out-99-%.txt");
    char err[512];
    for (int round = 0; round < 2; round++) { /* the second round replaces the first file */
        FILE *f = lgt_outfile_open(p, err, sizeof err);
        cr_assert_not_null(f, "%s", err);
        fprintf(f, "round %d\n", round);
        fclose(f);
    }
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 8);
    unlink(p);
    cr_assert_eq(symlink("/tmp/lgt-out-target", p), 0);
    cr_assert_null(lgt_outfile_open(p, err, sizeof err));
    cr_assert(strstr(err, "symbolic link"), "%s", err);
    unlink(p);
    free(p);
    FILE *devnull = lgt_outfile_open("/dev/null", err, sizeof err);
    cr_assert_not_null(devnull, "%s", err);
    fclose(devnull);
}

/* ---- run ---- */

/* Runs `leakgraph run ARGS...` in a child (it execs) and returns its exit status. */
static int run(char *const *args, int n)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        char *argv[32] = {"run"};
        for (int i = 0; i < n; i++)
            argv[i + 1] = args[i];
        _exit(lgt_cmd_run(n + 1, argv));
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
#define RUN(...) run((char *[]){__VA_ARGS__}, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))

static const char *libm(void)
{
    return access("/lib/x86_64-linux-gnu/libm.so.6", R_OK) == 0 ? "/lib/x86_64-linux-gnu/libm.so.6"
                                                                : "/usr/lib/x86_64-linux-gnu/libm.so.6";
}

Test(run, not_found_is_127)
{
    cr_assert_eq(RUN("--lib", (char *)libm(), "--", "no-such-command-lgt"), 127);
    cr_assert_eq(RUN("--lib", (char *)libm(), "./no/such/file"), 127);
}

Test(run, unrunnable_is_126)
{
    char path[] = "/tmp/lgt-prog-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(write(fd, "#!/bin/sh\n", 10), 0);
    close(fd);
    cr_assert_eq(RUN("--lib", (char *)libm(), path), 126, "not executable");
    /* An ELF header with no program headers: no PT_INTERP, so statically linked. */
    unsigned char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    elf[54] = 56; /* e_phentsize */
    fd = open(path, O_WRONLY | O_TRUNC);
    cr_assert_eq(write(fd, elf, sizeof elf), (ssize_t)sizeof elf);
    close(fd);
    chmod(path, 0700);
    cr_assert_eq(RUN("--lib", (char *)libm(), path), 126, "static");
    chmod(path, 0700 | S_ISGID);
    struct stat st;
    stat(path, &st);
    if (st.st_mode & S_ISGID) /* some file systems drop the bit for non-members */
        cr_assert_eq(RUN("--lib", (char *)libm(), path), 126, "setgid");
    unlink(path);
    cr_assert_eq(RUN("--lib", (char *)libm(), "/tmp"), 126, "a directory");
}

Test(run, usage_errors_are_2)
{
    cr_assert_eq(RUN("--stack-dept=3", "true"), 2);
    cr_assert_eq(RUN("--stack-depth=lots", "true"), 2);
    cr_assert_eq(RUN("--show-leak-kinds=definit", "true"), 2);
    cr_assert_eq(RUN("--error-exitcode=300", "true"), 2);
    cr_assert_eq(RUN("--lib", "/nonexistent/lib.so", "true"), 2);
    cr_assert_eq(RUN("--json"), 2);
}

Test(run, sets_the_environment_and_execs)
{
    char out[] = "/tmp/lgt-env-XXXXXX";
    close(mkstemp(out));
    char script[512];
    snprintf(script, sizeof script, "printf '%%s|%%s' \"$LD_PRELOAD\" \"$LEAKGRAPH_OPTIONS\" > %s;"
             " exit 3", out);
    setenv("LEAKGRAPH_OPTIONS", "verbosity=2", 1);
    setenv("LD_PRELOAD", "", 1);
    int rc = RUN("--lib", (char *)libm(), "--stack-depth", "5", "--fast-unwind", "--json=/tmp/x.json",
                 "--", "sh", "-c", script);
    unsetenv("LEAKGRAPH_OPTIONS");
    unsetenv("LD_PRELOAD");
    cr_assert_eq(rc, 3, "PROG's own exit status");
    char buf[4096] = "";
    FILE *f = fopen(out, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(buf, sizeof buf, f));
    fclose(f);
    unlink(out);
    char *bar = strchr(buf, '|');
    cr_assert_not_null(bar, "%s", buf);
    *bar = '\0';
    cr_assert(strstr(buf, "libm.so.6") && buf[0] == '/', "LD_PRELOAD=%s", buf);
    const char *opts = bar + 1;
    cr_assert(strncmp(opts, "tool_path=/", 11) == 0, "%s", opts);
    cr_assert(strstr(opts, ":verbosity=2:stack_depth=5:fast_unwind=1:json=/tmp/x.json"), "%s", opts);
}
