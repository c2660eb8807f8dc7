/* Thread registry and the pthread_create trampoline. */
#include "freebatch.h"
#include "threads.h"

#include "arena.h"
#include "crash.h"
#include "dirtyset.h"
#include "guard.h"
#include "lock.h"
#include "maps.h"
#include "sidestack.h"
#include "sites.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Records, appended under reg_lock; count published with a release store. */
static lg_lock_t reg_lock = LG_LOCK_INIT;
static struct lg_thread *records;
static uint32_t nrecords;

/* Static TLS geometry from glibc's private symbols, looked up once at init. */
static size_t tls_static_size, sizeof_pthread;

static __thread uint32_t my_tid __attribute__((tls_model("initial-exec")));
static __thread struct lg_thread *my_rec __attribute__((tls_model("initial-exec")));

uint32_t lg_threads_tid(void)
{
    if (!my_tid)
        my_tid = (uint32_t)syscall(SYS_gettid);
    return my_tid;
}

struct lg_thread *lg_threads_self(void) { return my_rec; }
uint32_t lg_threads_count(void) { return __atomic_load_n(&nrecords, __ATOMIC_ACQUIRE); }
struct lg_thread *lg_threads_at(uint32_t i) { return &records[i]; }

struct lg_thread *lg_threads_find(uint32_t tid)
{
    uint32_t n = lg_threads_count();
    for (uint32_t i = n; i-- > 0;) /* newest first: tids are reused */
        if (records[i].tid == tid && (records[i].flags & LG_T_LIVE))
            return &records[i];
    return NULL;
}

static struct lg_thread *add_record(void)
{
    lg_lock(&reg_lock);
    struct lg_thread *t = NULL;
    if (nrecords < LG_MAX_THREADS) {
        t = &records[nrecords];
        memset(t, 0, sizeof *t);
        __atomic_store_n(&nrecords, nrecords + 1, __ATOMIC_RELEASE);
    }
    lg_unlock(&reg_lock);
    return t;
}

static void main_stack(uintptr_t *lo, uintptr_t *hi)
{
    struct lg_maps m;
    *lo = *hi = 0;
    if (lg_maps_read(&m) < 0)
        return;
    const struct lg_map_ent *e = lg_maps_find(&m, (uintptr_t)__builtin_frame_address(0));
    if (e) {
        *lo = e->lo;
        *hi = e->hi;
    }
    lg_maps_free(&m);
}

/* Threads the trampoline never saw (glibc's thrd_create before it was interposed, its
 * helper threads for timers and aio, raw clones that call malloc): the first time one
 * takes a per-thread buffer, a key's destructor is set to give the buffers back at its
 * exit, as on_thread_exit does for the others (they leaked 69 KiB each, and the frees
 * waiting in the batch never reached glibc). */
static pthread_key_t adopt_key;
static bool adopt_key_ok; /* set once by lg_threads_init */
static __thread bool adopted __attribute__((tls_model("initial-exec")));

/* The calling thread's tracer buffers go back (it is exiting). */
static void release_buffers(void)
{
    lg_freebatch_thread_exit();
    lg_sites_thread_exit();
    lg_sidestack_thread_exit();
    lg_dirtyset_thread_exit();
}

static void on_adopted_exit(void *unused)
{
    (void)unused;
    release_buffers();
}

bool lg_threads_init(void)
{
    records = lg_map(LG_MAX_THREADS * sizeof *records);
    if (!records)
        return false;
    size_t align = 0;
    void (*info)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    const unsigned *szp = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
    if (info && szp) {
        info(&tls_static_size, &align);
        sizeof_pthread = *szp;
    }
    adopt_key_ok = pthread_key_create(&adopt_key, on_adopted_exit) == 0;
    struct lg_thread *t = add_record();
    t->tid = lg_threads_tid();
    t->flags = LG_T_LIVE | LG_T_MAIN;
    t->tp = (uintptr_t)pthread_self();
    main_stack(&t->stack_lo, &t->stack_hi);
    my_rec = t;
    lg_sites_set_thread_stack(t->stack_lo, t->stack_hi);
    return true;
}

bool lg_threads_tls_range(uintptr_t tp, uintptr_t *lo, uintptr_t *hi)
{
    if (!tls_static_size || !tp)
        return false;
    *lo = (tp - tls_static_size + sizeof_pthread) & ~(uintptr_t)7;
    *hi = tp + sizeof_pthread;
    return true;
}

