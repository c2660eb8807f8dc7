/* Writes the fuzzer's seed corpus: valid snapshots of the classic leak shapes, and of the
 * format 1.1 annotations and of a format 1.2 crash snapshot. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "leakgraph/journal.h"
#include "snapbuild.h"

static void save_raw(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* A small journal: one module, one site, three live blocks, a freed and a busy slot. */
static void save_journal(const char *dir)
{
    enum { SIZE = 16384 };
    static unsigned char j[SIZE];
    struct lg_jrnl_header *h = (struct lg_jrnl_header *)j;
    memcpy(h->magic, LG_JRNL_MAGIC, 8);
    h->major = LG_JRNL_MAJOR;
    h->header_bytes = sizeof *h;
    h->file_bytes = SIZE;
    h->pid = 77;
    h->modules_off = 4096;
    h->modules_bytes = 1024;
    h->sites_off = 5120;
    h->sites_bytes = 1024;
    h->table_off = 8192;
    h->table_slots = 64;
    h->exe_len = 4;
    memcpy(j + sizeof *h, "/bin", 4);
    h->state = LG_JRNL_RUNNING;
    struct lg_snap_module m = {.base = 0x400000, .lo = 0x400000, .hi = 0x401000, .id = 1, .flags = LG_MOD_MAIN,
                               .path_len = 4, .build_id_len = 4};
    memcpy(j + 4096 + 8, &m, sizeof m);
    memcpy(j + 4096 + 8 + sizeof m, "/binABCD", 8);
    *(struct lg_jrnl_rec *)(j + 4096) = (struct lg_jrnl_rec){LG_JRNL_COMMIT, (uint32_t)(8 + sizeof m + 8)};
    struct lg_snap_site st = {.id = 1, .depth = 2};
    uint64_t pcs[2] = {0x400100, 0x400200};
    memcpy(j + 5120 + 8, &st, sizeof st);
    memcpy(j + 5120 + 8 + sizeof st, pcs, sizeof pcs);
    *(struct lg_jrnl_rec *)(j + 5120) = (struct lg_jrnl_rec){LG_JRNL_COMMIT, (uint32_t)(8 + sizeof st + sizeof pcs)};
    struct lg_snap_block *sl = (struct lg_snap_block *)(j + 8192);
    for (int i = 0; i < 3; i++)
        sl[i * 5] = (struct lg_snap_block){.addr = 0x10000010 + 0x30 * (uint64_t)i, .size = 32, .seq = 1, .site = 1};
    sl[30].addr = LG_JRNL_TOMB;
    sl[31].addr = LG_JRNL_BUSY;
    save_raw(dir, "small.lgj", j, SIZE);
}

/* A small x86-64 core: one thread, one module mapping, one heap page. */
static void save_core(const char *dir)
{
    static unsigned char c[8192];
    Elf64_Ehdr eh = {.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT, .e_phoff = sizeof eh,
                     .e_ehsize = sizeof eh, .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    memcpy(c, &eh, sizeof eh);
    size_t off = sizeof eh + 2 * sizeof(Elf64_Phdr), n = off;
    uint32_t nh[3] = {5, 336, NT_PRSTATUS};
    memcpy(c + n, nh, 12);
    memcpy(c + n + 12, "CORE\0\0\0", 8);
    uint32_t pid = 77;
    uint64_t rsp = 0x10000800, rbx = 0x10000010;
    memcpy(c + n + 20 + 32, &pid, 4);
    memcpy(c + n + 20 + 112 + 5 * 8, &rbx, 8);
    memcpy(c + n + 20 + 112 + 19 * 8, &rsp, 8);
    n += 20 + 336;
    Elf64_Phdr pn = {.p_type = PT_NOTE, .p_offset = off, .p_filesz = n - off};
    Elf64_Phdr pl = {.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 4096, .p_vaddr = 0x10000000,
                     .p_filesz = 4096, .p_memsz = 4096};
    memcpy(c + sizeof eh, &pn, sizeof pn);
    memcpy(c + sizeof eh + sizeof pn, &pl, sizeof pl);
    uint64_t ptr = 0x10000040;
    memcpy(c + 4096 + 0x10, &ptr, 8);
    save_raw(dir, "small.core", c, sizeof c);
}

static void save(const char *dir, const char *name, const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.lgs", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.buf, 1, b.len, f) != b.len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(b.buf);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: gen_seeds DIR\n"), 2;
    struct gb g;
    save_journal(argv[1]);
    save_core(argv[1]);
    gb_init(&g);
    save(argv[1], "empty", &g);
    uint32_t d = gb_block(&g, 16, 1), a = gb_block(&g, 32, 2), b = gb_block(&g, 32, 2);
    uint32_t p = gb_block(&g, 8, 1), r = gb_block(&g, 0, 2);
    gb_edge(&g, d, a, 0, 0);
    gb_edge(&g, a, b, 8, 0);
    gb_edge(&g, b, a, 0, LG_HEUR_STDSTRING);
    gb_edge(&g, r, r, 0, 0);
    gb_root(&g, p, 4, 0);
    gb_root(&g, r, 0, 0);
    save(argv[1], "shapes", &g);
    g.with_stats = 1;
    g.chunk = 2;
    save(argv[1], "chunked", &g);
    gb_init(&g);
    for (uint32_t i = 0; i < 20; i++)
        gb_block(&g, 24, 1 + i % 2);
    for (uint32_t i = 0; i < 20; i++)
        gb_edge(&g, i, (i + 1) % 20, 0, 0);
    save(argv[1], "ring", &g);
    /* Format 1.1: tags, attributes (an ignored block), weak references, a registered root. */
    gb_init(&g);
    uint32_t conn = gb_tag(&g, "Connection"), buf = gb_tag(&g, "Buffer");
    for (uint32_t i = 0; i < 6; i++)
        gb_block(&g, 16 + 8 * i, 1 + i % 2);
    gb_root(&g, 0, 0, 0);
    gb_weak(&g, 0, 1);
    gb_edge(&g, 2, 3, 0, 0);
    gb_edge(&g, 3, 2, 8, 0);
    gb_weak(&g, 4, 4);
    gb_weak(&g, UINT32_MAX, 5);
    gb_user_root(&g, 5, 16);
    gb_attr(&g, 0, conn, 0);
    gb_attr(&g, 2, buf, LG_BATTR_IGNORED);
    gb_attr(&g, 4, conn, LG_BATTR_IGNORED);
    save(argv[1], "annotated", &g);
    g.chunk = 2;
    save(argv[1], "annotated-chunked", &g);
    /* Format 1.2: a crash snapshot (CRASH section after PROCESS). */
    g.chunk = 0;
    g.crash_signo = 11;
    save(argv[1], "crash", &g);
    return 0;
}
