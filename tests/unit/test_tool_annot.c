/* Format 1.1 annotations, offline: the reader's checks of TAGS, BLOCK_ATTRS and edge flags;
 * ignored blocks (leakgraph_ignore), weak references (leakgraph_weak) and registered roots
 * (leakgraph_register_root) in the mark, the cycles, the reports and the chains; and --by
 * tag, function and file. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "classify.h"
#include "cmd.h"
#include "growth.h"
#include "offline.h"
#include "reader.h"
#include "report.h"
#include "rootname.h"
#include "snapbuild.h"

#define R LGT_KIND_STILL_REACHABLE
#define P LGT_KIND_POSSIBLY_LOST
#define D LGT_KIND_DEFINITELY_LOST
#define I LGT_KIND_INDIRECTLY_LOST
#define IGN LGT_KIND_IGNORED

/* ---- helpers ---- */

/* root -> a [Connection] -weak-> b; c [Buffer, ignored] -> d; registered root +16 -> e
 * [Connection]. Five blocks, two tags, three attribute records. */
static void annotated(struct gb *g)
{
    gb_init(g);
    uint32_t conn = gb_tag(g, "Connection"), buf = gb_tag(g, "Buffer");
    uint32_t a = gb_block(g, 16, 1), b = gb_block(g, 32, 2), c = gb_block(g, 24, 1);
    uint32_t d = gb_block(g, 8, 2), e = gb_block(g, 40, 1);
    gb_root(g, a, 0, 0);
    gb_weak(g, a, b);
    gb_edge(g, c, d, 0, 0);
    gb_user_root(g, e, 16);
    gb_attr(g, a, conn, 0);
    gb_attr(g, c, buf, LG_BATTR_IGNORED);
    gb_attr(g, e, conn, 0);
}

static struct sb written(const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    return b;
}

static int load(const struct sb *b, struct lgt_heap *h, char *err, size_t n)
{
    return lgt_reader_load_mem("snap.lgs", b->buf, b->len, h, err, n);
}

/* The file offset of the first section with tag (its frame), or fails the test. */
static size_t section_at(const struct sb *b, uint32_t tag)
{
    size_t pos = sizeof(struct lg_snap_header);
    while (pos + sizeof(struct lg_snap_section) <= b->len) {
        struct lg_snap_section s;
        memcpy(&s, b->buf + pos, sizeof s);
        if (s.tag == tag)
            return pos;
        pos += sizeof s + s.bytes;
    }
    cr_assert_fail("no section 0x%x", tag);
    return 0;
}

static size_t payload(const struct sb *b, uint32_t tag)
{
    return section_at(b, tag) + sizeof(struct lg_snap_section);
}

/* Inserts a section (frame + bytes) before the first section with tag `before`. */
static void insert_section(struct sb *b, uint32_t before, uint32_t tag, uint32_t count,
                           const void *p, uint64_t bytes)
{
    size_t at = section_at(b, before);
    struct sb out = {0};
    sb_bytes(&out, b->buf, at);
    sb_section(&out, tag, count, p, bytes);
    sb_bytes(&out, b->buf + at, b->len - at);
    free(b->buf);
    *b = out;
}

/* Moves the first section with tag before the first one with tag `before`. */
static void move_section(struct sb *b, uint32_t tag, uint32_t before)
{
    size_t at = section_at(b, tag);
    struct lg_snap_section s;
    memcpy(&s, b->buf + at, sizeof s);
    unsigned char *body = malloc(s.bytes + 1);
    memcpy(body, b->buf + at + sizeof s, s.bytes);
    memmove(b->buf + at, b->buf + at + sizeof s + s.bytes, b->len - at - sizeof s - s.bytes);
    b->len -= sizeof s + s.bytes;
    insert_section(b, before, s.tag, s.count, body, s.bytes);
    free(body);
}

static void put32(struct sb *b, size_t off, uint32_t v)
{
    memcpy(b->buf + off, &v, sizeof v);
}

/* Rejected with a one-line message holding needle (and "at byte N" when at != SIZE_MAX). */
static void expect_error(const struct sb *b, const char *needle, size_t at)
{
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(b, &h, err, sizeof err), -1, "accepted; expected '%s'", needle);
    cr_assert(strstr(err, needle), "got '%s', expected '%s'", err, needle);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    if (at != SIZE_MAX) {
        char where[64];
        snprintf(where, sizeof where, "at byte %zu:", at);
        cr_assert(strstr(err, where), "got '%s', expected '%s'", err, where);
    }
}

