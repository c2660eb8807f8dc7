/* `leakgraph dot SNAPSHOT (--backrefs | --refs | --chain) (ADDRESS | --site PATTERN | --tag
 * NAME) [--max-depth N] [--too-many N] [-o FILE]`: objgraph's show_backrefs, show_refs and
 * show_chain for a snapshot, as Graphviz dot text, or rendered to SVG or PNG by Graphviz's
 * dot. Exit 0; 1 when ADDRESS is not a block, the pattern matches nothing or, with --chain,
 * no target is reachable; 2 for a usage error, an unreadable snapshot, a missing Graphviz or
 * an output that cannot be written. */
#include "cmd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "cli_options.h"
#include "dot.h"
#include "graphviz.h"
#include "offline.h"
#include "outfile.h"
#include "target.h"
#include "xalloc.h"

#define MAX_COUNT 1000000 /* --max-depth and --too-many */

struct dot_args {
    const char *snapshot, *output, *format; /* format: "dot", "svg", "png" */
    struct lgt_target_spec t;
    struct lgt_dot_opts o;
    int modes; /* how many of --backrefs, --refs and --chain were given */
};

struct dot_run {
    const struct dot_args *a;
    struct lgt_ctx x;
    uint32_t *targets; /* shortest chain first, unreached last */
    size_t ntargets, nreached, ndrawn;
};

static void usage(FILE *out)
{
    fputs("usage: leakgraph dot SNAPSHOT (--backrefs | --refs | --chain)\n"
          "                     (ADDRESS | --site PATTERN | --tag NAME)\n"
          "                     [--max-depth N] [--too-many N] [-o FILE]\n"
          "A picture of the references around heap blocks, in Graphviz's dot language\n"
          "(objgraph's show_backrefs, show_refs and show_chain).\n\n"
          "  --backrefs        what refers to the target: blocks and roots, backwards\n"
          "  --refs            what the target refers to, forwards (a lost ring shows whole)\n"
          "  --chain           the shortest chain from a root, as 'leakgraph chain' finds it\n"
          "  ADDRESS           a block's address (0x...; an interior address means its block)\n"
          "  --site PATTERN    the blocks allocated where a frame's function, file or module\n"
          "                    matches PATTERN (a glob), nearest to a root first\n"
          "  --tag NAME        the blocks tagged NAME with leakgraph_tag() (a glob too)\n"
          "  --max-depth N     references followed from the target (default 3)\n"
          "  --too-many N      references drawn per block before a '+K more' node, and\n"
          "                    targets drawn at most (default 10)\n"
          "  -o, --output FILE FILE.dot or FILE.gv: the dot text; FILE.svg or FILE.png:\n"
          "                    rendered with Graphviz's dot (default: dot text on stdout)\n"
          "Blocks are boxes: address, size, kind, tag, allocating function; lost blocks are\n"
          "red, cyclic ones have a double border, targets a thick one. Roots are ellipses\n"
          "(globals), hexagons (stacks, registers), octagons (TLS), cylinders (mapped or\n"
          "registered memory). Edges carry the offset of the word in the referring block.\n"
          "Exit status: 0, 1 when ADDRESS is not a block, PATTERN matches nothing or (--chain)\n"
          "no target is reachable, 2 for a usage error, an unreadable snapshot, a missing\n"
          "Graphviz or an output that cannot be written.\n", out);
}

/* ---- arguments ---- */

static const char *const dot_flags[] = {"backrefs", "refs", "chain", "site", "tag",
                                        "max-depth", "too-many", "output", "help"};

static int mode_flag(const char *arg, struct dot_args *a)
{
    static const struct { const char *flag; enum lgt_dot_mode mode; } m[] = {
        {"--backrefs", LGT_DOT_BACKREFS}, {"--refs", LGT_DOT_REFS}, {"--chain", LGT_DOT_CHAIN}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (strcmp(arg, m[i].flag) == 0) {
            a->o.mode = m[i].mode;
            a->modes++;
            return 1;
        }
    return 0;
}

/* 1 with *out set, or -1 with a message. */
static int count(const char *flag, const char *v, long long min, unsigned *out)
{
    long long n;
    if (lgt_cli_parse_int(v, &n) || n < min || n > MAX_COUNT) {
        fprintf(stderr, "leakgraph: dot: --%s: '%s' is not a number from %lld to %d\n", flag, v,
                min, MAX_COUNT);
        return -1;
    }
    *out = (unsigned)n;
    return 1;
}

/* One option at argv[*i]: 1 consumed, 0 not an option of ours, -1 error (printed). */
static int take_option(int argc, char **argv, int *i, struct dot_args *a)
{
    const char *v;
    int k;
    if (mode_flag(argv[*i], a))
        return 1;
    if (strcmp(argv[*i], "-o") == 0 && *i + 1 >= argc)
        return fputs("leakgraph: option '-o' needs a value\n", stderr), -1;
    if (strcmp(argv[*i], "-o") == 0)
        return a->output = argv[++*i], 1;
    if ((k = lgt_cli_take(argc, argv, i, "output", &v)) != 0)
        return k < 0 ? -1 : (a->output = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "site", &v)) != 0)
        return k < 0 ? -1 : (a->t.site = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "tag", &v)) != 0)
        return k < 0 ? -1 : (a->t.tag = v, 1);
    if ((k = lgt_cli_take(argc, argv, i, "max-depth", &v)) != 0)
        return k < 0 ? -1 : count("max-depth", v, 0, &a->o.max_depth);
    if ((k = lgt_cli_take(argc, argv, i, "too-many", &v)) != 0)
        return k < 0 ? -1 : count("too-many", v, 1, &a->o.too_many);
    return 0;
}

