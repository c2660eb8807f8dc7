/* The site depot: lock-free lookups (bucket chains are published with release stores
 * and never change), one lock for the rare insert. */
#include "sites.h"

#include "arena.h"
#include "leakgraph/format.h"
#include "lock.h"
#include "modules.h"

#define UNW_LOCAL_ONLY /* the _UL* local-unwinding symbols of libunwind.so.8 */
#include <libunwind.h>
#include <string.h>

#define NBUCKETS (1u << 18)

/* Set once by lg_sites_init, read-only afterwards. */
static struct lg_site **buckets;
static uintptr_t self_lo, self_hi;
static int max_depth = 30;
static bool fast_unwind;

/* Inserts are serialised by insert_lock; readers never take it. */
static lg_lock_t insert_lock = LG_LOCK_INIT;
static struct lg_site *all_sites;
static uint32_t nsites;

/* A per-thread 4-way set-associative cache of recently seen stacks: (64-bit stack hash,
 * site id); a set is one cache line, its most recent entry first (a direct-mapped cache
 * of the same size missed on about half the lookups of the bench workload's 2,000
 * stacks, and each miss costs a bucket and a site node from shared memory). A hit touches only this thread's memory: no shared bucket, no site node. It
 * trusts the hash: two different stacks with equal 64-bit hashes would share a site,
 * a chance of about n^2 / 2^65 for n sites (1e-13 for 2,000); misses still compare
 * whole stacks. Ids never change, so fork children keep the cache. */
#define TCACHE 4096
#define TC_WAYS 4
struct tc_entry {
    uint64_t hash;
    uint32_t id, depth;
};
/* The cache lives in mmap'd memory, not in TLS: glibc carves static TLS out of every
 * thread's stack and refuses threads whose TLS does not fit, so 32 KiB of it would break
 * programs that ask for PTHREAD_STACK_MIN stacks. Caches of exited threads go to a free
 * list and are reused as they are (ids are global, so their entries stay valid). */
static __thread struct tc_entry *tcache __attribute__((tls_model("initial-exec")));
static __thread bool tcache_off __attribute__((tls_model("initial-exec"))); /* thread exiting */
static struct tc_entry *tcache_free; /* under tcache_lock; the first entry links the next */
static lg_lock_t tcache_lock = LG_LOCK_INIT;

/* The thread's stack bounds, for the frame-pointer walk. Initial-exec TLS. */
static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

bool lg_sites_init(uintptr_t tracer_lo, uintptr_t tracer_hi, int depth, bool fast)
{
    buckets = lg_map(NBUCKETS * sizeof *buckets);
    self_lo = tracer_lo;
    self_hi = tracer_hi;
    max_depth = depth < 1 ? 1 : depth > LG_MAX_DEPTH ? LG_MAX_DEPTH : depth;
    fast_unwind = fast;
    return buckets != NULL;
}

void lg_sites_set_thread_stack(uintptr_t lo, uintptr_t hi)
{
    stack_lo = lo;
    stack_hi = hi;
}

/* Independent multiplies per position (no dependency chain through the loop), one
 * final mix; collisions are resolved by comparing the stacks. */
static uint64_t hash_pcs(const uintptr_t *pc, uint32_t n)
{
    uint64_t a = 0x9E3779B97F4A7C15ull ^ n, b = 0;
    for (uint32_t i = 0; i < n; i++) {
        a += pc[i] * (0xff51afd7ed558ccdull + 2 * i);
        b ^= pc[i] << (i & 31);
    }
    a ^= b;
    a ^= a >> 33;
    a *= 0xc4ceb9fe1a85ec53ull;
    return a ^ (a >> 29);
}

static const struct lg_site *find(const struct lg_site *s, uint64_t h, const uintptr_t *pc, uint32_t n)
{
    for (; s; s = __atomic_load_n(&s->next, __ATOMIC_ACQUIRE))
        if (s->hash == h && s->depth == n && !memcmp(s->pc, pc, n * sizeof *pc))
            return s;
    return NULL;
}

static struct tc_entry *thread_cache(void)
{
    if (tcache || tcache_off)
        return tcache;
    lg_lock(&tcache_lock);
    struct tc_entry *c = tcache_free;
    if (c)
        memcpy(&tcache_free, c, sizeof tcache_free);
    lg_unlock(&tcache_lock);
    if (c)
        memset(c, 0, sizeof *c); /* the link */
    else
        c = lg_map(TCACHE * sizeof *c);
    return tcache = c;
}

void lg_sites_thread_exit(void)
{
    struct tc_entry *c = tcache;
    tcache = NULL;
    tcache_off = true; /* allocations in later TLS destructors go without a cache */
    if (!c)
        return;
    lg_lock(&tcache_lock);
    memcpy(c, &tcache_free, sizeof tcache_free);
    tcache_free = c;
    lg_unlock(&tcache_lock);
}

/* Remembers a stack in the thread's cache: most recent first, the oldest entry goes. */
static void tc_put(struct tc_entry *set, uint64_t h, uint32_t id, uint32_t n)
{
    memmove(&set[1], &set[0], (TC_WAYS - 1) * sizeof *set);
    set[0] = (struct tc_entry){h, id, n};
}

