/* Baseline keys, files and tolerance (see baseline.h). */
#include "baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "xalloc.h"

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

/* One frame of a key: function@file, function@[module], [module], or "?". Addresses and
 * line numbers are left out on purpose: they change with every build. */
static void key_frame(FILE *m, const struct lgt_chk_frame *f)
{
    if (f->function && f->file)
        fprintf(m, "%s@%s", f->function, base_name(f->file));
    else if (f->function)
        fprintf(m, "%s@[%s]", f->function, f->module ? f->module : "?");
    else
        fprintf(m, "[%s]", f->module ? f->module : "?");
}

char *lgt_baseline_key(unsigned kind, const struct lgt_chk_frame *f, size_t nframes)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        fputs("leakgraph: out of memory\n", stderr);
        exit(2);
    }
    fprintf(m, "%s\t", lgt_chk_kind_word(kind));
    for (size_t i = 0; i < nframes; i++) {
        if (i)
            fputs(" < ", m);
        key_frame(m, &f[i]);
    }
    if (!nframes)
        fputs("(no stack)", m);
    fclose(m);
    for (char *p = buf + strcspn(buf, "\t") + 1; *p; p++)
        if (*p == '\t' || *p == '\n')
            *p = ' '; /* the file is tab- and line-separated */
    return buf;
}

/* ---- reading ---- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct lgt_baseline_entry *)a)->key,
                  ((const struct lgt_baseline_entry *)b)->key);
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (!n || n > 19 || strspn(s, "0123456789") < n)
        return -1;
    *out = strtoull(s, NULL, 10);
    return 0;
}

static int known_kind(const char *s, size_t n)
{
    static const char *const words[] = {"definite", "indirect", "possible", "reachable", "cyclic"};
    for (size_t i = 0; i < 5; i++)
        if (strlen(words[i]) == n && !strncmp(words[i], s, n))
            return 1;
    return 0;
}

/* "BYTES\tBLOCKS\tKIND\tSTACK". 0, or -1 with the reason in why. */
static int parse_entry(struct lgt_baseline *b, const char *line, char *why, size_t n)
{
    const char *f[4];
    size_t len[4];
    const char *p = line;
    for (int i = 0; i < 4; i++) {
        f[i] = p;
        len[i] = i < 3 ? strcspn(p, "\t") : strlen(p);
        if (i < 3 && p[len[i]] != '\t')
            return snprintf(why, n, "expected 4 tab-separated fields (BYTES BLOCKS KIND STACK)"), -1;
        p += len[i] + 1;
    }
    uint64_t bytes, blocks;
    if (parse_u64(f[0], len[0], &bytes) || parse_u64(f[1], len[1], &blocks))
        return snprintf(why, n, "BYTES and BLOCKS must be decimal numbers"), -1;
    if (!known_kind(f[2], len[2]))
        return snprintf(why, n, "unknown kind '%.*s' (definite, indirect, possible, reachable,"
                        " cyclic)", (int)(len[2] > 40 ? 40 : len[2]), f[2]), -1;
    if (!len[3])
        return snprintf(why, n, "empty stack"), -1;
    char *key = lgt_xasprintf("%.*s\t%s", (int)len[2], f[2], f[3]);
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->v[i].key, key)) { /* a hand-merged file: add up */
            b->v[i].bytes += bytes;
            b->v[i].blocks += blocks;
            free(key);
            return 0;
        }
    b->v = lgt_xrealloc(b->v, b->n + 1, sizeof *b->v);
    b->v[b->n++] = (struct lgt_baseline_entry){key, bytes, blocks};
    return 0;
}