static struct lgt_heap heap;
static struct lgt_classes cls;

static void classify(const struct gb *g)
{
    struct sb b = written(g);
    char err[512] = "";
    cr_assert_eq(load(&b, &heap, err, sizeof err), 0, "%s", err);
    free(b.buf);
    lgt_classify_run(&heap, &cls);
}

static void done(void)
{
    lgt_classify_free(&cls);
    lgt_reader_free(&heap);
}

static void expect_kinds(const uint8_t *want, size_t n)
{
    cr_assert_eq(cls.nblocks, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(cls.kinds[i], want[i], "block %zu: kind %d, want %d", i, cls.kinds[i], want[i]);
}

/* The text (or JSON) report of the classified heap, grouped by `by`. */
static char *report_of(enum lgt_group_by by, int json, struct lgt_report *keep)
{
    struct lgt_symbolizer *sym = lgt_symbolize_open(&heap);
    struct lgt_report r = {.show = LGT_SHOW_ALL, .by = by};
    lgt_report_build(&r, &heap, &cls, sym);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (json)
        lgt_report_json(m, &r);
    else
        lgt_report_text(m, &r);
    fclose(m);
    if (keep) {
        *keep = r; /* the caller frees it, and the symbolizer with heap below */
        keep->sym = sym;
    } else {
        lgt_report_free(&r);
        lgt_symbolize_close(sym);
    }
    return buf;
}

static void write_file(const struct gb *g, char *path, size_t n)
{
    struct sb b = written(g);
    sb_to_file(&b, path, n);
    free(b.buf);
}

/* ---- reader: accepts ---- */

Test(annot_reader, reads_tags_attrs_flags_and_user_roots)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.minor, LG_SNAP_MINOR);
    cr_assert_eq(h.ntags, 2);
    cr_assert_str_eq(lgt_reader_tag_name(&h, 1), "Connection");
    cr_assert_str_eq(lgt_reader_tag_name(&h, 2), "Buffer");
    cr_assert_null(lgt_reader_tag_name(&h, 0));
    cr_assert_null(lgt_reader_tag_name(&h, 3));
    cr_assert_eq(h.nattrs, 3);
    uint32_t tags[5] = {1, 0, 2, 0, 1}, flags[5] = {0, 0, LG_BATTR_IGNORED, 0, 0};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(lgt_reader_block_tag(&h, i), tags[i], "block %zu", i);
        cr_assert_eq(lgt_reader_block_flags(&h, i), flags[i], "block %zu", i);
    }
    cr_assert_eq(h.edges[0].flags, LG_EDGE_WEAK);
    cr_assert_eq(h.edges[1].flags, 0);
    const struct lg_snap_root *u = lgt_reader_root(&h, GB_USER_ROOT_ID);
    cr_assert_not_null(u);
    cr_assert_eq(u->kind, LG_ROOT_USER);
    lgt_reader_free(&h);
    free(b.buf);
}

Test(annot_reader, format_1_0_file_unchanged)
{
    struct gb g;
    gb_init(&g);
    g.v10 = 1;
    uint32_t a = gb_block(&g, 16, 1);
    gb_root(&g, a, 0, 0);
    gb_block(&g, 8, 2);
    struct sb b = written(&g);
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.minor, 0);
    cr_assert_eq(h.ntags, 0);
    cr_assert_null(h.block_flags);
    cr_assert_eq(lgt_reader_block_tag(&h, 0), 0);
    lgt_reader_free(&h);
    free(b.buf);
}

/* A newer minor version may define more flag bits: they are dropped, not rejected. */
Test(annot_reader, newer_minor_drops_unknown_flag_bits)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    uint16_t minor = LG_SNAP_MINOR + 1;
    memcpy(b.buf + 10, &minor, sizeof minor);
    b.buf[payload(&b, LG_SEC_EDGES) + 21] = 0x81;        /* edge 0's flags */
    put32(&b, payload(&b, LG_SEC_BLOCK_ATTRS) + 8, 0x80); /* attr 0's flags */
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(h.edges[0].flags, LG_EDGE_WEAK);
    cr_assert_eq(lgt_reader_block_flags(&h, 0), 0);
    lgt_reader_free(&h);
    free(b.buf);
}

