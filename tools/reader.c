/* Snapshot reader: validates everything before the analysis trusts it. Errors carry the
 * byte offset; arrays grow only by what the file's bytes can actually hold. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define HDR_BYTES ((uint64_t)sizeof(struct lg_snap_header))
#define SEC_BYTES ((uint64_t)sizeof(struct lg_snap_section))
#define MAX_SITE_DEPTH 256
#define STATS_V1_BYTES 64 /* struct lg_snap_stats before table_bytes, live_blocks */
#define MAX_TAG_NAME 1024  /* bytes of a type tag's name */

/* Where an edge chunk started, so a bad edge found at END can still be located. */
struct chunk {
    uint64_t off;   /* file offset of the chunk's first record */
    size_t first;   /* index of its first edge */
};

struct rd {
    const unsigned char *buf;
    uint64_t len;
    char *err;
    size_t errlen;
    struct lgt_heap *h;
    struct chunk *echunks, *rchunks;
    size_t nechunks, nrchunks;
    int have_end;
    int have_tags;   /* a TAGS section was read: no second one */
    int have_attrs;  /* a BLOCK_ATTRS section was read: no more BLOCKS or TAGS */
    uint32_t last_attr; /* block index of the last attribute record */
};

/* ---- errors ---- */

static int fail(struct rd *r, const char *what, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct rd *r, const char *what, uint64_t off, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s: %s at byte %" PRIu64 ": %s", r->h->name, what, off, msg);
    return -1;
}

static const char *tag_name(uint32_t tag)
{
    switch (tag) {
    case LG_SEC_PROCESS: return "PROCESS";
    case LG_SEC_MODULES: return "MODULES";
    case LG_SEC_SITES: return "SITES";
    case LG_SEC_THREADS: return "THREADS";
    case LG_SEC_BLOCKS: return "BLOCKS";
    case LG_SEC_ROOTS: return "ROOTS";
    case LG_SEC_EDGES: return "EDGES";
    case LG_SEC_ROOT_EDGES: return "ROOT_EDGES";
    case LG_SEC_STATS: return "STATS";
    case LG_SEC_TAGS: return "TAGS";
    case LG_SEC_BLOCK_ATTRS: return "BLOCK_ATTRS";
    case LG_SEC_CRASH: return "CRASH";
    case LG_SEC_END: return "END";
    default: return "unknown";
    }
}

static uint64_t round8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

/* ---- fixed-size record sections ---- */

/* Appends count records of recsize bytes at off to *arr (of *n elements). */
static int append_fixed(struct rd *r, const struct lg_snap_section *s, uint64_t off,
                        size_t recsize, void **arr, size_t *n)
{
    if ((uint64_t)s->count * recsize != s->bytes)
        return fail(r, "corrupt", off - SEC_BYTES,
                    "%s section has %" PRIu32 " records of %zu bytes but %" PRIu64 " bytes",
                    tag_name(s->tag), s->count, recsize, s->bytes);
    if (s->count == 0)
        return 0;
    *arr = lgt_xrealloc(*arr, *n + s->count, recsize);
    memcpy((char *)*arr + *n * recsize, r->buf + off, s->bytes);
    *n += s->count;
    return 0;
}

static int one_record(struct rd *r, const struct lg_snap_section *s, uint64_t off,
                      size_t minbytes, int *seen)
{
    if (*seen)
        return fail(r, "corrupt", off - SEC_BYTES, "second %s section", tag_name(s->tag));
    if (s->count != 1 || s->bytes < minbytes)
        return fail(r, "corrupt", off - SEC_BYTES,
                    "%s section must hold one %zu-byte record (count %" PRIu32 ", %" PRIu64
                    " bytes)", tag_name(s->tag), minbytes, s->count, s->bytes);
    *seen = 1;
    return 0;
}

/* ---- PROCESS ---- */

