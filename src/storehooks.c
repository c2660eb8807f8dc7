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
        if (!lg_win.last_store || len != 8 || (a & 7) || a - lg_dirtyset_read_lo >= lg_dirtyset_read_span)
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
 * Fortified builds (_FORTIFY_SOURCE, on by default in several distributions' compilers)
 * call the checking entry points, __memcpy_chk and its siblings, instead: those are
 * interposed too, checked as glibc checks them, then recorded as the plain ones. The
 * real functions are glibc's own, as dlsym(RTLD_NEXT) resolves them at start-up (the
 * IFUNC-selected implementation, reached with one indirect jump); before that, plain
 * string instructions do the copying (glibc's checking entry points are ours now). */
extern void __chk_fail(void) __attribute__((noreturn));

typedef void *copy_fn(void *, const void *, size_t);
typedef void *set_fn(void *, int, size_t);
typedef char *str_fn(char *, const char *);
typedef char *strn_fn(char *, const char *, size_t);
/* Written once by lg_storehooks_init, before the program's threads exist: the real
 * functions, and the tracer's own text. */
static copy_fn *real_memcpy, *real_memmove, *real_mempcpy;
static set_fn *real_memset;
static str_fn *real_strcpy, *real_stpcpy, *real_strcat;
static strn_fn *real_strncpy;
static uintptr_t self_lo, self_hi;

void lg_storehooks_init(void)
{
    real_memcpy = (copy_fn *)dlsym(RTLD_NEXT, "memcpy");
    real_memmove = (copy_fn *)dlsym(RTLD_NEXT, "memmove");
    real_mempcpy = (copy_fn *)dlsym(RTLD_NEXT, "mempcpy");
    real_memset = (set_fn *)dlsym(RTLD_NEXT, "memset");
    real_strcpy = (str_fn *)dlsym(RTLD_NEXT, "strcpy");
    real_stpcpy = (str_fn *)dlsym(RTLD_NEXT, "stpcpy");
    real_strcat = (str_fn *)dlsym(RTLD_NEXT, "strcat");
    real_strncpy = (strn_fn *)dlsym(RTLD_NEXT, "strncpy");
    if (!lg_modules_self_range((const void *)lg_storehooks_init, &self_lo, &self_hi))
        self_lo = self_hi = 0;
}

/* Before lg_storehooks_init: memmove's semantics, one byte at a time in the hardware. */
static void *early_move(void *d, const void *s, size_t n)
{
    if ((uintptr_t)d - (uintptr_t)s >= n) { /* d below s, or past its end: forwards */
        void *di = d;
        __asm__ volatile("rep movsb" : "+D"(di), "+S"(s), "+c"(n) : : "memory");
    } else if (n) {
        char *de = (char *)d + n - 1;
        const char *se = (const char *)s + n - 1;
        __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(de), "+S"(se), "+c"(n) : : "memory", "cc");
    }
    return d;
}
static void *early_set(void *d, int c, size_t n)
{
    void *di = d;
    __asm__ volatile("rep stosb" : "+D"(di), "+c"(n) : "a"(c) : "memory");
    return d;
}