/* ---- reader: rejects ---- */

Test(annot_reader, bad_tag_ids)
{
    struct gb g;
    annotated(&g);
    size_t second = 8 + 16; /* "Connection": 8 + 10 bytes, padded to 24 */
    for (int i = 0; i < 3; i++) {
        struct sb b = written(&g);
        size_t t = payload(&b, LG_SEC_TAGS);
        static const uint32_t bad[] = {0, 3, 1};
        put32(&b, t + (i == 2 ? second : 0), bad[i]);
        static const char *const why[] = {"tag id 0 is not in 1..2", "tag id 3 is not in 1..2",
                                          "tag id 1 appears twice"};
        expect_error(&b, why[i], t + (i == 2 ? second : 0));
        free(b.buf);
    }
}

Test(annot_reader, bad_tag_names)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    size_t t = payload(&b, LG_SEC_TAGS);
    put32(&b, t + 4, 0);
    expect_error(&b, "tag 1 has a 0-byte name (1 to 1024)", t);
    put32(&b, t + 4, 500);
    expect_error(&b, "tag 1 name (500 bytes) overruns the TAGS section", t);
    put32(&b, t + 4, 10);
    b.buf[t + 8 + 3] = '\0';
    expect_error(&b, "tag 1 name holds a NUL byte", t + 11);
    b.buf[t + 8 + 3] = '\n'; /* the program's odd name: shown, but never as a line break */
    struct lgt_heap h;
    char err[512] = "";
    cr_assert_eq(load(&b, &h, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(lgt_reader_tag_name(&h, 1), "Con?ection");
    lgt_reader_free(&h);
    b.buf[t + 8 + 3] = 'n';
    b.buf[t + 8 + 10] = 'x';
    expect_error(&b, "tag 1 padding is not zero", t + 18);
    free(b.buf);
}

Test(annot_reader, truncated_inside_a_tag_name)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    size_t t = payload(&b, LG_SEC_TAGS);
    b.len = t + 12; /* in the middle of "Connection" */
    expect_error(&b, "truncated", SIZE_MAX);
    expect_error(&b, "TAGS section needs", SIZE_MAX);
    free(b.buf);
}

Test(annot_reader, bad_attrs)
{
    struct gb g;
    annotated(&g);
    struct {
        size_t rec, field;
        uint32_t value;
        const char *why;
    } cases[] = {
        {0, 0, 5, "attributes of block 5, beyond the 5 blocks"},
        {1, 0, 0, "attributes of block 0 after those of block 0 (block indices must ascend)"},
        {2, 0, 1, "attributes of block 1 after those of block 2 (block indices must ascend)"},
        {0, 4, 3, "block 0 has tag id 3 (2 tags)"},
        {0, 8, 2, "block 0 has unknown attribute flags 0x2"},
        {1, 12, 1, "block 2 attribute padding is not zero"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sb b = written(&g);
        size_t rec = payload(&b, LG_SEC_BLOCK_ATTRS) + cases[i].rec * 16;
        put32(&b, rec + cases[i].field, cases[i].value);
        expect_error(&b, cases[i].why, rec + (cases[i].field == 12 ? 12 : 0));
        free(b.buf);
    }
    struct sb b = written(&g);
    size_t s = section_at(&b, LG_SEC_BLOCK_ATTRS);
    put32(&b, s + 4, 4);
    expect_error(&b, "BLOCK_ATTRS section has 4 records of 16 bytes but 48 bytes", s);
    free(b.buf);
}

Test(annot_reader, bad_edge_flags)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    size_t e = payload(&b, LG_SEC_EDGES);
    b.buf[e + 21] = 3;
    expect_error(&b, "edge has unknown flags 0x3", e);
    free(b.buf);
    gb_init(&g);
    g.v10 = 1;
    uint32_t x = gb_block(&g, 8, 1), y = gb_block(&g, 8, 1);
    gb_edge(&g, x, y, 0, 0);
    gb_weak(&g, y, x);
    b = written(&g);
    e = payload(&b, LG_SEC_EDGES) + sizeof(struct lg_snap_edge);
    expect_error(&b, "edge flags 0x1 in a format 1.0 file (must be 0)", e);
    free(b.buf);
}

