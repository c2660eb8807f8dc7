/* The libc-named entry points: glue only. Each calls glibc's exported __libc_*
 * allocator (FEASIBILITY §1: no dlsym, no boot buffer) and the bookkeeping in track.c.
 * Ordering rule (heaptrack's, written once): forget a block before the real free or
 * realloc can hand its address to another thread; record only after the real
 * allocation returned. */
#include "guard.h"
#include "altstack.h"
#include "init.h"
#include "modules.h"
#include "regions.h"
#include "annot.h"
#include "blocks.h"
#include "crash.h"
#include "freebatch.h"
#include "inflight.h"
#include "journal.h"
#include "stw.h"
#include "threads.h"
#include "track.h"
#include "trigger.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LG_EXPORT __attribute__((visibility("default")))

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* ---- the allocator family ---- */

LG_EXPORT void *malloc(size_t n)
{
    lg_track_early();
    return lg_track_alloc(__libc_malloc(n), n);
}

LG_EXPORT void free(void *p)
{
    if (p)
        lg_freebatch_free(p);
}

LG_EXPORT void *calloc(size_t n, size_t m)
{
    size_t total;
    lg_track_early();
    void *p = __libc_calloc(n, m);
    return __builtin_mul_overflow(n, m, &total) ? p : lg_track_alloc(p, total);
}

/* realloc while this thread is inside the tracer (a signal handler's): like a free
 * there (freebatch.c), it must not wait for a lock its thread may hold. When old's record
 * cannot come out at once, old is copied and its free deferred. The new block is
 * recorded as a malloc there is (track.c). */
static void *realloc_nested(void *old, size_t n)
{
    struct lg_block saved;
    int rc = lg_blocks_remove_try((uintptr_t)old, &saved);
    if (rc > 0 && lg_journal_active)
        lg_journal_remove((uintptr_t)old);
    if (rc >= 0) {
        void *p = __libc_realloc(old, n);
        if (rc && !p && n) { /* failed: old is still the program's */
            lg_blocks_insert_nested(&saved);
            if (lg_journal_active)
                lg_journal_add(&saved);
        } else if (p)
            lg_track_alloc(p, n); /* recorded if a signal handler asked for it */
        return p;
    }
    if (!n) {
        lg_freebatch_defer(old);
        return NULL;
    }
    void *p = __libc_malloc(n);
    if (p) {
        size_t have = lg_real_usable_size(old);
        memcpy(p, old, have < n ? have : n);
        lg_freebatch_defer(old);
        lg_track_alloc(p, n);
    }
    return p;
}

LG_EXPORT void *realloc(void *old, size_t n)
{
    lg_track_early();
    if (__builtin_expect(lg_busy, 0) && old && lg_state == LG_READY)
        return realloc_nested(old, n);
    /* Published for a stop (inflight.h), unless this realloc interrupted another's. */
    struct lg_inflight *f = &lg_inflight;
    struct lg_block local;
    bool pub = f->state == LG_INFLIGHT_IDLE;
    struct lg_block *saved = pub ? &f->old : &local;
    if (pub) {
        f->old.seq = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        f->state = LG_INFLIGHT_OUT;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    bool had = lg_track_take(old, saved);
    uint64_t old_size = had ? saved->size : 0, old_seq = had ? saved->seq : 0;
    if (pub && had) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        f->state = LG_INFLIGHT_GLIBC;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    void *p = __libc_realloc(old, n);
    if (pub && had)
        lg_inflight_returned(p, n);
    if (p) {
        lg_track_alloc(p, n);
        if (old_seq & LG_SEQ_ANNOTATED)
            lg_annot_move((uintptr_t)old, old_size, (uintptr_t)p);
    } else if (had && n) { /* failed: old is still the program's */
        lg_track_restore(saved);
    }
    if (pub)
        lg_inflight_end();
    return p;
}

LG_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

LG_EXPORT void *memalign(size_t align, size_t n)
{
    lg_track_early();
    return lg_track_alloc(__libc_memalign(align, n), n);
}

LG_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    lg_track_early();
    return lg_track_alloc(__libc_memalign(align, n), n);
}

