/* The site depot: lock-free lookups (bucket chains are published with release stores
 * and never change), one lock for the rare insert. */
#include "sites.h"

#include "arena.h"
#include "guard.h"
#include "leakgraph/format.h"
#include "lock.h"
#include "modules.h"
#include "sidestack.h"
#include "threads.h"

#define UNW_LOCAL_ONLY /* the _UL* local-unwinding symbols of libunwind.so.8 */
#include <libunwind.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/auxv.h>

extern void *__libc_malloc(size_t);

#define NBUCKETS (1u << 18)

/* Set once by lg_sites_init, read-only afterwards. */
static struct lg_site **buckets;
static uintptr_t self_lo, self_hi;
static int max_depth = 30;
static bool fast_unwind;
/* libc's text: where the outermost frames (start_thread, __libc_start_call_main) are,
 * whose callers only libunwind finds (libc keeps no frame pointers). */
static uintptr_t libc_lo, libc_hi;
/* The program's entry point (AT_ENTRY): _start, which calls __libc_start_main and which
 * libunwind finds below the main thread's last libc frames. Set once by lg_sites_init. */
static uintptr_t entry_pc;

/* Verified frame-pointer walks. A walk that libunwind once confirmed (the same frames,
 * or the same frames short of libc's last one or two, where the stack ends) maps to the
 * site of libunwind's stack, so the next allocation from there costs a frame-pointer
 * walk. Sound because whether a frame-pointer step is right depends only on the code at
 * the return address it leaves: a walk made of confirmed return addresses is right
 * again. A walk through code without frame pointers (it skips that code's caller) never
 * matches libunwind, so it is never confirmed and keeps taking libunwind's path. Looked
 * up like sites: lock-free reads, inserts under insert_lock; never freed. */
struct alias {
    struct alias *next;
    uint64_t hash;
    uint32_t id, depth;
    uintptr_t pc[];
};
static struct alias **alias_buckets;
/* Keeps walk hashes apart from stack hashes in the per-thread cache, which holds both. */
#define ALIAS_SALT 0x5bd1e9955bd1e995ull

/* Inserts are serialised by insert_lock; readers never take it. */
static lg_lock_t insert_lock = LG_LOCK_INIT;
/* Stacks taken by libunwind (the slow path); relaxed atomic, for the exit statistics. */
static uint64_t unwinds;
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
    bool libc = lg_modules_text_range((const void *)__libc_malloc, &libc_lo, &libc_hi);
    if (!fast && libc)
        alias_buckets = lg_map(NBUCKETS * sizeof *alias_buckets);
    entry_pc = getauxval(AT_ENTRY);
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

/* Two lanes of independent operations per position (no dependency chain through the
 * loop), a sum of the return addresses with odd weights and a xor of them shifted, each
 * mixed on its own at the end (murmur3's finaliser). Combined before mixing, their
 * differences cancelled: stacks that are the same return addresses in another order
 * (a recursion through two call sites) got equal hashes about 2 times in 256, and the
 * thread cache, which trusts the hash, merged their sites. In two steps, so that the
 * frame-pointer walk hashes as it goes (fp_walk_hash). */
#define HASH_SEED 0x9E3779B97F4A7C15ull
static inline void hash_step(uint64_t *a, uint64_t *b, uintptr_t pc, uint32_t i)
{
    *a += pc * (0xff51afd7ed558ccdull + 2 * i);
    *b ^= pc << (i & 31);
}

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

static inline uint64_t hash_end(uint64_t a, uint64_t b, uint32_t n)
{
    return fmix64(a) ^ fmix64(b ^ (uint64_t)n * 0xd6e8feb86659fd93ull);
}

