/* Symbolization with libdw's offline Dwfl. Return addresses are looked up at pc - 1 so a
 * call that ends a function still maps to its own line. Demangling uses __cxa_demangle found
 * at run time (libstdc++ is not linked), so C++ names stay mangled where it is missing. */
#include "symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "symtab.h"
#include "xalloc.h"

#undef uthash_fatal
#define uthash_fatal(msg) (fprintf(stderr, "leakgraph: out of memory (%s)\n", msg), exit(2))

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

struct entry {
    uint64_t pc;
    struct lgt_frame frame;
    UT_hash_handle hh;
};

/* A module's sorted symbols, built when a pc first falls in it. */
struct modsyms {
    Dwfl_Module *m;
    struct lgt_symtab *t;
    UT_hash_handle hh;
};

struct lgt_symbolizer {
    const struct lgt_heap *heap;
    Dwfl *dwfl;           /* NULL when libdw could not start */
    struct entry *cache;  /* uthash, keyed by pc */
    struct modsyms *syms; /* uthash, keyed by module */
    demangle_fn demangle; /* NULL when libstdc++ is not available */
    void *libstdcxx;      /* dlopen handle, or NULL */
};

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* ---- modules ---- */

static void check_build_id(Dwfl_Module *m, const struct lgt_module *mod)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(m, &bits, &vaddr);
    if (n <= 0 || mod->build_id_len == 0)
        return;
    if ((uint32_t)n != mod->build_id_len || memcmp(bits, mod->build_id, (size_t)n) != 0)
        fprintf(stderr, "leakgraph: warning: %s has changed since the snapshot (build-id"
                " differs); its frames may be symbolized wrongly\n", mod->path);
}

static void report_modules(struct lgt_symbolizer *s)
{
    const struct lgt_heap *h = s->heap;
    dwfl_report_begin(s->dwfl);
    for (size_t i = 0; i < h->nmodules; i++) {
        const struct lgt_module *mod = &h->modules[i];
        if ((mod->flags & LG_MOD_VDSO) || mod->path[0] == '\0')
            continue;
        Dwfl_Module *m = dwfl_report_elf(s->dwfl, mod->path, mod->path, -1, mod->base, false);
        if (m)
            check_build_id(m, mod);
    }
    dwfl_report_end(s->dwfl, NULL, NULL);
}

static void find_demangler(struct lgt_symbolizer *s)
{
    s->demangle = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (s->demangle)
        return;
    s->libstdcxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
    if (s->libstdcxx)
        s->demangle = (demangle_fn)dlsym(s->libstdcxx, "__cxa_demangle");
}

struct lgt_symbolizer *lgt_symbolize_open(const struct lgt_heap *h)
{
    struct lgt_symbolizer *s = lgt_xcalloc(1, sizeof *s);
    s->heap = h;
    s->dwfl = dwfl_begin(&offline_callbacks);
    if (s->dwfl)
        report_modules(s);
    find_demangler(s);
    return s;
}

/* ---- look-up ---- */

static const struct lgt_symtab *symtab_of(struct lgt_symbolizer *s, Dwfl_Module *m)
{
    struct modsyms *e;
    HASH_FIND_PTR(s->syms, &m, e);
    if (!e) {
        e = lgt_xcalloc(1, sizeof *e);
        e->m = m;
        e->t = lgt_symtab_build(m);
        HASH_ADD_PTR(s->syms, m, e);
    }
    return e->t;
}

