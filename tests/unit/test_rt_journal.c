/* The journal writer (src/journal.c) on an anonymous buffer: the header, the live-block
 * table (whole records or none, tombstones reused, a full window counted as dropped), and
 * the sites appended as committed records. The reader side is tests/unit/test_tool_core.c. */
#include "blocks.h"
#include "journal.h"
#include "leakgraph/journal.h"
#include "sites.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (2u << 20)

static unsigned char *mem;

static void setup(void)
{
    lg_sites_init(0, 0, 30, false);
    mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(mem, MAP_FAILED);
    cr_assert(lg_journal_open_mem(mem, SIZE));
}

TestSuite(journal, .init = setup);

static const struct lg_jrnl_header *hdr(void) { return (const struct lg_jrnl_header *)mem; }

static const struct lg_snap_block *find(uint64_t addr)
{
    const struct lg_snap_block *s = (const struct lg_snap_block *)(mem + hdr()->table_off);
    for (uint64_t i = 0; i < hdr()->table_slots; i++)
        if (s[i].addr == addr)
            return &s[i];
    return NULL;
}

Test(journal, header)
{
    const struct lg_jrnl_header *h = hdr();
    cr_assert_eq(memcmp(h->magic, LG_JRNL_MAGIC, 8), 0);
    cr_assert_eq(h->major, LG_JRNL_MAJOR);
    cr_assert_eq(h->header_bytes, sizeof *h);
    cr_assert_eq(h->file_bytes, SIZE);
    cr_assert_eq(h->pid, (uint32_t)getpid());
    cr_assert_eq(h->state, LG_JRNL_RUNNING);
    cr_assert(h->table_slots && !(h->table_slots & (h->table_slots - 1)), "a power of two");
    cr_assert(h->table_off + h->table_slots * 32 <= h->sites_off);
    cr_assert(h->sites_off + h->sites_bytes <= SIZE);
    cr_assert(h->exe_len > 0, "the executable's path");
}

Test(journal, add_remove_reuse)
{
    struct lg_block b = {.addr = 0x7f0000001000, .size = 48, .seq = 7 | LG_SEQ_ANNOTATED, .site = 0, .tid = 42};
    lg_journal_add(&b);
    const struct lg_snap_block *s = find(b.addr);
    cr_assert_not_null(s);
    cr_assert_eq(s->size, 48);
    cr_assert_eq(s->seq, 7, "the annotation bit is not part of the record");
    cr_assert_eq(s->tid, 42);
    uint64_t live, dropped;
    lg_journal_counts(&live, &dropped);
    cr_assert_eq(live, 1);
    lg_journal_remove(b.addr);
    cr_assert_null(find(b.addr));
    cr_assert_not_null(find(LG_JRNL_TOMB), "a freed slot is a tombstone");
    lg_journal_add(&b); /* the same address again takes the tombstone back */
    cr_assert_not_null(find(b.addr));
    cr_assert_null(find(LG_JRNL_TOMB));
    lg_journal_remove(0x7f0000009990); /* unknown: nothing happens */
    lg_journal_counts(&live, &dropped);
    cr_assert_eq(live, 1);
    cr_assert_eq(dropped, 0);
}

Test(journal, full_window_is_counted)
{
    /* In one 16 MiB region, consecutive granules take consecutive slots, and addresses
     * 16 x slots apart share a home slot: 64 fill the window, 3 more find it full. */
    uint64_t step = hdr()->table_slots * 16;
    for (unsigned i = 0; i < LG_JRNL_WINDOW; i++)
        lg_journal_add(&(struct lg_block){.addr = 0x7f0000000000 + i * 16, .size = 16, .seq = i + 1});
    for (unsigned i = 1; i <= 3; i++)
        lg_journal_add(&(struct lg_block){.addr = 0x7f0000000000 + i * step, .size = 16, .seq = 100 + i});
    uint64_t live, dropped;
    lg_journal_counts(&live, &dropped);
    cr_assert_eq(live, LG_JRNL_WINDOW);
    cr_assert_eq(dropped, 3);
    cr_assert_eq(hdr()->dropped_blocks, 3);
    /* freeing one makes room again */
    lg_journal_remove(0x7f0000000000);
    struct lg_block b = {.addr = 0x7f0000000000 + 9 * step, .size = 16, .seq = 200};
    lg_journal_add(&b);
    cr_assert_not_null(find(b.addr));
}

Test(journal, sites_are_committed_records)
{
    uintptr_t pc[3] = {0x401000, 0x402000, 0x403000};
    uint32_t id = lg_sites_intern(pc, 3);
    cr_assert_neq(id, 0);
    struct lg_block b = {.addr = 0x7f0000002000, .size = 8, .seq = 1, .site = id};
    lg_journal_add(&b);
    const unsigned char *p = mem + hdr()->sites_off;
    int found = 0;
    for (;;) {
        struct lg_jrnl_rec r;
        memcpy(&r, p, sizeof r);
        if (r.commit != LG_JRNL_COMMIT)
            break;
        struct lg_snap_site s;
        memcpy(&s, p + sizeof r, sizeof s);
        cr_assert_eq(r.bytes, sizeof r + sizeof s + s.depth * 8);
        if (s.id == id) {
            uint64_t got[3];
            memcpy(got, p + sizeof r + sizeof s, sizeof got);
            cr_assert_eq(s.depth, 3);
            cr_assert_eq(got[2], 0x403000);
            found++;
        }
        p += r.bytes;
    }
    cr_assert_eq(found, 1, "each site once");
    lg_journal_add(&(struct lg_block){.addr = 0x7f0000003000, .size = 8, .seq = 2, .site = id});
    p = mem + hdr()->sites_off;
    int n = 0;
    for (struct lg_jrnl_rec r; memcpy(&r, p, sizeof r), r.commit == LG_JRNL_COMMIT; p += r.bytes)
        n++;
    cr_assert_eq(n, 1, "a known site is not written again");
}

Test(journal, close_marks_exit)
{
    lg_journal_close();
    cr_assert_eq(hdr()->state, LG_JRNL_EXITED);
}
