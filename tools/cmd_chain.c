/* `leakgraph chain SNAPSHOT (ADDRESS | --site PATTERN | --tag NAME)`: the shortest chain of
 * references from a root to a block, or to each block allocated at a matching site or
 * carrying a matching type tag. Weak references (leakgraph_weak) are never a hop. Exit 0, 1
 * when the target is not a block, matches nothing or is unreachable, 2 on a bad snapshot or
 * usage. */
#include "cmd.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "cli_options.h"
#include "offline.h"
#include "rootname.h"
#include "xalloc.h"

#define DEFAULT_CHAINS 10 /* chains printed for --site without --all */
#define HOP_FRAMES 2      /* frames of each hop's allocation stack in the text */

struct chain_args {
    const char *snapshot, *address, *site, *tag, *json;
    int all;
};

struct chain_run {
    const struct chain_args *a;
    struct lgt_ctx x;
    struct lgt_chain ch;
    struct lgt_rootnamer *names;
    uint32_t *targets; /* blocks, reachable first, shortest first */
    size_t ntargets, nreached;
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph chain SNAPSHOT (ADDRESS | --site PATTERN | --tag NAME) [--all]\n"
          "                       [--json FILE]\n"
          "The shortest chain of references from a root (a global, a thread's stack,\n"
          "registers or TLS, mapped memory) to a heap block: who keeps it alive.\n\n"
          "  ADDRESS          a block's address (0x...; an interior address means its block)\n"
          "  --site PATTERN   every block whose allocation stack has a frame whose function,\n"
          "                   file or module matches PATTERN (a glob: *, ?, [...]); their\n"
          "                   chains are printed shortest first\n"
          "  --tag NAME       every block tagged NAME with leakgraph_tag() (a glob too)\n"
          "  --all            print every matching chain (default: at most 10)\n"
          "  --json FILE      also write the chains as JSON (%p: the pid)\n"
          "Exit status: 0, 1 when ADDRESS is not a block, PATTERN matches nothing or no\n"
          "target is reachable from a root, 2 for an unreadable snapshot or a usage error.\n",
          out);
}

/* ---- arguments ---- */

static const char *const chain_flags[] = {"site", "tag", "all", "json", "help"};

static int take_option(int argc, char **argv, int *i, struct chain_args *a)
{
    const char *v;
    int k;
    if (strcmp(argv[*i], "--all") == 0)
        return a->all = 1, 1;
    if ((k = lgt_cli_take(argc, argv, i, "site", &v)) != 0)
        return k < 0 ? -1 : (a->site = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "tag", &v)) != 0)
        return k < 0 ? -1 : (a->tag = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "json", &v)) != 0)
        return k < 0 ? -1 : (a->json = v, 1);
    return 0;
}

static int positional(struct chain_args *a, const char *arg)
{
    if (!a->snapshot)
        return a->snapshot = arg, 0;
    if (!a->address)
        return a->address = arg, 0;
    fprintf(stderr, "leakgraph: chain: unexpected argument '%s'; see 'leakgraph chain --help'\n",
            arg);
    return 2;
}

static int check_args(const struct chain_args *a)
{
    int given = !!a->address + !!a->site + !!a->tag;
    const char *why = !a->snapshot ? "missing SNAPSHOT"
                      : given == 0 ? "missing ADDRESS, --site PATTERN or --tag NAME"
                      : given > 1 ? "give one of ADDRESS, --site and --tag" : NULL;
    if (!why)
        return -1;
    fprintf(stderr, "leakgraph: chain: %s; see 'leakgraph chain --help'\n", why);
    return 2;
}

static int parse(int argc, char **argv, struct chain_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (lgt_is_help(argv[i]))
            return usage(stdout), 0;
        int k = take_option(argc, argv, &i, a);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return lgt_cli_unknown(argv[i], chain_flags, sizeof chain_flags / sizeof *chain_flags,
                                   "chain");
        if (positional(a, argv[i]))
            return 2;
    }
    return check_args(a);
}

/* ---- targets ---- */

static int frame_matches(const struct lgt_frame *f, const char *pat)
{
    const char *base = f->file ? strrchr(f->file, '/') : NULL;
    return (f->function && fnmatch(pat, f->function, 0) == 0) ||
           (f->file && fnmatch(pat, f->file, 0) == 0) ||
           (base && fnmatch(pat, base + 1, 0) == 0) ||
           (f->module && fnmatch(pat, f->module, 0) == 0);
}

static int block_matches(struct chain_run *r, size_t b)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(&r->x, b);
    for (size_t i = 0; i < st->n; i++)
        if (frame_matches(st->frames[i], r->a->site))
            return 1;
    return 0;
}

static const struct lgt_chain *sort_chain; /* qsort has no argument */

