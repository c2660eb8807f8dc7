/* explain_config=1 (`leakgraph run --explain-config`): at start-up, a short block on
 * stderr saying how this process is traced: which dirty tracking incremental
 * collections would use and why (the userfaultfd and soft-dirty probes, the store hooks
 * the loaded modules import), the unwinder, the collection triggers and what happens at
 * exit and at a crash. Printed whatever the verbosity; the first collection confirms the
 * method in one more line. */
#include "explainconfig.h"

#include "collect.h"
#include "dirty_uffd.h"
#include "log.h"
#include "options.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define say(...) lg_log(LG_LOG_ERROR, __VA_ARGS__)

/* ---- soft-dirty: a freshly written anonymous page has bit 55 of its pagemap entry set
 * when the kernel has CONFIG_MEM_SOFT_DIRTY; without it the bit always reads 0. ---- */
static const char *softdirty_probe(void)
{
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "cannot open /proc/self/pagemap";
    long page = syscall(SYS_mmap, 0, 4096, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    const char *r = "cannot map a test page";
    if (page > 0) {
        *(volatile char *)page = 1;
        uint64_t e = 0;
        if (pread(fd, &e, 8, (off_t)((uintptr_t)page / 4096 * 8)) != 8)
            r = "cannot read /proc/self/pagemap";
        else if (e >> 55 & 1)
            r = NULL; /* present */
        else
            r = "not in this kernel (a written page has no soft-dirty bit)";
        syscall(SYS_munmap, page, 4096);
    }
    close(fd);
    return r;
}

/* ---- store hooks: which hook names the loaded modules import (undefined dynamic
 * symbols). With DT_GNU_HASH the undefined symbols are the ones before symoffset. ---- */
struct hooks_seen {
    unsigned kinds; /* 1 macro, 2 clang, 4 gcc */
    char where[160];
};

static unsigned hook_kind(const char *s)
{
    if (!strcmp(s, "leakgraph_note_store"))
        return 1;
    if (!strncmp(s, "__sanitizer_cov_store", 21))
        return 2;
    if (!strncmp(s, "__asan_store", 12))
        return 4;
    return 0;
}

static int each_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct hooks_seen *h = arg;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0;
    const ElfW(Sym) *sym = NULL;
    const char *str = NULL;
    const uint32_t *gnu = NULL, *sysv = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t p = dyn->d_un.d_ptr;
        /* ld.so relocates these entries in place, except in its own and the vDSO's */
        if (p && p < info->dlpi_addr)
            p += info->dlpi_addr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: sym = (const ElfW(Sym) *)p; break;
        case DT_STRTAB: str = (const char *)p; break;
        case DT_GNU_HASH: gnu = (const uint32_t *)p; break;
        case DT_HASH: sysv = (const uint32_t *)p; break;
        }
    }
    if (!sym || !str || (!gnu && !sysv))
        return 0;
    uint32_t n = gnu ? gnu[1] /* symoffset */ : sysv[1] /* nchain */;
    unsigned found = 0;
    for (uint32_t i = 1; i < n && i < 65536; i++)
        if (sym[i].st_shndx == SHN_UNDEF && sym[i].st_name)
            found |= hook_kind(str + sym[i].st_name);
    if (found) {
        const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "the program";
        const char *base = strrchr(name, '/');
        size_t len = strlen(h->where);
        if (len + 8 < sizeof h->where)
            lg_fmt_async(h->where + len, sizeof h->where - len, "%s%s", len ? ", " : "", base ? base + 1 : name);
        h->kinds |= found;
    }
    return 0;
}

void lg_explain_config(void)
{
    if (!lg_opt.explain_config)
        return;
    say("explain_config: pid %d, leakgraph %s", (int)getpid(), LG_VERSION);

    const char *why = "", *sd = softdirty_probe();
    bool uffd = lg_dirty_uffd_probe(&why);
    struct hooks_seen h = {0};
    dl_iterate_phdr(each_module, &h);
    char hooks[256];
    if (h.kinds)
        lg_fmt_async(hooks, sizeof hooks, "imported by %s (%s%s%s)", h.where,
                     h.kinds & 4 ? "gcc hooks, " : "", h.kinds & 2 ? "clang hooks, " : "",
                     h.kinds & 1 ? "LEAKGRAPH_STORE" : "");
    else
        lg_fmt_async(hooks, sizeof hooks, "none imported (build with `leakgraph cflags gcc|clang`)");
    size_t hl = strlen(hooks);
    if (hl > 3 && !strcmp(hooks + hl - 3, ", )"))
        strcpy(hooks + hl - 3, ")");

    const char *want = lg_opt.collect_dirty, *method;
    if (!strcmp(want, "full"))
        method = "full rescans (collect_dirty=full)";
    else if (!strcmp(want, "hooks"))
        method = "store hooks and the interposed memcpy family (collect_dirty=hooks)";
    else if (!strcmp(want, "uffd"))
        method = uffd ? "userfaultfd write-protect (WP_ASYNC + PAGEMAP_SCAN)" : "full rescans (userfaultfd refused)";
    else if (uffd)
        method = "userfaultfd write-protect (WP_ASYNC + PAGEMAP_SCAN)";
    else if (h.kinds)
        method = "store hooks and the interposed memcpy family (userfaultfd refused)";
    else
        method = "full rescans (userfaultfd refused, no store hooks)";
    say("  dirty tracking: %s", method);
    if (uffd)
        say("    userfaultfd WP_ASYNC: available");
    else
        say("    userfaultfd WP_ASYNC: refused: %s", why);
    say("    soft-dirty page bits: %s", sd ? sd : "present (not used: userfaultfd or hooks, else full rescans)");
    say("    store hooks: %s", hooks);
    if (lg_opt.collect_every || lg_opt.collect_interval) {
        char every[64] = "", interval[64] = "";
        if (lg_opt.collect_every)
            lg_fmt_async(every, sizeof every, " every %ld allocations", lg_opt.collect_every);
        if (lg_opt.collect_interval)
            lg_fmt_async(interval, sizeof interval, "%s every %ld s", every[0] ? " and" : "", lg_opt.collect_interval);
        say("  collections:%s%s%s; collect_last_store=%d", every, interval,
            lg_opt.collect_verify ? ", verified by full rescans" : "", lg_opt.collect_last_store);
    } else
        say("  collections: only when the program calls leakgraph_collect() (collect_every, collect_interval: 0)");
    say("  unwinding: %s, %ld frames per allocation", lg_opt.fast_unwind ? "frame pointers (fast_unwind=1)"
                                                                         : "libunwind (DWARF CFI)", lg_opt.stack_depth);
    if (lg_opt.free_batch > 0)
        say("  frees: batched, up to %ld per thread (free_batch), drained at every stop", lg_opt.free_batch > 64 ? 64L : lg_opt.free_batch);
    else
        say("  frees: each at once (free_batch=0)");
    say("  at exit: %s; on a crash: %s; journal: %s", lg_opt.report ? "snapshot and report" : "no report (report=0)",
        lg_opt.on_crash, lg_opt.journal[0] ? lg_opt.journal : "none");
    if (!lg_collect_active)
        lg_dirty_uffd_close(); /* probed again at the first collection, if any */
}
