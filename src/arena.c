/* mmap-backed metadata: lg_map for tables, a bump arena for immortal small objects. */
#include "arena.h"

#include "lock.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARENA_CHUNK (4u << 20)

/* Bytes mapped by lg_map and not yet unmapped; updated atomically. */
static uint64_t mapped_bytes;

/* The bump arena's current chunk. Protected by arena_lock. */
static lg_lock_t arena_lock = LG_LOCK_INIT;
static char *arena_cur, *arena_end;

static size_t page_round(size_t len) { return (len + 4095) & ~(size_t)4095; }

static void *map_flags(size_t len, int extra)
{
    len = page_round(len);
    long p = syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    if (p < 0 && p > -4096)
        return NULL;
    __atomic_add_fetch(&mapped_bytes, len, __ATOMIC_RELAXED);
    return (void *)p;
}

#define HUGE_PAGE (2ul << 20)

/* Mappings of this size and more are dense arrays read and written at random (the
 * block table's slots, the kept graph's rows and records, the collections' sorted
 * copies): they go in transparent huge pages where the system grants them on request
 * (THP "madvise" or "always"). In 4 KiB pages, a table of a million blocks spans
 * 8,000-16,000 pages, far more than the TLB holds: each random access missed the TLB
 * too (bench/bigheap.c ran about 10 % faster with the block table in huge pages), and
 * each first touch was a fault of its own (about 11 us on the AMD VM we measured: 40 MB
 * took 115 ms in small pages, 54-74 ms in huge ones). Smaller mappings, and sparse ones
 * (lg_map), keep small pages; lg_map_sparse_huge is for a sparse one read whole. */
#define BIG_MAPPING (2 * HUGE_PAGE)

/* len bytes (page-rounded) at a huge-page boundary: mapped with room to align and
 * trimmed. A kernel without THP keeps small pages; one without MADV_POPULATE_WRITE
 * (before 5.14) faults the pages in as they are used. Direct compaction may make a
 * populate slower when memory is fragmented. */
static void *map_aligned(size_t len, bool populate)
{
    long p = syscall(SYS_mmap, 0, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (p < 0 && p > -4096)
        return NULL;
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (a > (uintptr_t)p)
        syscall(SYS_munmap, p, a - (uintptr_t)p);
    if ((uintptr_t)p + HUGE_PAGE > a)
        syscall(SYS_munmap, a + len, (uintptr_t)p + HUGE_PAGE - a);
    int saved_errno = errno; /* a kernel without THP or without the populate says EINVAL */
    syscall(SYS_madvise, a, len, MADV_HUGEPAGE);
    if (populate)
        syscall(SYS_madvise, a, len, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */);
    errno = saved_errno;
    __atomic_add_fetch(&mapped_bytes, len, __ATOMIC_RELAXED);
    return (void *)a;
}

void *lg_map(size_t len) { return map_flags(len, MAP_NORESERVE); }

void *lg_map_sparse_huge(size_t len) { return map_aligned(page_round(len), false); }

void *lg_map_populated(size_t len)
{
    len = page_round(len);
    if (len >= BIG_MAPPING)
        return map_aligned(len, true);
    return map_flags(len, len >= (1u << 20) ? MAP_POPULATE : 0);
}

void lg_unmap(void *p, size_t len)
{
    if (!p)
        return;
    len = page_round(len);
    syscall(SYS_munmap, p, len);
    __atomic_sub_fetch(&mapped_bytes, len, __ATOMIC_RELAXED);
}

void *lg_buf_reserve(struct lg_buf *b, size_t bytes)
{
    if (b->bytes < bytes) {
        lg_unmap(b->p, b->bytes);
        bytes += bytes / 4;
        b->p = lg_map_populated(bytes);
        b->bytes = b->p ? bytes : 0;
    }
    return b->p;
}

bool lg_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    size_t from = page_round(*cap * elem), to = page_round(nc * elem);
    void *np;
    if (to >= BIG_MAPPING) {
        if (!(np = map_aligned(to, false)))
            return false;
        /* the kernel moves the pages in: no copy, no fault on the pages already there;
         * the moved mapping keeps the old one's advice, so it is given again */
        if (*cap && syscall(SYS_mremap, *p, from, to, MREMAP_MAYMOVE | MREMAP_FIXED, np) != (long)np) {
            lg_unmap(np, to);
            return false;
        }
        if (*cap) {
            int saved_errno = errno;
            syscall(SYS_madvise, np, to, MADV_HUGEPAGE);
            errno = saved_errno;
            __atomic_sub_fetch(&mapped_bytes, from, __ATOMIC_RELAXED);
        }
    } else {
        if (!(np = lg_map(to)))
            return false;
        if (*cap)
            memcpy(np, *p, *cap * elem);
        lg_unmap(*p, from);
    }
    *p = np;
    *cap = nc;
    return true;
}

static void *arena_alloc(size_t len, bool wait)
{
    len = (len + 15) & ~(size_t)15;
    if (len > ARENA_CHUNK / 4)
        return lg_map(len);
    if (!wait && !lg_lock_try(&arena_lock))
        return NULL;
    if (wait)
        lg_lock(&arena_lock);
    if ((size_t)(arena_end - arena_cur) < len) {
        char *c = lg_map(ARENA_CHUNK);
        if (!c) {
            lg_unlock(&arena_lock);
            return NULL;
        }
        arena_cur = c;
        arena_end = c + ARENA_CHUNK;
    }
    void *p = arena_cur;
    arena_cur += len;
    lg_unlock(&arena_lock);
    return p;
}

void *lg_arena_alloc(size_t len) { return arena_alloc(len, true); }

void *lg_arena_alloc_try(size_t len) { return arena_alloc(len, false); }

uint64_t lg_arena_mapped_bytes(void) { return __atomic_load_n(&mapped_bytes, __ATOMIC_RELAXED); }

void lg_arena_fork_lock(void) { lg_lock(&arena_lock); }
void lg_arena_fork_unlock(void) { lg_unlock(&arena_lock); }
void lg_arena_atfork_child(void) { lg_lock_reset(&arena_lock); }