static const char *function_name(struct lgt_symbolizer *s, Dwfl_Module *m, uint64_t addr)
{
    const char *name = lgt_symtab_find(symtab_of(s, m), addr);
    if (!name)
        return NULL;
    if (s->demangle && strncmp(name, "_Z", 2) == 0) {
        int status = -1;
        char *d = s->demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    /* "__libc_start_main@@GLIBC_2.34": the symbol version is noise in a stack. */
    return lgt_xstrndup(name, strcspn(name, "@"));
}

/* ---- inlined functions ---- */

#define MAX_INLINE 16 /* inline depth shown per pc */

static const char *inline_name(struct lgt_symbolizer *s, Dwarf_Die *scope)
{
    Dwarf_Attribute a;
    Dwarf_Die origin;
    if (!dwarf_formref_die(dwarf_attr(scope, DW_AT_abstract_origin, &a), &origin))
        return NULL;
    const char *name = dwarf_formstring(dwarf_attr_integrate(&origin, DW_AT_linkage_name, &a));
    if (name && s->demangle) {
        int status = -1;
        char *d = s->demangle(name, NULL, NULL, &status);
        if (d && status == 0)
            return d;
        free(d);
    }
    name = name ? name : dwarf_diename(&origin);
    return name ? lgt_xstrdup(name) : NULL;
}

/* The file:line an inlined subroutine was called from. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *scope, const char **file, unsigned *line)
{
    Dwarf_Attribute a;
    Dwarf_Word fileno = 0, lineno = 0;
    Dwarf_Files *files;
    size_t nfiles;
    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(scope, DW_AT_call_line, &a), &lineno) == 0)
        *line = (unsigned)lineno;
    if (dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &a), &fileno) == 0 &&
        dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && fileno < nfiles) {
        const char *name = dwarf_filesrc(files, fileno, NULL, NULL);
        *file = name ? lgt_xstrdup(name) : NULL;
    }
}

/* Turns f (symbolized as the real function) into the innermost of a chain of inlined
 * frames at the same pc, when the DWARF scopes at addr include inlined subroutines. */
static void expand_inlines(struct lgt_symbolizer *s, Dwfl_Module *m, uint64_t addr,
                           struct lgt_frame *f)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(m, addr, &bias);
    Dwarf_Die *scopes = NULL;
    int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
    struct lgt_frame *inner = f;
    struct lgt_frame outer = *f; /* the real function, with the caller's line filled in */
    for (int i = 0, depth = 0; i < n && depth < MAX_INLINE; i++) {
        if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
            continue;
        struct lgt_frame *next = lgt_xcalloc(1, sizeof *next);
        *next = outer;
        next->function = NULL;
        call_site(cu, &scopes[i], &next->file, &next->line);
        inner->function = inline_name(s, &scopes[i]);
        inner->caller = next;
        inner = next;
        depth++;
    }
    if (inner != f) {
        inner->function = outer.function; /* the outermost keeps addrname's answer */
        if (!inner->file) /* no DW_AT_call_file: keep some location */
            inner->file = outer.file ? lgt_xstrdup(outer.file) : NULL;
    }
    free(scopes);
}

static void lookup(struct lgt_symbolizer *s, struct lgt_frame *f)
{
    const struct lgt_module *mod = lgt_reader_module_at(s->heap, f->pc);
    if (mod) {
        const char *slash = strrchr(mod->path, '/');
        f->module = lgt_xstrdup(slash ? slash + 1 : mod->path[0] ? mod->path : "?");
        f->module_off = f->pc - mod->base;
        f->module_flags = mod->flags;
    }
    if (!s->dwfl || f->pc == 0)
        return;
    uint64_t addr = f->pc - 1;
    Dwfl_Module *m = dwfl_addrmodule(s->dwfl, addr);
    if (!m)
        return;
    f->function = function_name(s, m, addr);
    Dwfl_Line *line = dwfl_module_getsrc(m, addr);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (file) {
        f->file = lgt_xstrdup(file);
        f->line = lineno > 0 ? (unsigned)lineno : 0;
    }
    expand_inlines(s, m, addr, f);
}

const struct lgt_frame *lgt_symbolize_pc(struct lgt_symbolizer *s, uint64_t pc)
{
    struct entry *e;
    HASH_FIND(hh, s->cache, &pc, sizeof pc, e);
    if (e)
        return &e->frame;
    e = lgt_xcalloc(1, sizeof *e);
    e->pc = pc;
    e->frame.pc = pc;
    lookup(s, &e->frame);
    HASH_ADD(hh, s->cache, pc, sizeof e->pc, e);
    return &e->frame;
}

/* The module name is shared along an inline chain: only the head (in the cache) owns it. */
static void free_frame_strings(const struct lgt_frame *f)
{
    free((char *)f->function);
    free((char *)f->file);
}

void lgt_symbolize_close(struct lgt_symbolizer *s)
{
    if (!s)
        return;
    struct entry *e, *tmp;
    HASH_ITER(hh, s->cache, e, tmp) {
        HASH_DEL(s->cache, e);
        free_frame_strings(&e->frame);
        free((char *)e->frame.module);
        for (const struct lgt_frame *c = e->frame.caller, *next; c; c = next) {
            next = c->caller;
            free_frame_strings(c);
            free((void *)c);
        }
        free(e);
    }
    struct modsyms *ms, *mtmp;
    HASH_ITER(hh, s->syms, ms, mtmp) {
        HASH_DEL(s->syms, ms);
        lgt_symtab_free(ms->t);
        free(ms);
    }
    if (s->dwfl)
        dwfl_end(s->dwfl);
    if (s->libstdcxx)
        dlclose(s->libstdcxx);
    free(s);
}
