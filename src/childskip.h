/* trace_children_skip: whether this process is one the tracer leaves alone. Decided once
 * by lg_init, from /proc and the auxiliary vector, without allocating. */
#ifndef LG_CHILDSKIP_H
#define LG_CHILDSKIP_H

#include <stdbool.h>

/* True when a glob of the comma-separated list matches this process's executable (full
 * path or base name), its argv[0] or the file name it was exec'd by (AT_EXECFN). */
bool lg_childskip_match(const char *globs);
/* Glob match with '*' and '?' only; len bytes of pattern. Exposed for the unit tests. */
bool lg_childskip_glob(const char *pat, unsigned len, const char *s);

#endif
