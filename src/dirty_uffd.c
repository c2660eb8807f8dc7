/* userfaultfd WP_ASYNC + PAGEMAP_SCAN (Linux 6.7+). FEASIBILITY §4 measured it here: a
 * first write to a protected page costs 20-50 us, a scan of 16K pages 3-7 ms. Linux 6.1
 * headers lack the constants, hence the definitions below. */
#include "dirty_uffd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define FEAT_WP_UNPOPULATED (1ull << 13)
#define FEAT_WP_ASYNC (1ull << 15)

struct pm_region {
    uint64_t start, end, categories;
};
struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
        category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN_IOCTL _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1ull << 0)
#define PM_SCAN_CHECK_WPASYNC (1ull << 1)
#define PAGE_IS_WRITTEN (1ull << 1)

#define MAX_REGS 4096
#define VEC 512

struct reg {
    uintptr_t lo, hi;
};

/* The userfaultfd and /proc/self/pagemap, -1 when closed; the ranges registered with
 * it. Used with the world stopped under the collection lock. */
static int uffd = -1, pagemap = -1;
static struct reg regs[MAX_REGS];
static uint32_t nregs;
/* PAGEMAP_SCAN's output: static, not on the stack, which may be a small thread's. */
static struct pm_region vec[VEC];

static bool open_uffd(const char **why)
{
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0) {
        *why = errno == ENOSYS ? "no userfaultfd system call" : errno == EPERM ? "userfaultfd not permitted"
                                                                                : "userfaultfd refused";
        return false;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = FEAT_WP_ASYNC | FEAT_WP_UNPOPULATED};
    if (ioctl((int)fd, UFFDIO_API, &api) < 0) {
        *why = "the kernel has no asynchronous write-protect (UFFD_FEATURE_WP_ASYNC)";
        close((int)fd);
        return false;
    }
    uffd = (int)fd;
    return true;
}

static bool protect(uintptr_t lo, uintptr_t hi)
{
    struct uffdio_register r = {.range = {lo, hi - lo}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(uffd, UFFDIO_REGISTER, &r) < 0)
        return false;
    struct uffdio_writeprotect w = {.range = {lo, hi - lo}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    return ioctl(uffd, UFFDIO_WRITEPROTECT, &w) == 0;
}

static long pm_scan(uintptr_t lo, uintptr_t hi, struct pm_region *vec, uintptr_t *walk_end)
{
    struct pm_scan_arg a = {.size = sizeof a, .flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
                            .start = lo, .end = hi, .vec = (uintptr_t)vec, .vec_len = VEC,
                            .category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN};
    long n = ioctl(pagemap, PAGEMAP_SCAN_IOCTL, &a);
    *walk_end = a.walk_end;
    return n;
}

bool lg_dirty_uffd_probe(const char **why)
{
    if (uffd >= 0)
        return true;
    if (!open_uffd(why))
        return false;
    pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    long page = syscall(SYS_mmap, 0, 4096, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    bool ok = pagemap >= 0 && page > 0 && protect((uintptr_t)page, (uintptr_t)page + 4096);
    uintptr_t end = 0;
    if (ok) {
        *(volatile char *)page = 1;
        ok = pm_scan((uintptr_t)page, (uintptr_t)page + 4096, vec, &end) == 1;
        if (!ok)
            *why = "PAGEMAP_SCAN did not report a written page";
    } else {
        *why = pagemap < 0 ? "cannot open /proc/self/pagemap" : "write-protect refused";
    }
    if (page > 0)
        syscall(SYS_munmap, page, 4096);
    if (!ok) {
        if (pagemap >= 0)
            close(pagemap);
        close(uffd);
        uffd = pagemap = -1;
    }
    return ok;
}

static struct reg *find_reg(uintptr_t lo)
{
    for (uint32_t i = 0; i < nregs; i++)
        if (regs[i].lo == lo)
            return &regs[i];
    return NULL;
}

static bool scan_range(uintptr_t lo, uintptr_t hi, void (*fn)(void *, uintptr_t, uintptr_t), void *ctx)
{
    while (lo < hi) {
        uintptr_t end = hi;
        long n = pm_scan(lo, hi, vec, &end);
        if (n < 0)
            return false;
        for (long i = 0; i < n; i++)
            fn(ctx, vec[i].start, vec[i].end);
        if (end <= lo)
            return false;
        lo = end;
    }
    return true;
}

bool lg_dirty_uffd_scan(uintptr_t lo, uintptr_t hi, void (*fn)(void *, uintptr_t, uintptr_t), void *ctx)
{
    if (uffd < 0)
        return false;
    struct reg *r = find_reg(lo);
    if (r && r->hi >= hi) {
        if (scan_range(lo, hi, fn, ctx))
            return true;
    } else if (r && scan_range(lo, r->hi, fn, ctx)) {
        /* the heap grew: the old part as the kernel saw it, the new part whole */
        uintptr_t old = r->hi;
        fn(ctx, old, hi);
        r->hi = hi;
        return protect(old, hi);
    }
    fn(ctx, lo, hi);
    if (!r) {
        if (nregs == MAX_REGS)
            return false;
        r = &regs[nregs++];
        r->lo = lo;
    }
    r->hi = hi;
    return protect(lo, hi);
}

void lg_dirty_uffd_close(void) { lg_dirty_uffd_atfork_child(); }

void lg_dirty_uffd_atfork_child(void)
{
    /* the child's mappings are not registered with the parent's userfaultfd */
    if (uffd >= 0)
        close(uffd);
    if (pagemap >= 0)
        close(pagemap);
    uffd = pagemap = -1;
    nregs = 0;
}
