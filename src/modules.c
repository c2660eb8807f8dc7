/* Module map maintenance through dl_iterate_phdr; no libc allocation. */
#include "modules.h"

#include "arena.h"
#include "leakgraph/format.h"
#include "lock.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

/* Protected by modules_lock: the list and every module's flags/seen. */
static lg_lock_t modules_lock = LG_LOCK_INIT;
static struct lg_module *modules;
static uint32_t next_id;
/* Our own load bias, to flag the tracer's module. Set by lg_modules_self_range. */
static uintptr_t self_base = 1;

bool lg_modules_lock_within(long ms) { return lg_lock_within(&modules_lock, ms); }
void lg_modules_lock(void) { lg_lock(&modules_lock); }
void lg_modules_unlock(void) { lg_unlock(&modules_lock); }
void lg_modules_atfork_child(void) { lg_lock_reset(&modules_lock); }
struct lg_module *lg_modules_list(void) { return modules; }

static void read_build_id(struct lg_module *m, const struct dl_phdr_info *info)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const void *)p;
            const char *name = p + sizeof *nh;
            const char *desc = name + ((nh->n_namesz + 3) & ~3u);
            if (desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                nh->n_descsz <= sizeof m->build_id) {
                memcpy(m->build_id, desc, nh->n_descsz);
                m->build_id_len = nh->n_descsz;
                return;
            }
            p = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static void read_segments(struct lg_module *m, const struct dl_phdr_info *info)
{
    m->lo = UINTPTR_MAX;
    m->hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (lo < m->lo)
            m->lo = lo;
        if (hi > m->hi)
            m->hi = hi;
        if ((ph->p_flags & PF_W) && m->nseg < LG_MAX_SEGS) {
            /* To the end of the last page: it is mapped and writable, and ld.so's
             * start-up allocator begins right after its _end (the initial link maps,
             * which alone lead to the link maps of dlopen'ed libraries). */
            m->seg_lo[m->nseg] = lo & ~(uintptr_t)7;
            m->seg_hi[m->nseg++] = (hi + 4095) & ~(uintptr_t)4095;
        }
    }
}

static const char *module_path(const struct dl_phdr_info *info, char *buf, size_t cap, uint32_t *flags)
{
    const char *name = info->dlpi_name;
    if (name && name[0])
        return name;
    /* The executable has an empty name; the vDSO has one but no file. */
    ssize_t n = readlink("/proc/thread-self/exe", buf, cap - 1); /* works after main's pthread_exit */
    if (n < 0)
        n = readlink("/proc/self/exe", buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    *flags |= LG_MOD_MAIN;
    return buf;
}

static struct lg_module *find(uintptr_t base, const char *path)
{
    for (struct lg_module *m = modules; m; m = m->next)
        if (m->base == base && !(m->flags & LG_MOD_UNLOADED) && !strcmp(m->path, path))
            return m;
    return NULL;
}

static int on_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    char exe[4096];
    uint32_t flags = 0;
    const char *path = module_path(info, exe, sizeof exe, &flags);
    struct lg_module *m = find(info->dlpi_addr, path);
    if (m) {
        m->seen = true;
        return 0;
    }
    size_t plen = strlen(path);
    m = lg_arena_alloc(sizeof *m + plen + 1);
    if (!m)
        return 1;
    memcpy(m->path, path, plen + 1);
    m->base = info->dlpi_addr;
    m->flags = flags;
    if (strstr(path, "linux-vdso") || strstr(path, "linux-gate"))
        m->flags |= LG_MOD_VDSO;
    if (strstr(path, "/ld-linux") || strstr(path, "/ld-2."))
        m->flags |= LG_MOD_LDSO;
    if (info->dlpi_addr == self_base)
        m->flags |= LG_MOD_TRACER;
    read_segments(m, info);
    read_build_id(m, info);
    m->id = ++next_id;
    m->seen = true;
    m->next = modules;
    modules = m;
    return 0;
}

void lg_modules_refresh(void)
{
    lg_lock(&modules_lock);
    lg_modules_refresh_locked();
    lg_unlock(&modules_lock);
}

void lg_modules_refresh_locked(void)
{
    for (struct lg_module *m = modules; m; m = m->next)
        m->seen = false;
    dl_iterate_phdr(on_object, NULL);
    for (struct lg_module *m = modules; m; m = m->next)
        if (!m->seen)
            m->flags |= LG_MOD_UNLOADED;
}

struct self_ctx {
    uintptr_t addr, lo, hi, base;
    bool found;
};

static int find_self(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    struct self_ctx *c = ctx;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && c->addr >= lo && c->addr < lo + ph->p_memsz) {
            c->lo = lo;
            c->hi = lo + ph->p_memsz;
            c->base = info->dlpi_addr;
            c->found = true;
            return 1;
        }
    }
    return 0;
}

static bool text_range(const void *fn, uintptr_t *lo, uintptr_t *hi, uintptr_t *base)
{
    struct self_ctx c = {.addr = (uintptr_t)fn};
    dl_iterate_phdr(find_self, &c);
    if (!c.found)
        return false;
    *lo = c.lo;
    *hi = c.hi;
    *base = c.base;
    return true;
}

bool lg_modules_self_range(const void *fn, uintptr_t *lo, uintptr_t *hi)
{
    return text_range(fn, lo, hi, &self_base);
}

bool lg_modules_text_range(const void *fn, uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t base;
    return text_range(fn, lo, hi, &base);
}
