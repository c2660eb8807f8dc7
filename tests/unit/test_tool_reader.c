/* The snapshot reader: round trip, and clean one-line errors for every kind of damage. */
#include <criterion/criterion.h>
#include <string.h>

#include "reader.h"
#include "snapbuild.h"

static void small_graph(struct gb *g)
{
    gb_init(g);
    uint32_t a = gb_block(g, 16, 1), b = gb_block(g, 32, 2), c = gb_block(g, 0, 1);
    gb_root(g, a, 0, 0);
    gb_edge(g, a, b, 0, 0);
    gb_edge(g, b, c, 0, 0);
    g->with_stats = 1;
}

static int load(const struct sb *b, struct lgt_heap *h, char *err, size_t n)
{
    return lgt_reader_load_mem("snap.lgs", b->buf, b->len, h, err, n);
}

Test(reader, round_trip)
{
    struct gb g;
    small_graph(&g);
    struct sb b = {0};
    gb_write(&g, &b);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.nblocks, 3);
    cr_assert_eq(h.nedges, 2);
    cr_assert_eq(h.nroot_edges, 1);
    cr_assert_eq(h.proc.pid, 4242);
    cr_assert_str_eq(h.exe, "/nonexistent/prog");
    cr_assert_eq(h.nmodules, 1);
    cr_assert_str_eq(h.modules[0].path, "/nonexistent/prog");
    cr_assert_eq(h.modules[0].build_id_len, 4);
    cr_assert_eq(h.nsites, 2);
    const struct lgt_site *s = lgt_reader_site(&h, 2);
    cr_assert_not_null(s);
    cr_assert_eq(s->depth, 2);
    cr_assert_eq(s->pc[0], GB_MAIN_BASE + 0x1020);
    cr_assert_not_null(lgt_reader_root(&h, GB_ROOT_ID));
    cr_assert_eq(h.has_stats, 1);
    cr_assert_eq(h.blocks[1].size, 32);
    cr_assert_eq(lgt_reader_block_at(&h, h.blocks[1].addr + 31), 1);
    cr_assert_eq(lgt_reader_block_at(&h, h.blocks[1].addr + 32), -1);
    cr_assert_eq(lgt_reader_block_at(&h, h.blocks[2].addr), 2, "a 0-byte block has its start");
    lgt_reader_free(&h);
    free(b.buf);
}

Test(reader, chunks_concatenate)
{
    struct gb g;
    gb_init(&g);
    for (int i = 0; i < 10; i++)
        gb_block(&g, 8, 1);
    for (uint32_t i = 0; i + 1 < 10; i++)
        gb_edge(&g, i, i + 1, 0, 0);
    gb_root(&g, 0, 0, 0);
    g.chunk = 3;
    struct sb b = {0};
    gb_write(&g, &b);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.nblocks, 10);
    cr_assert_eq(h.nedges, 9);
    cr_assert_eq(h.edges[8].to, 9);
    lgt_reader_free(&h);
    free(b.buf);
}