static int read_process(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (one_record(r, s, off, sizeof h->proc, &h->has_process))
        return -1;
    memcpy(&h->proc, r->buf + off, sizeof h->proc);
    uint64_t need = round8(sizeof h->proc + (uint64_t)h->proc.exe_len + h->proc.cmdline_len);
    if (need != s->bytes)
        return fail(r, "corrupt", off, "PROCESS strings (%" PRIu32 " + %" PRIu32
                    " bytes) do not fit its %" PRIu64 "-byte record",
                    h->proc.exe_len, h->proc.cmdline_len, s->bytes);
    const char *p = (const char *)r->buf + off + sizeof h->proc;
    free(h->exe);
    h->exe = lgt_xstrndup(p, strnlen(p, h->proc.exe_len));
    h->cmdline = lgt_xstrndup(p + h->proc.exe_len, h->proc.cmdline_len);
    h->cmdline_len = h->proc.cmdline_len;
    return 0;
}

/* ---- CRASH (format 1.2) ---- */

static int read_crash(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (h->minor < 2)
        return fail(r, "corrupt", off - SEC_BYTES, "CRASH section in a %u.%u file", h->major, h->minor);
    if (one_record(r, s, off, sizeof h->crash, &h->has_crash))
        return -1;
    if (s->bytes != sizeof h->crash && h->minor == LG_SNAP_MINOR)
        return fail(r, "corrupt", off, "CRASH record of %" PRIu64 " bytes, not %zu", s->bytes, sizeof h->crash);
    memcpy(&h->crash, r->buf + off, sizeof h->crash);
    const struct lg_snap_crash *c = &h->crash;
    if (c->signo == 0 || c->signo > 64)
        return fail(r, "corrupt", off, "CRASH signal %" PRIu32 " is not a signal", c->signo);
    if (c->tid == 0)
        return fail(r, "corrupt", off + 8, "CRASH thread id 0");
    if ((c->flags & ~(uint32_t)(LG_CRASH_UNLOCKED | LG_CRASH_SP_MOVED)) && h->minor == LG_SNAP_MINOR)
        return fail(r, "corrupt", off + 12, "unknown CRASH flags 0x%" PRIx32, c->flags);
    if (!h->has_process || h->proc.reason != LG_REASON_CRASH)
        return fail(r, "corrupt", off - SEC_BYTES, "CRASH section without a PROCESS section that says crash");
    return 0;
}

/* ---- MODULES ---- */

static int read_module(struct rd *r, uint64_t off, uint64_t end, uint64_t *next)
{
    struct lg_snap_module m;
    if (end - off < sizeof m)
        return fail(r, "corrupt", off, "module record needs %zu bytes, %" PRIu64 " remain",
                    sizeof m, end - off);
    memcpy(&m, r->buf + off, sizeof m);
    uint64_t rec = round8(sizeof m + (uint64_t)m.path_len + m.build_id_len);
    if (rec > end - off)
        return fail(r, "corrupt", off, "module path and build-id (%" PRIu32 " + %" PRIu32
                    " bytes) overrun the MODULES section", m.path_len, m.build_id_len);
    struct lgt_heap *h = r->h;
    struct lgt_module *dst = &h->modules[h->nmodules++];
    const char *p = (const char *)r->buf + off + sizeof m;
    *dst = (struct lgt_module){.base = m.base, .lo = m.lo, .hi = m.hi, .id = m.id,
                               .flags = m.flags, .build_id_len = m.build_id_len};
    dst->path = lgt_xstrndup(p, strnlen(p, m.path_len));
    dst->build_id = lgt_xmalloc(m.build_id_len);
    memcpy(dst->build_id, p + m.path_len, m.build_id_len);
    *next = off + rec;
    return 0;
}

static int read_modules(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (s->count > s->bytes / sizeof(struct lg_snap_module))
        return fail(r, "corrupt", off - SEC_BYTES, "MODULES count %" PRIu32
                    " cannot fit in %" PRIu64 " bytes", s->count, s->bytes);
    h->modules = lgt_xrealloc(h->modules, h->nmodules + s->count, sizeof *h->modules);
    uint64_t end = off + s->bytes;
    for (uint32_t i = 0; i < s->count; i++)
        if (read_module(r, off, end, &off))
            return -1;
    if (off != end)
        return fail(r, "corrupt", off, "%" PRIu64 " stray bytes at the end of MODULES",
                    end - off);
    return 0;
}

