/* pc → function, file:line, module via the snapshot's module map and DWARF (elfutils libdw).
 * Results are cached per pc. Never fails: a missing file keeps the raw address and
 * module+offset. */
#ifndef LGT_SYMBOLIZE_H
#define LGT_SYMBOLIZE_H

#include <stdint.h>

#include "reader.h"

struct lgt_frame {
    uint64_t pc;          /* the return address as recorded */
    const char *function; /* NULL when unknown; demangled when possible */
    const char *file;     /* NULL when unknown */
    unsigned line;        /* 0 when unknown */
    const char *module;   /* base name of the module file, NULL when outside every module */
    uint64_t module_off;  /* pc - module base */
    uint32_t module_flags;
    /* Inlining: this frame is a function inlined at pc; its caller (same pc, the call's
     * file:line) follows here, out to the real function. NULL for the outermost. */
    const struct lgt_frame *caller;
};

struct lgt_symbolizer;

/* Reports every module with a file to libdw; warns (once per module, on stderr) when a
 * module's build-id differs from the one in the snapshot. */
struct lgt_symbolizer *lgt_symbolize_open(const struct lgt_heap *h);
/* The innermost frame for a return address (follow ->caller through inlined functions);
 * valid until lgt_symbolize_close(). */
const struct lgt_frame *lgt_symbolize_pc(struct lgt_symbolizer *s, uint64_t pc);
void lgt_symbolize_close(struct lgt_symbolizer *s);

#endif
