/* Store hooks: called before (compilers, the macro) or after (memcpy family) a write to
 * memory. Each is a few instructions when disarmed; armed, it records the written card
 * and, for an aligned word that held a heap address, who overwrote that reference.
 * Safe before the tracer is ready, from threads it never saw and on any address: it
 * only compares against [lg_dirtyset_lo, lg_dirtyset_hi) and does lock-free inserts. */
#include "storehooks.h"

#include "dirtyset.h"
#include "modules.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LG_EXPORT __attribute__((visibility("default")))

/* Which hooks ran (enum bits); set by the hooks themselves, relaxed atomics. */
volatile int lg_storehooks_seen;
/* The memcpy family records writes: set by collect.c with the world stopped. */
volatile int lg_storehooks_libc;
/* collect_last_store: written once by lg_collect_init, read-only afterwards. */
int lg_storehooks_last_store;

/* Everything but a slot inside the card table: before the table exists, a slot outside
 * it, a store that crosses cards. */
static __attribute__((noinline)) void on_store_slow(uintptr_t a, size_t len, uintptr_t pc, int kind)
{
    if (!(lg_storehooks_seen & kind)) /* the next collection maps the card table */
        __atomic_or_fetch(&lg_storehooks_seen, kind, __ATOMIC_RELAXED);
    if (__builtin_expect(!lg_dirtyset_armed, 0))
        return;
    uintptr_t lo = lg_dirtyset_lo, span = lg_dirtyset_hi - lo;
    if (a - lo >= span)
        return; /* a global, a stack: roots are rescanned anyway */
    if (lg_storehooks_last_store && len == 8 && !(a & 7)) {
        uintptr_t old = *(const volatile uintptr_t *)a;
        if (old - lo < span)
            lg_dirtyset_note_overwrite_fast(old, pc);
    }
    if (!lg_storehooks_libc)
        return; /* collections read what changed from the kernel: the overwrite only */
    if (((a + len - 1) ^ a) >> LG_CARD_SHIFT)
        lg_dirtyset_range_async(a, a + len);
    else
        lg_dirtyset_card_async(a);
}


/* The common case inline in every hook, a leaf: the slot's card is in the table
 * (dirtyset.h), the store stays inside it; with collect_last_store, the overwritten
 * word is read and only a heap reference calls further. */
static inline __attribute__((always_inline)) void on_store(uintptr_t a, size_t len, uintptr_t pc, int kind)
{
    lg_dirtyset_pending.lo = a; /* the store comes after the return, maybe after a stop */
    lg_dirtyset_pending.hi = a + len;
    uintptr_t d = a - lg_win.card_base;
    if (__builtin_expect(d < lg_win.card_span && (d & ((1u << LG_CARD_SHIFT) - 1)) + len <= (1u << LG_CARD_SHIFT), 1)) {
        volatile unsigned char *c = lg_win.cards + (d >> LG_CARD_SHIFT);
        if (!*c)
            *c = 1;
        if (!lg_win.last_store || len != 8 || (a & 7))
            return;
        uintptr_t old = *(const volatile uintptr_t *)a;
        if (old - lg_win.heap_lo < lg_win.heap_span)
            lg_dirtyset_note_overwrite_async(old, pc); /* straight into the table */
        return;
    }
    on_store_slow(a, len, pc, kind);
}

/* The hooks need no frame of their own: nothing unwinds through them. */
#if defined(__GNUC__) && !defined(__clang__)
#define LG_HOOK LG_EXPORT __attribute__((optimize("omit-frame-pointer")))
#else
#define LG_HOOK LG_EXPORT
#endif

#define PC ((uintptr_t)__builtin_return_address(0))

/* ---- clang -fsanitize-coverage=func,trace-stores: the address, before the store ---- */
LG_HOOK void __sanitizer_cov_store1(void *a) { on_store((uintptr_t)a, 1, PC, LG_HOOK_CLANG); }
LG_HOOK void __sanitizer_cov_store2(void *a) { on_store((uintptr_t)a, 2, PC, LG_HOOK_CLANG); }
LG_HOOK void __sanitizer_cov_store4(void *a) { on_store((uintptr_t)a, 4, PC, LG_HOOK_CLANG); }
LG_HOOK void __sanitizer_cov_store8(void *a) { on_store((uintptr_t)a, 8, PC, LG_HOOK_CLANG); }
LG_HOOK void __sanitizer_cov_store16(void *a) { on_store((uintptr_t)a, 16, PC, LG_HOOK_CLANG); }

