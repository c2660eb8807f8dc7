/* Helpers of the offline commands: see offline.h. */
#include "offline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "xalloc.h"

int lgt_ctx_load(struct lgt_ctx *x, const char *path, const void *buf, size_t len)
{
    char err[512];
    memset(x, 0, sizeof *x);
    int rc = buf ? lgt_reader_load_mem(path, buf, len, &x->h, err, sizeof err)
                 : lgt_reader_load_file(path, &x->h, err, sizeof err);
    if (rc) {
        fprintf(stderr, "leakgraph: %s\n", err);
        return -1;
    }
    lgt_classify_run(&x->h, &x->c);
    x->sym = lgt_symbolize_open(&x->h);
    lgt_report_build(&x->r, &x->h, &x->c, x->sym);
    return 0;
}

void lgt_ctx_free(struct lgt_ctx *x)
{
    lgt_report_free(&x->r);
    lgt_symbolize_close(x->sym);
    lgt_classify_free(&x->c);
    lgt_reader_free(&x->h);
    memset(x, 0, sizeof *x);
}

const struct lgt_symstack *lgt_ctx_block_stack(struct lgt_ctx *x, size_t b)
{
    return lgt_report_stack(&x->r, x->h.blocks[b].site);
}

void lgt_frame_print_parts(FILE *out, const char *function, const char *file, unsigned line,
                           const char *module, uint64_t module_off, uint64_t pc)
{
    if (function && file)
        fprintf(out, "%s (%s:%u)", function, file, line);
    else if (function)
        fprintf(out, "%s [%s]", function, module ? module : "?");
    else if (module)
        fprintf(out, "%s+0x%" PRIx64, module, module_off);
    else
        fprintf(out, "0x%" PRIx64, pc);
}

void lgt_frame_print(FILE *out, const struct lgt_frame *f)
{
    lgt_frame_print_parts(out, f->function, f->file, f->line, f->module, f->module_off, f->pc);
}

char *lgt_frame_string(const struct lgt_frame *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        fputs("leakgraph: out of memory\n", stderr);
        exit(2);
    }
    lgt_frame_print(m, f);
    fclose(m);
    return buf;
}

void lgt_json_str(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void lgt_json_stack(FILE *out, const struct lgt_symstack *st)
{
    fputc('[', out);
    for (size_t i = 0; i < st->n; i++) {
        const struct lgt_frame *f = st->frames[i];
        fputs(i ? ", {\"function\": " : "{\"function\": ", out);
        lgt_json_str(out, f->function);
        fputs(", \"file\": ", out);
        lgt_json_str(out, f->file);
        fprintf(out, ", \"line\": %u, \"module\": ", f->line);
        lgt_json_str(out, f->module);
        fprintf(out, ", \"module_offset\": %" PRIu64 "}", f->module_off);
    }
    fputc(']', out);
}

FILE *lgt_json_open(const char *pattern, unsigned pid)
{
    char err[512];
    char *path = lgt_outfile_expand(pattern, pid);
    FILE *f = lgt_outfile_open(path, err, sizeof err);
    if (!f)
        fprintf(stderr, "leakgraph: %s\n", err);
    free(path);
    return f;
}

int lgt_json_close(FILE *f, const char *pattern)
{
    int bad = ferror(f);
    if ((fclose(f) | bad) != 0) {
        fprintf(stderr, "leakgraph: could not write the JSON file %s\n", pattern);
        return 2;
    }
    return 0;
}

int lgt_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}