static uint64_t hash_pcs(const uintptr_t *pc, uint32_t n)
{
    uint64_t a = HASH_SEED, b = 0;
    for (uint32_t i = 0; i < n; i++)
        hash_step(&a, &b, pc[i], i);
    return hash_end(a, b, n);
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
    lg_threads_adopt();
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

/* The site of pc[0..n) (hash h) in the depot, added when missing. wait: takes the insert
 * lock (and the arena's) as anybody would; else only when free at once, NULL otherwise:
 * a signal handler's, whose thread may hold them. */
static const struct lg_site *depot_get(const uintptr_t *pc, uint32_t n, uint64_t h, bool wait)
{
    struct lg_site **b = &buckets[h & (NBUCKETS - 1)];
    const struct lg_site *s = find(__atomic_load_n(b, __ATOMIC_ACQUIRE), h, pc, n);
    if (s)
        return s;
    if (!wait && !lg_lock_try(&insert_lock))
        return NULL;
    if (wait)
        lg_lock(&insert_lock);
    s = find(*b, h, pc, n);
    if (!s) {
        size_t len = sizeof(struct lg_site) + n * sizeof *pc;
        struct lg_site *ns = wait ? lg_arena_alloc(len) : lg_arena_alloc_try(len);
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
    return s;
}

/* lg_sites_intern, with h = hash_pcs(pc, n) already known. */
static uint32_t intern_hashed(const uintptr_t *pc, uint32_t n, uint64_t h)
{
    if (!buckets)
        return 0;
    struct tc_entry *tc = thread_cache(), *set = NULL;
    if (tc) {
        set = &tc[((h >> 40) * TC_WAYS) & (TCACHE - 1)];
        for (int w = 0; w < TC_WAYS; w++)
            if (set[w].id && set[w].hash == h && set[w].depth == n)
                return set[w].id;
    }
    const struct lg_site *s = depot_get(pc, n, h, true);
    if (s && set)
        tc_put(set, h, s->id, n);
    return s ? s->id : 0;
}

uint32_t lg_sites_intern(const uintptr_t *pc, uint32_t n) { return intern_hashed(pc, n, hash_pcs(pc, n)); }

/* Walks saved frame pointers, trusting only frames that move up the stack and stay
 * inside it: code without frame pointers ends the walk instead of crashing it. Keeps up
 * to max return addresses in pc and hashes as it goes what hash_pcs would of those past
 * the tracer's own (*skip of them), up to max_depth (*wn), and stops there. In two
 * loops: the tracer's few frames, then the program's, whose loop does nothing else (one
 * loop testing for the first program frame at every step kept a running sum in memory,
 * and the walk was an eighth of the traced bench workload). */
static void fp_walk_hash(uintptr_t *pc, int max, int *skip, uint32_t *wn, uint64_t *h)
{
    uintptr_t *fp = __builtin_frame_address(0), lo = stack_lo, hi = stack_hi;
    uintptr_t top = hi >= lo + 16 ? hi - 16 : 0; /* the highest frame address in the stack */
    uintptr_t ret = 0, *next = NULL;
    int n = 0;
    *skip = 0;
    *wn = 0;
    *h = hash_end(HASH_SEED, 0, 0);
    if (!top || (uintptr_t)fp < lo || (uintptr_t)fp > top || ((uintptr_t)fp & 7))
        return;
    for (;;) { /* the tracer's frames */
        ret = fp[1];
        next = (uintptr_t *)fp[0];
        if (ret < 4096)
            break;
        pc[n++] = ret;
        if (ret - self_lo >= self_hi - self_lo)
            break; /* the program's first frame */
        if (n == max || (uintptr_t)next - (uintptr_t)fp - 1 >= top - (uintptr_t)fp || ((uintptr_t)next & 7))
            break;
        fp = next;
    }
    if (ret < 4096 || ret - self_lo < self_hi - self_lo) {
        *skip = n;
        return;
    }
    int s = n - 1;
    uint32_t k = 0, kmax = (uint32_t)(max - s < max_depth ? max - s : max_depth);
    uint64_t a = HASH_SEED, b = 0, mul = 0xff51afd7ed558ccdull;
    for (;;) { /* ret (in pc already) is at fp; next is its caller's frame */
        a += ret * mul;
        b ^= ret << (k & 31);
        mul += 2;
        if (++k == kmax || (uintptr_t)next - (uintptr_t)fp - 1 >= top - (uintptr_t)fp || ((uintptr_t)next & 7))
            break; /* (the frames above are not kept) */
        fp = next;
        ret = fp[1];
        next = (uintptr_t *)fp[0];
        if (ret < 4096)
            break;
        pc[n++] = ret;
    }
    *skip = s;
    *wn = k;
    *h = hash_end(a, b, k);
}

/* The walk's first frame outside the tracer: our own frames are not the program's. */
static int skip_self(const uintptr_t *raw, int n)
{
    int skip = 0;
    while (skip < n && raw[skip] >= self_lo && raw[skip] < self_hi)
        skip++;
    return skip;
}

static bool in_libc(uintptr_t pc) { return pc >= libc_lo && pc < libc_hi; }

int lg_sites_pc_where(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi ? LG_PC_TRACER : in_libc(pc) ? LG_PC_LIBC : LG_PC_OTHER;
}

/* Where a stack ends: libc's thread and process start-up, or the return into _start (a
 * few dozen bytes after the entry point) below main. */
static bool in_startup(uintptr_t pc) { return in_libc(pc) || (entry_pc && pc - entry_pc < 256); }

static const struct alias *alias_find(const struct alias *a, uint64_t h, const uintptr_t *pc, uint32_t n)
{
    for (; a; a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
        if (a->hash == h && a->depth == n && !memcmp(a->pc, pc, n * sizeof *pc))
            return a;
    return NULL;
}

/* Whether libunwind's stack l (ended: it reached the stack's end within the depth)
 * confirms the frame-pointer walk w: equal, or w short of one or two frames at the very
 * end, after a last frame in libc (start_thread, __libc_start_call_main), those frames
 * being libc's or _start's (the main thread: __libc_start_main, then _start). */
static bool confirms(const uintptr_t *w, uint32_t wn, const uintptr_t *l, uint32_t ln, bool ended)
{
    if (wn == 0 || wn > ln || memcmp(w, l, wn * sizeof *w))
        return false;
    if (wn == ln)
        return true;
    if (!ended || ln - wn > 2 || !in_libc(w[wn - 1]))
        return false;
    for (uint32_t i = wn; i < ln; i++)
        if (!in_startup(l[i]))
            return false;
    return true;
}

static void alias_add(uint64_t h, const uintptr_t *pc, uint32_t n, uint32_t id)
{
    struct alias **b = &alias_buckets[h & (NBUCKETS - 1)];
    lg_lock(&insert_lock);
    if (!alias_find(*b, h, pc, n)) {
        struct alias *a = lg_arena_alloc(sizeof *a + n * sizeof *pc);
        if (a) {
            *a = (struct alias){.next = *b, .hash = h, .id = id, .depth = n};
            memcpy(a->pc, pc, n * sizeof *pc);
            __atomic_store_n(b, a, __ATOMIC_RELEASE);
        }
    }
    lg_unlock(&insert_lock);
}

/* Zeroes the stack that libunwind just used below us. Its cursor and saved contexts hold
 * register copies, among them the block being allocated, and later frames of the
 * program (exit's, in particular) leave such stale words in place: a conservative scan
 * would then find the block referenced by a start pointer that the program never had
 * (glibc's thread blocks, possibly lost in Valgrind, came out reachable). Bounded by the
 * thread's stack, so small stacks never overflow. */
static void __attribute__((noinline)) scrub_below(void)
{
    enum { SCRUB = 6144, MARGIN = 2048 };
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    /* not on another stack (a coroutine's, a signal stack): how deep it goes is unknown */
    size_t room = sp > stack_lo + MARGIN && sp < stack_hi ? sp - stack_lo - MARGIN : 0;
    size_t len = room < SCRUB ? room : SCRUB;
    if (len < 64)
        return;
    char *buf = __builtin_alloca(len);
    memset(buf, 0, len);
    __asm__ volatile("" : : "r"(buf) : "memory"); /* the stores must happen */
}

/* Whether this runs on a stack other than the thread's own (a coroutine's, a signal
 * stack), when the thread's is known. */
static inline bool foreign_stack(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return stack_hi && (sp < stack_lo || sp >= stack_hi);
}

/* unw_backtrace, on the thread's side stack when this runs on another stack. */
static int backtrace_here(uintptr_t *raw, int want)
{
    if (foreign_stack() && !lg_sidestack_busy())
        return lg_sidestack_backtrace(raw, want);
    return unw_backtrace((void **)raw, want);
}

static uint32_t clamp_depth(int n) { return n < 0 ? 0 : n > max_depth ? (uint32_t)max_depth : (uint32_t)n; }

/* libunwind's stack, through a confirmed frame-pointer walk when there is one. */
static uint32_t capture_verified(void)
{
    uintptr_t fw[LG_MAX_DEPTH + 8], raw[LG_MAX_DEPTH + 8];
    int want = max_depth + 8, skip;
    uint32_t wn;
    uint64_t h;
    fp_walk_hash(fw, want, &skip, &wn, &h);
    const uintptr_t *w = fw + skip;
    h ^= ALIAS_SALT;
    struct tc_entry *tc = thread_cache(), *set = NULL;
    if (tc && wn) {
        set = &tc[((h >> 40) * TC_WAYS) & (TCACHE - 1)];
        for (int k = 0; k < TC_WAYS; k++)
            if (set[k].id && set[k].hash == h && set[k].depth == wn)
                return set[k].id;
    }
    const struct alias *a = wn ? alias_find(__atomic_load_n(&alias_buckets[h & (NBUCKETS - 1)], __ATOMIC_ACQUIRE),
                                            h, w, wn)
                               : NULL;
    if (a) {
        if (set)
            tc_put(set, h, a->id, wn);
        return a->id;
    }
    __atomic_add_fetch(&unwinds, 1, __ATOMIC_RELAXED);
    int m = backtrace_here(raw, want), lskip = skip_self(raw, m);
    scrub_below();
    uint32_t ln = clamp_depth(m - lskip);
    uint32_t id = lg_sites_intern(raw + lskip, ln);
    if (id && confirms(w, wn, raw + lskip, ln, m - lskip <= max_depth && m < want))
        alias_add(h, w, wn, id);
    return id;
}

/* glibc's signal return trampoline, __restore_rt (mov $15, %rax; syscall): the return
 * address of a signal handler's frame. Read only inside libc's text, which is mapped.
 * Below it, a handler's allocation has the program's frames, then maybe the tracer's
 * own handler that called the program's (stw.c, crash.c); an allocation of the tracer's
 * own code that a handler called (the API) has tracer frames under the program's. */
static bool is_sigreturn(uintptr_t pc)
{
    static const unsigned char code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    return in_libc(pc) && pc + sizeof code <= libc_hi && !memcmp((const void *)pc, code, sizeof code);
}

__thread uintptr_t lg_own_sp __attribute__((tls_model("initial-exec")));

/* The frame-pointer walk alone, up to max frames from the caller's, with fp_walk_hash's
 * checks: the return addresses, and where each was found (the frame's address). A
 * handler installed with SA_ONSTACK runs on the alternate signal stack (which may lie
 * inside the thread's own, a local array): the walk starts there ([*alt_lo, *alt_hi),
 * else both 0) and goes on into the thread's own stack, where the trampoline's frame
 * links to the interrupted code. (One system call: this walk is for allocations made
 * while the tracer runs, rare. An alternate stack registered with SS_AUTODISARM reads
 * as disabled while its handler runs: not found.) */
static uint32_t fp_walk(uintptr_t *pc, uintptr_t *at, uint32_t max, uintptr_t *alt_lo, uintptr_t *alt_hi)
{
    uintptr_t *fp = __builtin_frame_address(0), lo = stack_lo, hi = stack_hi;
    *alt_lo = *alt_hi = 0;
    stack_t ss;
    if (hi >= lo + 16 && syscall(SYS_sigaltstack, NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
        (uintptr_t)fp - (uintptr_t)ss.ss_sp < ss.ss_size) {
        lo = *alt_lo = (uintptr_t)ss.ss_sp;
        hi = *alt_hi = (uintptr_t)ss.ss_sp + ss.ss_size;
    }
    uintptr_t top = hi >= lo + 16 ? hi - 16 : 0;
    uint32_t n = 0;
    if (!top || (uintptr_t)fp < lo || (uintptr_t)fp > top || ((uintptr_t)fp & 7))
        return 0;
    while (n < max) {
        uintptr_t ret = fp[1], *next = (uintptr_t *)fp[0];
        if (ret < 4096)
            break;
        at[n] = (uintptr_t)fp;
        pc[n++] = ret;
        if ((uintptr_t)next - (uintptr_t)fp - 1 >= top - (uintptr_t)fp || ((uintptr_t)next & 7)) {
            if (lo == stack_lo || (uintptr_t)next - stack_lo > stack_hi - 16 - stack_lo || ((uintptr_t)next & 7))
                break; /* (no overflow: a frame pointer of -16 is a common mask in code without) */
            lo = stack_lo; /* off the signal stack, into the interrupted frames */
            top = stack_hi - 16;
        }
        fp = next;
    }
    return n;
}

uint32_t lg_sites_capture_handler(bool *handler)
{
    /* As deep as a stack is ever kept, whatever stack_depth says: the trampoline may be
     * further up than the frames kept. */
    uintptr_t raw[LG_MAX_DEPTH + 8], at[LG_MAX_DEPTH + 8], pc[LG_MAX_DEPTH + 8], alt_lo, alt_hi;
    uint32_t n = 0, wn;
    *handler = false;
    if (!buckets || !stack_hi || !libc_hi)
        return 0;
    wn = fp_walk(raw, at, LG_MAX_DEPTH + 8, &alt_lo, &alt_hi);
    uint32_t i = 0;
    while (i < wn && raw[i] >= self_lo && raw[i] < self_hi)
        i++; /* the allocator's own frames */
    bool ours = false, seen = false; /* a tracer frame met below the trampoline */
    for (; i < wn; i++) {
        bool self = raw[i] >= self_lo && raw[i] < self_hi;
        if (!seen && !self && ours && !is_sigreturn(raw[i]))
            return 0; /* the program's code under ours: the tracer called in a handler allocates */
        if (!seen && is_sigreturn(raw[i])) {
            /* Frames compare by address on one stack only: a handler on the signal stack
             * with the tracer's work begun on the thread's own came in on top of it. */
            bool same_stack = !alt_hi || (lg_own_sp - alt_lo < alt_hi - alt_lo) == (at[i] - alt_lo < alt_hi - alt_lo);
            if (lg_own_sp && same_stack && at[i] >= lg_own_sp) /* (>=: a handler that tail-calls it) */
                return 0; /* the handler is outside the tracer's own work: it called that */
            seen = true;
        }
        ours |= self;
        if (!self) /* (not the tracer's frames: the handler's wrapper, or interrupted ones) */
            pc[n++] = raw[i];
    }
    if (!seen)
        return 0;
    *handler = true;
    n = n < (uint32_t)max_depth ? n : (uint32_t)max_depth;
    const struct lg_site *s = depot_get(pc, n, hash_pcs(pc, n), false);
    return s ? s->id : 0;
}

uint32_t lg_sites_capture(void)
{
    if (!fast_unwind && alias_buckets && stack_hi)
        return capture_verified();
    uintptr_t raw[LG_MAX_DEPTH + 8];
    int want = max_depth + 8, n, skip;
    if (fast_unwind) {
        uint32_t wn;
        uint64_t h;
        fp_walk_hash(raw, want, &skip, &wn, &h);
        if (wn || !foreign_stack()) /* the walk keeps to the thread's own stack */
            return intern_hashed(raw + skip, wn, h);
    }
    n = (__atomic_add_fetch(&unwinds, 1, __ATOMIC_RELAXED), backtrace_here(raw, want));
    skip = skip_self(raw, n);
    return lg_sites_intern(raw + skip, clamp_depth(n - skip));
}

uint64_t lg_sites_unwinds(void) { return __atomic_load_n(&unwinds, __ATOMIC_RELAXED); }

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