Test(annot_reader, section_order_rules)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g); /* BLOCK_ATTRS before BLOCKS: its blocks do not exist yet */
    move_section(&b, LG_SEC_BLOCK_ATTRS, LG_SEC_BLOCKS);
    expect_error(&b, "attributes of block 0, beyond the 0 blocks", SIZE_MAX);
    free(b.buf);
    b = written(&g);
    insert_section(&b, LG_SEC_EDGES, LG_SEC_BLOCKS, 0, "", 0);
    expect_error(&b, "BLOCKS section after BLOCK_ATTRS", section_at(&b, LG_SEC_EDGES) - 16);
    free(b.buf);
    b = written(&g);
    insert_section(&b, LG_SEC_EDGES, LG_SEC_TAGS, 0, "", 0);
    expect_error(&b, "second TAGS section", SIZE_MAX);
    free(b.buf);
    gb_init(&g); /* no tags: a TAGS section after the attributes is out of order */
    gb_attr(&g, gb_block(&g, 8, 1), 0, LG_BATTR_IGNORED);
    b = written(&g);
    insert_section(&b, LG_SEC_EDGES, LG_SEC_TAGS, 0, "", 0);
    expect_error(&b, "TAGS section after BLOCK_ATTRS", SIZE_MAX);
    free(b.buf);
    g.v10 = 1;
    b = written(&g);
    expect_error(&b, "BLOCK_ATTRS section in a format 1.0 file", SIZE_MAX);
    free(b.buf);
}

Test(annot_reader, every_prefix_and_bit_flip_is_clean)
{
    struct gb g;
    annotated(&g);
    struct sb b = written(&g);
    struct lgt_heap h;
    char err[512];
    for (size_t n = 0; n < b.len; n++) {
        struct sb p = {.buf = b.buf, .len = n};
        cr_assert_eq(load(&p, &h, err, sizeof err), -1, "prefix of %zu bytes accepted", n);
    }
    for (size_t i = sizeof(struct lg_snap_header); i < b.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b.buf[i] ^= (unsigned char)(1 << bit);
            if (load(&b, &h, err, sizeof err) == 0) {
                struct lgt_classes c;
                lgt_classify_run(&h, &c);
                lgt_classify_free(&c);
                lgt_reader_free(&h);
            }
            b.buf[i] ^= (unsigned char)(1 << bit);
        }
    free(b.buf);
}

/* ---- ignored blocks ---- */

TestSuite(annot_mark, .fini = done);

/* i [ignored] -> a -> b, all unreached; l unreached: only l is a leak. */
Test(annot_mark, ignored_block_and_its_subtree_are_not_leaks)
{
    struct gb g;
    gb_init(&g);
    uint32_t i = gb_block(&g, 16, 1), a = gb_block(&g, 16, 2), b = gb_block(&g, 16, 2);
    uint32_t l = gb_block(&g, 100, 1);
    gb_edge(&g, i, a, 0, 0);
    gb_edge(&g, a, b, 8, 0); /* an interior pointer carries the ignore too */
    gb_edge(&g, l, a, 0, 0); /* a lost block pointing in does not take it back */
    gb_attr(&g, i, 0, LG_BATTR_IGNORED);
    classify(&g);
    expect_kinds((uint8_t[]){IGN, IGN, IGN, D}, 4);
    cr_assert_eq(cls.total[IGN].bytes, 48);
    cr_assert_eq(cls.total[IGN].blocks, 3);
    cr_assert_eq(cls.indirect_bytes[l], 0);
    struct lgt_report r;
    char *text = report_of(LGT_BY_SITE, 0, &r);
    cr_assert_eq(r.nlosses, 1, "ignored blocks made loss records");
    cr_assert_eq(r.losses[0].kind, D);
    cr_assert(strstr(text, "            ignored: 48 bytes in 3 blocks\n"), "%s", text);
    cr_assert(lgt_report_has_errors(&r, LGT_SHOW_ALL));
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
    char *json = report_of(LGT_BY_SITE, 1, NULL);
    cr_assert(strstr(json, "\"ignored\": {\"bytes\": 48, \"blocks\": 3}"), "%s", json);
    free(json);
}

