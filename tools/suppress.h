/* Leak suppressions in LSan's syntax, `leak:PATTERN`, matched against the function, module
 * or source file of every frame of a leak's stack (`*` wildcard, `^` and `$` anchors,
 * otherwise a substring), extended with a kind filter: `leak[definite,cyclic]:PATTERN`. */
#ifndef LGT_SUPPRESS_H
#define LGT_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

struct lgt_supp {
    char *pattern;
    unsigned kinds;  /* LGT_SHOW-style mask of the kinds it applies to; 0: every kind */
    char *file;      /* where it was read ("built-in" for the defaults) */
    unsigned line;
    int builtin;
    uint64_t leaks, bytes; /* what it matched in this run */
};

struct lgt_supp_set {
    struct lgt_supp *v;
    size_t n;
};

/* Appends the rules of the file at path. 0, or -1 with "FILE:LINE: what" (or "FILE: why"
 * when it cannot be read) in err. */
int lgt_supp_load(struct lgt_supp_set *s, const char *path, char *err, size_t errlen);
/* The same for text already in memory, named name in messages. */
int lgt_supp_parse(struct lgt_supp_set *s, const char *name, const char *text, char *err,
                   size_t errlen);
/* Appends the built-in rules for glibc, ld.so and libstdc++ internals. */
void lgt_supp_add_defaults(struct lgt_supp_set *s);
/* LSan's template match of one pattern against one name. */
int lgt_supp_match_pattern(const char *pattern, const char *name);
/* The index of the first rule that matches a leak of this kind and stack, or -1. */
long lgt_supp_match(const struct lgt_supp_set *s, unsigned kind, const struct lgt_chk_frame *f,
                    size_t nframes);
void lgt_supp_free(struct lgt_supp_set *s);

#endif
