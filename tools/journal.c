/* Journal reader and the journal-only report (`leakgraph analyze --journal FILE`). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakgraph/journal.h"
#include "xalloc.h"

#define MAX_DEPTH 64
#define MAX_PATH_LEN 4096
#define MAX_BUILD_ID 64

struct ctx {
    const char *name;
    const unsigned char *p;
    size_t len;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, uint64_t off, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: not a valid leakgraph journal: %s (at byte %" PRIu64 ")", c->name, msg, off);
    return -1;
}

/* [off, off + n) inside the file, without overflow. */
static int inside(const struct ctx *c, uint64_t off, uint64_t n) { return off <= c->len && n <= c->len - off; }

static int cmp_block(const void *a, const void *b)
{
    const struct lg_snap_block *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_site(const void *a, const void *b)
{
    const struct lgt_site *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Walks the records of an area; calls fn on each committed one. Stops at the first
 * uncommitted record word (the end, or a record torn by the death). */
static int walk(struct ctx *c, uint64_t off, uint64_t bytes, uint64_t *torn,
                int (*fn)(struct ctx *, uint64_t, uint32_t, void *), void *arg)
{
    uint64_t end = off + bytes;
    while (off + sizeof(struct lg_jrnl_rec) <= end) {
        struct lg_jrnl_rec r;
        memcpy(&r, c->p + off, sizeof r);
        if (r.commit != LG_JRNL_COMMIT) {
            /* Never committed: the end, or a record the process was writing when it died. */
            for (uint64_t q = off; q < end && q < off + 64 * 1024; q++)
                if (c->p[q]) {
                    (*torn)++;
                    break;
                }
            return 0;
        }
        if (r.bytes < sizeof r || r.bytes % 8 || r.bytes > end - off)
            return fail(c, off, "record of %" PRIu32 " bytes does not fit its area", r.bytes);
        if (fn(c, off + sizeof r, r.bytes - (uint32_t)sizeof r, arg))
            return -1;
        off += r.bytes;
    }
    return 0;
}

struct load {
    struct lgt_heap *h;
    size_t capm, caps, cappcs;
};

static int on_module(struct ctx *c, uint64_t off, uint32_t n, void *arg)
{
    struct load *l = arg;
    struct lgt_heap *h = l->h;
    struct lg_snap_module m;
    if (n < sizeof m)
        return fail(c, off, "module record too short");
    memcpy(&m, c->p + off, sizeof m);
    if (m.path_len > MAX_PATH_LEN || m.build_id_len > MAX_BUILD_ID ||
        sizeof m + (uint64_t)m.path_len + m.build_id_len > n)
        return fail(c, off, "module %" PRIu32 ": path or build-id longer than its record", m.id);
    if (m.lo > m.hi)
        return fail(c, off, "module %" PRIu32 ": range 0x%" PRIx64 "-0x%" PRIx64 " is reversed", m.id, m.lo, m.hi);
    for (size_t i = 0; i < h->nmodules; i++)
        if (h->modules[i].id == m.id)
            return fail(c, off, "module id %" PRIu32 " appears twice", m.id);
    if (h->nmodules == l->capm)
        h->modules = lgt_xrealloc(h->modules, l->capm = l->capm ? l->capm * 2 : 16, sizeof *h->modules);
    struct lgt_module *d = &h->modules[h->nmodules++];
    memset(d, 0, sizeof *d);
    d->base = m.base;
    d->lo = m.lo;
    d->hi = m.hi;
    d->id = m.id;
    d->flags = m.flags;
    d->path = lgt_xstrndup((const char *)c->p + off + sizeof m, m.path_len);
    d->build_id_len = m.build_id_len;
    d->build_id = lgt_xmalloc(m.build_id_len ? m.build_id_len : 1);
    memcpy(d->build_id, c->p + off + sizeof m + m.path_len, m.build_id_len);
    return 0;
}

struct site_tmp {
    uint32_t id, depth;
    uint64_t pcoff; /* index into the pcs */
};

static int on_site(struct ctx *c, uint64_t off, uint32_t n, void *arg)
{
    struct load *l = arg;
    struct lgt_heap *h = l->h;
    struct lg_snap_site s;
    if (n < sizeof s)
        return fail(c, off, "site record too short");
    memcpy(&s, c->p + off, sizeof s);
    if (s.id == 0 || s.depth > MAX_DEPTH || sizeof s + (uint64_t)s.depth * 8 != n)
        return fail(c, off, "site %" PRIu32 " with %" PRIu32 " frames does not match its record", s.id, s.depth);
    if (h->nsites == l->caps)
        h->sites = lgt_xrealloc(h->sites, l->caps = l->caps ? l->caps * 2 : 256, sizeof *h->sites);
    while (h->npcs + s.depth > l->cappcs)
        h->pcs = lgt_xrealloc(h->pcs, l->cappcs = l->cappcs ? l->cappcs * 2 : 4096, sizeof *h->pcs);
    memcpy(h->pcs + h->npcs, c->p + off + sizeof s, (size_t)s.depth * 8);
    /* pc pointers are fixed up once every record is in (pcs moves while it grows) */
    h->sites[h->nsites++] = (struct lgt_site){s.id, s.depth, (const uint64_t *)(uintptr_t)h->npcs};
    h->npcs += s.depth;
    return 0;
}

static int load(struct ctx *c, struct lgt_heap *h, struct lgt_journal_info *info)
{
    struct lg_jrnl_header hd;
    if (c->len < sizeof hd || memcmp(c->p, LG_JRNL_MAGIC, 8) != 0)
        return fail(c, 0, "no journal header (magic LGJRNL)");
    memcpy(&hd, c->p, sizeof hd);
    if (hd.major != LG_JRNL_MAJOR)
        return fail(c, 8, "format %u.%u; this leakgraph reads %u.x", hd.major, hd.minor, LG_JRNL_MAJOR);
    if (hd.header_bytes < sizeof hd || hd.header_bytes > LG_JRNL_HEADER_AREA)
        return fail(c, 12, "header of %" PRIu32 " bytes", hd.header_bytes);
    if (hd.file_bytes != c->len)
        return fail(c, 16, "the journal was created with %" PRIu64 " bytes but the file has %zu (truncated?)",
                    hd.file_bytes, c->len);
    if ((uint64_t)hd.exe_len + hd.cmdline_len > LG_JRNL_HEADER_AREA - hd.header_bytes)
        return fail(c, 0, "exe and command line overflow the header area");
    if (hd.modules_off % 8 || hd.sites_off % 8 || hd.table_off % 8 || !inside(c, hd.modules_off, hd.modules_bytes) ||
        !inside(c, hd.sites_off, hd.sites_bytes) || hd.modules_off < LG_JRNL_HEADER_AREA ||
        hd.sites_off < LG_JRNL_HEADER_AREA || hd.table_off < LG_JRNL_HEADER_AREA)
        return fail(c, 0, "areas outside the file");
    if (!hd.table_slots || (hd.table_slots & (hd.table_slots - 1)) || hd.table_slots > (c->len / 32) ||
        !inside(c, hd.table_off, hd.table_slots * 32))
        return fail(c, 0, "block table of %" PRIu64 " slots outside the file", hd.table_slots);
    if (hd.state != LG_JRNL_RUNNING && hd.state != LG_JRNL_EXITED)
        return fail(c, 0, "unknown process state %" PRIu64, hd.state);
    memset(info, 0, sizeof *info);
    info->state = hd.state;
    info->dropped_blocks = hd.dropped_blocks;
    info->dropped_sites = hd.dropped_sites;
    info->dropped_modules = hd.dropped_modules;
    info->stack_depth = hd.stack_depth;

    h->major = LG_SNAP_MAJOR;
    h->minor = LG_SNAP_MINOR;
    h->has_process = 1;
    h->proc.pid = hd.pid;
    h->proc.ppid = hd.ppid;
    h->proc.time_ns = hd.start_ns;
    h->proc.reason = LG_REASON_CRASH;
    const char *strs = (const char *)c->p + hd.header_bytes;
    h->exe = lgt_xstrndup(strs, hd.exe_len);
    h->proc.exe_len = (uint32_t)strlen(h->exe);
    h->cmdline_len = hd.cmdline_len;
    h->proc.cmdline_len = hd.cmdline_len;
    h->cmdline = lgt_xmalloc(hd.cmdline_len + 1);
    memcpy(h->cmdline, strs + hd.exe_len, hd.cmdline_len);
    h->cmdline[hd.cmdline_len] = '\0';

    struct load l = {.h = h, .cappcs = 1024};
    h->pcs = lgt_xmalloc(l.cappcs * sizeof *h->pcs);
    if (walk(c, hd.modules_off, hd.modules_bytes, &info->torn_records, on_module, &l) ||
        walk(c, hd.sites_off, hd.sites_bytes, &info->torn_records, on_site, &l))
        return -1;
    for (size_t i = 0; i < h->nsites; i++)
        h->sites[i].pc = h->pcs + (uintptr_t)h->sites[i].pc;
    if (h->nsites)
        qsort(h->sites, h->nsites, sizeof *h->sites, cmp_site);
    for (size_t i = 1; i < h->nsites; i++)
        if (h->sites[i].id == h->sites[i - 1].id)
            return fail(c, hd.sites_off, "site id %" PRIu32 " appears twice", h->sites[i].id);

    size_t cap = 1024;
    h->blocks = lgt_xmalloc(cap * sizeof *h->blocks);
    for (uint64_t i = 0; i < hd.table_slots; i++) {
        struct lg_snap_block b;
        uint64_t off = hd.table_off + i * 32;
        memcpy(&b, c->p + off, sizeof b);
        if (b.addr == LG_JRNL_EMPTY || b.addr == LG_JRNL_TOMB)
            continue;
        if (b.addr == LG_JRNL_BUSY) {
            info->busy_slots++;
            continue;
        }
        if (b.addr < 4096 || b.size > (1ull << 47) || b.addr + b.size < b.addr || b.addr >= (1ull << 48))
            return fail(c, off, "slot %" PRIu64 " holds no valid block (0x%" PRIx64 ", %" PRIu64 " bytes)", i,
                        b.addr, b.size);
        if (h->nblocks == cap)
            h->blocks = lgt_xrealloc(h->blocks, cap *= 2, sizeof *h->blocks);
        h->blocks[h->nblocks++] = b;
    }
    qsort(h->blocks, h->nblocks, sizeof *h->blocks, cmp_block);
    size_t n = 0;
    for (size_t i = 0; i < h->nblocks; i++) {
        const struct lg_snap_block *b = &h->blocks[i];
        if (n && h->blocks[n - 1].addr == b->addr) {
            /* the same block in two slots: only from a copy; they must be equal */
            if (memcmp(&h->blocks[n - 1], b, sizeof *b) != 0)
                return fail(c, hd.table_off, "block 0x%" PRIx64 " appears twice with different records", b->addr);
            continue;
        }
        if (n && h->blocks[n - 1].addr + h->blocks[n - 1].size > b->addr)
            return fail(c, hd.table_off, "blocks 0x%" PRIx64 " and 0x%" PRIx64 " overlap",
                        h->blocks[n - 1].addr, b->addr);
        h->blocks[n++] = *b;
    }
    h->nblocks = n;
    for (size_t i = 0; i < n; i++)
        if (h->blocks[i].site && !lgt_reader_site(h, h->blocks[i].site))
            info->missing_sites++;
    return 0;
}

int lgt_journal_load_mem(const char *name, const void *buf, size_t len, struct lgt_heap *h,
                         struct lgt_journal_info *info, char *err, size_t errlen)
{
    struct ctx c = {name, buf, len, err, errlen};
    memset(h, 0, sizeof *h);
    struct lgt_journal_info dummy;
    if (!info)
        info = &dummy;
    if (load(&c, h, info)) {
        lgt_reader_free(h);
        return -1;
    }
    h->name = lgt_xstrdup(name);
    return 0;
}

int lgt_journal_load_file(const char *path, struct lgt_heap *h, struct lgt_journal_info *info,
                          char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        snprintf(err, errlen, "%s: not a valid leakgraph journal: %s", path,
                 S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = lgt_journal_load_mem(path, m, (size_t)st.st_size, h, info, err, errlen);
    munmap(m, (size_t)st.st_size);
    return rc;
}
