/* Loads and validates a snapshot file (include/leakgraph/format.h) into a struct lgt_heap.
 * Untrusted input: every count is bounded by the file size and every error is one line
 * that names the file and the byte offset. Does no analysis. */
#ifndef LGT_READER_H
#define LGT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "leakgraph/format.h"

struct lgt_module {
    uint64_t base, lo, hi;
    uint32_t id, flags; /* enum lg_snap_module_flags */
    char *path;         /* NUL-terminated, may be "" */
    unsigned char *build_id;
    uint32_t build_id_len;
};

struct lgt_site {
    uint32_t id;
    uint32_t depth;
    const uint64_t *pc; /* return addresses, innermost first; points into lgt_heap.pcs */
};

struct lgt_heap {
    char *name; /* the file name used in messages */
    uint16_t major, minor;
    int has_process;
    struct lg_snap_process proc;
    char *exe;     /* NUL-terminated; "" when absent */
    char *cmdline; /* cmdline_len bytes, NUL-separated arguments */
    uint32_t cmdline_len;
    struct lgt_module *modules;
    size_t nmodules;
    struct lgt_site *sites; /* sorted by id */
    size_t nsites;
    uint64_t *pcs; /* storage for every site's pcs */
    size_t npcs;
    struct lg_snap_thread *threads;
    size_t nthreads;
    struct lg_snap_block *blocks; /* ascending, non-overlapping */
    size_t nblocks;
    struct lg_snap_root *roots; /* sorted by id, ids unique */
    size_t nroots;
    struct lg_snap_edge *edges; /* from, to: block indices < nblocks */
    size_t nedges;
    struct lg_snap_edge *root_edges; /* from: a root id; to: a block index */
    size_t nroot_edges;
    /* Format 1.1 annotations. Edge flags stay in edges/root_edges (only LG_EDGE_WEAK). */
    char **tag_names;     /* [ntags]: the name of tag id i + 1, NUL-terminated */
    size_t ntags;
    uint32_t *block_tag;  /* [nblocks]: tag id of each block, 0 for none; NULL: no BLOCK_ATTRS */
    uint8_t *block_flags; /* [nblocks]: enum lg_snap_block_attr_flags; NULL likewise */
    size_t nattrs;        /* BLOCK_ATTRS records read */
    int has_stats;
    uint64_t stats_bytes; /* the STATS record's size: fields past it are absent (0) */
    struct lg_snap_stats stats;
    int has_crash; /* format 1.2: the fatal signal of a crash snapshot */
    struct lg_snap_crash crash;
    struct lg_snap_end end;
};

/* Both return 0 on success, or -1 with a one-line message "NAME: ..." in err (no
 * "leakgraph: " prefix, no newline). On failure *h is left empty (nothing to free). */
int lgt_reader_load_file(const char *path, struct lgt_heap *h, char *err, size_t errlen);
int lgt_reader_load_mem(const char *name, const void *buf, size_t len, struct lgt_heap *h,
                        char *err, size_t errlen);
void lgt_reader_free(struct lgt_heap *h);

/* Look-ups; NULL when the id is unknown. */
const struct lgt_site *lgt_reader_site(const struct lgt_heap *h, uint32_t id);
const struct lg_snap_root *lgt_reader_root(const struct lgt_heap *h, uint32_t id);
/* The module whose [lo, hi) contains pc, or NULL. */
const struct lgt_module *lgt_reader_module_at(const struct lgt_heap *h, uint64_t pc);
/* Block b's tag id (0: none) and attribute flags (enum lg_snap_block_attr_flags). */
uint32_t lgt_reader_block_tag(const struct lgt_heap *h, size_t b);
uint32_t lgt_reader_block_flags(const struct lgt_heap *h, size_t b);
/* The name of tag id (1..ntags), or NULL for 0 and unknown ids. */
const char *lgt_reader_tag_name(const struct lgt_heap *h, uint32_t id);
/* Index of the block containing addr (start or interior), or -1. */
long lgt_reader_block_at(const struct lgt_heap *h, uint64_t addr);

#endif
