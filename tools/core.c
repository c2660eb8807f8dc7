/* ELF core parsing and the offline root and reference scan (see core.h). */
#include "core.h"

#include <elf.h>
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

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

#define PRSTATUS_PID 32
#define PRSTATUS_CURSIG 12
#define PRSTATUS_REGS 112
#define PRSTATUS_MIN (PRSTATUS_REGS + LGT_CORE_NREGS * 8)
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define PRPSINFO_MIN 136

static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", name, msg);
    return -1;
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int cmp_seg(const void *a, const void *b)
{
    const struct lgt_core_seg *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int parse_file_note(struct lgt_core *c, const unsigned char *d, uint64_t n, char *err, size_t errlen)
{
    if (n < 16)
        return fail(err, errlen, c->name, "bad core: NT_FILE note of %" PRIu64 " bytes", n);
    uint64_t count = rd64(d), page = rd64(d + 8);
    if (count > (n - 16) / 24 || page == 0 || page > (1u << 30) || (page & (page - 1)))
        return fail(err, errlen, c->name, "bad core: NT_FILE note with %" PRIu64 " entries in %" PRIu64 " bytes",
                    count, n);
    const unsigned char *names = d + 16 + count * 24, *end = d + n;
    c->files = lgt_xcalloc(count ? count : 1, sizeof *c->files);
    for (uint64_t i = 0; i < count; i++) {
        const unsigned char *e = d + 16 + i * 24;
        const unsigned char *z = memchr(names, 0, (size_t)(end - names));
        if (!z)
            return fail(err, errlen, c->name, "bad core: NT_FILE name %" PRIu64 " runs past the note", i);
        struct lgt_core_file *f = &c->files[c->nfiles++];
        f->start = rd64(e);
        f->end = rd64(e + 8);
        f->pgoff = rd64(e + 16) * page;
        f->path = lgt_xstrndup((const char *)names, (size_t)(z - names));
        if (f->end < f->start)
            return fail(err, errlen, c->name, "bad core: NT_FILE mapping %s is reversed", f->path);
        names = z + 1;
    }
    return 0;
}

static int parse_notes(struct lgt_core *c, const unsigned char *p, uint64_t n, char *err, size_t errlen)
{
    uint64_t off = 0;
    size_t cap = c->nthreads;
    while (n - off >= 12) {
        uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4), type = rd32(p + off + 8);
        uint64_t name_off = off + 12, desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
        uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
        if (desc_off > n || next > n || desc_off + descsz > n)
            return fail(err, errlen, c->name, "bad core: a note runs past its PT_NOTE segment");
        const unsigned char *d = p + desc_off;
        int core_note = namesz == 5 && !memcmp(p + name_off, "CORE", 5);
        if (core_note && type == NT_PRSTATUS) {
            if (descsz < PRSTATUS_MIN)
                return fail(err, errlen, c->name, "bad core: NT_PRSTATUS of %" PRIu32 " bytes (not x86-64?)", descsz);
            if (c->nthreads == cap)
                c->threads = lgt_xrealloc(c->threads, cap = cap ? cap * 2 : 8, sizeof *c->threads);
            struct lgt_core_thread *t = &c->threads[c->nthreads++];
            t->tid = rd32(d + PRSTATUS_PID);
            int16_t sig;
            memcpy(&sig, d + PRSTATUS_CURSIG, 2);
            t->cursig = sig;
            memcpy(t->regs, d + PRSTATUS_REGS, sizeof t->regs);
        } else if (core_note && type == NT_PRPSINFO) {
            if (descsz < PRPSINFO_MIN)
                return fail(err, errlen, c->name, "bad core: NT_PRPSINFO of %" PRIu32 " bytes", descsz);
            c->pid = rd32(d + PRPSINFO_PID);
            memcpy(c->fname, d + PRPSINFO_FNAME, 16);
            c->fname[16] = '\0';
        } else if (core_note && type == NT_FILE && !c->files) {
            if (parse_file_note(c, d, descsz, err, errlen))
                return -1;
        }
        off = next;
    }
    return 0;
}

