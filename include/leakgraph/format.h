/* The leakgraph snapshot file format: the one contract shared by the runtime writer
 * (src/snapshot.c) and the offline reader (tools/reader.c). Documented in
 * man/leakgraph-snapshot.5; change both together and bump the version. */
#ifndef LEAKGRAPH_FORMAT_H
#define LEAKGRAPH_FORMAT_H

#include <stdint.h>

/* All integers are little-endian; every record is 8-byte aligned. */
#define LG_SNAP_MAGIC "LGSNAP\r\n" /* \r\n catches text-mode mangling, as PNG does */
#define LG_SNAP_MAJOR 1            /* readers reject a newer major */
#define LG_SNAP_MINOR 2            /* readers skip unknown sections of a newer minor */
/* 1.1 added LG_SEC_TAGS, LG_SEC_BLOCK_ATTRS, lg_snap_edge.flags and LG_ROOT_USER roots.
 * 1.2 added LG_SEC_CRASH. */

struct lg_snap_header {
    char magic[8];
    uint16_t major;
    uint16_t minor;
    uint32_t header_bytes; /* sizeof(struct lg_snap_header) */
    uint64_t flags;        /* reserved, 0 */
};

/* A file is the header followed by sections; the last one is LG_SEC_END. */
struct lg_snap_section {
    uint32_t tag;   /* enum lg_snap_tag */
    uint32_t count; /* records in this section */
    uint64_t bytes; /* payload bytes that follow, a multiple of 8 */
};

enum lg_snap_tag {
    LG_SEC_PROCESS = 1,    /* one struct lg_snap_process + strings */
    LG_SEC_MODULES = 2,    /* struct lg_snap_module + path + build-id, padded to 8 */
    LG_SEC_SITES = 3,      /* struct lg_snap_site + pc[depth] */
    LG_SEC_THREADS = 4,    /* struct lg_snap_thread */
    LG_SEC_BLOCKS = 5,     /* struct lg_snap_block, ascending addr, may repeat (chunks) */
    LG_SEC_ROOTS = 6,      /* struct lg_snap_root */
    LG_SEC_EDGES = 7,      /* struct lg_snap_edge, from = block index */
    LG_SEC_ROOT_EDGES = 8, /* struct lg_snap_edge, from = root id */
    LG_SEC_STATS = 9,      /* one struct lg_snap_stats */
    LG_SEC_TAGS = 10,      /* 1.1: struct lg_snap_type_tag + name, padded to 8 */
    LG_SEC_BLOCK_ATTRS = 11, /* 1.1: struct lg_snap_block_attr, ascending block index */
    LG_SEC_CRASH = 12,     /* 1.2: one struct lg_snap_crash, only when reason is CRASH */
    LG_SEC_END = 0x21444e45 /* "END!": one struct lg_snap_end */
};

/* Why the snapshot was taken. */
enum lg_snap_reason {
    LG_REASON_EXIT = 1,
    LG_REASON_SIGNAL = 2,
    LG_REASON_API = 3,
    LG_REASON_TIMER = 4,
    LG_REASON_THRESHOLD = 5,
    LG_REASON_CRASH = 6
};

struct lg_snap_process {
    uint32_t pid;
    uint32_t ppid;
    uint64_t time_ns; /* CLOCK_REALTIME */
    uint32_t reason;  /* enum lg_snap_reason */
    uint32_t signo;   /* signal for LG_REASON_SIGNAL/CRASH, else 0 */
    uint64_t fault_addr;
    uint32_t seq; /* snapshot number within the process, from 1 */
    uint32_t exe_len;
    uint32_t cmdline_len; /* arguments, each NUL-terminated */
    uint32_t pad;
    /* then exe_len bytes of path, cmdline_len bytes, padding to 8 */
};

enum lg_snap_module_flags {
    LG_MOD_MAIN = 1,     /* the executable */
    LG_MOD_TRACER = 2,   /* libleakgraph.so itself */
    LG_MOD_LDSO = 4,     /* the dynamic loader */
    LG_MOD_VDSO = 8,     /* the kernel's vDSO: no file on disk */
    LG_MOD_UNLOADED = 16 /* dlclose'd before the snapshot; its sites still symbolize */
};

struct lg_snap_module {
    uint64_t base; /* load bias: runtime address = file vaddr + base */
    uint64_t lo;   /* lowest mapped address of its PT_LOAD segments */
    uint64_t hi;   /* one past the highest */
    uint32_t id;
    uint32_t flags; /* enum lg_snap_module_flags */
    uint32_t path_len;
    uint32_t build_id_len;
    /* then path bytes, build-id bytes, padding to 8 */
};

/* An allocation site: the de-duplicated stack of an allocation. pc[0] is the return
 * address into the function that called the allocator; every pc is a return address,
 * so the reader subtracts 1 before looking up a line. */
struct lg_snap_site {
    uint32_t id; /* referenced by lg_snap_block.site; 0 means "no stack" */
    uint32_t depth;
    /* then uint64_t pc[depth] */
};

enum lg_snap_thread_flags {
    LG_THR_MAIN = 1,
    LG_THR_SELF = 2,        /* the thread that took the snapshot */
    LG_THR_STOPPED = 4,     /* acknowledged the stop signal: sp and registers are exact */
    LG_THR_NOT_STOPPED = 8, /* never acknowledged: whole stack scanned as it was */
    LG_THR_EXITED = 16      /* joined or exited; its cached stack may still be scanned */
};

struct lg_snap_thread {
    uint32_t tid;
    uint32_t flags; /* enum lg_snap_thread_flags */
    uint64_t sp;
    uint64_t stack_lo;
    uint64_t stack_hi;
    uint64_t tls_lo;
    uint64_t tls_hi;
};