int lgt_baseline_parse(struct lgt_baseline *b, const char *name, const char *text, char *err,
                       size_t errlen)
{
    char *copy = lgt_xstrdup(text), *line = copy, why[256];
    int rc = 0;
    for (unsigned lineno = 1; line && rc == 0; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (lineno == 1 && strcmp(line, LGT_BASELINE_HEADER) != 0)
            rc = (snprintf(why, sizeof why, "not a leakgraph baseline (the first line must be '"
                           LGT_BASELINE_HEADER "')"), -1);
        else if (lineno > 1 && line[0] && line[0] != '#')
            rc = parse_entry(b, line, why, sizeof why);
        if (rc)
            snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    if (!rc && b->n > 1)
        qsort(b->v, b->n, sizeof *b->v, cmp_entry);
    return rc;
}

int lgt_baseline_load(struct lgt_baseline *b, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return snprintf(err, errlen, "%s: cannot read the baseline: %s", path, strerror(errno)), -1;
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    char buf[65536];
    size_t got;
    while (m && (got = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, got, m);
    int bad = ferror(f) || !m;
    fclose(f);
    if (m)
        fclose(m);
    int rc;
    if (bad)
        rc = (snprintf(err, errlen, "%s: cannot read the baseline (is it a directory?)", path), -1);
    else if (memchr(text, '\0', n))
        rc = (snprintf(err, errlen, "%s: NUL bytes: not a leakgraph baseline", path), -1);
    else
        rc = lgt_baseline_parse(b, path, text, err, errlen);
    free(text);
    return rc;
}

const struct lgt_baseline_entry *lgt_baseline_find(const struct lgt_baseline *b, const char *key)
{
    struct lgt_baseline_entry k = {(char *)key, 0, 0};
    return b->n ? bsearch(&k, b->v, b->n, sizeof *b->v, cmp_entry) : NULL;
}

int lgt_baseline_tolerance(struct lgt_baseline *b, const char *s, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int pct = *end == '%';
    if (end == s || errno || v < 0 || (pct ? end[1] != '\0' : *end != '\0') ||
        (!pct && (v != (double)(uint64_t)v || v > 1e18)))
        return snprintf(err, errlen, "--baseline-tolerance: '%s' is not a number of bytes or a"
                        " percentage (like 4096 or 10%%)", s), -1;
    b->tol_pct = pct ? v : 0;
    b->tol_bytes = pct ? 0 : (uint64_t)v;
    return 0;
}

uint64_t lgt_baseline_allowed(const struct lgt_baseline *b, const struct lgt_baseline_entry *e)
{
    return e->bytes + b->tol_bytes + (uint64_t)((double)e->bytes * b->tol_pct / 100.0);
}

void lgt_baseline_free(struct lgt_baseline *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].key);
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* ---- writing ---- */

int lgt_baseline_write(const struct lgt_chk_run *run, const char *path)
{
    struct lgt_baseline acc = {0};
    for (size_t p = 0; p < run->nprocs; p++)
        for (size_t i = 0; i < run->procs[p].nleaks; i++) {
            const struct lgt_chk_leak *l = &run->procs[p].leaks[i];
            if (l->verdict == LGT_CHK_NOT_ERROR || l->verdict == LGT_CHK_SUPPRESSED)
                continue;
            size_t k = 0;
            while (k < acc.n && strcmp(acc.v[k].key, l->key))
                k++;
            if (k == acc.n) {
                acc.v = lgt_xrealloc(acc.v, acc.n + 1, sizeof *acc.v);
                acc.v[acc.n++] = (struct lgt_baseline_entry){lgt_xstrdup(l->key), 0, 0};
            }
            acc.v[k].bytes += l->bytes;
            acc.v[k].blocks += l->blocks;
        }
    if (acc.n > 1)
        qsort(acc.v, acc.n, sizeof *acc.v, cmp_entry);
    char err[512];
    FILE *f = lgt_outfile_open(path, err, sizeof err);
    int rc = 0;
    if (!f) {
        fprintf(stderr, "leakgraph: --baseline-write: %s\n", err);
        rc = 2;
    } else {
        fprintf(f, LGT_BASELINE_HEADER "\n# BYTES\tBLOCKS\tKIND\tSTACK (leakgraph check"
                " --baseline-write; see leakgraph(1))\n");
        for (size_t i = 0; i < acc.n; i++)
            fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%s\n", acc.v[i].bytes, acc.v[i].blocks, acc.v[i].key);
        if (fclose(f) != 0) {
            fprintf(stderr, "leakgraph: --baseline-write: %s: %s\n", path, strerror(errno));
            rc = 2;
        }
    }
    lgt_baseline_free(&acc);
    return rc;
}