static int parse(struct lgt_core *c, char *err, size_t errlen)
{
    const unsigned char *p = c->data;
    Elf64_Ehdr eh;
    if (c->len < EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, c->name, "not an ELF file, so not a core dump");
    if (p[EI_CLASS] != ELFCLASS64 || c->len < sizeof eh)
        return fail(err, errlen, c->name, "a 32-bit ELF file; leakgraph reads x86-64 cores only");
    memcpy(&eh, p, sizeof eh);
    if (p[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, c->name, "a big-endian ELF file; leakgraph reads x86-64 cores only");
    if (eh.e_type != ET_CORE)
        return fail(err, errlen, c->name, "an ELF file of type %u, not a core dump (ET_CORE)", eh.e_type);
    if (eh.e_machine != EM_X86_64)
        return fail(err, errlen, c->name, "a core dump of another architecture (ELF machine %u), not x86-64",
                    eh.e_machine);
    uint64_t phnum = eh.e_phnum;
    if (phnum == PN_XNUM) { /* more than 65534 segments: the count is in section 0 */
        Elf64_Shdr sh;
        if (eh.e_shoff == 0 || eh.e_shoff > c->len || c->len - eh.e_shoff < sizeof sh)
            return fail(err, errlen, c->name, "truncated core: no section header for the segment count");
        memcpy(&sh, p + eh.e_shoff, sizeof sh);
        phnum = sh.sh_info;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > c->len ||
        phnum > (c->len - eh.e_phoff) / sizeof(Elf64_Phdr))
        return fail(err, errlen, c->name, "truncated core: the program headers end past the file (%zu bytes)",
                    c->len);
    c->segs = lgt_xcalloc(phnum ? phnum : 1, sizeof *c->segs);
    for (uint64_t i = 0; i < phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, p + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
            continue;
        if (ph.p_offset > c->len || ph.p_filesz > c->len - ph.p_offset)
            return fail(err, errlen, c->name, "truncated core: segment %" PRIu64 " (0x%" PRIx64 ") needs bytes up to "
                        "%" PRIu64 ", the file has %zu", i, (uint64_t)ph.p_vaddr,
                        (uint64_t)ph.p_offset + ph.p_filesz, c->len);
        if (ph.p_type == PT_NOTE) {
            if (parse_notes(c, p + ph.p_offset, ph.p_filesz, err, errlen))
                return -1;
            continue;
        }
        if (ph.p_filesz > ph.p_memsz || ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
            return fail(err, errlen, c->name, "bad core: segment %" PRIu64 " has more file bytes than memory", i);
        c->segs[c->nsegs++] = (struct lgt_core_seg){ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags};
    }
    qsort(c->segs, c->nsegs, sizeof *c->segs, cmp_seg);
    for (size_t i = 1; i < c->nsegs; i++)
        if (c->segs[i - 1].vaddr + c->segs[i - 1].memsz > c->segs[i].vaddr)
            return fail(err, errlen, c->name, "bad core: segments at 0x%" PRIx64 " and 0x%" PRIx64 " overlap",
                        c->segs[i - 1].vaddr, c->segs[i].vaddr);
    if (!c->nsegs)
        return fail(err, errlen, c->name, "a core dump without memory (no PT_LOAD segment)");
    if (!c->nthreads)
        return fail(err, errlen, c->name, "a core dump without threads (no NT_PRSTATUS note)");
    if (!c->pid)
        c->pid = c->threads[0].tid;
    return 0;
}

int lgt_core_load_mem(const char *name, const void *buf, size_t len, struct lgt_core *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->name = lgt_xstrdup(name);
    c->data = buf;
    c->len = len;
    if (parse(c, err, errlen)) {
        lgt_core_close(c);
        return -1;
    }
    return 0;
}

int lgt_core_open(const char *path, struct lgt_core *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
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
        return fail(err, errlen, path, "%s, not a core dump", S_ISREG(st.st_mode) ? "an empty file" : "not a regular file");
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (lgt_core_load_mem(path, m, (size_t)st.st_size, c, err, errlen)) {
        munmap(m, (size_t)st.st_size);
        return -1;
    }
    c->mapped = 1;
    return 0;
}

void lgt_core_close(struct lgt_core *c)
{
    if (c->mapped)
        munmap((void *)c->data, c->len);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i].path);
    free(c->files);
    free(c->segs);
    free(c->threads);
    free(c->name);
    memset(c, 0, sizeof *c);
}

