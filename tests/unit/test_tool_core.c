/* ELF core parsing and the offline scan (tools/core.c) on synthetic cores, and the journal
 * reader (tools/journal.c) on synthetic journals: the right roots and references, and a
 * clear error for a core of another architecture, a truncated core, a journal of another
 * process, a block outside the core's memory and damaged journals. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "core.h"
#include "journal.h"
#include "leakgraph/journal.h"
#include "xalloc.h"

#define PID 1234
#define GLOBALS 0x400000ull
#define HEAP 0x10000000ull
#define STACK 0x7ff000000000ull
#define RSP (STACK + 0x800)

struct buf {
    unsigned char *p;
    size_t len;
};

static void put(struct buf *b, const void *d, size_t n)
{
    b->p = realloc(b->p, b->len + n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_note(struct buf *b, uint32_t type, const void *desc, uint32_t n)
{
    uint32_t h[3] = {5, n, type};
    put(b, h, sizeof h);
    put(b, "CORE\0\0\0", 8);
    put(b, desc, n);
    static const char zero[4];
    put(b, zero, (4 - n % 4) % 4);
}

static uint64_t mem_globals[512], mem_heap[512], mem_stack[512];

/* A core with a writable module segment, a heap segment, a stack and one thread. */
static struct buf make_core(uint16_t machine, uint32_t pid)
{
    struct buf notes = {0};
    unsigned char prs[336] = {0};
    memcpy(prs + 32, &pid, 4);
    uint64_t regs[27] = {0};
    regs[19] = RSP;
    regs[5] = HEAP + 0x10 + 8; /* rbx: interior of block 0 (already reachable) */
    memcpy(prs + 112, regs, sizeof regs);
    put_note(&notes, NT_PRSTATUS, prs, sizeof prs);
    unsigned char psi[136] = {0};
    memcpy(psi + 24, &pid, 4);
    memcpy(psi + 40, "victim", 6);
    put_note(&notes, NT_PRPSINFO, psi, sizeof psi);
    struct buf f = {0};
    uint64_t hd[5] = {1, 4096, GLOBALS, GLOBALS + 0x1000, 0};
    put(&f, hd, sizeof hd);
    put(&f, "/bin/victim", 12);
    while (f.len % 4)
        put(&f, "", 1);
    put_note(&notes, 0x46494c45, f.p, (uint32_t)f.len);
    free(f.p);

    struct { uint64_t vaddr; void *mem; } seg[3] = {{GLOBALS, mem_globals}, {HEAP, mem_heap}, {STACK, mem_stack}};
    Elf64_Ehdr eh = {.e_type = ET_CORE, .e_machine = machine, .e_version = EV_CURRENT, .e_phoff = sizeof eh,
                     .e_ehsize = sizeof eh, .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 4};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    struct buf b = {0};
    put(&b, &eh, sizeof eh);
    uint64_t off = sizeof eh + 4 * sizeof(Elf64_Phdr);
    Elf64_Phdr pn = {.p_type = PT_NOTE, .p_offset = off, .p_filesz = notes.len};
    put(&b, &pn, sizeof pn);
    off = (off + notes.len + 4095) & ~4095ull;
    for (int i = 0; i < 3; i++) {
        Elf64_Phdr pl = {.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = off + i * 4096ull,
                         .p_vaddr = seg[i].vaddr, .p_filesz = 4096, .p_memsz = 4096, .p_align = 4096};
        put(&b, &pl, sizeof pl);
    }
    put(&b, notes.p, notes.len);
    free(notes.p);
    static const unsigned char zero[4096];
    put(&b, zero, off - b.len);
    for (int i = 0; i < 3; i++)
        put(&b, seg[i].mem, 4096);
    return b;
}

/* Blocks: 0 at HEAP+0x10 (32 bytes) <- a global; 1 at +0x40 <- block 0;
 * 2 at +0x70 and 3 at +0xa0 point at each other (a lost cycle); 4 at +0xd0 <- the stack. */
