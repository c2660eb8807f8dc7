/* Test helper (header-only): builds snapshot files per include/leakgraph/format.h in memory,
 * so the tool's tests need no runtime. Allocation failures abort the test process. */
#ifndef LGT_TEST_SNAPBUILD_H
#define LGT_TEST_SNAPBUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakgraph/format.h"

struct sb {
    unsigned char *buf;
    size_t len, cap;
};

static inline void sb_bytes(struct sb *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->buf = realloc(b->buf, b->cap);
        if (!b->buf)
            abort();
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static inline void sb_pad(struct sb *b)
{
    static const unsigned char zeros[8];
    sb_bytes(b, zeros, (8 - b->len % 8) % 8);
}

static inline void sb_header(struct sb *b, uint16_t major, uint16_t minor)
{
    struct lg_snap_header h = {.major = major, .minor = minor, .header_bytes = sizeof h};
    memcpy(h.magic, LG_SNAP_MAGIC, 8);
    sb_bytes(b, &h, sizeof h);
}

static inline void sb_section(struct sb *b, uint32_t tag, uint32_t count, const void *p,
                              uint64_t bytes)
{
    struct lg_snap_section s = {.tag = tag, .count = count, .bytes = bytes};
    sb_bytes(b, &s, sizeof s);
    sb_bytes(b, p, bytes);
}

/* ---- a heap graph, written as a complete snapshot ---- */

#define GB_MAX 256
#define GB_ROOT_ID 7       /* the root (a global) every root edge comes from... */
#define GB_USER_ROOT_ID 9  /* ...but gb_user_root's: a leakgraph_register_root() range */
#define GB_USER_ROOT_ADDR 0x700000ULL
#define GB_MAIN_BASE 0x400000ULL
#define GB_MAX_TAGS 8

struct gb {
    struct lg_snap_block blocks[GB_MAX];
    size_t nblocks;
    struct lg_snap_edge edges[GB_MAX * 4];
    size_t nedges;
    struct lg_snap_edge root_edges[GB_MAX];
    size_t nroot_edges;
    uint64_t next_addr;
    size_t chunk;   /* records per BLOCKS/EDGES/ROOT_EDGES section; 0 = one section */
    int with_stats;
    const char *exe;     /* NULL: "/nonexistent/prog" */
    uint32_t site_id[2]; /* ids written for sites 1 and 2 (pass these to gb_block); 0: 1, 2 */
    uint64_t base;       /* main module's load base; 0: GB_MAIN_BASE */
    /* Format 1.1: type tags (ids 1..ntags), block attributes (ascending block), user root. */
    const char *tags[GB_MAX_TAGS];
    size_t ntags;
    struct lg_snap_block_attr attrs[GB_MAX];
    size_t nattrs;
    int with_user_root;
    int v10; /* write a format 1.0 header (then no TAGS, BLOCK_ATTRS or edge flags) */
    const char *module_path; /* NULL: "/nonexistent/prog", not on disk */
    uint64_t pcs[2][2];      /* all 0: the default frames of sites 1 and 2 */
    int crash_signo;         /* format 1.2: a crash snapshot of this signal (0: an exit one) */
};

static inline void gb_init(struct gb *g)
{
    memset(g, 0, sizeof *g);
    g->next_addr = 0x10000;
}

/* A block of size bytes at the next address (ascending), allocated at site (1 or 2). */
static inline uint32_t gb_block(struct gb *g, uint64_t size, uint32_t site)
{
    struct lg_snap_block *b = &g->blocks[g->nblocks];
    *b = (struct lg_snap_block){.addr = g->next_addr, .size = size, .seq = g->nblocks + 1,
                                .site = site, .tid = 1};
    g->next_addr += (size + 15) / 16 * 16 + 16;
    return (uint32_t)g->nblocks++;
}

static inline void gb_edge(struct gb *g, uint32_t from, uint32_t to, uint32_t to_off, uint8_t heur)
{
    size_t k = g->nedges++;
    g->edges[k] = (struct lg_snap_edge){.from = from, .to = to, .from_off = 8 * k % 64,
                                        .to_off = to_off, .heur = heur};
}

static inline void gb_root(struct gb *g, uint32_t to, uint32_t to_off, uint8_t heur)
{
    size_t k = g->nroot_edges++;
    g->root_edges[k] = (struct lg_snap_edge){.from = GB_ROOT_ID, .to = to, .from_off = 8 * k,
                                             .to_off = to_off, .heur = heur};
}

/* A reference from a slot marked with leakgraph_weak(): block from -> to, or, with from
 * UINT32_MAX, from the global root. */
static inline void gb_weak(struct gb *g, uint32_t from, uint32_t to)
{
    if (from == UINT32_MAX) {
        gb_root(g, to, 0, 0);
        g->root_edges[g->nroot_edges - 1].flags = LG_EDGE_WEAK;
    } else {
        gb_edge(g, from, to, 0, 0);
        g->edges[g->nedges - 1].flags = LG_EDGE_WEAK;
    }
}

/* A start pointer at offset off of a range registered with leakgraph_register_root(). */
static inline void gb_user_root(struct gb *g, uint32_t to, uint64_t off)
{
    g->with_user_root = 1;
    g->root_edges[g->nroot_edges++] = (struct lg_snap_edge){.from = GB_USER_ROOT_ID, .to = to,
                                                            .from_off = off};
}

/* A type tag; returns its id (from 1). */
static inline uint32_t gb_tag(struct gb *g, const char *name)
{
    g->tags[g->ntags++] = name;
    return (uint32_t)g->ntags;
}

/* Attributes of block b; call in ascending block order. */
static inline void gb_attr(struct gb *g, uint32_t b, uint32_t tag, uint32_t flags)
{
    g->attrs[g->nattrs++] = (struct lg_snap_block_attr){.block = b, .tag = tag, .flags = flags};
}

/* The TAGS section of names[0..n) (ids 1..n), as the runtime writes it. */
static inline void gb_tags_section(struct sb *b, const char *const *names, size_t n)
{
    struct sb rec = {0};
    for (size_t i = 0; i < n; i++) {
        struct lg_snap_type_tag t = {.id = (uint32_t)i + 1, .name_len = (uint32_t)strlen(names[i])};
        sb_bytes(&rec, &t, sizeof t);
        sb_bytes(&rec, names[i], t.name_len);
        sb_pad(&rec);
    }
    sb_section(b, LG_SEC_TAGS, (uint32_t)n, rec.buf, rec.len);
    free(rec.buf);
}

static inline void gb_chunks(struct sb *b, uint32_t tag, const void *recs, size_t n,
                             size_t size, size_t chunk)
{
    size_t step = chunk ? chunk : (n ? n : 1);
    for (size_t i = 0; i < n || (i == 0 && n == 0); i += step) {
        size_t k = n - i < step ? n - i : step;
        sb_section(b, tag, (uint32_t)k, (const char *)recs + i * size, k * size);
        if (n == 0)
            break;
    }
}

static inline void gb_process(struct sb *b, uint32_t pid, const char *exe, int crash_signo)
{
    static const char cmd[] = "prog\0arg\0";
    struct lg_snap_process p = {.pid = pid, .ppid = 1, .seq = 1,
                                .reason = crash_signo ? LG_REASON_CRASH : LG_REASON_EXIT,
                                .signo = (uint32_t)crash_signo,
                                .exe_len = (uint32_t)strlen(exe), .cmdline_len = sizeof cmd - 1};
    struct sb rec = {0};
    sb_bytes(&rec, &p, sizeof p);
    sb_bytes(&rec, exe, strlen(exe));
    sb_bytes(&rec, cmd, sizeof cmd - 1);
    sb_pad(&rec);
    sb_section(b, LG_SEC_PROCESS, 1, rec.buf, rec.len);
    free(rec.buf);
}

/* One main module loaded at base (path: NULL for one not on disk) and two sites of two frames
 * each, with ids id1 and id2 (the same module offsets whatever the base and ids), or the
 * frames in pcs when given (pcs[site][frame], absolute). */
static inline void gb_modules_sites_pcs(struct sb *b, uint64_t base, uint32_t id1, uint32_t id2,
                                        const char *path, const uint64_t (*pcs_in)[2])
{
    static const unsigned char bid[] = {0xde, 0xad, 0xbe, 0xef};
    int real = path != NULL; /* a real file: no made-up build-id to mismatch with its own */
    path = path ? path : "/nonexistent/prog";
    uint64_t hi = base + 0x10000;
    for (int i = 0; pcs_in && i < 4; i++)
        hi = pcs_in[i / 2][i % 2] >= hi ? pcs_in[i / 2][i % 2] + 1 : hi;
    struct lg_snap_module m = {.base = base, .lo = base, .hi = hi, .id = 1, .flags = LG_MOD_MAIN,
                               .path_len = (uint32_t)strlen(path),
                               .build_id_len = real ? 0 : sizeof bid};
    struct sb rec = {0};
    sb_bytes(&rec, &m, sizeof m);
    sb_bytes(&rec, path, m.path_len);
    sb_bytes(&rec, bid, m.build_id_len);
    sb_pad(&rec);
    sb_section(b, LG_SEC_MODULES, 1, rec.buf, rec.len);
    rec.len = 0;
    for (uint32_t id = 1; id <= 2; id++) {
        struct lg_snap_site s = {.id = id == 1 ? id1 : id2, .depth = 2};
        uint64_t pcs[2] = {base + 0x1000 + id * 0x10, base + 0x2000};
        if (pcs_in)
            memcpy(pcs, pcs_in[id - 1], sizeof pcs);
        sb_bytes(&rec, &s, sizeof s);
        sb_bytes(&rec, pcs, sizeof pcs);
    }
    sb_section(b, LG_SEC_SITES, 2, rec.buf, rec.len);
    free(rec.buf);
}

static inline void gb_modules_sites_at(struct sb *b, uint64_t base, uint32_t id1, uint32_t id2)
{
    gb_modules_sites_pcs(b, base, id1, id2, NULL, NULL);
}

/* One main module (no file on disk) and two sites of two frames each. */
static inline void gb_modules_sites(struct sb *b)
{
    gb_modules_sites_at(b, GB_MAIN_BASE, 1, 2);
}

static inline void gb_write(const struct gb *g, struct sb *b)
{
    sb_header(b, LG_SNAP_MAJOR, g->v10 ? 0 : LG_SNAP_MINOR);
    gb_process(b, 4242, g->exe ? g->exe : "/nonexistent/prog", g->crash_signo);
    if (g->crash_signo) {
        struct lg_snap_crash c = {.signo = (uint32_t)g->crash_signo, .code = 1, .tid = 4242,
                                  .pc = GB_MAIN_BASE + 0x1000, .sp = 0x7ff000};
        sb_section(b, LG_SEC_CRASH, 1, &c, sizeof c);
    }
    uint32_t id1 = g->site_id[0] ? g->site_id[0] : 1, id2 = g->site_id[1] ? g->site_id[1] : 2;
    int own_pcs = g->pcs[0][0] || g->pcs[0][1] || g->pcs[1][0] || g->pcs[1][1];
    gb_modules_sites_pcs(b, g->base ? g->base : GB_MAIN_BASE, id1, id2, g->module_path,
                         own_pcs ? (const uint64_t (*)[2])g->pcs : NULL);
    struct lg_snap_thread t = {.tid = 4242, .flags = LG_THR_MAIN | LG_THR_SELF};
    sb_section(b, LG_SEC_THREADS, 1, &t, sizeof t);
    struct lg_snap_root r[2] = {{.id = GB_ROOT_ID, .kind = LG_ROOT_GLOBAL, .addr = 0x600000,
                                 .len = 4096, .owner = 1},
                                {.id = GB_USER_ROOT_ID, .kind = LG_ROOT_USER,
                                 .addr = GB_USER_ROOT_ADDR, .len = 256}};
    sb_section(b, LG_SEC_ROOTS, g->with_user_root ? 2 : 1, r, (g->with_user_root ? 2 : 1) * sizeof r[0]);
    gb_chunks(b, LG_SEC_BLOCKS, g->blocks, g->nblocks, sizeof g->blocks[0], g->chunk);
    if (g->ntags)
        gb_tags_section(b, g->tags, g->ntags);
    if (g->nattrs)
        gb_chunks(b, LG_SEC_BLOCK_ATTRS, g->attrs, g->nattrs, sizeof g->attrs[0], g->chunk);
    gb_chunks(b, LG_SEC_EDGES, g->edges, g->nedges, sizeof g->edges[0], g->chunk);
    gb_chunks(b, LG_SEC_ROOT_EDGES, g->root_edges, g->nroot_edges, sizeof g->root_edges[0],
              g->chunk);
    if (g->with_stats) {
        struct lg_snap_stats st = {.total_allocs = 10, .meta_bytes = 4096, .stop_ns = 1500000,
                                   .scan_ns = 2500000};
        sb_section(b, LG_SEC_STATS, 1, &st, sizeof st);
    }
    struct lg_snap_end e = {.nblocks = g->nblocks, .nedges = g->nedges,
                            .nroot_edges = g->nroot_edges, .nsites = 2};
    sb_section(b, LG_SEC_END, 1, &e, sizeof e);
}

/* Writes bytes to a fresh temporary file; returns its path (static buffer per call site). */
static inline void sb_to_file(const struct sb *b, char *path, size_t n)
{
    snprintf(path, n, "/tmp/lgt-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, b->buf, b->len) != (ssize_t)b->len)
        abort();
    close(fd);
}

#endif