Test(annot_mark, only_ignored_garbage_is_no_error)
{
    struct gb g;
    gb_init(&g);
    uint32_t i = gb_block(&g, 16, 1), a = gb_block(&g, 16, 2);
    gb_edge(&g, i, a, 0, 0);
    gb_edge(&g, a, i, 0, 0); /* an ignored ring is no cycle either */
    gb_attr(&g, i, 0, LG_BATTR_IGNORED);
    classify(&g);
    expect_kinds((uint8_t[]){IGN, IGN}, 2);
    cr_assert_eq(cls.ncycles, 0);
    cr_assert_eq(cls.cyclic_total.blocks, 0);
    struct lgt_report r;
    char *text = report_of(LGT_BY_SITE, 0, &r);
    cr_assert_eq(r.nlosses, 0);
    cr_assert_not(lgt_report_has_errors(&r, LGT_SHOW_ALL));
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
}

/* Reached from a root: the flag changes nothing; only a root's interior pointer: ignored. */
Test(annot_mark, reachable_ignored_block_stays_reachable)
{
    struct gb g;
    gb_init(&g);
    uint32_t i = gb_block(&g, 16, 1), a = gb_block(&g, 16, 2);
    uint32_t j = gb_block(&g, 16, 1), b = gb_block(&g, 16, 2);
    gb_root(&g, i, 0, 0);
    gb_edge(&g, i, a, 0, 0);
    gb_root(&g, j, 8, 0);
    gb_edge(&g, j, b, 0, 0);
    gb_attr(&g, i, 0, LG_BATTR_IGNORED);
    gb_attr(&g, j, 0, LG_BATTR_IGNORED);
    classify(&g);
    expect_kinds((uint8_t[]){R, R, IGN, IGN}, 4);
    char *text = report_of(LGT_BY_SITE, 0, NULL);
    cr_assert(strstr(text, "ignored: 32 bytes in 2 blocks"), "%s", text);
    cr_assert_null(strstr(text, "possibly lost in loss record"), "%s", text);
    free(text);
}

Test(annot_mark, no_ignore_flag_no_summary_line)
{
    struct gb g;
    gb_init(&g);
    gb_block(&g, 16, 1);
    classify(&g);
    char *text = report_of(LGT_BY_SITE, 0, NULL);
    cr_assert_null(strstr(text, "ignored:"), "%s", text);
    free(text);
}

/* ---- weak references ---- */

Test(annot_mark, weak_reference_keeps_nothing_alive)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 2), c = gb_block(&g, 16, 2);
    gb_root(&g, a, 0, 0);
    gb_weak(&g, a, b);
    gb_weak(&g, UINT32_MAX, c); /* a weak global */
    classify(&g);
    expect_kinds((uint8_t[]){R, D, D}, 3);
}

/* a -> b -> c -weak-> a, all lost: a chain, not a cycle; a weak self-loop neither. */
Test(annot_mark, ring_closed_by_a_weak_reference_is_no_cycle)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 2), c = gb_block(&g, 16, 2);
    uint32_t s = gb_block(&g, 16, 1);
    gb_edge(&g, a, b, 0, 0);
    gb_edge(&g, b, c, 0, 0);
    gb_weak(&g, c, a);
    gb_weak(&g, s, s);
    classify(&g);
    expect_kinds((uint8_t[]){D, I, I, D}, 4);
    cr_assert_eq(cls.ncycles, 0);
    cr_assert_eq(cls.cyclic_total.blocks, 0);
    cr_assert_eq(cls.indirect_bytes[a], 32);
}

Test(annot_mark, weak_reference_is_no_chain_hop)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 1), c = gb_block(&g, 16, 1);
    uint32_t t = gb_block(&g, 16, 2), u = gb_block(&g, 16, 2);
    gb_root(&g, a, 0, 0);
    gb_weak(&g, a, t); /* shorter, but weak */
    gb_root(&g, b, 0, 0);
    gb_edge(&g, b, c, 0, 0);
    gb_edge(&g, c, t, 0, 0);
    gb_weak(&g, UINT32_MAX, u);
    classify(&g);
    struct lgt_chain ch;
    lgt_chain_bfs(&heap, &cls.graph, &ch);
    const struct lg_snap_edge **p;
    cr_assert_eq(lgt_chain_path(&heap, &ch, t, &p), 3);
    cr_assert_eq(p[1]->from, b);
    free(p);
    cr_assert_eq(lgt_chain_path(&heap, &ch, u, &p), 0);
    lgt_chain_free(&ch);
}

