/* A module's function symbols sorted by address, for the symbolizer: libdw's
 * dwfl_module_addrname searches the whole symbol table on every call, which made the
 * report of a big C++ program (clang: 9,878 sites, libLLVM's 100,000+ symbols) take
 * 13 s, 79 % of it in that search. */
#ifndef LGT_SYMTAB_H
#define LGT_SYMTAB_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

struct lgt_symtab;

/* Reads m's symbol table (.symtab when libdw found one, else .dynsym). Never NULL. */
struct lgt_symtab *lgt_symtab_build(Dwfl_Module *m);

/* The name of the function symbol that holds addr (the innermost when they nest; a
 * size-0 symbol when it is the nearest below and nothing sized holds addr), or NULL.
 * The name belongs to libdw's module: valid until dwfl_end. */
const char *lgt_symtab_find(const struct lgt_symtab *t, uint64_t addr);

void lgt_symtab_free(struct lgt_symtab *t);

#endif