const struct lgt_core_seg *lgt_core_seg_at(const struct lgt_core *c, uint64_t addr)
{
    size_t lo = 0, hi = c->nsegs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->segs[mid].vaddr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    const struct lgt_core_seg *s = &c->segs[lo - 1];
    return addr - s->vaddr < s->memsz ? s : NULL;
}

const void *lgt_core_mem(const struct lgt_core *c, uint64_t addr, uint64_t n)
{
    const struct lgt_core_seg *s = lgt_core_seg_at(c, addr);
    if (!s || addr - s->vaddr > s->filesz || n > s->filesz - (addr - s->vaddr))
        return NULL;
    return c->data + s->off + (addr - s->vaddr);
}

/* Every byte of [addr, addr + n) present in the core, across adjacent segments. */
static int present(const struct lgt_core *c, uint64_t addr, uint64_t n)
{
    for (;;) {
        const struct lgt_core_seg *s = lgt_core_seg_at(c, addr);
        if (!s || addr - s->vaddr >= s->filesz)
            return n == 0 && s != NULL;
        uint64_t room = s->filesz - (addr - s->vaddr);
        if (n <= room)
            return 1;
        if (s->filesz != s->memsz)
            return 0;
        addr += room;
        n -= room;
    }
}

static int read64(const struct lgt_core *c, uint64_t addr, uint64_t *v)
{
    const void *p = lgt_core_mem(c, addr, 8);
    if (p)
        memcpy(v, p, 8);
    return p != NULL;
}

/* ---- the scan ---- */

struct scan {
    const struct lgt_core *c;
    struct lgt_heap *h;
    uint64_t lo, hi; /* lowest block start, highest block end */
    struct lg_snap_edge *edges, *redges;
    size_t nedges, cedges, nredges, credges;
    struct lg_snap_root *roots;
    size_t nroots, croots;
};

static long block_at(const struct lgt_heap *h, uint64_t v)
{
    size_t lo = 0, hi = h->nblocks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->blocks[mid].addr <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return -1;
    const struct lg_snap_block *b = &h->blocks[lo - 1];
    return v - b->addr < b->size || v == b->addr ? (long)(lo - 1) : -1;
}

static const struct lgt_core_file *file_at(const struct lgt_core *c, uint64_t a)
{
    for (size_t i = 0; i < c->nfiles; i++)
        if (a >= c->files[i].start && a < c->files[i].end)
            return &c->files[i];
    return NULL;
}

static int is_vtable(const struct lgt_core *c, uint64_t p)
{
    const struct lgt_core_seg *s = lgt_core_seg_at(c, p);
    if ((p & 7) || !s || !(s->flags & PF_R) || !file_at(c, p))
        return 0;
    int fns = 0;
    for (uint64_t q = p; q < p + 20 * 8; q += 8) {
        uint64_t f;
        if (!read64(c, q, &f))
            return 0;
        if (!f)
            continue;
        const struct lgt_core_seg *fs = lgt_core_seg_at(c, f);
        if (!fs || !(fs->flags & PF_X) || !file_at(c, f))
            return 0;
        if (++fns == 2)
            return 1;
    }
    return 0;
}

/* Valgrind's default heuristics, as src/scan.c evaluates them in the process. */
static uint8_t heuristic(const struct lgt_core *c, const struct lg_snap_block *b, uint64_t a)
{
    uint64_t off = a - b->addr, w0 = 0, w1 = 0;
    int have0 = b->size >= 8 && read64(c, b->addr, &w0), have1 = b->size >= 16 && read64(c, b->addr + 8, &w1);
    if (off == 24 && b->size >= 24 && have0 && have1 && 24 + w1 + 1 == b->size && w0 <= w1)
        return LG_HEUR_STDSTRING;
    if (off == 8 && have0) {
        if (w0 > 0 && b->size - 8 == w0)
            return LG_HEUR_LENGTH64;
        if (w0 > 0 && (b->size - 8) % w0 == 0)
            return LG_HEUR_NEWARRAY;
    }
    uint64_t inner;
    if (!(a & 7) && b->size >= 16 && off + 8 <= b->size && have0 && read64(c, a, &inner)) {
        if (!(inner & 7) && inner >= 4096 && !(w0 & 7) && w0 >= 4096 && is_vtable(c, inner) && is_vtable(c, w0))
            return LG_HEUR_MULTIPLEINHERITANCE;
    }
    return LG_HEUR_NONE;
}