static int positional(struct dot_args *a, const char *arg)
{
    if (!a->snapshot)
        return a->snapshot = arg, 0;
    if (!a->t.address)
        return a->t.address = arg, 0;
    fprintf(stderr, "leakgraph: dot: unexpected argument '%s'; see 'leakgraph dot --help'\n", arg);
    return 2;
}

static int check_args(struct dot_args *a)
{
    int given = !!a->t.address + !!a->t.site + !!a->t.tag;
    const char *why = !a->snapshot ? "missing SNAPSHOT"
                      : a->modes == 0 ? "missing --backrefs, --refs or --chain"
                      : a->modes > 1 ? "give one of --backrefs, --refs and --chain"
                      : given == 0 ? "missing ADDRESS, --site PATTERN or --tag NAME"
                      : given > 1 ? "give one of ADDRESS, --site and --tag" : NULL;
    if (why) {
        fprintf(stderr, "leakgraph: dot: %s; see 'leakgraph dot --help'\n", why);
        return 2;
    }
    if (a->output && strcmp(a->output, "-") != 0 && !(a->format = lgt_graphviz_format(a->output))) {
        fprintf(stderr, "leakgraph: dot: -o %s: unknown format; name the file .dot (or .gv) for"
                " the dot text, .svg or .png to render it with Graphviz\n", a->output);
        return 2;
    }
    return -1;
}

static int parse(int argc, char **argv, struct dot_args *a)
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
            return lgt_cli_unknown(argv[i], dot_flags, sizeof dot_flags / sizeof *dot_flags,
                                   "dot");
        if (positional(a, argv[i]))
            return 2;
    }
    return check_args(a);
}

/* Before the snapshot is even read: rendering needs Graphviz. */
static int check_graphviz(const struct dot_args *a)
{
    if (!a->format || strcmp(a->format, "dot") == 0 || lgt_graphviz_found())
        return 0;
    const char *dot = strrchr(a->output, '.');
    fprintf(stderr, "leakgraph: Graphviz's dot is not installed: apt-get install graphviz, or"
            " write %.*s.dot\n", (int)(dot - a->output), a->output);
    return 2;
}

/* ---- targets ---- */

static const char *const mode_words[] = {"references to", "references from",
                                         "shortest chains to"};

/* The graph's label: what is drawn, from which snapshot. */
static char *title(const struct dot_run *r)
{
    const struct dot_args *a = r->a;
    const char *snap = strrchr(a->snapshot, '/') ? strrchr(a->snapshot, '/') + 1 : a->snapshot;
    char depth[48] = "";
    if (a->o.mode != LGT_DOT_CHAIN)
        snprintf(depth, sizeof depth, ", depth %u", a->o.max_depth);
    if (a->t.address) {
        const struct lg_snap_block *b = &r->x.h.blocks[r->targets[0]];
        return lgt_xasprintf("%s 0x%" PRIx64 " (%" PRIu64 " bytes, %s) in %s%s",
                             mode_words[a->o.mode], b->addr, b->size,
                             lgt_report_kind_name(r->x.c.kinds[r->targets[0]]), snap, depth);
    }
    return lgt_xasprintf("%s %zu of %zu blocks %s '%s' in %s%s", mode_words[a->o.mode],
                         r->ndrawn, r->ntargets, a->t.site ? "of the site" : "tagged",
                         a->t.site ? a->t.site : a->t.tag, snap, depth);
}

/* Orders the targets like `chain` does and decides how many are drawn: 0, or 1 when
 * --chain has nothing to draw. */
