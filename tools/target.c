/* Target selection for chain and dot: see target.h. */
#include "target.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int frame_matches(const struct lgt_frame *f, const char *pat)
{
    const char *base = f->file ? strrchr(f->file, '/') : NULL;
    return (f->function && fnmatch(pat, f->function, 0) == 0) ||
           (f->file && fnmatch(pat, f->file, 0) == 0) ||
           (base && fnmatch(pat, base + 1, 0) == 0) ||
           (f->module && fnmatch(pat, f->module, 0) == 0);
}

static int site_matches(struct lgt_ctx *x, size_t b, const char *pat)
{
    const struct lgt_symstack *st = lgt_ctx_block_stack(x, b);
    for (size_t i = 0; i < st->n; i++)
        if (frame_matches(st->frames[i], pat))
            return 1;
    return 0;
}

static int tag_matches(struct lgt_ctx *x, size_t b, const char *pat)
{
    const char *name = lgt_reader_tag_name(&x->h, lgt_reader_block_tag(&x->h, b));
    return name && fnmatch(pat, name, 0) == 0;
}

/* Every block for which match() holds; 1 with no_match printed when there is none. */
static int scan(struct lgt_ctx *x, const char *pat, int (*match)(struct lgt_ctx *, size_t,
                const char *), uint32_t **out, size_t *n)
{
    *out = lgt_xcalloc(x->h.nblocks ? x->h.nblocks : 1, sizeof **out);
    for (size_t b = 0; b < x->h.nblocks; b++)
        if (match(x, b, pat))
            (*out)[(*n)++] = (uint32_t)b;
    return *n == 0;
}

static int address(struct lgt_ctx *x, const char *text, const char *cmd, FILE *note,
                   uint32_t **out, size_t *n)
{
    char *end;
    uint64_t addr = strtoull(text, &end, 0);
    if (*end || end == text) {
        fprintf(stderr, "leakgraph: %s: '%s' is not an address (0x...)\n", cmd, text);
        return 2;
    }
    long b = lgt_reader_block_at(&x->h, addr);
    if (b < 0) {
        fprintf(stderr, "leakgraph: 0x%" PRIx64 " is not inside any heap block of %s\n", addr,
                x->h.name);
        return 1;
    }
    const struct lg_snap_block *blk = &x->h.blocks[b];
    if (addr != blk->addr)
        fprintf(note, "0x%" PRIx64 " is inside the block 0x%" PRIx64 " (%" PRIu64 " bytes), at +%"
                PRIu64 "\n", addr, blk->addr, blk->size, addr - blk->addr);
    *out = lgt_xcalloc(1, sizeof **out);
    (*out)[(*n)++] = (uint32_t)b;
    return 0;
}

int lgt_target_select(struct lgt_ctx *x, const struct lgt_target_spec *s, const char *cmd,
                      FILE *note, uint32_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (s->address)
        return address(x, s->address, cmd, note, out, n);
    if (s->site && scan(x, s->site, site_matches, out, n)) {
        fprintf(stderr, "leakgraph: no block in %s was allocated at a site matching '%s'"
                " (function, file or module)\n", x->h.name, s->site);
        return 1;
    }
    if (s->tag && scan(x, s->tag, tag_matches, out, n)) {
        fprintf(stderr, "leakgraph: no block in %s has a type tag matching '%s'\n", x->h.name,
                s->tag);
        return 1;
    }
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

size_t lgt_target_order(const struct lgt_chain *ch, uint32_t *v, size_t n)
{
    sort_chain = ch;
    qsort(v, n, sizeof *v, cmp_target);
    size_t reached = 0;
    while (reached < n && ch->dist[v[reached]] != LGT_CHAIN_UNREACHED)
        reached++;
    return reached;
}
