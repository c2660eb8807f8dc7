/* Names an allocation site in the running process by its first frame (the caller of
 * the allocator: sites never hold the tracer's own frames), for show_growth:
 * "function+0xoff (module)". Symbolization with file:line stays offline. */
#ifndef LG_SITENAME_H
#define LG_SITENAME_H

#include <stddef.h>
#include <stdint.h>

struct lg_sitename {
    char function[128]; /* "" when no symbol covers the address */
    char module[128];   /* the object's file name without its directory; "" if unknown */
    uintptr_t offset;   /* from the function's start, else from the module's base */
};

/* pc: a return address (the frame's pc). Refreshes nothing and takes no tracer lock
 * while it calls dladdr(3), which takes the loader lock and allocates nothing (checked
 * on glibc 2.36). Not AS-safe. */
void lg_sitename_resolve(uintptr_t pc, struct lg_sitename *out);

/* "function+0xoff (module)", or "module+0xoff" without a symbol. */
size_t lg_sitename_format(const struct lg_sitename *n, char *buf, size_t cap);

#endif
