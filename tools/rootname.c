/* Root names: see rootname.h. Globals are looked up in the module's ELF symbol table
 * (.symtab, else .dynsym) with libdw's dwfl_module_addrinfo on the root word's address. */
#include "rootname.h"

#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct lgt_rootnamer {
    const struct lgt_heap *heap;
    Dwfl *dwfl; /* NULL when libdw could not start */
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

struct lgt_rootnamer *lgt_rootname_open(const struct lgt_heap *h)
{
    struct lgt_rootnamer *n = lgt_xcalloc(1, sizeof *n);
    n->heap = h;
    n->dwfl = dwfl_begin(&callbacks);
    if (!n->dwfl)
        return n;
    dwfl_report_begin(n->dwfl);
    for (size_t i = 0; i < h->nmodules; i++) {
        const struct lgt_module *m = &h->modules[i];
        if (!(m->flags & LG_MOD_VDSO) && m->path[0])
            dwfl_report_elf(n->dwfl, m->path, m->path, -1, m->base, false);
    }
    dwfl_report_end(n->dwfl, NULL, NULL);
    return n;
}

void lgt_rootname_close(struct lgt_rootnamer *n)
{
    if (n && n->dwfl)
        dwfl_end(n->dwfl);
    free(n);
}

void lgt_rootname_clear(struct lgt_rootname *r)
{
    free(r->symbol);
    free(r->module);
    free(r->text);
    memset(r, 0, sizeof *r);
}

/* ucontext_t gregs order on x86-64. */
static const char *const gregs[] = {"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                                    "rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp",
                                    "rip", "efl", "csgsfs", "err", "trapno", "oldmask", "cr2"};

static const struct lgt_module *module_by_id(const struct lgt_heap *h, uint32_t id)
{
    for (size_t i = 0; i < h->nmodules; i++)
        if (h->modules[i].id == id)
            return &h->modules[i];
    return NULL;
}

static void data_symbol(struct lgt_rootnamer *n, uint64_t addr, struct lgt_rootname *out)
{
    Dwfl_Module *m = n->dwfl ? dwfl_addrmodule(n->dwfl, addr) : NULL;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = m ? dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL) : NULL;
    if (!name || GELF_ST_TYPE(sym.st_info) == STT_FUNC ||
        (sym.st_size && off >= sym.st_size))
        return;
    out->symbol = lgt_xstrndup(name, strcspn(name, "@"));
    out->symbol_off = off;
}

static void name_global(struct lgt_rootnamer *n, const struct lg_snap_root *r, uint64_t word,
                        struct lgt_rootname *out)
{
    const struct lgt_module *mod = module_by_id(n->heap, r->owner);
    const char *path = mod ? mod->path : "";
    const char *slash = strrchr(path, '/');
    out->kind = "global";
    out->module = lgt_xstrdup(slash ? slash + 1 : path[0] ? path : "?");
    out->module_off = mod ? word - mod->base : r->owner_off;
    data_symbol(n, word, out);
    if (out->symbol)
        out->text = lgt_xasprintf("global %s (+%" PRIu64 ") in %s [module offset 0x%" PRIx64 "]",
                                  out->symbol, out->symbol_off, out->module, out->module_off);
    else
        out->text = lgt_xasprintf("global data in %s [module offset 0x%" PRIx64 "]", out->module,
                                  out->module_off);
}

static void name_thread(const struct lg_snap_root *r, uint64_t from_off, struct lgt_rootname *o)
{
    o->tid = r->owner;
    if (r->kind == LG_ROOT_STACK) {
        o->kind = "stack";
        o->text = lgt_xasprintf("stack of thread %u", r->owner);
    } else if (r->kind == LG_ROOT_REGISTERS) {
        size_t i = from_off / 8;
        o->kind = "register";
        o->symbol = i < sizeof gregs / sizeof *gregs ? lgt_xstrdup(gregs[i])
                                                     : lgt_xasprintf("#%zu", i);
        o->text = lgt_xasprintf("register %s of thread %u", o->symbol, r->owner);
    } else {
        o->kind = r->kind == LG_ROOT_TLS ? "tls" : "dtv";
        o->text = lgt_xasprintf("%s of thread %u (+%" PRIu64 ")",
                                r->kind == LG_ROOT_TLS ? "TLS" : "dynamic TLS", r->owner, from_off);
    }
}

void lgt_rootname_get(struct lgt_rootnamer *n, const struct lg_snap_edge *e,
                      struct lgt_rootname *out)
{
    memset(out, 0, sizeof *out);
    const struct lg_snap_root *r = lgt_reader_root(n->heap, e->from);
    uint64_t word = r ? r->addr + e->from_off : 0;
    if (!r) {
        out->kind = "?";
        out->text = lgt_xasprintf("unknown root %u", e->from);
    } else if (r->kind == LG_ROOT_GLOBAL) {
        name_global(n, r, word, out);
    } else if (r->kind >= LG_ROOT_STACK && r->kind <= LG_ROOT_DTV) {
        name_thread(r, e->from_off, out);
    } else if (r->kind == LG_ROOT_USER) { /* the range the program gave: its start, offset */
        out->kind = "user";
        out->text = lgt_xasprintf("registered root 0x%" PRIx64 "+%" PRIu64
                                  " (leakgraph_register_root)", r->addr, e->from_off);
    } else {
        out->kind = r->kind == LG_ROOT_MMAP ? "mmap" : "?";
        out->text = lgt_xasprintf("%s 0x%" PRIx64 "-0x%" PRIx64 " (+%" PRIu64 ")",
                                  r->kind == LG_ROOT_MMAP ? "mapped memory" : "root of unknown kind",
                                  r->addr, r->addr + r->len, e->from_off);
    }
}