/* ---- registered roots ---- */

Test(annot_mark, user_root_keeps_blocks_and_is_named)
{
    struct gb g;
    gb_init(&g);
    uint32_t a = gb_block(&g, 16, 1), b = gb_block(&g, 16, 2);
    gb_user_root(&g, a, 16);
    gb_edge(&g, a, b, 0, 0);
    classify(&g);
    expect_kinds((uint8_t[]){R, R}, 2);
    struct lgt_chain ch;
    lgt_chain_bfs(&heap, &cls.graph, &ch);
    const struct lg_snap_edge **p;
    cr_assert_eq(lgt_chain_path(&heap, &ch, b, &p), 2);
    struct lgt_rootnamer *rn = lgt_rootname_open(&heap);
    struct lgt_rootname name;
    lgt_rootname_get(rn, p[0], &name);
    cr_assert_str_eq(name.kind, "user");
    cr_assert_str_eq(name.text, "registered root 0x700000+16 (leakgraph_register_root)");
    lgt_rootname_clear(&name);
    lgt_rootname_close(rn);
    free(p);
    lgt_chain_free(&ch);
}

/* ---- --by ---- */

/* Lost: 3 x 16 at site 1 and 1 x 32 at site 2 tagged Connection, 2 x 8 at site 2 untagged;
 * reachable: 1 x 64 at site 1 tagged Buffer. */
static void tagged_sample(struct gb *g, const char *first_tag)
{
    gb_init(g);
    uint32_t conn = gb_tag(g, first_tag), buf = first_tag[0] == 'C' ? gb_tag(g, "Buffer") : 0;
    if (!buf) { /* the other snapshot: other ids, same names */
        buf = conn;
        conn = gb_tag(g, "Connection");
    }
    for (int i = 0; i < 3; i++)
        gb_attr(g, gb_block(g, 16, 1), conn, 0);
    gb_attr(g, gb_block(g, 32, 2), conn, 0);
    gb_block(g, 8, 2);
    gb_block(g, 8, 2);
    uint32_t r = gb_block(g, 64, 1);
    gb_attr(g, r, buf, 0);
    gb_root(g, r, 0, 0);
}

static const struct lgt_loss *find_loss(const struct lgt_report *r, unsigned kind,
                                        const char *label)
{
    for (size_t i = 0; i < r->nlosses; i++)
        if (r->losses[i].kind == kind && r->losses[i].label &&
            strcmp(r->losses[i].label, label) == 0)
            return &r->losses[i];
    cr_assert_fail("no %u record for %s", kind, label);
    return NULL;
}

Test(annot_mark, by_tag_groups_loss_records)
{
    struct gb g;
    tagged_sample(&g, "Connection");
    classify(&g);
    struct lgt_report r;
    char *text = report_of(LGT_BY_TAG, 0, &r);
    cr_assert_eq(r.nlosses, 3, "%s", text);
    const struct lgt_loss *c = find_loss(&r, D, "Connection"), *u = find_loss(&r, D, LGT_UNTAGGED);
    const struct lgt_loss *b = find_loss(&r, R, "Buffer");
    cr_assert_eq(c->bytes, 80);
    cr_assert_eq(c->blocks, 4);
    cr_assert_eq(c->nsites, 2);
    cr_assert_eq(u->bytes, 16);
    cr_assert_eq(u->blocks, 2);
    cr_assert_eq(b->blocks, 1);
    cr_assert(strstr(text, "80 bytes in 4 blocks are definitely lost in loss record 1 of 3\n"
                           "==4242==    tag: Connection (2 allocation sites; the stack of one)\n"),
              "%s", text);
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
    char *json = report_of(LGT_BY_TAG, 1, NULL);
    cr_assert(strstr(json, "\"by\": \"tag\""), "%s", json);
    cr_assert(strstr(json, "\"group\": \"Connection\", \"sites\": 2"), "%s", json);
    free(json);
}