static int cmp_target(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    uint32_t da = sort_chain->dist[a], db = sort_chain->dist[b];
    if (da != db)
        return da < db ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int site_targets(struct chain_run *r)
{
    r->targets = lgt_xcalloc(r->x.h.nblocks ? r->x.h.nblocks : 1, sizeof *r->targets);
    for (size_t b = 0; b < r->x.h.nblocks; b++)
        if (block_matches(r, b))
            r->targets[r->ntargets++] = (uint32_t)b;
    if (r->ntargets == 0) {
        fprintf(stderr, "leakgraph: no block in %s was allocated at a site matching '%s'"
                " (function, file or module)\n", r->x.h.name, r->a->site);
        return 1;
    }
    return 0;
}

static int tag_targets(struct chain_run *r)
{
    r->targets = lgt_xcalloc(r->x.h.nblocks ? r->x.h.nblocks : 1, sizeof *r->targets);
    for (size_t b = 0; b < r->x.h.nblocks; b++) {
        const char *name = lgt_reader_tag_name(&r->x.h, lgt_reader_block_tag(&r->x.h, b));
        if (name && fnmatch(r->a->tag, name, 0) == 0)
            r->targets[r->ntargets++] = (uint32_t)b;
    }
    if (r->ntargets == 0) {
        fprintf(stderr, "leakgraph: no block in %s has a type tag matching '%s'\n", r->x.h.name,
                r->a->tag);
        return 1;
    }
    return 0;
}

static int address_target(struct chain_run *r)
{
    char *end;
    uint64_t addr = strtoull(r->a->address, &end, 0);
    if (*end || end == r->a->address) {
        fprintf(stderr, "leakgraph: chain: '%s' is not an address (0x...)\n", r->a->address);
        return 2;
    }
    long b = lgt_reader_block_at(&r->x.h, addr);
    if (b < 0) {
        fprintf(stderr, "leakgraph: 0x%" PRIx64 " is not inside any heap block of %s\n", addr,
                r->x.h.name);
        return 1;
    }
    const struct lg_snap_block *blk = &r->x.h.blocks[b];
    if (addr != blk->addr)
        printf("0x%" PRIx64 " is inside the block 0x%" PRIx64 " (%" PRIu64 " bytes), at +%" PRIu64
               "\n", addr, blk->addr, blk->size, addr - blk->addr);
    r->targets = lgt_xcalloc(1, sizeof *r->targets);
    r->targets[r->ntargets++] = (uint32_t)b;
    return 0;
}

static void order_targets(struct chain_run *r)
{
    sort_chain = &r->ch;
    qsort(r->targets, r->ntargets, sizeof *r->targets, cmp_target);
    while (r->nreached < r->ntargets &&
           r->ch.dist[r->targets[r->nreached]] != LGT_CHAIN_UNREACHED)
        r->nreached++;
}

/* ---- text ---- */

static void hop_stack(FILE *out, struct chain_run *r, uint32_t b)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(&r->x, b);
    if (st->n == 0)
        fputs(" (no stack recorded)", out);
    for (size_t i = 0; i < st->n && i < HOP_FRAMES; i++) {
        fputs(i ? " < " : " ", out);
        lgt_frame_print(out, st->frames[i]);
    }
}

static void text_chain(FILE *out, struct chain_run *r, uint32_t t)
{
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(&r->x.h, &r->ch, t, &p);
    struct lgt_rootname rn;
    lgt_rootname_get(r->names, p[0], &rn);
    fprintf(out, "chain to 0x%" PRIx64 " (%" PRIu64 " bytes, %s), %zu reference%s from a root:\n",
           r->x.h.blocks[t].addr, r->x.h.blocks[t].size,
           lgt_report_kind_name(r->x.c.kinds[t]), n, n == 1 ? "" : "s");
    fprintf(out, "  %s\n", rn.text);
    for (size_t i = 0; i < n; i++) {
        const struct lg_snap_block *b = &r->x.h.blocks[p[i]->to];
        if (i) /* the root's word is named on the line above */
            fprintf(out, "  [+%" PRIu64 "] -> 0x%" PRIx64, p[i]->from_off, b->addr);
        else
            fprintf(out, "  -> 0x%" PRIx64, b->addr);
        if (p[i]->to_off)
            fprintf(out, "+%" PRIu32 " (interior pointer)", p[i]->to_off);
        fprintf(out, " %" PRIu64 " bytes,", b->size);
        const char *tag = lgt_reader_tag_name(&r->x.h, lgt_reader_block_tag(&r->x.h, p[i]->to));
        if (tag)
            fprintf(out, " [%s]", tag);
        hop_stack(out, r, p[i]->to);
        fputc('\n', out);
    }
    lgt_rootname_clear(&rn);
    free(p);
}

static void text_unreached(struct chain_run *r)
{
    size_t n = r->ntargets - r->nreached;
    if (r->a->address && n) {
        uint32_t t = r->targets[0];
        printf("0x%" PRIx64 " (%" PRIu64 " bytes) is not reachable from any root: %s\n",
               r->x.h.blocks[t].addr, r->x.h.blocks[t].size, lgt_report_kind_name(r->x.c.kinds[t]));
    } else if (n) {
        uint64_t k[LGT_KIND_COUNT] = {0};
        for (size_t i = r->nreached; i < r->ntargets; i++)
            k[r->x.c.kinds[r->targets[i]]]++;
        printf("%zu matching block%s not reachable from any root (%" PRIu64 " definitely lost, %"
               PRIu64 " indirectly lost", n, n == 1 ? " is" : "s are",
               k[LGT_KIND_DEFINITELY_LOST], k[LGT_KIND_INDIRECTLY_LOST]);
        if (k[LGT_KIND_IGNORED]) /* leakgraph_ignore: not lost, but no root keeps them */
            printf(", %" PRIu64 " ignored", k[LGT_KIND_IGNORED]);
        puts(")");
    }
}