/* ---- SITES ---- */

static int read_sites(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (s->count > s->bytes / 8)
        return fail(r, "corrupt", off - SEC_BYTES, "SITES count %" PRIu32
                    " cannot fit in %" PRIu64 " bytes", s->count, s->bytes);
    h->sites = lgt_xrealloc(h->sites, h->nsites + s->count, sizeof *h->sites);
    h->pcs = lgt_xrealloc(h->pcs, h->npcs + s->bytes / 8, sizeof *h->pcs);
    uint64_t end = off + s->bytes;
    for (uint32_t i = 0; i < s->count; i++) {
        struct lg_snap_site st;
        if (end - off < sizeof st)
            return fail(r, "corrupt", off, "site record overruns the SITES section");
        memcpy(&st, r->buf + off, sizeof st);
        if (st.depth > MAX_SITE_DEPTH)
            return fail(r, "corrupt", off, "site %" PRIu32 " has depth %" PRIu32
                        " (at most %d)", st.id, st.depth, MAX_SITE_DEPTH);
        if ((uint64_t)st.depth * 8 > end - off - sizeof st)
            return fail(r, "corrupt", off, "site %" PRIu32 " with %" PRIu32
                        " frames overruns the SITES section", st.id, st.depth);
        memcpy(h->pcs + h->npcs, r->buf + off + sizeof st, st.depth * 8u);
        /* pc points at an index for now: the pool may still move. */
        h->sites[h->nsites++] = (struct lgt_site){st.id, st.depth, (const uint64_t *)(uintptr_t)h->npcs};
        h->npcs += st.depth;
        off += sizeof st + st.depth * 8u;
    }
    if (off != end)
        return fail(r, "corrupt", off, "%" PRIu64 " stray bytes at the end of SITES", end - off);
    return 0;
}

/* ---- BLOCKS, EDGES ---- */

static int read_blocks(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    size_t first = h->nblocks;
    if (r->have_attrs) /* attributes name blocks by index: all blocks come first */
        return fail(r, "corrupt", off - SEC_BYTES, "BLOCKS section after BLOCK_ATTRS");
    if (append_fixed(r, s, off, sizeof *h->blocks, (void **)&h->blocks, &h->nblocks))
        return -1;
    if (h->nblocks > 0x7fffffffu) /* the mark's adjacency keeps a flag in an index's top bit */
        return fail(r, "corrupt", off - SEC_BYTES, "%zu blocks: more than 2^31 - 1", h->nblocks);
    for (size_t i = first ? first : 1; i < h->nblocks; i++) {
        const struct lg_snap_block *a = &h->blocks[i - 1], *b = &h->blocks[i];
        uint64_t at = off + (i - first) * sizeof *b;
        if (b->addr <= a->addr)
            return fail(r, "corrupt", at, "block %zu at 0x%" PRIx64 " is not above block %zu"
                        " at 0x%" PRIx64, i, b->addr, i - 1, a->addr);
        if (b->addr - a->addr < a->size)
            return fail(r, "corrupt", at, "block %zu at 0x%" PRIx64 " overlaps block %zu"
                        " (0x%" PRIx64 ", %" PRIu64 " bytes)", i, b->addr, i - 1, a->addr, a->size);
    }
    const struct lg_snap_block *last = h->nblocks ? &h->blocks[h->nblocks - 1] : NULL;
    if (last && last->size > UINT64_MAX - last->addr)
        return fail(r, "corrupt", off + s->bytes - sizeof *last, "block %zu wraps around the"
                    " address space", h->nblocks - 1);
    return 0;
}

/* Edge flags: none in a 1.0 file; unknown bits rejected, except in a newer minor version,
 * which may define more (they are dropped: such an edge counts as an ordinary one). */
