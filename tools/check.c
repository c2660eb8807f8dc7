/* Small helpers of `leakgraph check`'s data (check.h): kind names, the allocation frame,
 * freeing a run. */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "mark.h"
#include "offline.h"
#include "outfile.h"
#include "suppress.h"

_Static_assert(LGT_CHK_CYCLIC == LGT_KIND_COUNT, "cyclic is the bit after the kinds, as LGT_SHOW_CYCLIC");

const char *lgt_chk_kind_word(unsigned kind)
{
    static const char *const w[] = {"?", "reachable", "possible", "definite", "indirect", "ignored",
                                    "cyclic"};
    return kind <= LGT_CHK_CYCLIC ? w[kind] : "?";
}

const char *lgt_chk_kind_name(unsigned kind)
{
    static const char *const w[] = {"?", "still reachable", "possibly lost", "definitely lost",
                                    "indirectly lost", "ignored", "cyclic"};
    return kind <= LGT_CHK_CYCLIC ? w[kind] : "?";
}

/* A cycle's blocks are definitely or indirectly lost as well: Valgrind has no cyclic kind,
 * so its consumers see one as the definitely lost structure it is. */
const char *lgt_chk_kind_vg(unsigned kind)
{
    static const char *const w[] = {"Leak_DefinitelyLost", "Leak_StillReachable", "Leak_PossiblyLost",
                                    "Leak_DefinitelyLost", "Leak_IndirectlyLost", "Leak_StillReachable",
                                    "Leak_DefinitelyLost"};
    return kind <= LGT_CHK_CYCLIC ? w[kind] : w[0];
}

const struct lgt_chk_frame *lgt_chk_alloc_frame(const struct lgt_chk_leak *l)
{
    for (size_t i = 0; i < l->nframes; i++)
        if (l->frames[i].file && l->frames[i].line)
            return &l->frames[i];
    return l->nframes ? &l->frames[0] : NULL;
}

void lgt_chk_frame_print(FILE *out, const struct lgt_chk_frame *f)
{
    lgt_frame_print_parts(out, f->function, f->file, f->line, f->module, f->module_off, f->pc);
}

int lgt_chk_failing(const struct lgt_chk_leak *l)
{
    return l->verdict == LGT_CHK_NEW || l->verdict == LGT_CHK_GREW;
}

static void free_leak(struct lgt_chk_leak *l)
{
    for (size_t i = 0; i < l->nframes; i++) {
        free(l->frames[i].function);
        free(l->frames[i].file);
        free(l->frames[i].module);
        free(l->frames[i].module_path);
    }
    free(l->frames);
    free(l->key);
}

void lgt_chk_run_free(struct lgt_chk_run *run)
{
    for (size_t p = 0; p < run->nprocs; p++) {
        struct lgt_chk_proc *pr = &run->procs[p];
        for (size_t i = 0; i < pr->nleaks; i++)
            free_leak(&pr->leaks[i]);
        free(pr->leaks);
        free(pr->exe);
        free(pr->cmdline);
        free(pr->json);
        free(pr->crash);
    }
    free(run->procs);
    run->procs = NULL;
    run->nprocs = 0;
}

FILE *lgt_chk_open(const char *flag, const char *path)
{
    char err[600];
    FILE *f = lgt_outfile_open(path, err, sizeof err);
    if (!f)
        fprintf(stderr, "leakgraph: --%s: %s\n", flag, err);
    return f;
}

int lgt_chk_close(FILE *f, const char *flag, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "leakgraph: --%s: writing %s failed: %s\n", flag, path, strerror(errno));
        return 2;
    }
    return 0;
}

void lgt_chk_xml(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (*p >= 0x20 || *p == '\n' || *p == '\t')
                fputc(*p, out); /* XML 1.0 has no other control characters */
        }
    }
}
