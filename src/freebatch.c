/* Batched frees. Measured on bench/workload.c: the shard lock's atomic exchange was
 * most of lg_blocks_remove and lg_blocks_remove 16 % of the traced run; a batch takes
 * each shard lock once and prefetches its slots, so their misses overlap. */
#include "freebatch.h"

#include "annot.h"
#include "arena.h"
#include "blocks.h"
#include "guard.h"
#include "init.h"
#include "journal.h"
#include "lock.h"
#include "threads.h"
#include "track.h"

#include <stdint.h>

extern void __libc_free(void *);

#define FB_MAX 64             /* the largest batch free_batch may ask for */
#define FB_CAP (FB_MAX + 16)  /* plus room for frees made by signal handlers during a flush */
#define FB_BYTES (256u << 10) /* pending chunk bytes that flush a batch early */
#define FB_LARGE (64u << 10)  /* chunks this large (and mmap'd ones) are freed at once */
#define CHUNK_IS_MMAPPED 2u   /* glibc's flag in the chunk's size word */

/* One thread's pending frees. Entries are written only by the owner; a drain (every
 * shard lock held) only sets LG_BLOCKS_GONE on them. n is published with a release
 * store after the entry, so a drain reads complete entries. */
struct lg_freebuf {
    struct lg_freebuf *next; /* every buffer ever made (all_bufs); never unmapped */
    int in_use;              /* owned by a live thread */
    uint32_t n;
    uint64_t bytes;
    struct lg_block annot[FB_CAP]; /* the flush's annotated blocks */
    uint64_t p[FB_CAP];
};

/* Set once by lg_freebatch_init; 0 turns batching off. */
static uint32_t batch;
/* All buffers: pushed under list_lock, published with a release store, walked without
 * it (entries are never removed). */
static struct lg_freebuf *all_bufs;
static lg_lock_t list_lock = LG_LOCK_INIT;
/* A drain's annotated blocks: drains run with every shard lock held, so one at a time. */
static struct lg_block drain_annot[FB_CAP];

/* Frees that came while their thread was inside the tracer (lg_busy) and could not take
 * the block's record out at once: a signal handler's free finding the shard's lock (or
 * the annotations' lock) taken, maybe by the thread it interrupted. Handing such a chunk
 * to glibc with its record in place made a false leak; these wait, chained through the
 * chunk's first word, until an allocation or free made outside the tracer
 * (lg_freebatch_poll) or a stop's drain takes their records out. Pushed with a CAS by
 * any thread and by nested handlers; taken off by the one thread holding `consuming`,
 * which alone changes links (no ABA). A chunk's record goes before the chunk leaves the
 * chain, so a stop always finds one or the other. */
void *lg_freebatch_deferred;
static int consuming;

#define IE __attribute__((tls_model("initial-exec")))
static __thread struct lg_freebuf *mine IE;
/* volatile: signal handlers on this thread read them */
static __thread volatile bool mine_off IE; /* the thread is exiting: no buffer any more */
static __thread volatile bool flushing IE; /* a flush is under way: frees from handlers only append */

void lg_freebatch_init(long b) { batch = b < 0 ? 0 : b > FB_MAX ? FB_MAX : (uint32_t)b; }

/* Under LG_ENTER: a signal handler's free meanwhile goes the synchronous way instead of
 * waiting for list_lock, which this thread holds. */
static struct lg_freebuf *acquire(void)
{
    struct lg_freebuf *f;
    lg_threads_adopt();
    LG_ENTER();
    lg_lock(&list_lock);
    for (f = all_bufs; f && f->in_use; f = f->next)
        ;
    if (f)
        f->in_use = 1;
    lg_unlock(&list_lock);
    if (!f) {
        f = lg_map(sizeof *f);
        if (f) {
            f->in_use = 1;
            lg_lock(&list_lock);
            f->next = all_bufs;
            __atomic_store_n(&all_bufs, f, __ATOMIC_RELEASE);
            lg_unlock(&list_lock);
        }
    }
    mine = f;
    LG_LEAVE();
    return f;
}

/* Takes entries [0, n) out of the table and gives them to glibc, again for entries a
 * signal handler appended meanwhile, until n could be reset. Removal comes first: only
 * then may glibc hand the address to anybody. */