Test(annot_mark, by_site_shows_the_tags)
{
    struct gb g;
    tagged_sample(&g, "Connection");
    classify(&g);
    struct lgt_report r;
    char *text = report_of(LGT_BY_SITE, 0, &r);
    cr_assert_eq(r.nlosses, 3); /* site 1 lost, site 2 lost, site 1 reachable */
    /* 64 reachable first, then 48 at site 1 (3 x 16), 48 at site 2 (32 tagged, 2 x 8 not) */
    cr_assert(strstr(text, "48 bytes in 3 blocks are definitely lost in loss record 2 of 3\n"
                           "==4242==    tag: Connection\n"), "%s", text);
    cr_assert(strstr(text, "48 bytes in 3 blocks are definitely lost in loss record 3 of 3\n"
                           "==4242==    tag: Connection\n"), "%s", text);
    cr_assert(strstr(text, "still reachable in loss record 1 of 3\n==4242==    tag: Buffer\n"),
              "%s", text);
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
    char *json = report_of(LGT_BY_SITE, 1, NULL);
    cr_assert(strstr(json, "\"tag\": \"Connection\", \"tags\": [\"Connection\"]"), "%s", json);
    cr_assert(strstr(json, "\"tag\": \"Buffer\""), "%s", json);
    free(json);
}

/* Two sites of this test binary with the same allocating function, called from two places. */
__attribute__((noinline)) static void *alloc_here(void)
{
    return malloc(1);
}

__attribute__((noinline)) static void caller_one(void)
{
    free(alloc_here());
}

__attribute__((noinline)) static void caller_two(void)
{
    free(alloc_here());
}

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uint64_t *)data = info->dlpi_addr;
    return 1;
}

static char self_exe[4096];

static void real_sites(struct gb *g)
{
    gb_init(g);
    dl_iterate_phdr(first_object, &g->base);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    cr_assert_gt(n, 0);
    self_exe[n] = '\0';
    g->module_path = self_exe;
    g->pcs[0][0] = g->pcs[1][0] = (uint64_t)(uintptr_t)&alloc_here + 1;
    g->pcs[0][1] = (uint64_t)(uintptr_t)&caller_one + 1;
    g->pcs[1][1] = (uint64_t)(uintptr_t)&caller_two + 1;
    gb_block(g, 10, 1);
    gb_block(g, 20, 2);
    gb_block(g, 30, 2);
    caller_one();
    caller_two();
}

Test(annot_mark, by_function_and_file_merge_sites)
{
    struct gb g;
    real_sites(&g);
    classify(&g);
    struct lgt_report r;
    char *text = report_of(LGT_BY_SITE, 0, &r);
    cr_assert_eq(r.nlosses, 2, "%s", text);
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
    text = report_of(LGT_BY_FUNCTION, 0, &r);
    cr_assert_eq(r.nlosses, 1, "%s", text);
    cr_assert_str_eq(r.losses[0].label, "alloc_here");
    cr_assert_eq(r.losses[0].bytes, 60);
    cr_assert_eq(r.losses[0].blocks, 3);
    cr_assert_eq(r.losses[0].nsites, 2);
    cr_assert(strstr(text, "    function: alloc_here (2 allocation sites"), "%s", text);
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
    text = report_of(LGT_BY_FILE, 0, &r);
    cr_assert_eq(r.nlosses, 1, "%s", text);
    cr_assert(strstr(r.losses[0].label, "test_tool_annot.c"), "%s", r.losses[0].label);
    cr_assert_eq(r.losses[0].blocks, 3);
    lgt_symbolize_close(r.sym);
    lgt_report_free(&r);
    free(text);
}

/* ---- growth, top, chain, analyze ---- */

static void ctx_load(struct lgt_ctx *x, const struct gb *g)
{
    struct sb b = written(g);
    cr_assert_eq(lgt_ctx_load(x, "t.lgs", b.buf, b.len), 0);
    free(b.buf);
}

static const struct lgt_grow_row *row(const struct lgt_growth *g, const char *label, int lost)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].lost == lost && strcmp(g->rows[i].label, label) == 0)
            return &g->rows[i];
    cr_assert_fail("no row %s/%d", label, lost);
    return NULL;
}

