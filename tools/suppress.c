/* Suppression files (see suppress.h): parsing with file:line errors, LSan's matching. */
#include "suppress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "xalloc.h"

/* Built-in rules: allocations that glibc, ld.so and libstdc++ make for themselves and
 * never free (Valgrind's default.supp and LSan's standard suppressions cover the same). */
static const char *const defaults[] = {
    "leak:_dl_allocate_tls",        /* a thread's DTV and TLS: glibc keeps them for its stack cache */
    "leak:_dl_map_object",          /* ld.so's link maps of dlopen'ed objects */
    "leak:_dl_new_object",
    "leak:_dl_check_map_versions",
    "leak:_dlerror_run",            /* dlerror's per-thread buffer */
    "leak:^_IO_file_doallocate$",   /* stdio buffers, freed only by __libc_freeres */
    "leak:__libc_freeres",
    "leak:__nss_",                  /* NSS modules and their caches */
    "leak[reachable]:^_dl_init$",   /* libraries' constructors: libstdc++'s emergency EH pool */
    "leak[reachable]:^__gnu_cxx::__freeres$",
};

/* ---- matching ---- */

/* '*'-glob of pat[0..plen) against all of s, iteratively (see childskip.c). */
static int glob(const char *pat, size_t plen, const char *s)
{
    size_t p = 0, star = (size_t)-1;
    const char *mark = s;
    while (*s) {
        if (p < plen && pat[p] != '*' && pat[p] == *s) {
            p++;
            s++;
        } else if (p < plen && pat[p] == '*') {
            star = p++;
            mark = s;
        } else if (star != (size_t)-1) {
            p = star + 1;
            s = ++mark;
        } else {
            return 0;
        }
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

/* As LSan's TemplateMatch: without '^' the pattern may start anywhere, without '$' end
 * anywhere; so "foo" matches "xfooy", "^foo$" only "foo". */
int lgt_supp_match_pattern(const char *pattern, const char *name)
{
    if (!name)
        return 0;
    size_t len = strlen(pattern);
    int start = pattern[0] == '^', end = len > (size_t)start && pattern[len - 1] == '$';
    char *p = lgt_xasprintf("%s%.*s%s", start ? "" : "*", (int)(len - (size_t)start - (size_t)end),
                            pattern + start, end ? "" : "*");
    int m = glob(p, strlen(p), name);
    free(p);
    return m;
}

static int frame_matches(const char *pattern, const struct lgt_chk_frame *f)
{
    return lgt_supp_match_pattern(pattern, f->function) || lgt_supp_match_pattern(pattern, f->file) ||
           lgt_supp_match_pattern(pattern, f->module) || lgt_supp_match_pattern(pattern, f->module_path);
}

long lgt_supp_match(const struct lgt_supp_set *s, unsigned kind, const struct lgt_chk_frame *f,
                    size_t nframes)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].kinds && !(s->v[i].kinds & (1u << kind)))
            continue;
        for (size_t k = 0; k < nframes; k++)
            if (frame_matches(s->v[i].pattern, &f[k]))
                return (long)i;
    }
    return -1;
}

/* ---- parsing ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* "[definite,cyclic]" after "leak": the mask. 0, or -1 with the reason in err. */
static int parse_kinds(char **p, unsigned *mask, char *err, size_t errlen)
{
    char *close = strchr(*p, ']');
    if (!close)
        return snprintf(err, errlen, "'[' without ']' in the kind filter"), -1;
    *close = '\0';
    char why[256];
    if (lgt_report_parse_kinds(*p + 1, mask, why, sizeof why))
        return snprintf(err, errlen, "%s", why), -1;
    if (!*mask)
        return snprintf(err, errlen, "empty kind filter '[]'"), -1;
    *p = close + 1;
    return 0;
}

static int parse_line(struct lgt_supp_set *s, const char *name, unsigned lineno, char *line,
                      int builtin, char *err, size_t errlen)
{
    char *t = trim(line), why[300];
    if (!*t || *t == '#')
        return 0;
    unsigned mask = 0;
    char *p = t + 4;
    if (strncmp(t, "leak", 4) != 0 || (*p != ':' && *p != '[')) {
        size_t n = strcspn(t, ":[");
        snprintf(why, sizeof why, "unknown suppression type '%.*s' (expected leak:PATTERN or"
                 " leak[KINDS]:PATTERN)", (int)(n > 60 ? 60 : n), t);
    } else if (*p == '[' && parse_kinds(&p, &mask, why, sizeof why)) {
        ;
    } else if (*p != ':') {
        snprintf(why, sizeof why, "expected ':' after the kind filter");
    } else if (!*trim(p + 1) || !strcmp(trim(p + 1), "^") || !strcmp(trim(p + 1), "$")) {
        snprintf(why, sizeof why, "empty pattern");
    } else {
        s->v = lgt_xrealloc(s->v, s->n + 1, sizeof *s->v);
        s->v[s->n++] = (struct lgt_supp){.pattern = lgt_xstrdup(trim(p + 1)), .kinds = mask,
                                         .file = lgt_xstrdup(name), .line = lineno,
                                         .builtin = builtin};
        return 0;
    }
    snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
    return -1;
}

static int parse_text(struct lgt_supp_set *s, const char *name, const char *text, int builtin,
                      char *err, size_t errlen)
{
    char *copy = lgt_xstrdup(text), *line = copy;
    int rc = 0;
    for (unsigned lineno = 1; line && rc == 0; lineno++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strlen(line) != strcspn(line, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"))
            rc = (snprintf(err, errlen, "%s:%u: control characters: not a text file", name, lineno), -1);
        else
            rc = parse_line(s, name, lineno, line, builtin, err, errlen);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    return rc;
}

int lgt_supp_parse(struct lgt_supp_set *s, const char *name, const char *text, char *err,
                   size_t errlen)
{
    return parse_text(s, name, text, 0, err, errlen);
}

int lgt_supp_load(struct lgt_supp_set *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return snprintf(err, errlen, "%s: cannot read the suppression file: %s", path,
                        strerror(errno)), -1;
    char *text = NULL;
    size_t cap = 0, n = 0, got;
    char buf[65536];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + got + 1 > cap)
            text = lgt_xrealloc(text, cap = (n + got + 1) * 2, 1);
        memcpy(text + n, buf, got);
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        return snprintf(err, errlen, "%s: cannot read the suppression file (is it a directory?)",
                        path), -1;
    }
    if (memchr(text ? text : "", '\0', n)) {
        free(text);
        return snprintf(err, errlen, "%s: NUL bytes: not a suppression file", path), -1;
    }
    if (text)
        text[n] = '\0';
    int rc = parse_text(s, path, text ? text : "", 0, err, errlen);
    free(text);
    return rc;
}

void lgt_supp_add_defaults(struct lgt_supp_set *s)
{
    char err[256];
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (parse_text(s, "built-in", defaults[i], 1, err, sizeof err))
            abort(); /* a broken built-in rule is a bug; the unit tests load them */
    size_t first = s->n - sizeof defaults / sizeof defaults[0];
    for (size_t i = first; i < s->n; i++)
        s->v[i].line = (unsigned)(i - first + 1); /* its rule number */
}

void lgt_supp_free(struct lgt_supp_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].pattern);
        free(s->v[i].file);
    }
    free(s->v);
    s->v = NULL;
    s->n = 0;
}