static int choose(struct dot_run *r)
{
    struct lgt_chain ch;
    lgt_chain_bfs(&r->x.h, &r->x.c.graph, &ch);
    r->nreached = lgt_target_order(&ch, r->targets, r->ntargets);
    lgt_chain_free(&ch);
    size_t n = r->a->o.mode == LGT_DOT_CHAIN ? r->nreached : r->ntargets;
    if (n == 0) {
        fprintf(stderr, "leakgraph: dot: %s reachable from a root: no chain to draw (try --refs"
                " or --backrefs)\n", r->ntargets == 1 ? "the target is not" : "no target is");
        return 1;
    }
    r->ndrawn = n < r->a->o.too_many ? n : r->a->o.too_many;
    if (r->ndrawn < n)
        fprintf(stderr, "leakgraph: dot: %zu blocks match; drawing the %zu nearest to a root"
                " (--too-many N draws more)\n", n, r->ndrawn);
    return 0;
}

/* ---- output ---- */

static size_t draw(struct dot_run *r, FILE *out)
{
    char *t = title(r);
    struct lgt_dot_opts o = r->a->o;
    o.title = t;
    size_t nodes = lgt_dot_write(out, &r->x, r->targets, r->ndrawn, &o);
    free(t);
    return nodes;
}

static FILE *create(const char *path)
{
    char err[512];
    FILE *f = lgt_outfile_open(path, err, sizeof err);
    if (!f)
        fprintf(stderr, "leakgraph: %s\n", err);
    return f;
}

/* Closes f: 0, or 2 with a message when writing failed. */
static int finish(FILE *f, const char *path)
{
    int bad = ferror(f);
    if ((fclose(f) | bad) != 0) {
        fprintf(stderr, "leakgraph: could not write %s\n", path);
        return 2;
    }
    return 0;
}

static int write_text(struct dot_run *r)
{
    const char *path = r->a->output;
    if (!path || strcmp(path, "-") == 0) {
        draw(r, stdout);
        return fflush(stdout) || ferror(stdout) ? 2 : 0;
    }
    FILE *f = create(path);
    if (!f)
        return 2;
    size_t nodes = draw(r, f);
    int rc = finish(f, path);
    if (!rc)
        printf("graph of %zu nodes written to %s\n", nodes, path);
    return rc;
}

/* The dot text in a temporary file, then `dot -Tsvg` (or png) writing into the output. */
static int render(struct dot_run *r, char *tmp)
{
    int fd = mkstemp(tmp);
    FILE *t = fd < 0 ? NULL : fdopen(fd, "w");
    if (!t) {
        fprintf(stderr, "leakgraph: cannot create a temporary file %s\n", tmp);
        if (fd >= 0)
            close(fd);
        return 2;
    }
    size_t nodes = draw(r, t);
    if (finish(t, tmp))
        return 2;
    FILE *out = create(r->a->output);
    if (!out)
        return 2;
    struct stat st;
    int ours = fstat(fileno(out), &st) == 0 && S_ISREG(st.st_mode);
    int rc = lgt_graphviz_render(tmp, r->a->format, fileno(out)) ? 2 : 0;
    rc = finish(out, r->a->output) ? 2 : rc;
    if (rc && ours) /* no half-written picture left behind */
        unlink(r->a->output);
    if (!rc)
        printf("graph of %zu nodes rendered to %s\n", nodes, r->a->output);
    return rc;
}

static int write_picture(struct dot_run *r)
{
    const char *dir = getenv("TMPDIR");
    char *tmp = lgt_xasprintf("%s/leakgraph.dot.XXXXXX", dir && dir[0] ? dir : "/tmp");
    int rc = render(r, tmp);
    unlink(tmp); /* mkstemp replaced the X's: this is the file, or nothing when it failed */
    free(tmp);
    return rc;
}

/* ---- the command ---- */

int lgt_cmd_dot(int argc, char **argv)
{
    struct dot_args a = {.o = {.max_depth = LGT_DOT_MAX_DEPTH, .too_many = LGT_DOT_TOO_MANY}};
    int rc = parse(argc, argv, &a);
    if (rc >= 0 || (rc = check_graphviz(&a)) != 0)
        return rc;
    struct dot_run r = {.a = &a};
    if (lgt_ctx_load(&r.x, a.snapshot, NULL, 0))
        return 2;
    rc = lgt_target_select(&r.x, &a.t, "dot", stderr, &r.targets, &r.ntargets);
    if (!rc)
        rc = choose(&r);
    if (!rc)
        rc = a.format && strcmp(a.format, "dot") != 0 ? write_picture(&r) : write_text(&r);
    free(r.targets);
    lgt_ctx_free(&r.x);
    return rc;
}