static int check_edge_flags(struct rd *r, struct lg_snap_edge *e, size_t n, uint64_t off)
{
    for (size_t i = 0; i < n; i++, off += sizeof *e) {
        if (r->h->minor == 0 && e[i].flags)
            return fail(r, "corrupt", off, "edge flags 0x%x in a format 1.0 file (must be 0)",
                        e[i].flags);
        if (r->h->minor > LG_SNAP_MINOR)
            e[i].flags &= LG_EDGE_WEAK;
        else if (e[i].flags & ~LG_EDGE_WEAK)
            return fail(r, "corrupt", off, "edge has unknown flags 0x%x", e[i].flags);
    }
    return 0;
}

static int read_edges(struct rd *r, const struct lg_snap_section *s, uint64_t off,
                      struct lg_snap_edge **arr, size_t *n, struct chunk **chunks, size_t *nchunks)
{
    size_t first = *n;
    if (append_fixed(r, s, off, sizeof **arr, (void **)arr, n) ||
        (*n > first && check_edge_flags(r, *arr + first, *n - first, off)))
        return -1;
    *chunks = lgt_xrealloc(*chunks, *nchunks + 1, sizeof **chunks);
    (*chunks)[(*nchunks)++] = (struct chunk){off, first};
    return 0;
}

static uint64_t edge_offset(const struct chunk *c, size_t nc, size_t i)
{
    size_t k = nc;
    while (k > 0 && c[k - 1].first > i)
        k--;
    return k ? c[k - 1].off + (i - c[k - 1].first) * sizeof(struct lg_snap_edge) : 0;
}

/* ---- TAGS, BLOCK_ATTRS (format 1.1) ---- */

/* Not in a 1.0 file; and both before the first BLOCK_ATTRS, so that every attribute can be
 * checked against the complete block and tag lists where it stands. */
static int check_annot_order(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    if (r->h->minor == 0)
        return fail(r, "corrupt", off - SEC_BYTES, "%s section in a format 1.0 file",
                    tag_name(s->tag));
    if (s->tag == LG_SEC_TAGS && r->have_tags)
        return fail(r, "corrupt", off - SEC_BYTES, "second TAGS section");
    if (s->tag == LG_SEC_TAGS && r->have_attrs)
        return fail(r, "corrupt", off - SEC_BYTES, "TAGS section after BLOCK_ATTRS");
    return 0;
}

/* The name: 1..MAX_TAG_NAME bytes, no NUL (the runtime copies C strings: a NUL means a
 * damaged file), zero padding. */
static int check_tag_name(struct rd *r, const struct lg_snap_type_tag *t, uint64_t off,
                          uint64_t rec)
{
    const unsigned char *p = r->buf + off + sizeof *t;
    if (t->name_len == 0 || t->name_len > MAX_TAG_NAME)
        return fail(r, "corrupt", off, "tag %" PRIu32 " has a %" PRIu32 "-byte name (1 to %d)",
                    t->id, t->name_len, MAX_TAG_NAME);
    const unsigned char *nul = memchr(p, 0, t->name_len);
    if (nul)
        return fail(r, "corrupt", off + sizeof *t + (uint64_t)(nul - p), "tag %" PRIu32
                    " name holds a NUL byte", t->id);
    for (uint64_t i = sizeof *t + t->name_len; i < rec; i++)
        if (r->buf[off + i])
            return fail(r, "corrupt", off + i, "tag %" PRIu32 " padding is not zero", t->id);
    return 0;
}

