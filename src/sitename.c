/* Site names: the module map says which file holds the address, dladdr names exported
 * functions, the file's .symtab the others (an executable's own functions). */
#include "sitename.h"

#include "elfsym.h"
#include "log.h"
#include "modules.h"
#include "leakgraph/format.h"

#include <dlfcn.h>
#include <string.h>

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    while (src && src[n] && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
}

/* The path and load bias of the loaded object holding pc. The copy is taken under the
 * modules lock, which is released before anything takes the loader lock: a thread in
 * dlopen holds the loader lock and may want the modules lock for a snapshot. */
static bool module_of(uintptr_t pc, char *path, size_t cap, uintptr_t *bias)
{
    bool found = false;
    lg_modules_lock();
    for (const struct lg_module *m = lg_modules_list(); m && !found; m = m->next)
        if (!(m->flags & LG_MOD_UNLOADED) && pc >= m->lo && pc < m->hi) {
            copy_str(path, cap, m->path);
            *bias = m->base;
            found = true;
        }
    lg_modules_unlock();
    return found;
}

void lg_sitename_resolve(uintptr_t pc, struct lg_sitename *out)
{
    char path[4096] = "";
    uintptr_t bias = 0, start = 0;
    memset(out, 0, sizeof *out);
    /* pc - 1: a return address may be the first byte after the calling function. */
    uintptr_t at = pc ? pc - 1 : 0;
    bool mod = module_of(at, path, sizeof path, &bias);
    Dl_info di;
    memset(&di, 0, sizeof di);
    if (dladdr((void *)at, &di)) {
        if (!mod && di.dli_fname) {
            copy_str(path, sizeof path, di.dli_fname);
            bias = (uintptr_t)di.dli_fbase;
            mod = true;
        }
        if (di.dli_sname && di.dli_saddr) {
            copy_str(out->function, sizeof out->function, di.dli_sname);
            start = (uintptr_t)di.dli_saddr;
        }
    }
    if (!out->function[0] && mod && !lg_elfsym_find(path, bias, at, out->function, sizeof out->function, &start))
        out->function[0] = '\0';
    copy_str(out->module, sizeof out->module, mod ? base_name(path) : "");
    out->offset = out->function[0] ? pc - start : pc - bias;
}

size_t lg_sitename_format(const struct lg_sitename *n, char *buf, size_t cap)
{
    if (n->function[0])
        return lg_fmt_async(buf, cap, "%s+0x%lx (%s)", n->function, (unsigned long)n->offset,
                            n->module[0] ? n->module : "?");
    return lg_fmt_async(buf, cap, "%s+0x%lx", n->module[0] ? n->module : "?", (unsigned long)n->offset);
}
