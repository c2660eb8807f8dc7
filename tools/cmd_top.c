/* `leakgraph top SNAPSHOT`: the allocation sites with the most live blocks and the most live
 * bytes, split by reachability class (objgraph's show_most_common_types). */
#include "cmd.h"

#include <string.h>

#include "cli_options.h"
#include "growth.h"
#include "offline.h"

#define DEFAULT_LIMIT 10

struct top_args {
    const char *snapshot, *json;
    enum lgt_group_by by;
    long long limit;
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph top SNAPSHOT [--by site|function|file|tag] [--limit N] [--json FILE]\n"
          "The most common allocation sites of a snapshot's live blocks, by count and by\n"
          "bytes, split into still reachable and lost (definite, indirect, possible).\n\n"
          "  --by site|function|file|tag  group by the whole stack (default), by the\n"
          "                   allocating function or its source file, or by type tag\n"
          "  --limit N        rows per table (default 10; 0: all)\n"
          "  --json FILE      also write the rows as JSON (%p: the pid)\n"
          "Exit status: 0, or 2 for an unreadable snapshot or a usage error.\n", out);
}

static const char *const top_flags[] = {"by", "limit", "json", "help"};

static int parse(int argc, char **argv, struct top_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (lgt_is_help(argv[i]))
            return usage(stdout), 0;
        int k = lgt_cmd_table_option(argc, argv, &i, &a->json, &a->by, &a->limit);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return lgt_cli_unknown(argv[i], top_flags, sizeof top_flags / sizeof *top_flags,
                                   "top");
        if (a->snapshot) {
            fprintf(stderr, "leakgraph: top takes one snapshot; see 'leakgraph top --help'\n");
            return 2;
        }
        a->snapshot = argv[i];
    }
    if (a->snapshot)
        return -1;
    fprintf(stderr, "leakgraph: top: missing SNAPSHOT; see 'leakgraph top --help'\n");
    return 2;
}

static size_t limited(const struct lgt_growth *g, const struct top_args *a)
{
    return a->limit && (size_t)a->limit < g->n ? (size_t)a->limit : g->n;
}

static void table(FILE *f, struct lgt_growth *g, const struct top_args *a, int by_bytes)
{
    lgt_growth_sort_total(g, by_bytes);
    size_t n = limited(g, a);
    if (!f) {
        printf("\nmost common %ss by %s:\n", lgt_growth_by_name(a->by), by_bytes ? "bytes" : "count");
        int w = lgt_growth_label_width(g, n);
        lgt_growth_text_header(stdout, lgt_growth_by_name(a->by), w, 0);
        for (size_t i = 0; i < n; i++)
            lgt_growth_text_row(stdout, &g->rows[i], w, 0);
        return;
    }
    fprintf(f, "\"by_%s\": [", by_bytes ? "bytes" : "count");
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        lgt_growth_json_row(f, &g->rows[i], 0);
    }
    fputc(']', f);
}

static int json(struct lgt_growth *g, const struct top_args *a, unsigned pid)
{
    FILE *f = lgt_json_open(a->json, pid);
    if (!f)
        return 2;
    fputs("{\"snapshot\": ", f);
    lgt_json_str(f, a->snapshot);
    fprintf(f, ", \"by\": \"%s\",\n ", lgt_growth_by_name(a->by));
    table(f, g, a, 0);
    fputs(",\n ", f);
    table(f, g, a, 1);
    fputs("}\n", f);
    return lgt_json_close(f, a->json);
}

int lgt_cmd_top(int argc, char **argv)
{
    struct top_args a = {.by = LGT_BY_SITE, .limit = DEFAULT_LIMIT};
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct lgt_ctx x;
    if (lgt_ctx_load(&x, a.snapshot, NULL, 0))
        return 2;
    struct lgt_growth g;
    lgt_growth_init(&g, a.by);
    lgt_growth_add(&g, &x, 0);
    printf("%s: %zu live blocks in %zu %ss\n", a.snapshot, x.h.nblocks, g.n,
           lgt_growth_by_name(a.by));
    table(NULL, &g, &a, 0);
    table(NULL, &g, &a, 1);
    rc = a.json ? json(&g, &a, x.h.proc.pid) : 0;
    lgt_growth_free(&g);
    lgt_ctx_free(&x);
    return rc;
}