static int read_tag(struct rd *r, uint64_t off, uint64_t end, uint64_t *next)
{
    struct lgt_heap *h = r->h;
    struct lg_snap_type_tag t;
    if (end - off < sizeof t)
        return fail(r, "corrupt", off, "tag record overruns the TAGS section");
    memcpy(&t, r->buf + off, sizeof t);
    uint64_t rec = round8(sizeof t + (uint64_t)t.name_len);
    if (rec > end - off)
        return fail(r, "corrupt", off, "tag %" PRIu32 " name (%" PRIu32 " bytes) overruns the"
                    " TAGS section", t.id, t.name_len);
    if (t.id == 0 || t.id > h->ntags)
        return fail(r, "corrupt", off, "tag id %" PRIu32 " is not in 1..%zu", t.id, h->ntags);
    if (h->tag_names[t.id - 1])
        return fail(r, "corrupt", off, "tag id %" PRIu32 " appears twice", t.id);
    if (check_tag_name(r, &t, off, rec))
        return -1;
    char *name = lgt_xstrndup((const char *)r->buf + off + sizeof t, t.name_len);
    for (char *c = name; *c; c++) /* the program's own string: keep the reports' lines whole */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    h->tag_names[t.id - 1] = name;
    *next = off + rec;
    return 0;
}

/* count records with ids 1..count in any order: unique and in range means all present. */
static int read_tags(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (check_annot_order(r, s, off))
        return -1;
    r->have_tags = 1;
    if (s->count > s->bytes / sizeof(struct lg_snap_type_tag))
        return fail(r, "corrupt", off - SEC_BYTES, "TAGS count %" PRIu32
                    " cannot fit in %" PRIu64 " bytes", s->count, s->bytes);
    h->ntags = s->count;
    h->tag_names = lgt_xcalloc(s->count ? s->count : 1, sizeof *h->tag_names);
    uint64_t end = off + s->bytes;
    for (uint32_t i = 0; i < s->count; i++)
        if (read_tag(r, off, end, &off))
            return -1;
    if (off != end)
        return fail(r, "corrupt", off, "%" PRIu64 " stray bytes at the end of TAGS", end - off);
    return 0;
}

static int check_attr(struct rd *r, struct lg_snap_block_attr *a, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (a->block >= h->nblocks)
        return fail(r, "corrupt", off, "attributes of block %" PRIu32 ", beyond the %zu blocks",
                    a->block, h->nblocks);
    if (h->nattrs && a->block <= r->last_attr)
        return fail(r, "corrupt", off, "attributes of block %" PRIu32 " after those of block %"
                    PRIu32 " (block indices must ascend)", a->block, r->last_attr);
    if (a->tag > h->ntags)
        return fail(r, "corrupt", off, "block %" PRIu32 " has tag id %" PRIu32 " (%zu tags)",
                    a->block, a->tag, h->ntags);
    if (h->minor > LG_SNAP_MINOR)
        a->flags &= LG_BATTR_IGNORED;
    if (a->flags & ~(uint32_t)LG_BATTR_IGNORED)
        return fail(r, "corrupt", off, "block %" PRIu32 " has unknown attribute flags 0x%" PRIx32,
                    a->block, a->flags);
    if (a->pad)
        return fail(r, "corrupt", off + 12, "block %" PRIu32 " attribute padding is not zero",
                    a->block);
    return 0;
}

static int read_attrs(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (check_annot_order(r, s, off))
        return -1;
    r->have_attrs = 1;
    if ((uint64_t)s->count * sizeof(struct lg_snap_block_attr) != s->bytes)
        return fail(r, "corrupt", off - SEC_BYTES, "BLOCK_ATTRS section has %" PRIu32 " records"
                    " of %zu bytes but %" PRIu64 " bytes", s->count,
                    sizeof(struct lg_snap_block_attr), s->bytes);
    if (!h->block_tag && h->nblocks) {
        h->block_tag = lgt_xcalloc(h->nblocks, sizeof *h->block_tag);
        h->block_flags = lgt_xcalloc(h->nblocks, sizeof *h->block_flags);
    }
    for (uint32_t i = 0; i < s->count; i++, off += sizeof(struct lg_snap_block_attr)) {
        struct lg_snap_block_attr a;
        memcpy(&a, r->buf + off, sizeof a);
        if (check_attr(r, &a, off))
            return -1;
        h->block_tag[a.block] = a.tag;
        h->block_flags[a.block] = (uint8_t)a.flags;
        r->last_attr = a.block;
        h->nattrs++;
    }
    return 0;
}