static void fill_memory(void)
{
    memset(mem_globals, 0, sizeof mem_globals);
    memset(mem_heap, 0, sizeof mem_heap);
    memset(mem_stack, 0, sizeof mem_stack);
    mem_globals[32] = HEAP + 0x10;
    mem_heap[0x10 / 8] = HEAP + 0x40;
    mem_heap[0x70 / 8] = HEAP + 0xa0;
    mem_heap[0xa0 / 8] = HEAP + 0x70;
    mem_stack[0x900 / 8] = HEAP + 0xd0;
    mem_stack[0x100 / 8] = HEAP + 0x70; /* below the stack pointer: dead, not a root */
}

static void make_heap(struct lgt_heap *h, uint32_t pid)
{
    memset(h, 0, sizeof *h);
    h->name = lgt_xstrdup("test.lgj");
    h->exe = lgt_xstrdup("/bin/victim");
    h->cmdline = lgt_xstrdup("");
    h->has_process = 1;
    h->proc.pid = pid;
    h->nmodules = 1;
    h->modules = lgt_xcalloc(1, sizeof *h->modules);
    h->modules[0] = (struct lgt_module){.base = GLOBALS, .lo = GLOBALS, .hi = GLOBALS + 0x1000, .id = 1,
                                        .flags = LG_MOD_MAIN, .path = lgt_xstrdup("/bin/victim"),
                                        .build_id = lgt_xmalloc(1)};
    h->nblocks = 5;
    h->blocks = lgt_xcalloc(5, sizeof *h->blocks);
    for (int i = 0; i < 5; i++)
        h->blocks[i] = (struct lg_snap_block){.addr = HEAP + 0x10 + 0x30 * (uint64_t)i, .size = 32, .seq = (uint64_t)i + 1};
}

