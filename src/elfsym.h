/* Names a code address from the ELF symbol table (.symtab) of the file it came from:
 * dladdr(3) only knows the dynamic symbols, and an executable built without
 * -rdynamic exports none of its functions. No malloc: the file is mapped with raw
 * syscalls (not through our mmap interposer, so it never becomes a root). */
#ifndef LG_ELFSYM_H
#define LG_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pc is a run-time address in the object loaded from path with load bias bias
 * (dlpi_addr; ignored for ET_EXEC files). On success, name gets the function's name
 * (truncated to cap) and *start its run-time address. False when the file cannot be
 * read, has no .symtab, or no function symbol covers pc. */
bool lg_elfsym_find(const char *path, uintptr_t bias, uintptr_t pc, char *name, size_t cap, uintptr_t *start);

#endif