static void add_edge(struct scan *s, int root, uint32_t from, uint64_t from_off, uint64_t v)
{
    long j = block_at(s->h, v);
    if (j < 0)
        return;
    const struct lg_snap_block *b = &s->h->blocks[j];
    uint64_t to_off = v - b->addr;
    struct lg_snap_edge e = {.from = from, .to = (uint32_t)j, .from_off = from_off};
    if (to_off) {
        /* glibc's bins point at the next chunk's header: p + usable - 8 */
        uint64_t hdr;
        if (to_off + 8 >= b->size && read64(s->c, b->addr - 8, &hdr)) {
            uint64_t usable = (hdr & ~7ull) - ((hdr & 2) ? 16 : 8);
            if (v == b->addr + usable - 8)
                return;
        }
        e.heur = heuristic(s->c, b, v);
    }
    e.to_off = to_off > UINT32_MAX ? UINT32_MAX : (uint32_t)to_off;
    if (root) {
        if (s->nredges == s->credges)
            s->redges = lgt_xrealloc(s->redges, s->credges = s->credges ? s->credges * 2 : 1024, sizeof *s->redges);
        s->redges[s->nredges++] = e;
    } else {
        if (s->nedges == s->cedges)
            s->edges = lgt_xrealloc(s->edges, s->cedges = s->cedges ? s->cedges * 2 : 1024, sizeof *s->edges);
        s->edges[s->nedges++] = e;
    }
}

/* The words of [lo, hi) that the core holds; from_off counts from base. One pass over the
 * segments that overlap the range (no address arithmetic that could wrap). */
