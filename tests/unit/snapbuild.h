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
#define GB_ROOT_ID 7       /* the one root (a global) every root edge comes from */
#define GB_MAIN_BASE 0x400000ULL

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

static inline void gb_process(struct sb *b, uint32_t pid, const char *exe)
{
    static const char cmd[] = "prog\0arg\0";
    struct lg_snap_process p = {.pid = pid, .ppid = 1, .reason = LG_REASON_EXIT, .seq = 1,
                                .exe_len = (uint32_t)strlen(exe), .cmdline_len = sizeof cmd - 1};
    struct sb rec = {0};
    sb_bytes(&rec, &p, sizeof p);
    sb_bytes(&rec, exe, strlen(exe));
    sb_bytes(&rec, cmd, sizeof cmd - 1);
    sb_pad(&rec);
    sb_section(b, LG_SEC_PROCESS, 1, rec.buf, rec.len);
    free(rec.buf);
}

/* One main module (no file on disk) loaded at base and two sites of two frames each, with
 * ids id1 and id2 (the same module offsets whatever the base and ids). */
static inline void gb_modules_sites_at(struct sb *b, uint64_t base, uint32_t id1, uint32_t id2)
{
    static const char path[] = "/nonexistent/prog";
    static const unsigned char bid[] = {0xde, 0xad, 0xbe, 0xef};
    struct lg_snap_module m = {.base = base, .lo = base, .hi = base + 0x10000, .id = 1, .flags = LG_MOD_MAIN,
                               .path_len = sizeof path - 1, .build_id_len = sizeof bid};
    struct sb rec = {0};
    sb_bytes(&rec, &m, sizeof m);
    sb_bytes(&rec, path, sizeof path - 1);
    sb_bytes(&rec, bid, sizeof bid);
    sb_pad(&rec);
    sb_section(b, LG_SEC_MODULES, 1, rec.buf, rec.len);
    rec.len = 0;
    for (uint32_t id = 1; id <= 2; id++) {
        struct lg_snap_site s = {.id = id == 1 ? id1 : id2, .depth = 2};
        uint64_t pcs[2] = {base + 0x1000 + id * 0x10, base + 0x2000};
        sb_bytes(&rec, &s, sizeof s);
        sb_bytes(&rec, pcs, sizeof pcs);
    }
    sb_section(b, LG_SEC_SITES, 2, rec.buf, rec.len);
    free(rec.buf);
}

/* One main module (no file on disk) and two sites of two frames each. */
static inline void gb_modules_sites(struct sb *b)
{
    gb_modules_sites_at(b, GB_MAIN_BASE, 1, 2);
}

static inline void gb_write(const struct gb *g, struct sb *b)
{
    sb_header(b, LG_SNAP_MAJOR, LG_SNAP_MINOR);
    gb_process(b, 4242, g->exe ? g->exe : "/nonexistent/prog");
    uint32_t id1 = g->site_id[0] ? g->site_id[0] : 1, id2 = g->site_id[1] ? g->site_id[1] : 2;
    gb_modules_sites_at(b, g->base ? g->base : GB_MAIN_BASE, id1, id2);
    struct lg_snap_thread t = {.tid = 4242, .flags = LG_THR_MAIN | LG_THR_SELF};
    sb_section(b, LG_SEC_THREADS, 1, &t, sizeof t);
    struct lg_snap_root r = {.id = GB_ROOT_ID, .kind = LG_ROOT_GLOBAL, .addr = 0x600000,
                             .len = 4096, .owner = 1};
    sb_section(b, LG_SEC_ROOTS, 1, &r, sizeof r);
    gb_chunks(b, LG_SEC_BLOCKS, g->blocks, g->nblocks, sizeof g->blocks[0], g->chunk);
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