static size_t shown(const struct chain_run *r)
{
    return r->a->all || r->nreached < DEFAULT_CHAINS ? r->nreached : DEFAULT_CHAINS;
}

static void text(struct chain_run *r)
{
    for (size_t i = 0; i < shown(r); i++) {
        if (i)
            putchar('\n');
        text_chain(stdout, r, r->targets[i]);
    }
    if (shown(r) < r->nreached)
        printf("\n... and %zu more chains (--all shows them)\n", r->nreached - shown(r));
    text_unreached(r);
}

/* ---- JSON ---- */

static void json_root(FILE *f, const struct lgt_rootname *rn)
{
    fputs("{\"kind\": ", f);
    lgt_json_str(f, rn->kind);
    fputs(", \"text\": ", f);
    lgt_json_str(f, rn->text);
    fputs(", \"symbol\": ", f);
    lgt_json_str(f, rn->symbol);
    fprintf(f, ", \"symbol_offset\": %" PRIu64 ", \"module\": ", rn->symbol_off);
    lgt_json_str(f, rn->module);
    fprintf(f, ", \"module_offset\": %" PRIu64 ", \"tid\": %u}", rn->module_off, rn->tid);
}

static void json_hop(FILE *f, struct chain_run *r, const struct lg_snap_edge *e)
{
    const struct lg_snap_block *b = &r->x.h.blocks[e->to];
    fprintf(f, "{\"address\": %" PRIu64 ", \"size\": %" PRIu64 ", \"from_offset\": %" PRIu64
            ", \"to_offset\": %" PRIu32 ", \"interior\": %s", b->addr, b->size,
            e->from_off, e->to_off, e->to_off ? "true" : "false");
    fputs(", \"tag\": ", f);
    lgt_json_str(f, lgt_reader_tag_name(&r->x.h, lgt_reader_block_tag(&r->x.h, e->to)));
    fputs(", \"stack\": ", f);
    lgt_json_stack(f, lgt_ctx_block_stack(&r->x, e->to));
    fputc('}', f);
}

static void json_chain(FILE *f, struct chain_run *r, uint32_t t)
{
    const struct lg_snap_edge **p;
    size_t n = lgt_chain_path(&r->x.h, &r->ch, t, &p);
    struct lgt_rootname rn;
    lgt_rootname_get(r->names, p[0], &rn);
    fprintf(f, "{\"target\": %" PRIu64 ", \"size\": %" PRIu64 ", \"kind\": \"%s\", \"root\": ",
            r->x.h.blocks[t].addr, r->x.h.blocks[t].size, lgt_report_kind_key(r->x.c.kinds[t]));
    json_root(f, &rn);
    fputs(", \"hops\": [", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        json_hop(f, r, p[i]);
    }
    fputs("]}", f);
    lgt_rootname_clear(&rn);
    free(p);
}

static int json(struct chain_run *r)
{
    FILE *f = lgt_json_open(r->a->json, r->x.h.proc.pid);
    if (!f)
        return 2;
    fputs("{\"snapshot\": ", f);
    lgt_json_str(f, r->x.h.name);
    fputs(", \"chains\": [", f);
    for (size_t i = 0; i < shown(r); i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        json_chain(f, r, r->targets[i]);
    }
    fputs("],\n \"unreachable\": [", f);
    for (size_t i = r->nreached; i < r->ntargets; i++) {
        uint32_t t = r->targets[i];
        fprintf(f, "%s{\"address\": %" PRIu64 ", \"size\": %" PRIu64 ", \"kind\": \"%s\"}",
                i > r->nreached ? ", " : "", r->x.h.blocks[t].addr, r->x.h.blocks[t].size,
                lgt_report_kind_key(r->x.c.kinds[t]));
    }
    fputs("]}\n", f);
    return lgt_json_close(f, r->a->json);
}

/* ---- the command ---- */

static int execute(struct chain_run *r)
{
    int rc = r->a->site ? site_targets(r) : r->a->tag ? tag_targets(r) : address_target(r);
    if (rc)
        return rc;
    lgt_chain_bfs(&r->x.h, &r->x.c.graph, &r->ch);
    r->names = lgt_rootname_open(&r->x.h);
    order_targets(r);
    text(r);
    if (r->a->json && (rc = json(r)) != 0)
        return rc;
    return r->nreached ? 0 : 1;
}

int lgt_cmd_chain(int argc, char **argv)
{
    struct chain_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct chain_run r = {.a = &a};
    if (lgt_ctx_load(&r.x, a.snapshot, NULL, 0))
        return 2;
    rc = execute(&r);
    lgt_rootname_close(r.names);
    lgt_chain_free(&r.ch);
    free(r.targets);
    lgt_ctx_free(&r.x);
    return rc;
}