static void scan_range(struct scan *s, int root, uint32_t from, uint64_t lo, uint64_t hi, uint64_t base)
{
    if (!s->h->nblocks || hi <= lo)
        return;
    size_t a = 0, b = s->c->nsegs;
    while (a < b) { /* the first segment that ends after lo */
        size_t mid = (a + b) / 2;
        if (s->c->segs[mid].vaddr + s->c->segs[mid].memsz <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    for (size_t k = a; k < s->c->nsegs && s->c->segs[k].vaddr < hi; k++) {
        const struct lgt_core_seg *sg = &s->c->segs[k];
        uint64_t start = sg->vaddr > lo ? sg->vaddr : lo;
        uint64_t end = sg->vaddr + sg->filesz < hi ? sg->vaddr + sg->filesz : hi;
        if (start % 8)
            start += 8 - start % 8;
        const unsigned char *d = s->c->data + sg->off;
        for (uint64_t p = start; p < end && end - p >= 8; p += 8) {
            uint64_t v = rd64(d + (p - sg->vaddr));
            if (v >= s->lo && v < s->hi)
                add_edge(s, root, from, p - base, v);
        }
    }
}

static uint32_t add_root(struct scan *s, uint16_t kind, uint64_t addr, uint64_t len, uint32_t owner, uint64_t owner_off)
{
    if (s->nroots == s->croots)
        s->roots = lgt_xrealloc(s->roots, s->croots = s->croots ? s->croots * 2 : 64, sizeof *s->roots);
    uint32_t id = (uint32_t)s->nroots + 1;
    s->roots[s->nroots++] = (struct lg_snap_root){.id = id, .kind = kind, .addr = addr, .len = len,
                                                  .owner = owner, .owner_off = owner_off};
    return id;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The GNU build-id of the ELF image mapped at lo, read from the core (its first page is
 * there with the default coredump_filter). 0 when the core does not hold it. */
static uint32_t image_build_id(const struct lgt_core *c, uint64_t lo, const unsigned char **id)
{
    const unsigned char *p = lgt_core_mem(c, lo, sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    if (!p)
        return 0;
    memcpy(&eh, p, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 64)
        return 0;
    const unsigned char *ph = lgt_core_mem(c, lo + eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr));
    if (!ph)
        return 0;
    uint64_t first_vaddr = UINT64_MAX;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr h;
        memcpy(&h, ph + i * sizeof h, sizeof h);
        if (h.p_type == PT_LOAD && h.p_vaddr < first_vaddr)
            first_vaddr = h.p_vaddr & ~0xfffull;
    }
    if (first_vaddr == UINT64_MAX)
        return 0;
    uint64_t bias = lo - first_vaddr;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr h;
        memcpy(&h, ph + i * sizeof h, sizeof h);
        if (h.p_type != PT_NOTE || h.p_filesz > 4096)
            continue;
        const unsigned char *n = lgt_core_mem(c, bias + h.p_vaddr, h.p_filesz);
        for (uint64_t off = 0; n && off + 12 <= h.p_filesz;) {
            uint32_t nsz = rd32(n + off), dsz = rd32(n + off + 4), type = rd32(n + off + 8);
            uint64_t d = off + 12 + ((nsz + 3ull) & ~3ull);
            if (d + dsz > h.p_filesz)
                break;
            if (type == NT_GNU_BUILD_ID && nsz == 4 && !memcmp(n + off + 12, "GNU", 4)) {
                *id = n + d;
                return dsz;
            }
            off = d + ((dsz + 3ull) & ~3ull);
        }
    }
    return 0;
}

/* The journal or snapshot must describe the core's process. */
static int check_match(const struct lgt_core *c, const struct lgt_heap *h, char *err, size_t errlen)
{
    if (h->proc.pid != c->pid)
        return fail(err, errlen, c->name, "the core is of pid %" PRIu32 " (%s), but %s is of pid %" PRIu32
                    " (%s): they do not describe the same process", c->pid, c->fname, h->name, h->proc.pid, h->exe);
    for (size_t i = 0; i < h->nmodules; i++) {
        const struct lgt_module *m = &h->modules[i];
        if ((m->flags & (LG_MOD_VDSO | LG_MOD_UNLOADED)) || !m->path[0])
            continue;
        int same_path = 0, same_place = 0;
        for (size_t k = 0; k < c->nfiles; k++) {
            if (strcmp(c->files[k].path, m->path) && strcmp(base_name(c->files[k].path), base_name(m->path)))
                continue;
            same_path = 1;
            if (c->files[k].start <= m->lo && m->lo < c->files[k].end)
                same_place = 1;
        }
        if (c->nfiles && (m->flags & LG_MOD_MAIN) && !same_path)
            return fail(err, errlen, c->name, "the core's process does not map %s, the executable of %s",
                        m->path, h->name);
        /* only the executable: a library may have been dlclose'd and loaded again elsewhere */
        if (c->nfiles && (m->flags & LG_MOD_MAIN) && !same_place)
            return fail(err, errlen, c->name, "%s is mapped elsewhere in the core than in %s: another run of the "
                        "program", m->path, h->name);
        const unsigned char *id = NULL;
        uint32_t n = (m->flags & LG_MOD_MAIN) ? image_build_id(c, m->lo & ~0xfffull, &id) : 0;
        if (n && m->build_id_len && (n != m->build_id_len || memcmp(id, m->build_id, n)))
            return fail(err, errlen, c->name, "the executable in the core has another build-id than the one %s "
                        "recorded: another build of the program", h->name);
    }
    for (size_t i = 0; i < h->nblocks; i++) {
        const struct lg_snap_block *b = &h->blocks[i];
        if (!present(c, b->addr, b->size))
            return fail(err, errlen, c->name, "block 0x%" PRIx64 " (%" PRIu64 " bytes, site %" PRIu32 ") of %s is not "
                        "in the core's memory: the core is incomplete (see coredump_filter) or truncated, or %s is "
                        "from another run", b->addr, b->size, b->site, h->name, h->name);
    }
    return 0;
}

int lgt_core_scan(const struct lgt_core *c, struct lgt_heap *h, char *err, size_t errlen)
{
    if (check_match(c, h, err, errlen))
        return -1;
    struct scan s = {.c = c, .h = h, .lo = UINT64_MAX, .hi = 0};
    for (size_t i = 0; i < h->nblocks; i++) {
        if (h->blocks[i].addr < s.lo)
            s.lo = h->blocks[i].addr;
        if (h->blocks[i].addr + h->blocks[i].size + 1 > s.hi)
            s.hi = h->blocks[i].addr + h->blocks[i].size + 1;
    }
    /* Globals: the writable segments of every module but the tracer. */
    for (size_t i = 0; i < h->nmodules; i++) {
        const struct lgt_module *m = &h->modules[i];
        if (m->flags & (LG_MOD_TRACER | LG_MOD_VDSO | LG_MOD_UNLOADED))
            continue;
        uint64_t lo = m->lo & ~0xfffull, hi = (m->hi + 0xfff) & ~0xfffull;
        for (size_t k = 0; k < c->nsegs; k++) {
            const struct lgt_core_seg *g = &c->segs[k];
            if (!(g->flags & PF_W) || g->vaddr >= hi || g->vaddr + g->memsz <= lo)
                continue;
            uint64_t a = g->vaddr > lo ? g->vaddr : lo, b = g->vaddr + g->memsz < hi ? g->vaddr + g->memsz : hi;
            uint32_t id = add_root(&s, LG_ROOT_GLOBAL, a, b - a, m->id, a - m->base);
            scan_range(&s, 1, id, a, b, a);
        }
    }
    /* Threads: registers, the stack from the stack pointer (less the red zone) to the end
     * of its mapping, and the static TLS and thread control block around fs_base. */
    struct lg_snap_thread *th = lgt_xcalloc(c->nthreads ? c->nthreads : 1, sizeof *th);
    for (size_t t = 0; t < c->nthreads; t++) {
        const struct lgt_core_thread *ct = &c->threads[t];
        uint64_t sp = ct->regs[LGT_CORE_REG_RSP], fs = ct->regs[LGT_CORE_REG_FS_BASE];
        th[t] = (struct lg_snap_thread){.tid = ct->tid, .flags = LG_THR_STOPPED | (ct->tid == c->pid ? LG_THR_MAIN : 0),
                                        .sp = sp};
        uint32_t id = add_root(&s, LG_ROOT_REGISTERS, 0, LGT_CORE_NREGS * 8, ct->tid, 0);
        for (unsigned r = 0; r < LGT_CORE_NREGS; r++)
            if (ct->regs[r] >= s.lo && ct->regs[r] < s.hi)
                add_edge(&s, 1, id, r * 8ull, ct->regs[r]);
        const struct lgt_core_seg *g = lgt_core_seg_at(c, sp);
        if (g) {
            uint64_t a = sp - 128 > g->vaddr && sp >= 128 ? sp - 128 : g->vaddr, b = g->vaddr + g->memsz;
            th[t].stack_lo = g->vaddr;
            th[t].stack_hi = b;
            id = add_root(&s, LG_ROOT_STACK, a, b - a, ct->tid, 0);
            scan_range(&s, 1, id, a, b, a);
        }
        const struct lgt_core_seg *f = fs ? lgt_core_seg_at(c, fs) : NULL;
        if (f && f != g && (f->flags & PF_W)) {
            uint64_t a = fs - 16384 > f->vaddr && fs >= 16384 ? fs - 16384 : f->vaddr;
            uint64_t b = fs + 4096 < f->vaddr + f->memsz ? fs + 4096 : f->vaddr + f->memsz;
            th[t].tls_lo = a;
            th[t].tls_hi = b;
            id = add_root(&s, LG_ROOT_TLS, a, b - a, ct->tid, 0);
            scan_range(&s, 1, id, a, b, a);
        }
    }
    /* The blocks' own words: references between blocks. */
    for (size_t i = 0; i < h->nblocks; i++)
        scan_range(&s, 0, (uint32_t)i, h->blocks[i].addr, h->blocks[i].addr + h->blocks[i].size, h->blocks[i].addr);

    free(h->threads);
    free(h->roots);
    free(h->edges);
    free(h->root_edges);
    h->threads = th;
    h->nthreads = c->nthreads;
    h->roots = s.roots;
    h->nroots = s.nroots;
    h->edges = s.edges;
    h->nedges = s.nedges;
    h->root_edges = s.redges;
    h->nroot_edges = s.nredges;
    h->end.nblocks = h->nblocks;
    h->end.nedges = h->nedges;
    h->end.nroot_edges = h->nroot_edges;
    h->end.nsites = h->nsites;
    h->has_stats = 0; /* a snapshot's statistics describe the snapshot, not the core */
    h->proc.reason = LG_REASON_CRASH;
    for (size_t t = 0; t < c->nthreads; t++)
        if (c->threads[t].cursig > 0) {
            h->proc.signo = (uint32_t)c->threads[t].cursig;
            break;
        }
    return 0;
}
