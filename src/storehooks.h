/* The store hooks instrumented programs call: clang's -fsanitize-coverage=trace-stores,
 * gcc's outline KASAN calls, the LEAKGRAPH_STORE macro, and the interposed memcpy
 * family. They feed dirtyset.c; the exported names are in exports.map. */
#ifndef LG_STOREHOOKS_H
#define LG_STOREHOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "dirtyset.h"

/* Which kind of hook the program has called, 0 for none yet (enum lg_hook_kind bits). */
enum { LG_HOOK_MACRO = 1, LG_HOOK_CLANG = 2, LG_HOOK_GCC = 4, LG_HOOK_MEMCPY = 8 };
extern volatile int lg_storehooks_seen;
/* Set by collect.c when hooks are the dirty source: the memcpy family records too, and
 * the hooks' slots outside the card table go to the threads' logs (otherwise, under
 * userfaultfd, the hooks only name the last overwrite there). */
extern volatile int lg_storehooks_libc;
/* The collect_last_store option: hooks note which store overwrote a reference. Set once
 * by lg_collect_init. */
extern int lg_storehooks_last_store;

/* Records a write the tracer made into the program's memory on its behalf (the
 * interposed memcpy family leaves out the tracer's own copies). */
void lg_storehooks_wrote(const void *d, size_t n);
/* The same for a write about to be made: recorded now and pending (dirtyset.h) until
 * lg_storehooks_write_end, given what write_begin returned. */
struct lg_pending lg_storehooks_write_begin(const void *d, size_t n);
void lg_storehooks_write_end(struct lg_pending was);

/* Resolves glibc's memcpy, memmove, memset and mempcpy for the interposed ones (which
 * use the checking entry points until then). Called once at start-up. */
void lg_storehooks_init(void);

#endif