/* ---- END: whole-file consistency ---- */

static int cmp_u32_key(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int check_edges(struct rd *r)
{
    struct lgt_heap *h = r->h;
    for (size_t i = 0; i < h->nedges; i++) {
        const struct lg_snap_edge *e = &h->edges[i];
        if (e->from >= h->nblocks || e->to >= h->nblocks)
            return fail(r, "corrupt", edge_offset(r->echunks, r->nechunks, i),
                        "edge %zu (%" PRIu32 " -> %" PRIu32 ") names a block beyond the %zu"
                        " blocks", i, e->from, e->to, h->nblocks);
    }
    for (size_t i = 0; i < h->nroot_edges; i++) {
        const struct lg_snap_edge *e = &h->root_edges[i];
        if (e->to >= h->nblocks || !lgt_reader_root(h, e->from))
            return fail(r, "corrupt", edge_offset(r->rchunks, r->nrchunks, i),
                        "root edge %zu (root %" PRIu32 " -> block %" PRIu32 ") names an unknown"
                        " root or a block beyond the %zu blocks", i, e->from, e->to, h->nblocks);
    }
    return 0;
}

static int check_ids(struct rd *r, uint64_t off)
{
    struct lgt_heap *h = r->h;
    /* struct lgt_site and struct lg_snap_root both start with their uint32_t id. */
    if (h->nsites > 1) /* qsort's base may not be NULL, even for 0 elements */
        qsort(h->sites, h->nsites, sizeof *h->sites, cmp_u32_key);
    if (h->nroots > 1)
        qsort(h->roots, h->nroots, sizeof *h->roots, cmp_u32_key);
    for (size_t i = 1; i < h->nsites; i++)
        if (h->sites[i].id == h->sites[i - 1].id)
            return fail(r, "corrupt", off, "site id %" PRIu32 " appears twice", h->sites[i].id);
    for (size_t i = 1; i < h->nroots; i++)
        if (h->roots[i].id == h->roots[i - 1].id)
            return fail(r, "corrupt", off, "root id %" PRIu32 " appears twice", h->roots[i].id);
    for (size_t i = 0; i < h->nsites; i++)
        h->sites[i].pc = h->pcs + (uintptr_t)h->sites[i].pc;
    return 0;
}

static int read_end(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    if (one_record(r, s, off, sizeof h->end, &r->have_end))
        return -1;
    memcpy(&h->end, r->buf + off, sizeof h->end);
    if (h->end.nblocks != h->nblocks || h->end.nedges != h->nedges ||
        h->end.nroot_edges != h->nroot_edges || h->end.nsites != h->nsites)
        return fail(r, "corrupt", off, "END counts (%" PRIu64 " blocks, %" PRIu64 " edges, %"
                    PRIu64 " root edges, %" PRIu64 " sites) do not match the file (%zu, %zu, %zu,"
                    " %zu)", h->end.nblocks, h->end.nedges, h->end.nroot_edges, h->end.nsites,
                    h->nblocks, h->nedges, h->nroot_edges, h->nsites);
    if (check_ids(r, off))
        return -1;
    return check_edges(r);
}

/* ---- sections ---- */

static int read_section(struct rd *r, const struct lg_snap_section *s, uint64_t off)
{
    struct lgt_heap *h = r->h;
    switch (s->tag) {
    case LG_SEC_PROCESS: return read_process(r, s, off);
    case LG_SEC_MODULES: return read_modules(r, s, off);
    case LG_SEC_SITES: return read_sites(r, s, off);
    case LG_SEC_THREADS:
        return append_fixed(r, s, off, sizeof *h->threads, (void **)&h->threads, &h->nthreads);
    case LG_SEC_BLOCKS: return read_blocks(r, s, off);
    case LG_SEC_ROOTS:
        return append_fixed(r, s, off, sizeof *h->roots, (void **)&h->roots, &h->nroots);
    case LG_SEC_EDGES:
        return read_edges(r, s, off, &h->edges, &h->nedges, &r->echunks, &r->nechunks);
    case LG_SEC_ROOT_EDGES:
        return read_edges(r, s, off, &h->root_edges, &h->nroot_edges, &r->rchunks, &r->nrchunks);
    case LG_SEC_STATS: /* the first 64 bytes are format 1.0's; later fields may be absent */
        if (one_record(r, s, off, STATS_V1_BYTES, &h->has_stats))
            return -1;
        memcpy(&h->stats, r->buf + off, s->bytes < sizeof h->stats ? s->bytes : sizeof h->stats);
        h->stats_bytes = s->bytes;
        return 0;
    case LG_SEC_TAGS: return read_tags(r, s, off);
    case LG_SEC_BLOCK_ATTRS: return read_attrs(r, s, off);
    case LG_SEC_CRASH: return read_crash(r, s, off);
    case LG_SEC_END: return read_end(r, s, off);
    default:
        if (h->minor > LG_SNAP_MINOR)
            return 0; /* a section from a newer minor version: skip it */
        return fail(r, "corrupt", off - SEC_BYTES, "unknown section tag 0x%" PRIx32, s->tag);
    }
}

static int read_header(struct rd *r, uint64_t *pos)
{
    struct lg_snap_header hd;
    if (r->len == 0)
        return fail(r, "not a leakgraph snapshot", 0, "the file is empty");
    if (memcmp(r->buf, LG_SNAP_MAGIC, r->len < 8 ? r->len : 8) != 0)
        return fail(r, "not a leakgraph snapshot", 0, "bad magic");
    if (r->len < HDR_BYTES)
        return fail(r, "truncated", r->len, "the header needs %" PRIu64 " bytes, %" PRIu64
                    " present", HDR_BYTES, r->len);
    memcpy(&hd, r->buf, sizeof hd);
    r->h->major = hd.major;
    r->h->minor = hd.minor;
    if (hd.major > LG_SNAP_MAJOR)
        return fail(r, "unsupported", 8, "snapshot format %u.%u is newer than this leakgraph"
                    " (%d.x)", hd.major, hd.minor, LG_SNAP_MAJOR);
    if (hd.major < LG_SNAP_MAJOR)
        return fail(r, "corrupt", 8, "unknown snapshot format %u.%u", hd.major, hd.minor);
    if (hd.header_bytes < HDR_BYTES || hd.header_bytes % 8 || hd.header_bytes > r->len)
        return fail(r, "corrupt", 12, "header size %" PRIu32 " is invalid for a %" PRIu64
                    "-byte file", hd.header_bytes, r->len);
    *pos = hd.header_bytes;
    return 0;
}

static int parse(struct rd *r)
{
    uint64_t pos = 0;
    if (read_header(r, &pos))
        return -1;
    while (!r->have_end) {
        struct lg_snap_section s;
        if (r->len - pos < SEC_BYTES)
            return fail(r, "truncated", pos, pos == r->len ? "no END section" :
                        "section header needs 16 bytes, %" PRIu64 " remain", r->len - pos);
        memcpy(&s, r->buf + pos, sizeof s);
        if (s.bytes % 8)
            return fail(r, "corrupt", pos, "%s section size %" PRIu64 " is not a multiple of 8",
                        tag_name(s.tag), s.bytes);
        if (s.bytes > r->len - pos - SEC_BYTES)
            return fail(r, "truncated", pos + SEC_BYTES, "%s section needs %" PRIu64
                        " bytes, %" PRIu64 " remain", tag_name(s.tag), s.bytes,
                        r->len - pos - SEC_BYTES);
        if (read_section(r, &s, pos + SEC_BYTES))
            return -1;
        pos += SEC_BYTES + s.bytes;
    }
    if (pos != r->len)
        return fail(r, "corrupt", pos, "%" PRIu64 " bytes of trailing data after END",
                    r->len - pos);
    return 0;
}

int lgt_reader_load_mem(const char *name, const void *buf, size_t len, struct lgt_heap *h,
                        char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->name = lgt_xstrdup(name);
    struct rd r = {.buf = buf, .len = len, .err = err, .errlen = errlen, .h = h};
    int rc = parse(&r);
    free(r.echunks);
    free(r.rchunks);
    if (!h->exe)
        h->exe = lgt_xstrdup("");
    if (rc)
        lgt_reader_free(h);
    return rc;
}

/* ---- files ---- */

static int read_all(int fd, unsigned char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = lgt_xmalloc(cap);
    for (;;) {
        if (n == cap)
            buf = lgt_xrealloc(buf, cap *= 2, 1);
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            free(buf);
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Regular files are mapped (no copy; the page cache holds them); anything else is read. A
 * file truncated by someone else while we parse it would raise SIGBUS: snapshots are
 * written completely before anyone analyses them. */
int lgt_reader_load_file(const char *path, struct lgt_heap *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s: is a directory, not a snapshot", path);
        return -1;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) {
            snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            return -1;
        }
        int rc = lgt_reader_load_mem(path, map, (size_t)st.st_size, h, err, errlen);
        munmap(map, (size_t)st.st_size);
        return rc;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_all(fd, &buf, &len);
    close(fd);
    if (rc) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    rc = lgt_reader_load_mem(path, buf, len, h, err, errlen);
    free(buf);
    return rc;
}

void lgt_reader_free(struct lgt_heap *h)
{
    for (size_t i = 0; i < h->nmodules; i++) {
        free(h->modules[i].path);
        free(h->modules[i].build_id);
    }
    free(h->modules);
    free(h->name);
    free(h->exe);
    free(h->cmdline);
    free(h->sites);
    free(h->pcs);
    free(h->threads);
    free(h->blocks);
    free(h->roots);
    free(h->edges);
    free(h->root_edges);
    for (size_t i = 0; i < h->ntags; i++)
        free(h->tag_names[i]);
    free(h->tag_names);
    free(h->block_tag);
    free(h->block_flags);
    memset(h, 0, sizeof *h);
}

/* ---- look-ups ---- */

const struct lgt_site *lgt_reader_site(const struct lgt_heap *h, uint32_t id)
{
    return h->nsites ? bsearch(&id, h->sites, h->nsites, sizeof *h->sites, cmp_u32_key) : NULL;
}

const struct lg_snap_root *lgt_reader_root(const struct lgt_heap *h, uint32_t id)
{
    return h->nroots ? bsearch(&id, h->roots, h->nroots, sizeof *h->roots, cmp_u32_key) : NULL;
}

const struct lgt_module *lgt_reader_module_at(const struct lgt_heap *h, uint64_t pc)
{
    for (size_t i = 0; i < h->nmodules; i++)
        if (pc >= h->modules[i].lo && pc < h->modules[i].hi)
            return &h->modules[i];
    return NULL;
}

uint32_t lgt_reader_block_tag(const struct lgt_heap *h, size_t b)
{
    return h->block_tag && b < h->nblocks ? h->block_tag[b] : 0;
}

uint32_t lgt_reader_block_flags(const struct lgt_heap *h, size_t b)
{
    return h->block_flags && b < h->nblocks ? h->block_flags[b] : 0;
}

const char *lgt_reader_tag_name(const struct lgt_heap *h, uint32_t id)
{
    return id && id <= h->ntags ? h->tag_names[id - 1] : NULL;
}

long lgt_reader_block_at(const struct lgt_heap *h, uint64_t addr)
{
    size_t lo = 0, hi = h->nblocks;
    while (lo < hi) { /* first block with addr > target */
        size_t mid = lo + (hi - lo) / 2;
        if (h->blocks[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const struct lg_snap_block *b = &h->blocks[lo - 1];
    return addr - b->addr < b->size || addr == b->addr ? (long)(lo - 1) : -1;
}