static void *do_memcpy(void *d, const void *s, size_t n)
{
    copy_fn *f = real_memcpy;
    return f ? f(d, s, n) : early_move(d, s, n);
}
static void *do_memmove(void *d, const void *s, size_t n)
{
    copy_fn *f = real_memmove;
    return f ? f(d, s, n) : early_move(d, s, n);
}
static void *do_memset(void *d, int c, size_t n)
{
    set_fn *f = real_memset;
    return f ? f(d, c, n) : early_set(d, c, n);
}
static void *do_mempcpy(void *d, const void *s, size_t n)
{
    copy_fn *f = real_mempcpy;
    return f ? f(d, s, n) : (char *)early_move(d, s, n) + n;
}
static char *do_strcpy(char *d, const char *s)
{
    str_fn *f = real_strcpy;
    return f ? f(d, s) : early_move(d, s, strlen(s) + 1);
}
static char *do_stpcpy(char *d, const char *s)
{
    str_fn *f = real_stpcpy;
    if (f)
        return f(d, s);
    size_t n = strlen(s);
    return (char *)early_move(d, s, n + 1) + n;
}
static char *do_strncpy(char *d, const char *s, size_t n)
{
    strn_fn *f = real_strncpy;
    if (f)
        return f(d, s, n);
    size_t k = strnlen(s, n);
    early_move(d, s, k);
    return early_set(d + k, 0, n - k), d;
}
static char *do_strcat(char *d, const char *s)
{
    str_fn *f = real_strcat;
    return f ? f(d, s) : (early_move(d + strlen(d), s, strlen(s) + 1), d);
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
    void *r = do_memcpy(d, s, n);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *memmove_noted(void *d, const void *s, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = do_memmove(d, s, n);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *memset_noted(void *d, int c, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = do_memset(d, c, n);
    lg_dirtyset_pending = was;
    return r;
}
static __attribute__((noinline)) void *mempcpy_noted(void *d, const void *s, size_t n, uintptr_t ra)
{
    struct lg_pending was = write_begin(d, n, ra);
    void *r = do_mempcpy(d, s, n);
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

/* The checking entry points: glibc's check (the destination's object size, dn), then
 * as above. */
LG_EXPORT void *__memcpy_chk(void *d, const void *s, size_t n, size_t dn)
{
    if (__builtin_expect(n > dn, 0))
        __chk_fail();
    copy_fn *f = real_memcpy;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memcpy_noted(d, s, n, RA);
    return f(d, s, n);
}
LG_EXPORT void *__memmove_chk(void *d, const void *s, size_t n, size_t dn)
{
    if (__builtin_expect(n > dn, 0))
        __chk_fail();
    copy_fn *f = real_memmove;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memmove_noted(d, s, n, RA);
    return f(d, s, n);
}
LG_EXPORT void *__memset_chk(void *d, int c, size_t n, size_t dn)
{
    if (__builtin_expect(n > dn, 0))
        __chk_fail();
    set_fn *f = real_memset;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return memset_noted(d, c, n, RA);
    return f(d, c, n);
}
LG_EXPORT void *__mempcpy_chk(void *d, const void *s, size_t n, size_t dn)
{
    if (__builtin_expect(n > dn, 0))
        __chk_fail();
    copy_fn *f = real_mempcpy;
    if (__builtin_expect(lg_storehooks_libc || !f, 0))
        return mempcpy_noted(d, s, n, RA);
    return f(d, s, n);
}

/* The string copies record before they write, as the rest of the family, their length
 * measured first (recording after, a stop in between missed the copy). dn: the checking
 * entry points' object size, (size_t)-1 for the plain ones. */
static char *strcpy_from(char *d, const char *s, size_t dn, uintptr_t ra)
{
    if (dn != (size_t)-1 && strlen(s) >= dn)
        __chk_fail();
    if (!lg_storehooks_libc)
        return do_strcpy(d, s);
    struct lg_pending was = write_begin(d, strlen(s) + 1, ra);
    char *r = do_strcpy(d, s);
    lg_dirtyset_pending = was;
    return r;
}
static char *stpcpy_from(char *d, const char *s, size_t dn, uintptr_t ra)
{
    if (dn != (size_t)-1 && strlen(s) >= dn)
        __chk_fail();
    if (!lg_storehooks_libc)
        return do_stpcpy(d, s);
    struct lg_pending was = write_begin(d, strlen(s) + 1, ra);
    char *r = do_stpcpy(d, s);
    lg_dirtyset_pending = was;
    return r;
}
static char *strncpy_from(char *d, const char *s, size_t n, size_t dn, uintptr_t ra)
{
    if (n > dn)
        __chk_fail();
    struct lg_pending was = write_begin(d, n, ra);
    char *r = do_strncpy(d, s, n);
    lg_dirtyset_pending = was;
    return r;
}
static char *strcat_from(char *d, const char *s, size_t dn, uintptr_t ra)
{
    size_t before = 0, n = 0;
    if (dn != (size_t)-1) { /* glibc's reads neither string past the object: nor do these */
        if ((before = strnlen(d, dn)) == dn || (n = strnlen(s, dn - before)) == dn - before)
            __chk_fail();
        n++;
    } else if (lg_storehooks_libc) {
        before = strlen(d);
        n = strlen(s) + 1;
    }
    if (!lg_storehooks_libc)
        return do_strcat(d, s);
    struct lg_pending was = write_begin(d + before, n, ra);
    char *r = do_strcat(d, s);
    lg_dirtyset_pending = was;
    return r;
}
LG_EXPORT char *strcpy(char *d, const char *s) { return strcpy_from(d, s, (size_t)-1, RA); }
LG_EXPORT char *stpcpy(char *d, const char *s) { return stpcpy_from(d, s, (size_t)-1, RA); }
LG_EXPORT char *strncpy(char *d, const char *s, size_t n) { return strncpy_from(d, s, n, (size_t)-1, RA); }
LG_EXPORT char *strcat(char *d, const char *s) { return strcat_from(d, s, (size_t)-1, RA); }
LG_EXPORT char *__strcpy_chk(char *d, const char *s, size_t dn) { return strcpy_from(d, s, dn, RA); }
LG_EXPORT char *__stpcpy_chk(char *d, const char *s, size_t dn) { return stpcpy_from(d, s, dn, RA); }
LG_EXPORT char *__strncpy_chk(char *d, const char *s, size_t n, size_t dn)
{
    return strncpy_from(d, s, n, dn, RA);
}
LG_EXPORT char *__strcat_chk(char *d, const char *s, size_t dn) { return strcat_from(d, s, dn, RA); }