Test(reader, file_errors)
{
    struct lgt_heap h;
    char err[512];
    cr_assert_eq(lgt_reader_load_file("/nonexistent/x.lgs", &h, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/x.lgs: cannot read"), "%s", err);
    cr_assert_eq(lgt_reader_load_file("/tmp", &h, err, sizeof err), -1);
    cr_assert(strstr(err, "directory"), "%s", err);
    cr_assert_eq(lgt_reader_load_file("/dev/null", &h, err, sizeof err), -1);
    cr_assert(strstr(err, "empty"), "%s", err);
}

static void expect_error(const struct sb *b, const char *needle)
{
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(b, &h, err, sizeof err), -1, "accepted; expected '%s'", needle);
    cr_assert(strstr(err, needle), "got '%s', expected '%s'", err, needle);
    cr_assert(strncmp(err, "snap.lgs: ", 10) == 0, "no file name: %s", err);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
}

Test(reader, every_prefix_is_a_clean_error)
{
    struct gb g;
    small_graph(&g);
    struct sb b = {0};
    gb_write(&g, &b);
    for (size_t n = 0; n < b.len; n++) {
        struct sb p = {.buf = b.buf, .len = n};
        struct lgt_heap h;
        char err[512] = "";
        cr_assert_eq(load(&p, &h, err, sizeof err), -1, "prefix of %zu bytes accepted", n);
        cr_assert(strstr(err, "at byte "), "prefix %zu: %s", n, err);
        cr_assert(n == 0 || strstr(err, "truncated"), "prefix %zu: %s", n, err);
    }
    free(b.buf);
}

Test(reader, bit_flips_never_crash)
{
    struct gb g;
    small_graph(&g);
    struct sb b = {0};
    gb_write(&g, &b);
    size_t rejected = 0;
    for (size_t bit = 0; bit < b.len * 8; bit++) {
        b.buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        struct lgt_heap h;
        char err[512] = "";
        if (load(&b, &h, err, sizeof err) == 0)
            lgt_reader_free(&h);
        else {
            rejected++;
            cr_assert(strstr(err, "at byte "), "%s", err);
        }
        b.buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    /* Many flips (addresses, sizes, pcs) are legal data; structural ones must be caught. */
    cr_assert_gt(rejected, b.len);
    free(b.buf);
}

Test(reader, bad_magic_and_newer_major)
{
    struct sb b = {0};
    sb_bytes(&b, "#!/bin/sh\necho hello\n", 21);
    expect_error(&b, "not a leakgraph snapshot at byte 0: bad magic");
    b.len = 0;
    sb_header(&b, 2, 3);
    expect_error(&b, "snapshot format 2.3 is newer than this leakgraph (1.x)");
    free(b.buf);
}

Test(reader, missing_end_is_truncation)
{
    struct sb b = {0};
    sb_header(&b, 1, 0);
    expect_error(&b, "truncated at byte 24: no END section");
    free(b.buf);
}

Test(reader, section_overruns_file)
{
    struct sb b = {0};
    sb_header(&b, 1, 0);
    struct lg_snap_section s = {.tag = LG_SEC_BLOCKS, .count = 10, .bytes = 320};
    sb_bytes(&b, &s, sizeof s);
    sb_bytes(&b, "12345678", 8);
    expect_error(&b, "truncated at byte 40: BLOCKS section needs 320 bytes, 8 remain");
    free(b.buf);
}

Test(reader, huge_count_does_not_allocate)
{
    struct sb b = {0};
    sb_header(&b, 1, 0);
    uint64_t pad[2] = {0, 0};
    sb_section(&b, LG_SEC_SITES, 0xffffffffu, pad, sizeof pad);
    expect_error(&b, "SITES count 4294967295 cannot fit");
    b.len = 0;
    sb_header(&b, 1, 0);
    sb_section(&b, LG_SEC_BLOCKS, 0xffffffffu, pad, sizeof pad);
    expect_error(&b, "BLOCKS section has 4294967295 records");
    free(b.buf);
}

Test(reader, edge_index_out_of_range)
{
    struct gb g;
    small_graph(&g);
    g.edges[1].to = 3;
    struct sb b = {0};
    gb_write(&g, &b);
    expect_error(&b, "edge 1 (1 -> 3) names a block beyond the 3 blocks");
    free(b.buf);
}

Test(reader, unknown_root)
{
    struct gb g;
    small_graph(&g);
    g.root_edges[0].from = 99;
    struct sb b = {0};
    gb_write(&g, &b);
    expect_error(&b, "root edge 0 (root 99 -> block 0)");
    free(b.buf);
}

Test(reader, unsorted_and_overlapping_blocks)
{
    struct gb g;
    small_graph(&g);
    uint64_t a = g.blocks[0].addr;
    g.blocks[0].addr = g.blocks[1].addr;
    g.blocks[1].addr = a;
    struct sb b = {0};
    gb_write(&g, &b);
    expect_error(&b, "block 1 at 0x10000 is not above block 0");
    small_graph(&g);
    g.blocks[0].size = 100;
    b.len = 0;
    gb_write(&g, &b);
    expect_error(&b, "block 1 at 0x10020 overlaps block 0");
    free(b.buf);
}

Test(reader, end_counts_must_match)
{
    struct gb g;
    small_graph(&g);
    struct sb b = {0};
    gb_write(&g, &b);
    /* END's nblocks is the first word of its payload, 40 bytes before the end. */
    b.buf[b.len - 40] = 4;
    expect_error(&b, "END counts (4 blocks");
    free(b.buf);
}

Test(reader, site_depth_limit)
{
    struct sb b = {0};
    sb_header(&b, 1, 0);
    struct lg_snap_site s = {.id = 1, .depth = 257};
    struct sb rec = {0};
    sb_bytes(&rec, &s, sizeof s);
    for (int i = 0; i < 257; i++)
        sb_bytes(&rec, "\1\0\0\0\0\0\0\0", 8);
    sb_section(&b, LG_SEC_SITES, 1, rec.buf, rec.len);
    expect_error(&b, "site 1 has depth 257 (at most 256)");
    free(rec.buf);
    free(b.buf);
}

Test(reader, unknown_tag_skipped_only_for_newer_minor)
{
    struct gb g;
    small_graph(&g);
    struct sb body = {0};
    gb_write(&g, &body);
    for (int minor = 0; minor <= LG_SNAP_MINOR + 1; minor++) {
        struct sb b = {0};
        sb_header(&b, 1, (uint16_t)minor);
        sb_section(&b, 0x77, 1, "abcdefgh", 8);
        sb_bytes(&b, body.buf + 24, body.len - 24);
        struct lgt_heap h;
        char err[512] = "";
        int rc = load(&b, &h, err, sizeof err);
        if (minor <= LG_SNAP_MINOR) {
            cr_assert_eq(rc, -1);
            cr_assert(strstr(err, "unknown section tag 0x77"), "%s", err);
        } else {
            cr_assert_eq(rc, 0, "%s", err);
            cr_assert_eq(h.nblocks, 3);
            lgt_reader_free(&h);
        }
        free(b.buf);
    }
    free(body.buf);
}

Test(reader, trailing_garbage)
{
    struct gb g;
    small_graph(&g);
    struct sb b = {0};
    gb_write(&g, &b);
    sb_bytes(&b, "xxxxxxxx", 8);
    expect_error(&b, "8 bytes of trailing data after END");
    free(b.buf);
}

/* Format 1.2: the CRASH section is read back, and its checks reject bad records. */
static size_t crash_offset(const struct sb *b)
{
    size_t pos = sizeof(struct lg_snap_header);
    while (pos + 16 <= b->len) {
        struct lg_snap_section s;
        memcpy(&s, b->buf + pos, sizeof s);
        if (s.tag == LG_SEC_CRASH)
            return pos + 16;
        pos += 16 + s.bytes;
    }
    return 0;
}

Test(reader, crash_section)
{
    struct gb g;
    small_graph(&g);
    g.crash_signo = 11;
    struct sb b = {0};
    gb_write(&g, &b);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert(h.has_crash);
    cr_assert_eq(h.crash.signo, 11);
    cr_assert_eq(h.crash.tid, 4242);
    cr_assert_eq(h.proc.reason, LG_REASON_CRASH);
    lgt_reader_free(&h);
    size_t at = crash_offset(&b);
    cr_assert(at);
    struct lg_snap_crash *c = (struct lg_snap_crash *)(b.buf + at);
    c->signo = 0;
    expect_error(&b, "CRASH signal 0 is not a signal");
    c->signo = 11;
    c->flags = 0x80;
    expect_error(&b, "unknown CRASH flags 0x80");
    c->flags = 0;
    c->tid = 0;
    expect_error(&b, "CRASH thread id 0");
    c->tid = 4242;
    struct lg_snap_header hd;
    memcpy(&hd, b.buf, sizeof hd);
    hd.minor = 1;
    memcpy(b.buf, &hd, sizeof hd);
    expect_error(&b, "CRASH section in a 1.1 file");
    free(b.buf);
}
