/* The leakgraph journal: the live blocks and their stacks, kept in a file that the
 * traced process maps MAP_SHARED (journal=PATH), so the kernel keeps it when the process
 * is killed outright (SIGKILL, the OOM killer). Written by src/journal.c, read by
 * tools/journal.c; documented in man/leakgraph-journal.5. Change both together and bump
 * the version.
 *
 * Layout (all integers little-endian, every record 8-byte aligned):
 *   [0, 4096)              struct lg_jrnl_header, then the exe path and the command line
 *   [modules_off, +bytes)  module records, appended
 *   [sites_off, +bytes)    site records, appended
 *   [table_off, +slots*32) the live-block table: struct lg_snap_block per slot
 *
 * The block table is an open-addressing hash table (linear probing inside a window of
 * LG_JRNL_WINDOW slots from the home slot hash(addr) & (slots - 1)). A slot's addr is
 * LG_JRNL_EMPTY, LG_JRNL_TOMB (freed), LG_JRNL_BUSY (being written) or the address of a
 * live block; the writer stores addr last, so every slot with a real address is
 * complete. It is bounded by the live set, not by the run's length: freeing a block
 * makes its slot reusable. */
#ifndef LEAKGRAPH_JOURNAL_H
#define LEAKGRAPH_JOURNAL_H

#include <stdint.h>

#include "leakgraph/format.h"

#define LG_JRNL_MAGIC "LGJRNL\r\n"
#define LG_JRNL_MAJOR 1 /* readers reject another major */
#define LG_JRNL_MINOR 0
#define LG_JRNL_HEADER_AREA 4096u /* header + exe + cmdline */

/* Special slot addresses; real blocks are never below 4096. */
#define LG_JRNL_EMPTY 0ull
#define LG_JRNL_TOMB 1ull
#define LG_JRNL_BUSY 2ull
#define LG_JRNL_WINDOW 64u /* slots probed from the home slot */

/* Record commit word: written last (release store). A record whose word is not this
 * value (a record torn by SIGKILL) ends the list. */
#define LG_JRNL_COMMIT 0x544d4d43u /* "CMMT" */

enum lg_jrnl_state {
    LG_JRNL_RUNNING = 1, /* the process was running when the file was last written */
    LG_JRNL_EXITED = 2   /* it exited normally (the journal is removed then) */
};

enum lg_jrnl_flags {
    LG_JRNL_F_FAST_UNWIND = 1 /* stacks walked frame pointers */
};

struct lg_jrnl_header {
    char magic[8];
    uint16_t major;
    uint16_t minor;
    uint32_t header_bytes; /* sizeof(struct lg_jrnl_header) */
    uint64_t file_bytes;   /* the file's size as created */
    uint32_t pid;
    uint32_t ppid;
    uint64_t start_ns;     /* CLOCK_REALTIME when the journal was created */
    uint64_t modules_off, modules_bytes;
    uint64_t sites_off, sites_bytes;
    uint64_t table_off, table_slots; /* slots: a power of two */
    uint32_t exe_len;      /* bytes right after the header */
    uint32_t cmdline_len;  /* then the arguments, each NUL-terminated */
    uint32_t stack_depth;
    uint32_t flags;        /* enum lg_jrnl_flags */
    /* Updated while the process runs (relaxed: advisory counters). */
    uint64_t state;            /* enum lg_jrnl_state */
    uint64_t dropped_blocks;   /* allocations that found no free slot in their window */
    uint64_t dropped_sites;    /* sites that did not fit in the sites area */
    uint64_t dropped_modules;  /* modules that did not fit in the modules area */
    uint64_t total_allocs;     /* reserved, 0 */
    uint64_t reserved[4];
};

/* A module record: struct lg_jrnl_rec, struct lg_snap_module, path, build-id, padding. */
/* A site record: struct lg_jrnl_rec, struct lg_snap_site, uint64_t pc[depth]. */
struct lg_jrnl_rec {
    uint32_t commit; /* LG_JRNL_COMMIT once complete */
    uint32_t bytes;  /* whole record, header included, a multiple of 8 */
};

/* Home slot (before masking): linear inside a 16 MiB region, so blocks allocated close
 * together share cache lines and pages of the table; each region starts at a random
 * offset, so glibc's 64 MiB-aligned thread arenas do not pile onto the same slots. */
static inline uint64_t lg_jrnl_hash(uint64_t a)
{
    uint64_t r = (a >> 24) * 0x9E3779B97F4A7C15ull;
    return (a >> 4) + (r ^ (r >> 29));
}

#endif