/* ---- gcc -fsanitize=kernel-address, outline calls: the address, before the store ---- */
LG_HOOK void __asan_store1_noabort(void *a) { on_store((uintptr_t)a, 1, PC, LG_HOOK_GCC); }
LG_HOOK void __asan_store2_noabort(void *a) { on_store((uintptr_t)a, 2, PC, LG_HOOK_GCC); }
LG_HOOK void __asan_store4_noabort(void *a) { on_store((uintptr_t)a, 4, PC, LG_HOOK_GCC); }
LG_HOOK void __asan_store8_noabort(void *a) { on_store((uintptr_t)a, 8, PC, LG_HOOK_GCC); }
LG_HOOK void __asan_store16_noabort(void *a) { on_store((uintptr_t)a, 16, PC, LG_HOOK_GCC); }
LG_HOOK void __asan_storeN_noabort(void *a, size_t n)
{
    if (n)
        on_store((uintptr_t)a, n, PC, LG_HOOK_GCC);
}
/* Reads are not instrumented with `leakgraph cflags gcc`; these keep a build that
 * instruments them loadable. */
LG_EXPORT void __asan_load1_noabort(void *a) { (void)a; }
LG_EXPORT void __asan_load2_noabort(void *a) { (void)a; }
LG_EXPORT void __asan_load4_noabort(void *a) { (void)a; }
LG_EXPORT void __asan_load8_noabort(void *a) { (void)a; }
LG_EXPORT void __asan_load16_noabort(void *a) { (void)a; }
LG_EXPORT void __asan_loadN_noabort(void *a, size_t n) { (void)a, (void)n; }
/* gcc calls this from a constructor when globals are instrumented (asan-globals=1). */
LG_EXPORT void __asan_handle_no_return(void) {}