LG_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    int saved = errno;
    lg_track_early();
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = lg_track_alloc(p, n);
    errno = saved;
    return 0;
}

LG_EXPORT void *valloc(size_t n)
{
    lg_track_early();
    return lg_track_alloc(__libc_valloc(n), n);
}

LG_EXPORT void *pvalloc(size_t n)
{
    lg_track_early();
    return lg_track_alloc(__libc_pvalloc(n), n);
}

LG_EXPORT size_t malloc_usable_size(void *p) { return lg_real_usable_size(p); }

/* ---- threads, modules and mappings: what roots and stacks depend on ---- */

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

LG_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static create_fn real;
    if (!real)
        real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (lg_state != LG_READY)
        lg_init();
    if (lg_state != LG_READY)
        return real(t, attr, fn, arg);
    return lg_threads_create(t, attr, fn, arg, real);
}

/* glibc's thrd_create calls its pthread_create internally, past the interposed one: C11
 * threads would run unregistered (no stack bounds, buffers never given back). */
/* <threads.h> is shadowed by src/threads.h; its ABI, from glibc's: */
typedef unsigned long lg_thrd_t; /* thrd_t, the same as pthread_t */
typedef int (*lg_thrd_start_t)(void *);
enum { thrd_success, thrd_busy, thrd_error, thrd_nomem, thrd_timedout };

LG_EXPORT int thrd_create(lg_thrd_t *t, lg_thrd_start_t fn, void *arg)
{
    static int (*real11)(lg_thrd_t *, lg_thrd_start_t, void *);
    static create_fn real;
    if (!real11)
        real11 = (int (*)(lg_thrd_t *, lg_thrd_start_t, void *))dlsym(RTLD_NEXT, "thrd_create");
    if (!real)
        real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (lg_state != LG_READY)
        lg_init();
    int rc = lg_state == LG_READY && real ? lg_threads_create_c11((pthread_t *)t, fn, arg, real) : -1;
    if (rc < 0)
        return real11(t, fn, arg);
    /* glibc's mapping of pthread_create's errors (thrd_priv.h) */
    return rc == 0 ? thrd_success : rc == ENOMEM ? thrd_nomem : rc == EBUSY ? thrd_busy
         : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}

/* Only to learn the SP: after main's pthread_exit the process lives on with main a zombie
 * that no signal can stop, and its stack is scanned from there. */
LG_EXPORT void pthread_exit(void *ret)
{
    static void (*real)(void *);
    if (!real)
        real = (void (*)(void *))dlsym(RTLD_NEXT, "pthread_exit");
    if (lg_state == LG_READY)
        lg_threads_note_exit((uintptr_t)__builtin_frame_address(0));
    real(ret);
    __builtin_unreachable();
}

/* dlopen is deliberately not wrapped: glibc resolves a relative name against the RUNPATH
 * ($ORIGIN) of the object that called dlopen, and a wrapper would make that object the
 * tracer. Newly loaded modules are learned at the next snapshot or dlclose instead. */
LG_EXPORT int dlclose(void *h)
{
    static int (*real)(void *);
    if (!real)
        real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    /* Learn the module while it is still mapped (it may have been dlopen'ed since the
     * last refresh), then mark it unloaded: its sites must still symbolize. */
    if (lg_state == LG_READY)
        lg_modules_refresh();
    int rc = real(h);
    if (lg_state == LG_READY)
        lg_modules_refresh();
    return rc;
}

/* libunwind blocks every signal around its dl_iterate_phdr calls (each allocation's
 * stack may need one), and a snapshot or collection holds the loader's lock while the
 * world is stopped: a thread signalled just before would wait for that lock, deaf to the
 * signal, until the stop gave up on it (2 s, then its stack scanned as it was). It stops
 * here instead. The forward is a tail call: glibc finds the caller's namespace from the
 * return address. */
