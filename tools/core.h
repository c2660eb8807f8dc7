/* ELF core files (x86-64 Linux): the memory (PT_LOAD), the threads' registers
 * (NT_PRSTATUS), the process (NT_PRPSINFO) and the mapped files (NT_FILE); and the
 * offline scan that turns a core plus a block list (a journal, or a snapshot's BLOCKS)
 * into the roots and references of a struct lgt_heap, so mark, classify and the reports
 * run unchanged. Untrusted input: everything is bounds-checked, and a core that does not
 * belong to the block list is an error, never a report. */
#ifndef LGT_CORE_H
#define LGT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define LGT_CORE_NREGS 27 /* struct user_regs_struct, x86-64 */
#define LGT_CORE_REG_RSP 19
#define LGT_CORE_REG_FS_BASE 21

struct lgt_core_seg {
    uint64_t vaddr, memsz;
    uint64_t off, filesz; /* bytes present in the file: [vaddr, vaddr + filesz) */
    uint32_t flags;       /* PF_R | PF_W | PF_X */
};

struct lgt_core_thread {
    uint32_t tid;
    int32_t cursig;
    uint64_t regs[LGT_CORE_NREGS];
};

struct lgt_core_file {
    uint64_t start, end, pgoff; /* pgoff in bytes */
    char *path;
};

struct lgt_core {
    char *name;
    const unsigned char *data;
    size_t len;
    int mapped; /* data is an mmap of the file */
    struct lgt_core_seg *segs; /* ascending vaddr */
    size_t nsegs;
    struct lgt_core_thread *threads;
    size_t nthreads;
    struct lgt_core_file *files;
    size_t nfiles;
    uint32_t pid; /* NT_PRPSINFO, else the first thread's */
    char fname[17];
};

/* 0, or -1 with "NAME: ..." in err. load_mem does not copy buf (keep it alive). */
int lgt_core_open(const char *path, struct lgt_core *c, char *err, size_t errlen);
int lgt_core_load_mem(const char *name, const void *buf, size_t len, struct lgt_core *c, char *err,
                      size_t errlen);
void lgt_core_close(struct lgt_core *c);

/* A pointer to [addr, addr + n) when the core holds all of it in one segment, else NULL. */
const void *lgt_core_mem(const struct lgt_core *c, uint64_t addr, uint64_t n);
/* The segment containing addr (in memory, present in the file or not), or NULL. */
const struct lgt_core_seg *lgt_core_seg_at(const struct lgt_core *c, uint64_t addr);

/* Checks that h (blocks, modules, pid from a journal or snapshot) describes the process
 * of the core, then replaces h's threads, roots and references with those found in the
 * core's memory. 0, or -1 with a one-line reason in err (h is left as it was then). */
int lgt_core_scan(const struct lgt_core *c, struct lgt_heap *h, char *err, size_t errlen);

#endif