/* ---- LEAKGRAPH_STORE(lhs, rhs) (include/leakgraph.h): before the store ---- */
LG_EXPORT void leakgraph_note_store(void *slot, const void *value)
{
    uintptr_t a = (uintptr_t)slot;
    lg_dirtyset_pending.lo = a; /* armed or not: the macro does not mark after this store */
    lg_dirtyset_pending.hi = a + 8;
    if (__builtin_expect(!lg_dirtyset_armed, 0)) {
        /* seen: the macro's calls before the first collection stop here */
        __atomic_or_fetch(&lg_storehooks_seen, LG_HOOK_MACRO, __ATOMIC_RELAXED);
        unsigned long all = ~0ul;
        __atomic_compare_exchange_n(&lg_win.heap_span, &all, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        return;
    }
    if (!(a & 7) && a - lg_dirtyset_lo < lg_dirtyset_hi - lg_dirtyset_lo &&
        *(void *const volatile *)slot == value)
        return; /* storing what is there changes no reference */
    on_store(a, 8, PC, LG_HOOK_MACRO);
}

/* ---- LEAKGRAPH_STORE: after the store, when a collection moved the window since ---- */
LG_EXPORT void leakgraph_note_stored(void *slot)
{
    uintptr_t a = (uintptr_t)slot;
    if (lg_dirtyset_armed && lg_storehooks_libc && a - lg_dirtyset_lo < lg_dirtyset_hi - lg_dirtyset_lo)
        lg_dirtyset_card_async(a);
}

/* ---- the memcpy family: what compilers turn struct copies into, and libc's writes ----
 * The real functions: glibc's own, as dlsym(RTLD_NEXT) resolves them at start-up (the
 * IFUNC-selected implementation, reached with one indirect jump). Before that, and for
 * the string functions, glibc's checking entry points, reached through the PLT (IFUNCs
 * that select the same implementations). The length limit is volatile so that the
 * compiler cannot fold the call back into memcpy: that would call this file again. */
extern void *__memcpy_chk(void *, const void *, size_t, size_t);
extern void *__memmove_chk(void *, const void *, size_t, size_t);
extern void *__memset_chk(void *, int, size_t, size_t);
extern void *__mempcpy_chk(void *, const void *, size_t, size_t);
extern char *__strcpy_chk(char *, const char *, size_t);
extern char *__stpcpy_chk(char *, const char *, size_t);
extern char *__strncpy_chk(char *, const char *, size_t, size_t);
extern char *__strcat_chk(char *, const char *, size_t);
/* (size_t)-1: no object size limit. volatile: see above. */
static volatile size_t no_limit = (size_t)-1;

typedef void *copy_fn(void *, const void *, size_t);
typedef void *set_fn(void *, int, size_t);
/* Written once by lg_storehooks_init, before the program's threads exist: the real
 * functions, and the tracer's own text. */
static copy_fn *real_memcpy, *real_memmove, *real_mempcpy;
static set_fn *real_memset;
static uintptr_t self_lo, self_hi;

void lg_storehooks_init(void)
{
    real_memcpy = (copy_fn *)dlsym(RTLD_NEXT, "memcpy");
    real_memmove = (copy_fn *)dlsym(RTLD_NEXT, "memmove");
    real_mempcpy = (copy_fn *)dlsym(RTLD_NEXT, "mempcpy");
    real_memset = (set_fn *)dlsym(RTLD_NEXT, "memset");
    if (!lg_modules_self_range((const void *)lg_storehooks_init, &self_lo, &self_hi))
        self_lo = self_hi = 0;
}

/* A write of n bytes at d by the code that returns to ra. The tracer's own copies (its
 * tables, its kept rows, during a collection too) are not the program's writes: with
 * them the range list filled up and the next collection rescanned everything. Outside
 * the blocks' span at the last collection nothing needs recording (as for the hooks):
 * blocks born since are rescanned whole. */
static inline void wrote(const void *d, size_t n, uintptr_t ra)
{
    if (!__builtin_expect(lg_storehooks_libc, 0) || !n || ra - self_lo < self_hi - self_lo)
        return;
    uintptr_t lo = (uintptr_t)d, hi = lo + n, wlo = lg_dirtyset_lo, whi = lg_dirtyset_hi;
    lo = lo > wlo ? lo : wlo;
    hi = hi < whi ? hi : whi;
    if (lo < hi)
        lg_dirtyset_range_async(lo, hi);
}
#define RA ((uintptr_t)__builtin_return_address(0))

void lg_storehooks_wrote(const void *d, size_t n) { wrote(d, n, 0); }

/* A write of n bytes at d about to be made: recorded now, and pending while it runs
 * (dirtyset.h): a collection that stops the thread in the middle reads it again at the
 * next one. Returns the write pending before (a hook's, that a signal handler
 * interrupted), to be put back afterwards. */
static inline struct lg_pending write_begin(const void *d, size_t n, uintptr_t ra)
{
    struct lg_pending was = lg_dirtyset_pending;
    lg_dirtyset_pending.lo = (uintptr_t)d;
    lg_dirtyset_pending.hi = (uintptr_t)d + n;
    wrote(d, n, ra);
    return was;
}

struct lg_pending lg_storehooks_write_begin(const void *d, size_t n) { return write_begin(d, n, 0); }

void lg_storehooks_write_end(struct lg_pending was) { lg_dirtyset_pending = was; }

/* Collecting with store hooks: record, then copy. Out of line, so that the common case
 * is a test and a tail jump. */
static __attribute__((noinline)) void *memcpy_noted(void *d, const void *s, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = __memcpy_chk(d, s, n, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *memmove_noted(void *d, const void *s, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = __memmove_chk(d, s, n, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *memset_noted(void *d, int c, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = __memset_chk(d, c, n, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *mempcpy_noted(void *d, const void *s, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = __mempcpy_chk(d, s, n, no_limit);
    lg_dirtyset_pending = was;
    return r;
}

LG_EXPORT void *memcpy(void *d, const void *s, size_t n)
{
    copy_fn *f = real_memcpy;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memcpy_noted(d, s, n, RA);
    return f(d, s, n);
}
LG_EXPORT void *memmove(void *d, const void *s, size_t n)
{
    copy_fn *f = real_memmove;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memmove_noted(d, s, n, RA);
    return f(d, s, n);
}
LG_EXPORT void *memset(void *d, int c, size_t n)
{
    set_fn *f = real_memset;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memset_noted(d, c, n, RA);
    return f(d, c, n);
}
LG_EXPORT void *mempcpy(void *d, const void *s, size_t n)
{
    copy_fn *f = real_mempcpy;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return mempcpy_noted(d, s, n, RA);
    return f(d, s, n);
}
/* The string copies record before they write, as the rest of the family, their length
 * measured first (recording after, a stop in between missed the copy). */
LG_EXPORT char *strcpy(char *d, const char *s)
{
    if (!lg_storehooks_libc)
        return __strcpy_chk(d, s, no_limit);
    size_t n = strlen(s) + 1;
    struct lg_pending was = write_begin(d, n, RA);
    char *r = __strcpy_chk(d, s, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
LG_EXPORT char *stpcpy(char *d, const char *s)
{
    if (!lg_storehooks_libc)
        return __stpcpy_chk(d, s, no_limit);
    size_t n = strlen(s) + 1;
    struct lg_pending was = write_begin(d, n, RA);
    char *r = __stpcpy_chk(d, s, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
LG_EXPORT char *strncpy(char *d, const char *s, size_t n)
{
    struct lg_pending was = write_begin(d, n, RA);
    char *r = __strncpy_chk(d, s, n, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
LG_EXPORT char *strcat(char *d, const char *s)
{
    if (!lg_storehooks_libc)
        return __strcat_chk(d, s, no_limit);
    size_t before = strlen(d), n = strlen(s) + 1;
    struct lg_pending was = write_begin(d + before, n, RA);
    char *r = __strcat_chk(d, s, no_limit);
    lg_dirtyset_pending = was;
    return r;
}