LG_EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
    static int (*real)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
    if (!real)
        real = (int (*)(int (*)(struct dl_phdr_info *, size_t, void *), void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
    lg_stw_at_loader_lock();
    return real(cb, data);
}

/* Keeps each thread's alternate stack in view without a system call (altstack.h). */
LG_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
    static int (*real)(const stack_t *, stack_t *);
    if (!real)
        real = (int (*)(const stack_t *, stack_t *))dlsym(RTLD_NEXT, "sigaltstack");
    int rc = real(ss, old);
    if (rc == 0 && ss)
        lg_altstack_changed();
    return rc;
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* The kernel maps, unmaps and moves whole pages: so do the region records. */
static uintptr_t page_end(uintptr_t p, size_t n) { return (p + n + 4095) & ~(uintptr_t)4095; }

static void *sys_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, a, n, prot, flags, fd, off);
}

LG_EXPORT void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    void *p = sys_mmap(a, n, prot, flags, fd, off);
    if (p != MAP_FAILED && !lg_busy && lg_state == LG_READY) {
        lg_regions_remove((uintptr_t)p, page_end((uintptr_t)p, n)); /* MAP_FIXED over an old one */
        lg_regions_add((uintptr_t)p, page_end((uintptr_t)p, n), LG_REGION_MMAP);
    }
    return p;
}

LG_EXPORT void *mmap64(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
    return mmap(a, n, prot, flags, fd, off);
}

LG_EXPORT int munmap(void *a, size_t n)
{
    int rc = (int)syscall(SYS_munmap, a, n);
    if (rc == 0 && lg_state == LG_READY)
        lg_regions_remove((uintptr_t)a, page_end((uintptr_t)a, n));
    return rc;
}

LG_EXPORT void *mremap(void *old, size_t old_n, size_t n, int flags, ...)
{
    void *want = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        want = va_arg(ap, void *);
        va_end(ap);
    }
    void *p = (void *)syscall(SYS_mremap, old, old_n, n, flags, want);
    if (p != MAP_FAILED && lg_state == LG_READY) {
        if (!(flags & MREMAP_DONTUNMAP)) /* that flag leaves the old range mapped, empty */
            lg_regions_remove((uintptr_t)old, page_end((uintptr_t)old, old_n));
        if (!lg_busy) {
            lg_regions_remove((uintptr_t)p, page_end((uintptr_t)p, n));
            lg_regions_add((uintptr_t)p, page_end((uintptr_t)p, n), LG_REGION_MMAP);
        }
    }
    return p;
}

/* ---- signal handlers: the snapshot signal is the program's if it wants it; the fatal
 * signals stay ours, and what the program sets for them is recorded (crash.c) ---- */

LG_EXPORT int sigaction(int signo, const struct sigaction *act, struct sigaction *old)
{
    static int (*real)(int, const struct sigaction *, struct sigaction *);
    if (!real)
        real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
    int rc;
    if (lg_crash_sigaction(signo, act, old, &rc))
        return rc;
    rc = real(signo, act, old);
    if (rc == 0 && act && lg_state == LG_READY && !lg_busy) /* not our own installs */
        lg_trigger_on_program_handler(signo);
    return rc;
}

/* The fatal signals that siginterrupt() made interrupting: signal() then sets no
 * SA_RESTART, as glibc's does by its own set, which our siginterrupt() bypasses. */
static uint64_t crash_intr;

static int restart_flag(int signo)
{
    bool intr = signo > 0 && signo <= 64 && (crash_intr >> (signo - 1) & 1);
    return intr ? 0 : SA_RESTART;
}

/* signal(), bsd_signal() and sysv_signal() as glibc implements them, through sigaction
 * for the fatal signals; glibc's own signal() does not go through sigaction(). */
static bool crash_signal(int signo, sighandler_t fn, int flags, bool mask_self, sighandler_t *prev)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (mask_self)
        sigaddset(&sa.sa_mask, signo);
    int rc;
    if (fn == SIG_ERR || !lg_crash_sigaction(signo, &sa, &old, &rc))
        return false;
    *prev = rc == 0 ? old.sa_handler : SIG_ERR;
    return true;
}

static sighandler_t wrap_signal(const char *name, int signo, sighandler_t fn, int flags, bool mask_self,
                                sighandler_t (**real)(int, sighandler_t))
{
    sighandler_t prev;
    if (crash_signal(signo, fn, flags, mask_self, &prev))
        return prev;
    if (!*real)
        *real = (sighandler_t(*)(int, sighandler_t))dlsym(RTLD_NEXT, name);
    prev = *real ? (*real)(signo, fn) : SIG_ERR;
    if (prev != SIG_ERR && lg_state == LG_READY && !lg_busy)
        lg_trigger_on_program_handler(signo);
    return prev;
}

