/* `leakgraph chain SNAPSHOT (ADDRESS | --site PATTERN | --tag NAME)`: the shortest chain of
 * references from a root to a block, or to each block allocated at a matching site or
 * carrying a matching type tag. Weak references (leakgraph_weak) are never a hop. Exit 0, 1
 * when the target is not a block, matches nothing or is unreachable, 2 on a bad snapshot or
 * usage. */
#include "cmd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "chainfmt.h"
#include "cli_options.h"
#include "offline.h"
#include "rootname.h"
#include "target.h"

#define DEFAULT_CHAINS 10 /* chains printed for --site without --all */

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

static void order_targets(struct chain_run *r)
{
    r->nreached = lgt_target_order(&r->ch, r->targets, r->ntargets);
}

/* ---- text ---- */

/* The printer shared with analyze --explain (chainfmt.c). */
static struct lgt_chainfmt chain_fmt(struct chain_run *r)
{
    return (struct lgt_chainfmt){.r = &r->x.r, .ch = &r->ch, .names = r->names, .prefix = ""};
}

static void text_chain(FILE *out, struct chain_run *r, uint32_t t)
{
    struct lgt_chainfmt f = chain_fmt(r);
    lgt_chainfmt_text(out, &f, t);
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

static void json_chain(FILE *f, struct chain_run *r, uint32_t t)
{
    struct lgt_chainfmt fmt = chain_fmt(r);
    lgt_chainfmt_json(f, &fmt, t);
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
    struct lgt_target_spec spec = {r->a->address, r->a->site, r->a->tag};
    int rc = lgt_target_select(&r->x, &spec, "chain", stdout, &r->targets, &r->ntargets);
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
