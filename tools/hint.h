/* "Did you mean ...?" for mistyped option and kind names (edit distance). */
#ifndef LGT_HINT_H
#define LGT_HINT_H

#include <stddef.h>

/* The candidate closest to word, or NULL when none is close enough to suggest. */
const char *lgt_hint_closest(const char *word, const char *const *candidates, size_t n);

#endif
