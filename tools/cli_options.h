/* Command-line parsing shared by the subcommands: the long options generated from
 * include/leakgraph/options.def (name log_path → --log-path), "--name=value" and
 * "--name value", typo hints, and the LEAKGRAPH_OPTIONS string for the runtime. */
#ifndef LGT_CLI_OPTIONS_H
#define LGT_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum lgt_opt_type { LGT_OPT_BOOL, LGT_OPT_INT, LGT_OPT_STR };

struct lgt_optdef {
    const char *name; /* as in options.def and LEAKGRAPH_OPTIONS: "log_path" */
    enum lgt_opt_type type;
    const char *defval;
    const char *help;
};

extern const struct lgt_optdef lgt_cli_options[];
extern const size_t lgt_cli_noptions;

/* "log_path" → "log-path" into buf (at least strlen(name) + 1 bytes). */
void lgt_cli_flag_name(const char *name, char *buf);
/* The option whose flag (without "--") is flag, or NULL. */
const struct lgt_optdef *lgt_cli_find(const char *flag, size_t len);
/* Checks a value against the option's type. 0, or -1 with a message in err. */
int lgt_cli_check_value(const struct lgt_optdef *o, const char *value, char *err, size_t errlen);
/* Parses an INT value (decimal, K/M/G suffixes). 0 on success. */
int lgt_cli_parse_int(const char *s, long long *out);

/* Matches argv[*i] against --flag / --flag=value. Returns 1 and sets *value (advancing *i
 * past a separate value), 0 when it is another argument, -1 (message printed) when the
 * value is missing. */
int lgt_cli_take(int argc, char **argv, int *i, const char *flag, const char **value);
/* Prints "unknown option '--jsn'; did you mean '--json'? see 'leakgraph CMD --help'" for
 * known flags (without "--") and returns exit status 2. */
int lgt_cli_unknown(const char *arg, const char *const *known, size_t n, const char *cmd);
/* Prints the run options with their help and defaults, for --help. */
void lgt_cli_print_options(FILE *out);

/* existing (may be NULL or "") followed by ":"-joined pairs "name=value". */
char *lgt_cli_join_options(const char *existing, char *const *pairs, size_t npairs);

#endif
