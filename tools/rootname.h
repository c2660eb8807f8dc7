/* Names the root a reference comes from: a global by its ELF symbol (libdw), module and
 * offset; a thread's stack, register, TLS; mapped or registered memory. */
#ifndef LGT_ROOTNAME_H
#define LGT_ROOTNAME_H

#include "reader.h"

struct lgt_rootnamer;

struct lgt_rootname {
    const char *kind;   /* "global", "stack", "register", "tls", "dtv", "mmap", "user", "?" */
    char *symbol;       /* global: the data symbol, NULL when none; register: its name */
    uint64_t symbol_off;
    char *module;       /* global: base name of the module */
    uint64_t module_off;
    uint32_t tid;       /* stack, register, tls, dtv */
    char *text;         /* "global registry (+8) in server [module offset 0x4058]" */
};

struct lgt_rootnamer *lgt_rootname_open(const struct lgt_heap *h);
/* Names the root of root edge e (from = a root id, from_off = the word's offset in it). */
void lgt_rootname_get(struct lgt_rootnamer *n, const struct lg_snap_edge *e,
                      struct lgt_rootname *out);
void lgt_rootname_clear(struct lgt_rootname *r);
void lgt_rootname_close(struct lgt_rootnamer *n);

#endif
