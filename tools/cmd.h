/* The subcommands. Each takes argv after the subcommand name (argv[0] is the name) and
 * returns the process exit status. */
#ifndef LGT_CMD_H
#define LGT_CMD_H

#include <stdio.h>

struct lgt_analyze_args {
    const char *snapshot;
    const char *json;        /* NULL: none */
    const char *log_file;    /* NULL: stderr */
    const char *show;        /* --show-leak-kinds */
    const char *errors_for;  /* --errors-for-leak-kinds */
    int by;                  /* --by: an enum lgt_group_by (groupby.h), 0 = site */
    long long error_exitcode;
    int cycles_only;
    long long explain;       /* --explain=N: retention chains of the N largest reachable sites */
    const char *journal;     /* --journal FILE: blocks from a journal (SIGKILL, OOM killer) */
    const char *core;        /* --core FILE: memory, registers and mappings from an ELF core */
};

int lgt_cmd_analyze(int argc, char **argv);
int lgt_cmd_cycles(int argc, char **argv);
int lgt_cmd_run(int argc, char **argv);
int lgt_cmd_chain(int argc, char **argv);
int lgt_cmd_growth(int argc, char **argv);
int lgt_cmd_top(int argc, char **argv);
int lgt_cmd_dot(int argc, char **argv);
int lgt_cmd_check(int argc, char **argv);

/* Shared by run and check (cmd_run.c). The tracer library: given (--lib), else next to
 * this command, else ../lib, else $LEAKGRAPH_LIB; a fresh absolute path or NULL. */
char *lgt_run_find_lib(const char *given);
/* PATH search like a shell; NULL with *status 127 when PROG is not found. */
char *lgt_run_resolve(const char *prog, int *status);
/* execv, and /bin/sh for a file without "#!" or ELF magic; returns only on failure. */
void lgt_run_exec(const char *path, int argc, char **argv);
int lgt_cmd_cflags(int argc, char **argv);
/* Parses analyze's (and cycles') arguments into *a: -1 to go on, else an exit status. */
int lgt_cmd_analyze_parse(int argc, char **argv, struct lgt_analyze_args *a, const char *cmd,
                          void (*help)(FILE *));
/* The analysis behind analyze and cycles. */
int lgt_cmd_analyze_execute(const struct lgt_analyze_args *a);

/* The options growth and top share (--json, --by, --limit) at argv[*i]: 1 consumed, 0 not
 * one of them, -1 error (printed). by is an enum lgt_group_by (growth.h). */
enum lgt_group_by;
int lgt_cmd_table_option(int argc, char **argv, int *i, const char **json,
                         enum lgt_group_by *by, long long *limit);

#endif