Test(annot_growth, by_tag_matches_tags_by_name)
{
    struct gb a, b;
    tagged_sample(&a, "Buffer"); /* Buffer is tag 1 here, Connection tag 2 */
    tagged_sample(&b, "Connection");
    gb_attr(&b, gb_block(&b, 16, 1), 1, 0); /* one more lost Connection */
    gb_attr(&b, gb_block(&b, 8, 1), 0, LG_BATTR_IGNORED);
    struct lgt_ctx old, new;
    ctx_load(&old, &a);
    ctx_load(&new, &b);
    struct lgt_growth g;
    lgt_growth_init(&g, LGT_BY_TAG);
    lgt_growth_add(&g, &old, 1);
    lgt_growth_add(&g, &new, 0);
    lgt_growth_sort_delta(&g);
    cr_assert_eq(g.n, 4, "%zu rows", g.n);
    const struct lgt_grow_row *c = row(&g, "Connection", LGT_ROW_LOST);
    cr_assert_eq(c->count, 5);
    cr_assert_eq(lgt_growth_count_delta(c), 1);
    cr_assert_eq(lgt_growth_bytes_delta(c), 16);
    cr_assert_eq(row(&g, LGT_UNTAGGED, LGT_ROW_LOST)->count, 2);
    cr_assert_eq(row(&g, "Buffer", LGT_ROW_REACHABLE)->count, 1);
    const struct lgt_grow_row *ig = row(&g, LGT_UNTAGGED, LGT_ROW_IGNORED);
    cr_assert_eq(ig->count, 1);
    cr_assert_str_eq(lgt_growth_class_name(ig), "ignored");
    lgt_growth_free(&g);
    lgt_ctx_free(&new);
    lgt_ctx_free(&old);
}

Test(annot_growth, top_and_growth_accept_by_tag, .init = cr_redirect_stdout)
{
    struct gb g;
    tagged_sample(&g, "Connection");
    char path[64];
    write_file(&g, path, sizeof path);
    char *top[] = {"top", path, "--by", "tag", NULL};
    cr_assert_eq(lgt_cmd_top(4, top), 0);
    char *growth[] = {"growth", path, path, "--by", "tag", "--all", NULL};
    cr_assert_eq(lgt_cmd_growth(6, growth), 0);
    fflush(stdout);
    unlink(path);
    char buf[8192] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    cr_assert(strstr(buf, "most common tags by count:"), "%s", buf);
    cr_assert(strstr(buf, "Connection"), "%s", buf);
    cr_assert(strstr(buf, "growth from"), "%s", buf);
}

Test(annot_chain, chain_by_tag_shows_tags_and_user_roots, .init = cr_redirect_stdout)
{
    struct gb g;
    annotated(&g);
    char path[64];
    write_file(&g, path, sizeof path);
    char *argv[] = {"chain", path, "--tag", "Conn*", NULL};
    cr_assert_eq(lgt_cmd_chain(4, argv), 0);
    char *none[] = {"chain", path, "--tag", "Nothing", NULL};
    cr_assert_eq(lgt_cmd_chain(4, none), 1);
    char *both[] = {"chain", path, "--tag", "Conn*", "--site", "x", NULL};
    cr_assert_eq(lgt_cmd_chain(6, both), 2);
    fflush(stdout);
    unlink(path);
    char buf[8192] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stdout());
    buf[n] = '\0';
    cr_assert(strstr(buf, "  registered root 0x700000+16 (leakgraph_register_root)\n"
                          "  -> 0x"), "%s", buf);
    cr_assert(strstr(buf, " 40 bytes, [Connection] "), "%s", buf);
    cr_assert(strstr(buf, " 16 bytes, [Connection] "), "%s", buf);
}

Test(annot_chain, analyze_error_exitcode_ignores_ignored)
{
    struct gb g;
    gb_init(&g);
    gb_attr(&g, gb_block(&g, 16, 1), 0, LG_BATTR_IGNORED);
    char path[64], json[96];
    write_file(&g, path, sizeof path);
    snprintf(json, sizeof json, "%s.json", path);
    char *argv[] = {"analyze", path, "--error-exitcode=9", "--log-file", "/dev/null",
                    "--by", "tag", "--json", json, NULL};
    cr_assert_eq(lgt_cmd_analyze(9, argv), 0);
    unlink(json);
    unlink(path);
    gb_block(&g, 8, 2); /* a real leak */
    write_file(&g, path, sizeof path);
    cr_assert_eq(lgt_cmd_analyze(9, argv), 9);
    char *bad[] = {"analyze", path, "--by", "colour", NULL};
    cr_assert_eq(lgt_cmd_analyze(4, bad), 2);
    unlink(json);
    unlink(path);
}