struct tramp {
    void *(*fn)(void *);
    int (*fn11)(void *); /* a C11 thread's start, when fn is NULL */
    void *arg;
    struct lg_thread *rec;
};

static void on_thread_exit(void *p)
{
    struct lg_thread *t = p;
    /* Here, in the trampoline's frame (pthread_exit and cancellation unwind to it too):
     * what lies below is dead, and glibc hands the cached stack to the next thread. */
    t->exit_sp = (uintptr_t)__builtin_frame_address(0);
    lg_crash_thread_exit();
    release_buffers();
    __atomic_store_n(&t->flags, (t->flags & ~(uint32_t)LG_T_LIVE) | LG_T_EXITED, __ATOMIC_RELEASE);
}

static void *trampoline(void *p)
{
    struct tramp tr = *(struct tramp *)p;
    lg_unmap(p, sizeof tr);
    struct lg_thread *t = tr.rec;
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    LG_ENTER(); /* pthread_getattr_np does not allocate for non-main threads, but be sure */
    if (!pthread_getattr_np(pthread_self(), &a)) {
        pthread_attr_getstack(&a, &addr, &size);
        pthread_attr_destroy(&a);
    }
    /* a holds the address of the cpuset glibc allocated and freed again; this frame lives
     * as long as the thread, and a stack is a root: a later block at that address would
     * come out reachable (threads_64 caught it about once in 15 runs) */
    explicit_bzero(&a, sizeof a);
    LG_LEAVE();
    my_tid = 0;
    t->tid = lg_threads_tid();
    t->tp = (uintptr_t)pthread_self();
    t->stack_lo = (uintptr_t)addr;
    t->stack_hi = (uintptr_t)addr + size;
    __atomic_store_n(&t->flags, LG_T_LIVE, __ATOMIC_RELEASE);
    my_rec = t;
    lg_sites_set_thread_stack(t->stack_lo, t->stack_hi);
    lg_crash_thread_start();
    void *ret;
    pthread_cleanup_push(on_thread_exit, t);
    /* a C11 thread's int comes back from thrd_join as glibc's own start passes it */
    ret = tr.fn ? tr.fn(tr.arg) : (void *)(uintptr_t)tr.fn11(tr.arg);
    pthread_cleanup_pop(1);
    return ret;
}

static int create(pthread_t *th, const pthread_attr_t *attr, const struct tramp *with,
                  int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
{
    struct lg_thread *rec = add_record();
    struct tramp *tr = rec ? lg_map(sizeof *tr) : NULL;
    if (!tr)
        return -1;
    *tr = *with;
    tr->rec = rec;
    int rc = real_create(th, attr, trampoline, tr);
    if (rc) {
        lg_unmap(tr, sizeof *tr);
        rec->flags = LG_T_EXITED; /* never ran: nothing to scan */
        rec->stack_hi = 0;
    }
    return rc;
}

int lg_threads_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg,
                      int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
{
    struct tramp with = {.fn = fn, .arg = arg};
    int rc = create(th, attr, &with, real_create);
    return rc < 0 ? real_create(th, attr, fn, arg) : rc;
}

int lg_threads_create_c11(pthread_t *th, int (*fn)(void *), void *arg,
                          int (*real_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
{
    struct tramp with = {.fn11 = fn, .arg = arg};
    return create(th, NULL, &with, real_create);
}

void lg_threads_adopt(void)
{
    if (my_rec || adopted || !adopt_key_ok)
        return;
    adopted = true;
    LG_ENTER(); /* keys below 32 need no memory; beyond, glibc's calloc goes untraced */
    pthread_setspecific(adopt_key, &adopted);
    LG_LEAVE();
}

void lg_threads_note_exit(uintptr_t sp)
{
    if (my_rec)
        my_rec->exit_sp = sp;
}

void lg_threads_fork_lock(void) { lg_lock(&reg_lock); }
void lg_threads_fork_unlock(void) { lg_unlock(&reg_lock); }

void lg_threads_atfork_child(void)
{
    lg_lock_reset(&reg_lock);
    my_tid = 0;
    uint32_t n = lg_threads_count();
    for (uint32_t i = 0; i < n; i++) {
        struct lg_thread *t = &records[i];
        if (t == my_rec) {
            t->tid = lg_threads_tid();
            continue;
        }
        /* Their stacks were copied into the child: memory like an exited thread's. */
        if (t->flags & LG_T_LIVE)
            t->flags = (t->flags & ~(uint32_t)LG_T_LIVE) | LG_T_EXITED;
    }
}