uint32_t lg_sites_intern(const uintptr_t *pc, uint32_t n)
{
    if (!buckets)
        return 0;
    uint64_t h = hash_pcs(pc, n);
    struct tc_entry *tc = thread_cache(), *set = NULL;
    if (tc) {
        set = &tc[((h >> 40) * TC_WAYS) & (TCACHE - 1)];
        for (int w = 0; w < TC_WAYS; w++)
            if (set[w].id && set[w].hash == h && set[w].depth == n)
                return set[w].id;
    }
    struct lg_site **b = &buckets[h & (NBUCKETS - 1)];
    const struct lg_site *s = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pc, n);
    if (!s) {
        lg_lock(&insert_lock);
        s = find(*b, h, pc, n);
        if (!s) {
            struct lg_site *ns = lg_arena_alloc(sizeof *ns + n * sizeof *pc);
            if (ns) {
                ns->hash = h;
                ns->depth = n;
                ns->id = ++nsites;
                memcpy(ns->pc, pc, n * sizeof *pc);
                ns->next = *b;
                ns->all_next = all_sites;
                __atomic_store_n(&all_sites, ns, __ATOMIC_RELEASE);
                __atomic_store_n(b, ns, __ATOMIC_RELEASE);
            }
            s = ns;
        }
        lg_unlock(&insert_lock);
    }
    if (s && set)
        tc_put(set, h, s->id, n);
    return s ? s->id : 0;
}

/* Walks saved frame pointers, trusting only frames that move up the stack and stay
 * inside it: code without frame pointers ends the walk instead of crashing it. */
static int fp_walk(uintptr_t *pc, int max)
{
    uintptr_t *fp = __builtin_frame_address(0);
    int n = 0;
    if (!stack_hi)
        return 0;
    while (n < max && (uintptr_t)fp >= stack_lo && (uintptr_t)fp + 16 <= stack_hi && !((uintptr_t)fp & 7)) {
        uintptr_t ret = fp[1];
        uintptr_t *next = (uintptr_t *)fp[0];
        if (ret < 4096)
            break;
        pc[n++] = ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

uint32_t lg_sites_capture(void)
{
    uintptr_t raw[LG_MAX_DEPTH + 8];
    int want = max_depth + 8, n;
    if (fast_unwind)
        n = fp_walk(raw, want);
    else
        n = unw_backtrace((void **)raw, want);
    int skip = 0;
    while (skip < n && raw[skip] >= self_lo && raw[skip] < self_hi)
        skip++;
    n -= skip;
    if (n > max_depth)
        n = max_depth;
    return lg_sites_intern(raw + skip, n < 0 ? 0 : (uint32_t)n);
}

const struct lg_site *lg_sites_first(void) { return __atomic_load_n(&all_sites, __ATOMIC_ACQUIRE); }

uint32_t lg_sites_count(void) { return __atomic_load_n(&nsites, __ATOMIC_ACQUIRE); }

void lg_sites_fork_lock(void)
{
    lg_lock(&insert_lock);
    lg_lock(&tcache_lock);
}

void lg_sites_fork_unlock(void)
{
    lg_unlock(&tcache_lock);
    lg_unlock(&insert_lock);
}

void lg_sites_atfork_child(void)
{
    lg_lock_reset(&insert_lock);
    lg_lock_reset(&tcache_lock);
}

static bool in_ldso(uintptr_t ip)
{
    for (struct lg_module *m = lg_modules_list(); m; m = m->next)
        if ((m->flags & LG_MOD_LDSO) && ip >= m->lo && ip < m->hi)
            return true;
    return false;
}

/* At exit our destructor runs inside ld.so's _dl_fini, whose frame holds stale words
 * from the program's earlier deep calls; Valgrind checks after _dl_fini returned. */
bool lg_sites_program_regs(uintptr_t out[6])
{
    static const int regs[6] = {UNW_X86_64_RBX, UNW_X86_64_RBP, UNW_X86_64_R12,
                                UNW_X86_64_R13, UNW_X86_64_R14, UNW_X86_64_R15};
    unw_context_t uc;
    unw_cursor_t c;
    if (unw_getcontext(&uc) < 0 || unw_init_local(&c, &uc) < 0)
        return false;
    for (int depth = 0; depth < 64 && unw_step(&c) > 0; depth++) {
        unw_word_t ip = 0;
        unw_get_reg(&c, UNW_REG_IP, &ip);
        if ((ip >= self_lo && ip < self_hi) || in_ldso(ip))
            continue;
        for (int i = 0; i < 6; i++) {
            unw_word_t v = 0;
            unw_get_reg(&c, regs[i], &v);
            out[i] = v;
        }
        return true;
    }
    return false;
}

uintptr_t lg_sites_program_sp(uintptr_t fallback)
{
    unw_context_t uc;
    unw_cursor_t c;
    if (unw_getcontext(&uc) < 0 || unw_init_local(&c, &uc) < 0)
        return fallback;
    for (int depth = 0; depth < 64 && unw_step(&c) > 0; depth++) {
        unw_word_t ip = 0, sp = 0;
        unw_get_reg(&c, UNW_REG_IP, &ip);
        unw_get_reg(&c, UNW_REG_SP, &sp);
        if ((ip < self_lo || ip >= self_hi) && !in_ldso(ip))
            return sp;
    }
    return fallback;
}
