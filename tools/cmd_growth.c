/* `leakgraph growth OLD NEW`: what grew between two snapshots of one program, per allocation
 * site and reachability class (objgraph's show_growth). Exit 0, 1 for snapshots of different
 * programs, 2 for an unreadable snapshot or a usage error. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "growth.h"
#include "offline.h"

#define DEFAULT_LIMIT 10

struct growth_args {
    const char *old, *new, *json;
    enum lgt_group_by by;
    long long limit;
    int all;
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph growth OLD NEW [--by site|function|file|tag] [--limit N] [--all]\n"
          "                        [--json FILE]\n"
          "Compare two snapshots of the same program: live blocks per allocation site, split\n"
          "into still reachable and lost (definite, indirect, possible), with the change since\n"
          "OLD, largest byte growth first. Sites are matched by their symbolized stacks.\n\n"
          "  --by site|function|file|tag  group by the whole stack (default), by the\n"
          "                   allocating function or its source file, or by type tag\n"
          "  --limit N        rows printed (default 10; 0: all)\n"
          "  --all            also rows that did not grow\n"
          "  --json FILE      also write the rows as JSON (%p: the pid of NEW)\n"
          "Exit status: 0, 1 when OLD and NEW come from different programs, 2 for an\n"
          "unreadable snapshot or a usage error.\n", out);
}

/* ---- arguments, shared with top ---- */

static const char *const growth_flags[] = {"by", "limit", "all", "json", "help"};

int lgt_cmd_table_option(int argc, char **argv, int *i, const char **json,
                         enum lgt_group_by *by, long long *limit)
{
    const char *v;
    int k;
    if ((k = lgt_cli_take(argc, argv, i, "json", &v)) != 0)
        return k < 0 ? -1 : (*json = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "by", &v)) != 0) {
        if (k > 0 && lgt_growth_parse_by(v, by) == 0)
            return 1;
        if (k > 0)
            fprintf(stderr, "leakgraph: --by: '%s' is not one of " LGT_GROUP_CHOICES "\n", v);
        return -1;
    }
    if ((k = lgt_cli_take(argc, argv, i, "limit", &v)) != 0) {
        if (k > 0 && lgt_cli_parse_int(v, limit) == 0 && *limit >= 0)
            return 1;
        if (k > 0)
            fprintf(stderr, "leakgraph: --limit: '%s' is not a count\n", v);
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, struct growth_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (lgt_is_help(argv[i]))
            return usage(stdout), 0;
        if (strcmp(argv[i], "--all") == 0) {
            a->all = 1;
            continue;
        }
        int k = lgt_cmd_table_option(argc, argv, &i, &a->json, &a->by, &a->limit);
        if (k < 0)
            return 2;
        if (k > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return lgt_cli_unknown(argv[i], growth_flags,
                                   sizeof growth_flags / sizeof *growth_flags, "growth");
        const char **slot = !a->old ? &a->old : !a->new ? &a->new : NULL;
        if (!slot) {
            fprintf(stderr, "leakgraph: growth takes two snapshots; see 'leakgraph growth --help'\n");
            return 2;
        }
        *slot = argv[i];
    }
    if (a->new)
        return -1;
    fprintf(stderr, "leakgraph: growth: missing %s; see 'leakgraph growth --help'\n",
            a->old ? "NEW" : "OLD and NEW");
    return 2;
}

/* ---- output ---- */

static int grew(const struct lgt_grow_row *r)
{
    return lgt_growth_bytes_delta(r) > 0 || lgt_growth_count_delta(r) > 0;
}

/* The rows to print: those that grew (or all), at most limit. */
static size_t select_rows(struct lgt_growth *g, const struct growth_args *a)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (a->all || grew(&g->rows[i])) { /* swaps keep the kept rows in order */
            struct lgt_grow_row t = g->rows[n];
            g->rows[n++] = g->rows[i];
            g->rows[i] = t;
        }
    return a->limit && (size_t)a->limit < n ? (size_t)a->limit : n;
}

static void text(const struct lgt_growth *g, size_t n, const struct growth_args *a)
{
    printf("growth from %s to %s, by %s:\n", a->old, a->new, lgt_growth_by_name(a->by));
    if (n == 0) {
        printf("nothing grew\n");
        return;
    }
    int w = lgt_growth_label_width(g, n);
    lgt_growth_text_header(stdout, lgt_growth_by_name(a->by), w, 1);
    for (size_t i = 0; i < n; i++)
        lgt_growth_text_row(stdout, &g->rows[i], w, 1);
}

static int json(const struct lgt_growth *g, size_t n, const struct growth_args *a, unsigned pid)
{
    FILE *f = lgt_json_open(a->json, pid);
    if (!f)
        return 2;
    fputs("{\"old\": ", f);
    lgt_json_str(f, a->old);
    fputs(", \"new\": ", f);
    lgt_json_str(f, a->new);
    fprintf(f, ", \"by\": \"%s\", \"rows\": [", lgt_growth_by_name(a->by));
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        lgt_growth_json_row(f, &g->rows[i], 1);
    }
    fputs("]}\n", f);
    return lgt_json_close(f, a->json);
}

/* ---- the command ---- */

static int execute(struct lgt_ctx *old, struct lgt_ctx *new, const struct growth_args *a)
{
    char why[1024];
    if (lgt_growth_same_program(&old->h, &new->h, why, sizeof why)) {
        fprintf(stderr, "leakgraph: %s\n", why);
        return 1;
    }
    struct lgt_growth g;
    lgt_growth_init(&g, a->by);
    lgt_growth_add(&g, old, 1);
    lgt_growth_add(&g, new, 0);
    lgt_growth_sort_delta(&g);
    size_t n = select_rows(&g, a);
    text(&g, n, a);
    int rc = a->json ? json(&g, n, a, new->h.proc.pid) : 0;
    lgt_growth_free(&g);
    return rc;
}

int lgt_cmd_growth(int argc, char **argv)
{
    struct growth_args a = {.by = LGT_BY_SITE, .limit = DEFAULT_LIMIT};
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct lgt_ctx old, new;
    if (lgt_ctx_load(&old, a.old, NULL, 0))
        return 2;
    if (lgt_ctx_load(&new, a.new, NULL, 0)) {
        lgt_ctx_free(&old);
        return 2;
    }
    rc = execute(&old, &new, &a);
    lgt_ctx_free(&new);
    lgt_ctx_free(&old);
    return rc;
}
