/* Sorted function symbols of one module, binary-searched. */
#include "symtab.h"

#include "xalloc.h"

#include <gelf.h>
#include <stdlib.h>

struct sym {
    uint64_t addr, size;
    const char *name;
    int rank;   /* at one address, libdw's choice: sized first, then global 0, weak 1, local 2 */
    int index;  /* then the first in the table */
};

struct lgt_symtab {
    struct sym *s;
    size_t n;
};

static int by_addr(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (!x->size != !y->size)
        return x->size ? -1 : 1; /* a sized symbol before a sizeless one */
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return x->index - y->index;
}

static int rank_of(unsigned char info)
{
    switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL: return 0;
    case STB_WEAK: return 1;
    default: return 2;
    }
}

struct lgt_symtab *lgt_symtab_build(Dwfl_Module *m)
{
    struct lgt_symtab *t = lgt_xcalloc(1, sizeof *t);
    int n = dwfl_module_getsymtab(m);
    if (n <= 0)
        return t;
    t->s = lgt_xcalloc((size_t)n, sizeof *t->s);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(m, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (!name || !*name || sym.st_shndx == SHN_UNDEF || addr == 0 ||
            (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
            continue;
        t->s[t->n++] = (struct sym){addr, sym.st_size, name, rank_of(sym.st_info), i};
    }
    qsort(t->s, t->n, sizeof *t->s, by_addr);
    /* one entry per address: the one libdw's search names (first after sorting) */
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        if (k == 0 || t->s[k - 1].addr != t->s[i].addr)
            t->s[k++] = t->s[i];
    t->n = k;
    return t;
}

/* How far back a symbol that holds addr is looked for, past nearer ones that end
 * before it (a function's cold part, a local label): a bound, not a walk of the table. */
#define BACK 16

const char *lgt_symtab_find(const struct lgt_symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n; /* the first entry above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->s[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    for (size_t i = lo, back = 0; i > 0 && back < BACK; i--, back++) {
        const struct sym *s = &t->s[i - 1];
        if (s->size && addr < s->addr + s->size)
            return s->name;
    }
    const struct sym *near = &t->s[lo - 1];
    return near->size == 0 ? near->name : NULL;
}

void lgt_symtab_free(struct lgt_symtab *t)
{
    if (!t)
        return;
    free(t->s);
    free(t);
}
