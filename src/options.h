/* Runtime options, generated from include/leakgraph/options.def and parsed from
 * LEAKGRAPH_OPTIONS without allocating. */
#ifndef LG_OPTIONS_H
#define LG_OPTIONS_H

#include <limits.h>
#include <stdbool.h>

#define LG_OPT_T_BOOL int
#define LG_OPT_T_INT long
#define LG_OPT_STR_MAX PATH_MAX

struct lg_opts {
#define LG_OPT_FIELD_BOOL(name) int name;
#define LG_OPT_FIELD_INT(name) long name;
#define LG_OPT_FIELD_STR(name) char name[LG_OPT_STR_MAX];
#define LG_OPTION(type, name, def, help) LG_OPT_FIELD_##type(name)
#include "leakgraph/options.def"
#undef LG_OPTION
};

/* The options in force. Written once by lg_init (before the program's threads can see
 * the tracer), read-only afterwards. */
extern struct lg_opts lg_opt;

/* Sets every option to its default. */
void lg_options_defaults(struct lg_opts *o);

/* Parses "name=value:name=value". A bad entry keeps the default and is reported once
 * through lg_log. Returns the number of bad entries. Allocates nothing. */
int lg_options_parse(struct lg_opts *o, const char *s);

#endif
