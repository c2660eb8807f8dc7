/* Checked allocation for the leakgraph command: out of memory is fatal (exit 2).
 * The tool may allocate freely, but never silently fails an allocation. */
#ifndef LGT_XALLOC_H
#define LGT_XALLOC_H

#include <stddef.h>

void *lgt_xmalloc(size_t n);
void *lgt_xcalloc(size_t count, size_t size);
void *lgt_xrealloc(void *p, size_t count, size_t size);
char *lgt_xstrdup(const char *s);
char *lgt_xstrndup(const char *s, size_t n);
/* printf into a fresh string. */
char *lgt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
