/* `leakgraph check --sarif FILE`: SARIF 2.1.0 for code-scanning pages. One result per leak
 * site (the same stack and kind in several processes is one result), located at the
 * allocation's file:line, with the stack as a code flow. Paths under the current directory
 * are relative to %SRCROOT% (the checkout, where CI runs check), so the pages can annotate
 * the line; others are file:// URIs. */
#include "check.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "offline.h"
#include "suppress.h"
#include "xalloc.h"

struct site {
    const struct lgt_chk_leak *first; /* its stack, kind and verdict */
    uint64_t bytes, blocks;
    size_t nprocs;
};

static const char *const rule_ids[] = {"leak", "still-reachable", "possibly-lost", "definitely-lost",
                                       "indirectly-lost", "ignored", "cyclic"};

static void rules(FILE *f)
{
    static const char *const help[] = {
        "", "A block still pointed to at exit: not a leak, but memory never freed.",
        "A block reached only through interior pointers: maybe lost, maybe not.",
        "A block no pointer reaches at exit: the program lost it.",
        "A block reached only from lost blocks: lost together with them.", "",
        "Lost blocks that point at each other in a cycle: freeing needs breaking the cycle."};
    fputs("      \"tool\": {\"driver\": {\"name\": \"leakgraph\", \"version\": \"" LG_VERSION "\","
          " \"informationUri\": \"https://example.invalid/leakgraph\", \"rules\": [", f);
    for (unsigned k = 1; k <= LGT_CHK_CYCLIC; k++) {
        if (k == 5)
            continue;
        fprintf(f, "%s\n        {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": \"%s"
                " memory\"}, \"fullDescription\": {\"text\": \"%s\"}, \"help\": {\"text\": \"%s\"},"
                " \"defaultConfiguration\": {\"level\": \"%s\"}}", k == 1 ? "" : ",", rule_ids[k],
                rule_ids[k], lgt_chk_kind_name(k), help[k], help[k],
                k == 3 || k == 4 || k == 6 ? "error" : "warning");
    }
    fputs("]}},\n", f);
}

/* A URI reference: RFC 3986's unreserved characters and '/' as they are, the rest
 * percent-encoded. */
static void uri_chars(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
}

static void artifact(FILE *f, const char *file, const char *root)
{
    size_t rl = strlen(root);
    fputs("{\"uri\": \"", f);
    if (file[0] != '/') {
        uri_chars(f, file);
        fputs("\", \"uriBaseId\": \"SRCROOT\"}", f);
    } else if (!strncmp(file, root, rl) && file[rl] == '/') {
        uri_chars(f, file + rl + 1);
        fputs("\", \"uriBaseId\": \"SRCROOT\"}", f);
    } else {
        fputs("file://", f);
        uri_chars(f, file);
        fputs("\"}", f);
    }
}

static void location(FILE *f, const struct lgt_chk_frame *fr, const char *root)
{
    fputc('{', f);
    if (fr->file && fr->line) {
        fputs("\"physicalLocation\": {\"artifactLocation\": ", f);
        artifact(f, fr->file, root);
        fprintf(f, ", \"region\": {\"startLine\": %u}}, ", fr->line);
    }
    char *name = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&name, &len);
    if (m) {
        lgt_chk_frame_print(m, fr);
        fclose(m);
    }
    fputs("\"logicalLocations\": [{\"name\": ", f);
    lgt_json_str(f, fr->function ? fr->function : name);
    fputs(", \"kind\": \"function\"}], \"message\": {\"text\": ", f);
    lgt_json_str(f, name);
    fputs("}}", f);
    free(name);
}

