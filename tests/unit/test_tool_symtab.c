/* The symbolizer's sorted symbol table gives the names libdw's own (linear) search gives,
 * on this test program, on libc and on the module strlen comes from (libasan in the
 * sanitized build: interceptors share addresses with weak aliases and sizeless globals),
 * at the start, the middle and the last byte of every function symbol. */
#include <criterion/criterion.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symtab.h"

int __attribute__((noinline)) lgt_test_symtab_probe(int x) { return x * 3 + 1; }

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

static Dwfl *open_self(void)
{
    Dwfl *d = dwfl_begin(&callbacks);
    cr_assert_not_null(d);
    cr_assert_eq(dwfl_linux_proc_report(d, getpid()), 0);
    cr_assert_eq(dwfl_report_end(d, NULL, NULL), 0);
    return d;
}

/* Every function symbol of m: its start, its middle and its last byte name the same
 * function in both searches. Returns how many addresses were compared. */
static int compare_module(Dwfl_Module *m)
{
    struct lgt_symtab *t = lgt_symtab_build(m);
    int n = dwfl_module_getsymtab(m), compared = 0;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr start;
        const char *name = dwfl_module_getsym_info(m, i, &sym, &start, NULL, NULL, NULL);
        if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !sym.st_size)
            continue;
        uint64_t probes[3] = {start, start + sym.st_size / 2, start + sym.st_size - 1};
        for (int k = 0; k < 3; k++) {
            const char *want = dwfl_module_addrname(m, probes[k]);
            const char *got = lgt_symtab_find(t, probes[k]);
            cr_assert(want && got, "%s+%lu: libdw %s, table %s", name, (unsigned long)(probes[k] - start),
                      want ? want : "(none)", got ? got : "(none)");
            cr_assert_str_eq(got, want, "at %s+%lu: libdw %s, table %s", name, (unsigned long)(probes[k] - start), want, got);
            compared++;
        }
    }
    lgt_symtab_free(t);
    return compared;
}

Test(symtab, finds_a_known_function)
{
    Dwfl *d = open_self();
    uintptr_t a = (uintptr_t)lgt_test_symtab_probe;
    Dwfl_Module *m = dwfl_addrmodule(d, a);
    cr_assert_not_null(m);
    struct lgt_symtab *t = lgt_symtab_build(m);
    cr_assert_str_eq(lgt_symtab_find(t, a), "lgt_test_symtab_probe");
    cr_assert_str_eq(lgt_symtab_find(t, a + 1), "lgt_test_symtab_probe");
    lgt_symtab_free(t);
    dwfl_end(d);
}

Test(symtab, agrees_with_libdw_on_this_program_and_libc)
{
    Dwfl *d = open_self();
    int self = compare_module(dwfl_addrmodule(d, (uintptr_t)lgt_test_symtab_probe));
    int libc = compare_module(dwfl_addrmodule(d, (uintptr_t)getpid));
    int strlen_mod = compare_module(dwfl_addrmodule(d, (uintptr_t)strlen));
    cr_assert_gt(self, 100, "only %d addresses compared in the test program", self);
    cr_assert_gt(libc, 1000, "only %d addresses compared in libc", libc);
    cr_assert_gt(strlen_mod, 1000, "only %d addresses compared in strlen's module", strlen_mod);
    dwfl_end(d);
}