struct lg_snap_block {
    uint64_t addr;
    uint64_t size; /* requested bytes */
    uint64_t seq;  /* allocation number in the process, from 1 */
    uint32_t site;
    uint32_t tid;
};

enum lg_snap_root_kind {
    LG_ROOT_GLOBAL = 1,    /* a writable PT_LOAD segment; owner = module id */
    LG_ROOT_STACK = 2,     /* owner = tid */
    LG_ROOT_REGISTERS = 3, /* owner = tid; addr = 0, edge from_off = register index * 8 */
    LG_ROOT_TLS = 4,       /* static TLS and thread control block; owner = tid */
    LG_ROOT_DTV = 5,       /* dynamic TLS vector entries; owner = tid */
    LG_ROOT_MMAP = 6,      /* memory the program mapped itself */
    LG_ROOT_USER = 7       /* registered with leakgraph_register_root() */
};

struct lg_snap_root {
    uint32_t id;
    uint16_t kind; /* enum lg_snap_root_kind */
    uint16_t flags;
    uint64_t addr;
    uint64_t len;
    uint32_t owner;     /* module id or tid, per kind */
    uint32_t pad;
    uint64_t owner_off; /* GLOBAL: addr - module base */
};

/* Valgrind's default heuristics for interior pointers; the runtime evaluates them
 * because only it has the block contents. */
enum lg_snap_heuristic {
    LG_HEUR_NONE = 0,
    LG_HEUR_STDSTRING = 1,
    LG_HEUR_LENGTH64 = 2,
    LG_HEUR_NEWARRAY = 3,
    LG_HEUR_MULTIPLEINHERITANCE = 4
};

/* One aligned word that points into a block: a start pointer when to_off == 0. */
struct lg_snap_edge {
    uint32_t from;     /* block index (position in the BLOCKS sections) or root id */
    uint32_t to;       /* block index */
    uint64_t from_off; /* byte offset of the word in its block or root */
    uint32_t to_off;   /* byte offset inside the target, saturated at UINT32_MAX */
    uint8_t heur;      /* enum lg_snap_heuristic accepting this interior pointer */
    uint8_t flags;     /* enum lg_snap_edge_flags (1.1; 0 in 1.0 files) */
    uint8_t pad[2];
};

enum lg_snap_edge_flags {
    /* The word sits in a slot the program marked with leakgraph_weak(): the edge keeps
     * nothing alive and is never part of a retention chain (Python's weakref). */
    LG_EDGE_WEAK = 1
};

/* A type tag given with leakgraph_tag(ptr, name). Ids start at 1. */
struct lg_snap_type_tag {
    uint32_t id;
    uint32_t name_len; /* then name_len bytes (no NUL), padding to 8 */
};

enum lg_snap_block_attr_flags {
    /* leakgraph_ignore(ptr): the block, and what only it reaches, is never reported
     * (LSan's __lsan_ignore_object). */
    LG_BATTR_IGNORED = 1
};

/* Annotations of one block; blocks without any have no record. */
struct lg_snap_block_attr {
    uint32_t block; /* block index (position in the BLOCKS sections) */
    uint32_t tag;   /* lg_snap_type_tag id, 0 for none */
    uint32_t flags; /* enum lg_snap_block_attr_flags */
    uint32_t pad;
};

enum lg_snap_crash_flags {
    /* Some tracer lock could not be taken within the crash path's time limit (the crashing
     * thread may have held it): the tables were read without it and may be mid-update. */
    LG_CRASH_UNLOCKED = 1,
    /* The crashing thread's stack pointer was outside every writable mapping (a stack
     * overflow): its stack was scanned from the lowest writable page above it. */
    LG_CRASH_SP_MOVED = 2
};

/* The fatal signal of a crash snapshot (written from the signal handler, "crash mode"). */
struct lg_snap_crash {
    uint32_t signo;
    int32_t code;         /* siginfo si_code: > 0 from the kernel (a fault), <= 0 sent */
    uint32_t tid;         /* the crashing thread: LG_THR_SELF in the THREADS section */
    uint32_t flags;       /* enum lg_snap_crash_flags */
    uint64_t fault_addr;  /* si_addr for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP; else 0 */
    uint64_t pc;          /* the interrupted instruction (not a return address) */
    uint64_t sp;          /* the interrupted stack pointer */
    uint64_t regs[23];    /* ucontext general registers, in the kernel's order (REG_R8...) */
};

struct lg_snap_stats {
    uint64_t total_allocs;
    uint64_t total_frees;
    uint64_t total_bytes;   /* requested bytes over the run */
    uint64_t peak_live_bytes;
    uint64_t meta_bytes;    /* tracer metadata mapped now */
    uint64_t stop_ns;       /* time to stop the world */
    uint64_t scan_ns;       /* time to scan roots and blocks */
    uint64_t scanned_bytes;
    uint64_t table_bytes;   /* block table slots mapped now: the per-block overhead */
    uint64_t live_blocks;
    uint64_t unwinds;       /* allocation stacks unwound by libunwind; the others were
                               frame-pointer walks (absent before 2026-12-04: 80 bytes) */
};

enum lg_snap_end_flags {
    LG_END_THREADS_NOT_STOPPED = 1, /* some thread ignored the stop signal */
    LG_END_TRACER_DISABLED = 2      /* tracing stopped early (out of memory): blocks missing */
};

struct lg_snap_end {
    uint64_t nblocks;
    uint64_t nedges;
    uint64_t nroot_edges;
    uint64_t nsites;
    uint64_t flags; /* enum lg_snap_end_flags */
};

#endif