Test(core, parse_and_scan)
{
    fill_memory();
    struct buf b = make_core(EM_X86_64, PID);
    struct lgt_core c;
    char err[512] = "";
    cr_assert_eq(lgt_core_load_mem("core", b.p, b.len, &c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.pid, PID);
    cr_assert_str_eq(c.fname, "victim");
    cr_assert_eq(c.nthreads, 1);
    cr_assert_eq(c.threads[0].regs[LGT_CORE_REG_RSP], RSP);
    cr_assert_eq(c.nsegs, 3);
    cr_assert_eq(c.nfiles, 1);
    cr_assert_str_eq(c.files[0].path, "/bin/victim");
    cr_assert_not_null(lgt_core_mem(&c, HEAP + 8, 8));
    cr_assert_null(lgt_core_mem(&c, HEAP + 4090, 8), "runs past the segment");

    struct lgt_heap h;
    make_heap(&h, PID);
    cr_assert_eq(lgt_core_scan(&c, &h, err, sizeof err), 0, "%s", err);
    struct lgt_classes cl;
    lgt_classify_run(&h, &cl);
    cr_assert_eq(cl.kinds[0], LGT_KIND_STILL_REACHABLE);
    cr_assert_eq(cl.kinds[1], LGT_KIND_STILL_REACHABLE);
    cr_assert_eq(cl.kinds[2], LGT_KIND_DEFINITELY_LOST);
    cr_assert_eq(cl.kinds[3], LGT_KIND_INDIRECTLY_LOST);
    cr_assert_eq(cl.kinds[4], LGT_KIND_STILL_REACHABLE, "held by the live part of the stack");
    cr_assert_eq(cl.ncycles, 1);
    cr_assert_eq(h.nthreads, 1);
    cr_assert_eq(h.threads[0].flags & LG_THR_MAIN, LG_THR_MAIN);
    lgt_classify_free(&cl);
    lgt_reader_free(&h);
    lgt_core_close(&c);
    free(b.p);
}

Test(core, other_architecture)
{
    fill_memory();
    struct buf b = make_core(EM_AARCH64, PID);
    struct lgt_core c;
    char err[512] = "";
    cr_assert_eq(lgt_core_load_mem("core", b.p, b.len, &c, err, sizeof err), -1);
    cr_assert(strstr(err, "another architecture"), "%s", err);
    free(b.p);
}

Test(core, not_a_core)
{
    fill_memory();
    struct buf b = make_core(EM_X86_64, PID);
    ((Elf64_Ehdr *)b.p)->e_type = ET_EXEC;
    struct lgt_core c;
    char err[512] = "";
    cr_assert_eq(lgt_core_load_mem("core", b.p, b.len, &c, err, sizeof err), -1);
    cr_assert(strstr(err, "not a core dump"), "%s", err);
    cr_assert_eq(lgt_core_load_mem("core", "hello", 5, &c, err, sizeof err), -1);
    cr_assert(strstr(err, "not an ELF file"), "%s", err);
    free(b.p);
}

Test(core, truncated_everywhere)
{
    fill_memory();
    struct buf b = make_core(EM_X86_64, PID);
    /* every prefix fails cleanly (or parses, when only trailing memory is cut) */
    for (size_t n = 0; n < b.len; n += n < 2048 ? 1 : 509) {
        struct lgt_core c;
        char err[512] = "";
        if (lgt_core_load_mem("core", b.p, n, &c, err, sizeof err) == 0) {
            cr_assert_fail("a core cut at %zu of %zu bytes was accepted", n, b.len);
            lgt_core_close(&c);
        } else {
            cr_assert(err[0]);
        }
    }
    free(b.p);
}

Test(core, journal_of_another_process)
{
    fill_memory();
    struct buf b = make_core(EM_X86_64, PID);
    struct lgt_core c;
    char err[512] = "";
    cr_assert_eq(lgt_core_load_mem("core", b.p, b.len, &c, err, sizeof err), 0, "%s", err);
    struct lgt_heap h;
    make_heap(&h, PID + 1);
    cr_assert_eq(lgt_core_scan(&c, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "not describe the same process"), "%s", err);
    lgt_reader_free(&h);

    make_heap(&h, PID); /* same pid, but a block the core does not hold */
    h.blocks[4].addr = HEAP + 0x2000000;
    cr_assert_eq(lgt_core_scan(&c, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "is not in the core's memory"), "%s", err);
    lgt_reader_free(&h);

    make_heap(&h, PID); /* same pid, the executable elsewhere: another run */
    h.modules[0].lo = h.modules[0].base = 0x500000;
    h.modules[0].hi = 0x501000;
    cr_assert_eq(lgt_core_scan(&c, &h, err, sizeof err), -1);
    cr_assert(strstr(err, "mapped elsewhere"), "%s", err);
    lgt_reader_free(&h);
    lgt_core_close(&c);
    free(b.p);
}

/* ---- journals ---- */

#define JSIZE (1u << 20)

static unsigned char *make_journal(void)
{
    unsigned char *j = calloc(1, JSIZE);
    struct lg_jrnl_header *h = (struct lg_jrnl_header *)j;
    memcpy(h->magic, LG_JRNL_MAGIC, 8);
    h->major = LG_JRNL_MAJOR;
    h->header_bytes = sizeof *h;
    h->file_bytes = JSIZE;
    h->pid = PID;
    h->modules_off = 4096;
    h->modules_bytes = 4096;
    h->sites_off = 8192;
    h->sites_bytes = 8192;
    h->table_off = 16384;
    h->table_slots = 1024;
    h->exe_len = 11;
    memcpy(j + sizeof *h, "/bin/victim", 11);
    h->state = LG_JRNL_RUNNING;
    /* one module, one site */
    unsigned char *m = j + 4096;
    struct lg_snap_module mod = {.base = GLOBALS, .lo = GLOBALS, .hi = GLOBALS + 0x1000, .id = 1,
                                 .flags = LG_MOD_MAIN, .path_len = 11};
    memcpy(m + 8, &mod, sizeof mod);
    memcpy(m + 8 + sizeof mod, "/bin/victim", 11);
    *(struct lg_jrnl_rec *)m = (struct lg_jrnl_rec){LG_JRNL_COMMIT, (uint32_t)((8 + sizeof mod + 11 + 7) & ~7u)};
    unsigned char *s = j + 8192;
    struct lg_snap_site site = {.id = 1, .depth = 2};
    uint64_t pcs[2] = {GLOBALS + 0x100, GLOBALS + 0x200};
    memcpy(s + 8, &site, sizeof site);
    memcpy(s + 8 + sizeof site, pcs, sizeof pcs);
    *(struct lg_jrnl_rec *)s = (struct lg_jrnl_rec){LG_JRNL_COMMIT, 8 + sizeof site + sizeof pcs};
    struct lg_snap_block *slots = (struct lg_snap_block *)(j + 16384);
    for (int i = 0; i < 5; i++)
        slots[i * 7] = (struct lg_snap_block){.addr = HEAP + 0x10 + 0x30 * (uint64_t)i, .size = 32,
                                              .seq = (uint64_t)i + 1, .site = 1};
    slots[100].addr = LG_JRNL_TOMB;
    slots[101].addr = LG_JRNL_BUSY; /* being written at death: left out */
    return j;
}

Test(journal_reader, load_and_match_core)
{
    unsigned char *j = make_journal();
    struct lgt_heap h;
    struct lgt_journal_info info;
    char err[512] = "";
    cr_assert_eq(lgt_journal_load_mem("j.lgj", j, JSIZE, &h, &info, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.nblocks, 5);
    cr_assert_eq(h.nsites, 1);
    cr_assert_eq(h.nmodules, 1);
    cr_assert_eq(h.proc.pid, PID);
    cr_assert_str_eq(h.exe, "/bin/victim");
    cr_assert_eq(info.busy_slots, 1);
    cr_assert_eq(info.torn_records, 0);
    for (size_t i = 1; i < h.nblocks; i++)
        cr_assert_lt(h.blocks[i - 1].addr, h.blocks[i].addr);

    fill_memory();
    struct buf b = make_core(EM_X86_64, PID);
    struct lgt_core c;
    cr_assert_eq(lgt_core_load_mem("core", b.p, b.len, &c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(lgt_core_scan(&c, &h, err, sizeof err), 0, "%s", err);
    struct lgt_classes cl;
    lgt_classify_run(&h, &cl);
    cr_assert_eq(cl.total[LGT_KIND_DEFINITELY_LOST].blocks, 1);
    cr_assert_eq(cl.total[LGT_KIND_INDIRECTLY_LOST].blocks, 1);
    cr_assert_eq(cl.total[LGT_KIND_STILL_REACHABLE].blocks, 3);
    lgt_classify_free(&cl);
    lgt_core_close(&c);
    free(b.p);
    lgt_reader_free(&h);
    free(j);
}

Test(journal_reader, torn_site_record_is_left_out)
{
    unsigned char *j = make_journal();
    /* a second site whose commit word was never written: the process died mid-record */
    unsigned char *s = j + 8192 + 8 + 8 + 16;
    struct lg_snap_site site = {.id = 2, .depth = 1};
    memcpy(s + 8, &site, sizeof site);
    ((struct lg_jrnl_rec *)s)->bytes = 32;
    struct lgt_heap h;
    struct lgt_journal_info info;
    char err[512] = "";
    cr_assert_eq(lgt_journal_load_mem("j.lgj", j, JSIZE, &h, &info, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.nsites, 1);
    cr_assert_eq(info.torn_records, 1);
    lgt_reader_free(&h);
    free(j);
}

static void expect_error(unsigned char *j, size_t len, const char *what)
{
    struct lgt_heap h;
    struct lgt_journal_info info;
    char err[512] = "";
    cr_assert_eq(lgt_journal_load_mem("j.lgj", j, len, &h, &info, err, sizeof err), -1, "accepted: %s", what);
    cr_assert(strstr(err, "j.lgj: not a valid leakgraph journal"), "%s", err);
    free(j);
}

Test(journal_reader, damage)
{
    expect_error(make_journal(), JSIZE / 2, "truncated");
    unsigned char *j = make_journal();
    j[0] = 'X';
    expect_error(j, JSIZE, "magic");
    j = make_journal();
    ((struct lg_jrnl_header *)j)->major = 9;
    expect_error(j, JSIZE, "major");
    j = make_journal();
    ((struct lg_jrnl_header *)j)->table_slots = 1ull << 40;
    expect_error(j, JSIZE, "table");
    j = make_journal();
    ((struct lg_snap_block *)(j + 16384))[500] = (struct lg_snap_block){.addr = HEAP + 0x18, .size = 8};
    expect_error(j, JSIZE, "overlap");
    j = make_journal();
    ((struct lg_jrnl_rec *)(j + 8192))->bytes = 9000;
    expect_error(j, JSIZE, "record too long");
    j = make_journal();
    ((struct lg_snap_site *)(j + 8192 + 8))->depth = 200;
    expect_error(j, JSIZE, "deep site");
    j = make_journal();
    ((struct lg_snap_block *)(j + 16384))[3].addr = 77;
    expect_error(j, JSIZE, "bad address");
}