static void code_flow(FILE *f, const struct lgt_chk_leak *l, const char *root)
{
    fputs(", \"codeFlows\": [{\"message\": {\"text\": \"allocation stack, innermost first\"},"
          " \"threadFlows\": [{\"locations\": [", f);
    for (size_t i = 0; i < l->nframes; i++) {
        fprintf(f, "%s{\"nestingLevel\": %zu, \"location\": ", i ? ", " : "", l->nframes - 1 - i);
        location(f, &l->frames[i], root);
        fputc('}', f);
    }
    fputs("]}]}]", f);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const char *level(const struct lgt_chk_run *run, const struct lgt_chk_leak *l)
{
    if (lgt_chk_failing(l))
        return "error";
    return l->verdict == LGT_CHK_NOT_ERROR && (run->show_mask & (1u << l->kind)) ? "warning" : "note";
}

static void result(FILE *f, const struct lgt_chk_run *run, const struct site *s, const char *root, int first)
{
    const struct lgt_chk_leak *l = s->first;
    const struct lgt_chk_frame *at = lgt_chk_alloc_frame(l);
    fprintf(f, "%s\n        {\"ruleId\": \"%s\", \"level\": \"%s\", \"message\": {\"text\": \"%" PRIu64
            " bytes in %" PRIu64 " blocks are %s, in %zu process%s; allocated at ", first ? "" : ",",
            rule_ids[l->kind], level(run, l), s->bytes, s->blocks, lgt_chk_kind_name(l->kind), s->nprocs,
            s->nprocs == 1 ? "" : "es");
    char *where = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&where, &len);
    if (m && at)
        lgt_chk_frame_print(m, at);
    if (m)
        fclose(m);
    char *quoted = NULL;
    m = open_memstream(&quoted, &len);
    if (m) {
        lgt_json_str(m, where ? where : "?");
        fclose(m);
    }
    fprintf(f, "%.*s\"}", quoted ? (int)strlen(quoted) - 2 : 0, quoted ? quoted + 1 : "");
    free(where);
    free(quoted);
    fputs(", \"locations\": [", f);
    if (at)
        location(f, at, root);
    fprintf(f, "], \"partialFingerprints\": {\"leakgraphSite/v1\": \"%016" PRIx64 "\"}", fnv1a(l->key));
    if (l->nframes)
        code_flow(f, l, root);
    if (run->baseline && l->verdict != LGT_CHK_SUPPRESSED && l->verdict != LGT_CHK_NOT_ERROR)
        fprintf(f, ", \"baselineState\": \"%s\"", l->verdict == LGT_CHK_NEW ? "new" :
                l->verdict == LGT_CHK_GREW ? "updated" : "unchanged");
    if (l->supp >= 0) {
        fputs(", \"suppressions\": [{\"kind\": \"external\", \"justification\": ", f);
        char *j = lgt_xasprintf("%s:%u: leak:%s", run->supps->v[l->supp].file, run->supps->v[l->supp].line,
                                run->supps->v[l->supp].pattern);
        lgt_json_str(f, j);
        free(j);
        fputs("}]", f);
    }
    fputc('}', f);
}

/* The leak sites: leaks with the same key are one site. */
static struct site *sites(const struct lgt_chk_run *run, size_t *n)
{
    struct site *v = NULL;
    *n = 0;
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            size_t k = 0;
            while (k < *n && strcmp(v[k].first->key, l->key))
                k++;
            if (k == *n) {
                v = lgt_xrealloc(v, *n + 1, sizeof *v);
                v[(*n)++] = (struct site){l, 0, 0, 0};
            }
            v[k].bytes += l->bytes;
            v[k].blocks += l->blocks;
            v[k].nprocs++;
        }
    return v;
}

int lgt_out_sarif(const struct lgt_chk_run *run, const char *path)
{
    FILE *f = lgt_chk_open("sarif", path);
    if (!f)
        return 2;
    char root[PATH_MAX];
    if (!getcwd(root, sizeof root))
        strcpy(root, "/");
    fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n"
          "  \"runs\": [\n    {\n", f);
    rules(f);
    fputs("      \"originalUriBaseIds\": {\"SRCROOT\": {\"uri\": \"file://", f);
    uri_chars(f, root);
    fprintf(f, "%s\"}},\n      \"invocations\": [{\"executionSuccessful\": true, \"commandLine\": ",
            strcmp(root, "/") ? "/" : "");
    char *cmd = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&cmd, &len);
    for (char **a = run->argv; m && *a; a++)
        fprintf(m, "%s%s", a == run->argv ? "" : " ", *a);
    if (m)
        fclose(m);
    lgt_json_str(f, cmd ? cmd : "");
    free(cmd);
    fputs("}],\n      \"results\": [", f);
    size_t n;
    struct site *v = sites(run, &n);
    for (size_t i = 0; i < n; i++)
        result(f, run, &v[i], root, i == 0);
    free(v);
    fputs(n ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n", f);
    return lgt_chk_close(f, "sarif", path);
}