LG_EXPORT sighandler_t signal(int signo, sighandler_t fn)
{
    static sighandler_t (*real)(int, sighandler_t);
    return wrap_signal("signal", signo, fn, restart_flag(signo), true, &real);
}

LG_EXPORT sighandler_t bsd_signal(int signo, sighandler_t fn)
{
    static sighandler_t (*real)(int, sighandler_t);
    return wrap_signal("bsd_signal", signo, fn, restart_flag(signo), true, &real);
}

LG_EXPORT sighandler_t ssignal(int signo, sighandler_t fn)
{
    static sighandler_t (*real)(int, sighandler_t);
    return wrap_signal("ssignal", signo, fn, restart_flag(signo), true, &real);
}

LG_EXPORT sighandler_t sysv_signal(int signo, sighandler_t fn)
{
    static sighandler_t (*real)(int, sighandler_t);
    return wrap_signal("sysv_signal", signo, fn, SA_RESETHAND | SA_NODEFER, false, &real);
}

/* What signal() is in a program built without _DEFAULT_SOURCE (plain -std=c11). */
LG_EXPORT sighandler_t __sysv_signal(int signo, sighandler_t fn)
{
    static sighandler_t (*real)(int, sighandler_t);
    return wrap_signal("__sysv_signal", signo, fn, SA_RESETHAND | SA_NODEFER, false, &real);
}

/* sigset(), sigignore() and siginterrupt() as glibc implements them, through our
 * sigaction for the fatal signals: glibc's own reach its internal sigaction. Such a
 * change would still be adopted (crash.c), but the crash snapshot would be lost until
 * the program's next call of a wrapper. */
static void *real_fn(void **cache, const char *name)
{
    if (!*cache)
        *cache = dlsym(RTLD_NEXT, name);
    return *cache;
}

LG_EXPORT sighandler_t sigset(int signo, sighandler_t fn)
{
    static void *real;
    if (!lg_crash_owns(signo)) {
        sighandler_t (*f)(int, sighandler_t) = (sighandler_t(*)(int, sighandler_t))real_fn(&real, "sigset");
        return f ? f(signo, fn) : SIG_ERR;
    }
    sigset_t one, was;
    sigemptyset(&one);
    sigaddset(&one, signo);
    struct sigaction sa, old;
    if (fn == SIG_HOLD) {
        if (sigprocmask(SIG_BLOCK, &one, &was) < 0)
            return SIG_ERR;
        if (sigismember(&was, signo))
            return SIG_HOLD;
        return sigaction(signo, NULL, &old) < 0 ? SIG_ERR : old.sa_handler;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    if (fn == SIG_ERR || sigaction(signo, &sa, &old) < 0 || sigprocmask(SIG_UNBLOCK, &one, &was) < 0)
        return SIG_ERR;
    return sigismember(&was, signo) ? SIG_HOLD : old.sa_handler;
}

LG_EXPORT int sigignore(int signo)
{
    static void *real;
    if (!lg_crash_owns(signo)) {
        int (*f)(int) = (int (*)(int))real_fn(&real, "sigignore");
        return f ? f(signo) : -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

LG_EXPORT int siginterrupt(int signo, int interrupt)
{
    static void *real;
    if (!lg_crash_owns(signo)) {
        int (*f)(int, int) = (int (*)(int, int))real_fn(&real, "siginterrupt");
        return f ? f(signo, interrupt) : -1;
    }
    struct sigaction sa;
    if (sigaction(signo, NULL, &sa) < 0)
        return -1;
    uint64_t bit = 1ull << (signo - 1);
    crash_intr = interrupt ? crash_intr | bit : crash_intr & ~bit;
    sa.sa_flags = interrupt ? sa.sa_flags & ~SA_RESTART : sa.sa_flags | SA_RESTART;
    return sigaction(signo, &sa, NULL);
}