static void flush(struct lg_freebuf *f)
{
    uint32_t done = 0, n;
    flushing = true;
    LG_ENTER(); /* a handler's malloc meanwhile is not recorded: it could wait for our shard lock */
    for (;;) {
        n = __atomic_load_n(&f->n, __ATOMIC_ACQUIRE);
        if (n > done) {
            size_t na = lg_blocks_remove_batch(f->p + done, n - done, f->annot);
            for (size_t i = 0; i < na; i++)
                lg_annot_forget(f->annot[i].addr, f->annot[i].size);
            if (lg_journal_active) /* again: a fork child's journal may have copied them */
                for (uint32_t i = done; i < n; i++)
                    lg_journal_remove(f->p[i] & ~(uint64_t)LG_BLOCKS_GONE);
            for (uint32_t i = done; i < n; i++)
                __libc_free((void *)(uintptr_t)(f->p[i] & ~(uint64_t)LG_BLOCKS_GONE));
            done = n;
        }
        if (__atomic_compare_exchange_n(&f->n, &n, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            break;
    }
    f->bytes = 0;
    LG_LEAVE();
    flushing = false;
}

static void free_now(void *p)
{
    lg_track_free(p);
    __libc_free(p);
}

void lg_freebatch_defer(void *p)
{
    if (lg_journal_active) /* freed, for the journal's reader: a drain may take the record */
        lg_journal_remove((uintptr_t)p);
    void *h = __atomic_load_n(&lg_freebatch_deferred, __ATOMIC_RELAXED);
    do
        __atomic_store_n((void **)p, h, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&lg_freebatch_deferred, &h, p, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Takes p off the chain; only the consumer changes links, so the chain from the head
 * down to p stays as it is while others push. Under p's shard lock (see below). */
static void unlink_deferred(void *p)
{
    void *next = __atomic_load_n((void **)p, __ATOMIC_RELAXED), *h = p;
    if (__atomic_compare_exchange_n(&lg_freebatch_deferred, &h, next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    void **link = h; /* pushed onto meanwhile: p lies further down */
    while (__atomic_load_n(link, __ATOMIC_RELAXED) != p)
        link = __atomic_load_n(link, __ATOMIC_RELAXED);
    __atomic_store_n(link, next, __ATOMIC_RELEASE);
}

/* Outside the tracer: the deferred frees' records out, then their chunks to glibc. The
 * record goes and the chunk leaves the chain under one hold of the shard's lock: a
 * drain (every shard lock held) walking the chain never meets a chunk given to glibc. */
void lg_freebatch_consume(void)
{
    if (__atomic_load_n(&lg_blocks_npending, __ATOMIC_ACQUIRE)) { /* records first: then frees find them */
        LG_ENTER();
        lg_blocks_pending_flush();
        LG_LEAVE();
    }
    if (!__atomic_load_n(&lg_freebatch_deferred, __ATOMIC_ACQUIRE) ||
        __atomic_exchange_n(&consuming, 1, __ATOMIC_ACQUIRE))
        return;
    void *p;
    while ((p = __atomic_load_n(&lg_freebatch_deferred, __ATOMIC_ACQUIRE))) {
        struct lg_block b;
        LG_ENTER(); /* a signal handler's free meanwhile must not wait for the lock */
        bool found = lg_blocks_remove_then((uintptr_t)p, &b, unlink_deferred, p);
        LG_LEAVE();
        if (found && lg_journal_active)
            lg_journal_remove(b.addr);
        if (found && (b.seq & LG_SEQ_ANNOTATED))
            lg_annot_forget(b.addr, b.size);
        __libc_free(p);
    }
    __atomic_store_n(&consuming, 0, __ATOMIC_RELEASE);
}

/* A free while this thread is inside the tracer: out of the table now if that needs no
 * wait, else deferred. */
static void free_nested(void *p)
{
    struct lg_block b;
    int rc = lg_blocks_remove_try((uintptr_t)p, &b);
    if (rc < 0) {
        lg_freebatch_defer(p);
        return;
    }
    if (rc && lg_journal_active)
        lg_journal_remove((uintptr_t)p);
    __libc_free(p);
}

/* Appends p; the caller made sure there is room and no other append can interleave. */
static void append(struct lg_freebuf *f, void *p)
{
    uint32_t n = f->n;
    __atomic_store_n(&f->p[n], (uintptr_t)p, __ATOMIC_RELAXED);
    __atomic_store_n(&f->n, n + 1, __ATOMIC_RELEASE);
}

void lg_freebatch_free(void *p)
{
    struct lg_freebuf *f = mine;
    if (__builtin_expect(flushing, 0)) { /* a signal handler's free, inside our flush */
        int c = lg_blocks_pending_cancel((uintptr_t)p, NULL); /* a handler's block, not recorded yet */
        if (c > 0)
            __libc_free(p);
        else if (c < 0)
            lg_freebatch_defer(p);
        if (c)
            return;
        if (lg_journal_active)
            lg_journal_remove((uintptr_t)p);
        if (f->n < FB_CAP)
            append(f, p);
        else
            lg_freebatch_defer(p);
        return;
    }
    if (__builtin_expect(lg_busy, 0) && lg_state == LG_READY) {
        free_nested(p);
        return;
    }
    lg_freebatch_poll();
    if (__builtin_expect(lg_state != LG_READY || !batch || mine_off, 0)) {
        if (f && f->n)
            flush(f); /* disabled meanwhile: what is pending still goes */
        free_now(p);
        return;
    }
    size_t chunk = ((const size_t *)p)[-1];
    if ((chunk & CHUNK_IS_MMAPPED) || (chunk & ~(size_t)7) >= FB_LARGE ||
        (!f && !(f = acquire()))) {
        free_now(p);
        return;
    }
    if (lg_journal_active)
        lg_journal_remove((uintptr_t)p); /* the journal tells what was live at a SIGKILL */
    if (f->n >= batch)
        flush(f); /* handlers' frees after a flush may have filled it */
    /* Guarded: a signal handler's free in between must not reuse entry n (it sees
     * lg_busy and frees at once). */
    LG_ENTER();
    append(f, p);
    f->bytes += chunk & ~(size_t)7;
    LG_LEAVE();
    if (f->n >= batch || f->bytes >= FB_BYTES)
        flush(f);
}

/* Every shard lock held: f's pending entries out of the table, their annotations gone. */
static void drain_one(struct lg_freebuf *f, bool annot_held)
{
    uint32_t n = __atomic_load_n(&f->n, __ATOMIC_ACQUIRE);
    size_t na = lg_blocks_drain_batch_locked(f->p, n < FB_CAP ? n : FB_CAP, drain_annot);
    for (size_t i = 0; i < na; i++)
        (annot_held ? lg_annot_forget_locked : lg_annot_forget)(drain_annot[i].addr, drain_annot[i].size);
}

void lg_freebatch_drain_locked(bool annot_held)
{
    lg_blocks_pending_drain_locked(); /* records first: a batch may hold their frees */
    for (struct lg_freebuf *f = __atomic_load_n(&all_bufs, __ATOMIC_ACQUIRE); f; f = f->next)
        drain_one(f, annot_held);
    for (void *p = __atomic_load_n(&lg_freebatch_deferred, __ATOMIC_ACQUIRE); p;
         p = __atomic_load_n((void **)p, __ATOMIC_RELAXED)) {
        struct lg_block b;
        if (lg_blocks_remove_locked((uintptr_t)p, &b) && (b.seq & LG_SEQ_ANNOTATED))
            (annot_held ? lg_annot_forget_locked : lg_annot_forget)(b.addr, b.size);
    }
}

void lg_freebatch_thread_exit(void)
{
    struct lg_freebuf *f = mine;
    if (f && f->n)
        flush(f); /* before mine_off: a handler's free during it must append, not wait */
    mine_off = true;
    if (!f)
        return;
    mine = NULL;
    __atomic_store_n(&f->in_use, 0, __ATOMIC_RELEASE);
}

void lg_freebatch_atfork_child(void)
{
    lg_lock_reset(&list_lock); /* a thread that is gone may have held it */
    consuming = 0;             /* the same */
    for (struct lg_freebuf *f = all_bufs; f; f = f->next) {
        if (f == mine || !f->in_use)
            continue;
        drain_one(f, false); /* the child's locks were reset: nobody holds them */
        f->n = 0;
        f->bytes = 0;
        f->in_use = 0;
    }
}
