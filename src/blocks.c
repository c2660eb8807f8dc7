/* Sharded open-addressing block table with backward-shift deletion (no tombstones,
 * so lookups stay short after millions of alloc/free pairs). */
#include "blocks.h"

#include "arena.h"
#include "guard.h"
#include "lock.h"

#include <string.h>

#define NSHARDS LG_BLOCKS_NSHARDS
#define INITIAL_SLOTS 256

/* One shard. Every field is protected by its lock. Cache-line aligned so two
 * threads working on different shards do not share a line. */
struct shard {
    lg_lock_t lock;
    struct lg_block *slots;
    uint64_t mask; /* slots - 1; 0 before the first insert */
    uint64_t n;
    uint64_t bytes;
    uint64_t allocs, frees, total_bytes;
    /* The change log: the addresses of the records inserted, removed or flagged since the
     * last collection took it (lg_blocks_log_*); lost when it would outgrow the shard. */
    uint64_t *log;
    uint64_t nlog, log_cap;
    bool log_lost;
} __attribute__((aligned(64)));

/* The shards; each protected by its own lock. */
static struct shard shards[NSHARDS];

/* Set once a collection keeps a sorted copy of the table (blockindex.c): from then on
 * every change to a record is logged. Written with every shard lock held, read under
 * one. */
static bool logging;

/* Records of blocks that signal handlers allocated inside the tracer and could not put
 * in the table at once (their shard's lock was taken, maybe by the thread the handler
 * interrupted): each goes in when its shard's lock is next released, when the block is
 * looked up, at the next allocation or free outside the tracer by any thread, or at a
 * stop, whichever is first, and always before the block's free (which polls first, or
 * cancels it). A slot's state: its generation (against ABA) and one of P_FREE,
 * P_CLAIMED (being written), P_READY, P_TAKING (going into the table). Claimed with
 * compare-and-swap by handlers, taken under the shard's lock. Slots come in chunks: the
 * first static, more mapped by a handler that finds every slot taken (a stopping
 * thread's handlers may allocate for the whole stop), pushed with compare-and-swap and
 * never unmapped, up to PCHUNKS_MAX. */
#define PCHUNK 256
#define PCHUNKS_MAX 256 /* 65,536 records waiting at once */
enum { P_FREE, P_CLAIMED, P_READY, P_TAKING };
struct pending {
    uint64_t state;
    struct lg_block b;
};
struct pchunk {
    struct pchunk *next;
    struct pending slot[PCHUNK];
};
static struct pchunk pchunk0;
static struct pchunk *pchunks = &pchunk0; /* newest first */
static int npchunks = 1;
/* At least how many slots are P_READY, counted before a slot becomes so (a hint that
 * makes releases and polls look: 0 means none); records not recorded (no slot, or no
 * room in the table). Atomic. */
int lg_blocks_npending;
static uint64_t pending_lost;

static bool log_grow(struct shard *s)
{
    uint64_t ncap = s->log_cap ? s->log_cap * 2 : 512;
    /* a log longer than the shard is worth less than copying the table again */
    if (ncap > 512 && ncap > 2 * s->n + 1024)
        return false;
    uint64_t *nl = lg_map(ncap * sizeof *nl);
    if (!nl)
        return false;
    if (s->nlog)
        memcpy(nl, s->log, s->nlog * sizeof *nl);
    lg_unmap(s->log, s->log_cap * sizeof *nl);
    s->log = nl;
    s->log_cap = ncap;
    return true;
}

/* Under the shard's lock. */
static inline void log_change(struct shard *s, uint64_t addr)
{
    if (!logging || s->log_lost)
        return;
    if (s->nlog == s->log_cap && !log_grow(s)) {
        s->log_lost = true;
        return;
    }
    s->log[s->nlog++] = addr;
}

/* The shard comes from the 64 MiB region of the address: glibc gives each thread its
 * own arena, and a non-main arena's heaps are 64 MiB-aligned, so one thread's
 * blocks mostly share shards that no other thread writes. A table hashed over all
 * shards made every operation move two cache lines between cores (measured: the
 * lock and the slot were 80% of lg_blocks_remove). */
static inline struct shard *shard_of(uint64_t a)
{
    uint64_t r = (a >> 26) * 0x9E3779B97F4A7C15ull;
    return &shards[r >> 56];
}

/* A fully mixing slot hash: with linear probing, anything that keeps neighbouring
 * addresses in neighbouring slots builds long runs on dense heaps, and backward-shift
 * deletion then walks the whole run (measured: O(n) per free). */
static inline uint64_t hash_addr(uint64_t a)
{
    uint64_t x = (a >> 4) * 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 32);
}

bool lg_blocks_init(void) { return true; }

static bool grow(struct shard *s)
{
    uint64_t nslots = s->mask ? (s->mask + 1) * 2 : INITIAL_SLOTS;
    struct lg_block *ns = lg_map_populated(nslots * sizeof *ns);
    if (!ns)
        return false;
    uint64_t nmask = nslots - 1;
    for (uint64_t i = 0; s->mask && i <= s->mask; i++) {
        if (!s->slots[i].addr)
            continue;
        uint64_t j = hash_addr(s->slots[i].addr) & nmask;
        while (ns[j].addr)
            j = (j + 1) & nmask;
        ns[j] = s->slots[i];
    }
    if (s->mask)
        lg_unmap(s->slots, (s->mask + 1) * sizeof *ns);
    s->slots = ns;
    s->mask = nmask;
    return true;
}

/* Under the shard's lock: the slot holding addr, or NULL. */
static struct lg_block *find_slot(struct shard *s, uint64_t addr)
{
    if (!s->mask || !addr)
        return NULL;
    uint64_t i = hash_addr(addr) & s->mask;
    while (s->slots[i].addr && s->slots[i].addr != addr)
        i = (i + 1) & s->mask;
    return s->slots[i].addr ? &s->slots[i] : NULL;
}

/* Starts loading addr's home slot (and with next, the line after it, where deletion
 * looks next). The shard is read without its lock: a hint only, and a prefetch never
 * faults. */
static inline void prefetch_slot(uint64_t addr, bool next)
{
    struct shard *s = shard_of(addr);
    struct lg_block *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
    uint64_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
    if (!slots)
        return;
    uint64_t i = hash_addr(addr) & mask;
    __builtin_prefetch(&slots[i], 1);
    if (next)
        __builtin_prefetch(&slots[(i + 2) & mask], 1);
}

void lg_blocks_prefetch(uint64_t addr) { prefetch_slot(addr, false); }

/* With the shard's lock held. counted: an allocation the program made (a stop's
 * published in-flight block is not one). */
static bool insert_locked(struct shard *s, const struct lg_block *b, bool counted)
{
    /* At most half full: backward-shift deletion walks the rest of a probe run,
     * and runs grow quickly past one half with linear probing. */
    if ((s->n + 1) * 2 > s->mask + 1 && !grow(s))
        return false;
    uint64_t i = hash_addr(b->addr) & s->mask;
    while (s->slots[i].addr && s->slots[i].addr != b->addr)
        i = (i + 1) & s->mask;
    if (s->slots[i].addr) /* a stale record of a block freed behind our back */
        s->bytes -= s->slots[i].size;
    else
        s->n++;
    s->slots[i] = *b;
    log_change(s, b->addr);
    s->bytes += b->size;
    if (counted) {
        s->allocs++;
        s->total_bytes += b->size;
    }
    return true;
}

static inline bool any_pending(void) { return __atomic_load_n(&lg_blocks_npending, __ATOMIC_ACQUIRE) != 0; }

static inline struct pchunk *first_chunk(void) { return __atomic_load_n(&pchunks, __ATOMIC_ACQUIRE); }

/* Under the lock of its block's shard: a P_READY slot goes into the table. */
static void take_slot_locked(struct pending *p, uint64_t st)
{
    if (!__atomic_compare_exchange_n(&p->state, &st, (st & ~3ull) | P_TAKING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return;
    if (!insert_locked(shard_of(p->b.addr), &p->b, true))
        __atomic_add_fetch(&pending_lost, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&p->state, (st & ~3ull) | P_FREE, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&lg_blocks_npending, 1, __ATOMIC_ACQ_REL);
}

/* Under s's lock (NULL: every shard's): the ready records of its blocks go in. */
static void take_pending_locked(struct shard *s)
{
    for (struct pchunk *c = first_chunk(); c && any_pending(); c = c->next)
        for (struct pending *p = c->slot; p < c->slot + PCHUNK; p++) {
            uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
            if ((st & 3) == P_READY && (!s || shard_of(p->b.addr) == s))
                take_slot_locked(p, st);
        }
}

static inline void shard_lock(struct shard *s) { lg_lock(&s->lock); }

static inline void shard_unlock(struct shard *s)
{
    if (__builtin_expect(__atomic_load_n(&lg_blocks_npending, __ATOMIC_RELAXED) != 0, 0))
        take_pending_locked(s);
    lg_unlock(&s->lock);
}

static bool claim_in(struct pchunk *c, const struct lg_block *b)
{
    unsigned start = (unsigned)(hash_addr(b->addr) % PCHUNK);
    for (unsigned k = 0; k < PCHUNK; k++) {
        struct pending *p = &c->slot[(start + k) % PCHUNK];
        uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
        if ((st & 3) != P_FREE ||
            !__atomic_compare_exchange_n(&p->state, &st, (st & ~3ull) + 4 + P_CLAIMED, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        p->b = *b;
        /* counted before anybody can see it READY: the count never falls short */
        __atomic_add_fetch(&lg_blocks_npending, 1, __ATOMIC_ACQ_REL);
        __atomic_store_n(&p->state, (st & ~3ull) + 4 + P_READY, __ATOMIC_RELEASE);
        return true;
    }
    return false;
}

static bool pending_put(const struct lg_block *b)
{
    for (struct pchunk *c = first_chunk(); c; c = c->next)
        if (claim_in(c, b))
            return true;
    struct pchunk *c = NULL;
    if (__atomic_add_fetch(&npchunks, 1, __ATOMIC_ACQ_REL) <= PCHUNKS_MAX)
        c = lg_map(sizeof *c); /* (a system call: fine in a handler) */
    if (c) {
        claim_in(c, b); /* nobody else sees it yet */
        c->next = first_chunk();
        while (!__atomic_compare_exchange_n(&pchunks, &c->next, c, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
        return true;
    }
    __atomic_sub_fetch(&npchunks, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&pending_lost, 1, __ATOMIC_RELAXED);
    return false;
}

int lg_blocks_insert_nested(const struct lg_block *b)
{
    struct shard *s = shard_of(b->addr);
    if (!lg_lock_try(&s->lock)) /* (maybe this thread's own: never wait) */
        return pending_put(b) ? 0 : -1;
    bool ok = insert_locked(s, b, true);
    shard_unlock(s);
    if (!ok)
        __atomic_add_fetch(&pending_lost, 1, __ATOMIC_RELAXED);
    return ok ? 1 : -1;
}

int lg_blocks_pending_cancel(uint64_t addr, struct lg_block *out)
{
    for (struct pchunk *c = first_chunk(); c && any_pending(); c = c->next)
        for (struct pending *p = c->slot; p < c->slot + PCHUNK; p++) {
            uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
            if ((st & 3) < P_READY || p->b.addr != addr)
                continue;
            if ((st & 3) == P_TAKING)
                return -1;
            struct lg_block b = p->b;
            if (!__atomic_compare_exchange_n(&p->state, &st, (st & ~3ull) | P_FREE, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_RELAXED))
                return -1; /* taken meanwhile: it is going into the table */
            if (out)
                *out = b;
            __atomic_sub_fetch(&lg_blocks_npending, 1, __ATOMIC_ACQ_REL);
            return 1;
        }
    return 0;
}

void lg_blocks_pending_flush(void)
{
    for (struct pchunk *c = first_chunk(); c && any_pending(); c = c->next)
        for (struct pending *p = c->slot; p < c->slot + PCHUNK; p++) {
            uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
            if ((st & 3) != P_READY)
                continue;
            struct shard *s = shard_of(p->b.addr);
            lg_lock(&s->lock);
            take_slot_locked(p, st); /* (no-op if taken meanwhile) */
            lg_unlock(&s->lock);
        }
}

void lg_blocks_pending_drain_locked(void) { take_pending_locked(NULL); }

uint64_t lg_blocks_pending_lost(void) { return __atomic_load_n(&pending_lost, __ATOMIC_RELAXED); }

/* After fork: slots that threads now gone were writing or taking are given up, and the
 * count is redone (one may have stopped between a slot's change and the count's). */
static void pending_atfork_child(void)
{
    int n = 0;
    for (struct pchunk *c = pchunks; c; c = c->next)
        for (struct pending *p = c->slot; p < c->slot + PCHUNK; p++) {
            if ((p->state & 3) == P_READY)
                n++;
            else if ((p->state & 3) != P_FREE)
                p->state = (p->state & ~3ull) | P_FREE;
        }
    lg_blocks_npending = n;
}

bool lg_blocks_insert(const struct lg_block *b)
{
    struct shard *s = shard_of(b->addr);
    shard_lock(s);
    bool ok = insert_locked(s, b, true);
    shard_unlock(s);
    return ok;
}

bool lg_blocks_publish_locked(const struct lg_block *b)
{
    struct shard *s = shard_of(b->addr);
    return find_slot(s, b->addr) ? false : insert_locked(s, b, false);
}

/* Backward-shift deletion: pull later members of the probe run into the hole. */
static void delete_slot(struct shard *s, uint64_t i)
{
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & s->mask;
        if (!s->slots[j].addr)
            break;
        uint64_t home = hash_addr(s->slots[j].addr) & s->mask;
        /* Move j into i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        s->slots[i] = s->slots[j];
        i = j;
    }
    s->slots[i].addr = 0;
}

/* Removes one address with its shard's lock held: the shared part of the single and the
 * batched removal. */
static bool remove_locked(struct shard *s, uint64_t addr, struct lg_block *out)
{
    struct lg_block *b = find_slot(s, addr);
    if (!b)
        return false;
    *out = *b;
    s->n--;
    s->bytes -= b->size;
    s->frees++;
    log_change(s, addr);
    delete_slot(s, (uint64_t)(b - s->slots));
    return true;
}

bool lg_blocks_remove(uint64_t addr, struct lg_block *out)
{
    struct shard *s = shard_of(addr);
    struct lg_block b;
    shard_lock(s);
    bool found = remove_locked(s, addr, out ? out : &b);
    shard_unlock(s);
    return found;
}

bool lg_blocks_remove_locked(uint64_t addr, struct lg_block *out)
{
    return remove_locked(shard_of(addr), addr, out);
}

int lg_blocks_remove_try(uint64_t addr, struct lg_block *out)
{
    int c = lg_blocks_pending_cancel(addr, out); /* a handler's block, not recorded yet */
    if (c)
        return c;
    struct shard *s = shard_of(addr);
    if (!lg_lock_try(&s->lock))
        return -1;
    const struct lg_block *b = find_slot(s, addr);
    int rc = !b ? 0 : (b->seq & LG_SEQ_ANNOTATED) ? -1 : 1;
    if (rc > 0)
        remove_locked(s, addr, out);
    shard_unlock(s);
    return rc;
}

bool lg_blocks_remove_then(uint64_t addr, struct lg_block *out, void (*then)(void *), void *arg)
{
    struct shard *s = shard_of(addr);
    shard_lock(s);
    bool found = remove_locked(s, addr, out);
    then(arg);
    shard_unlock(s);
    return found;
}

/* The slots are prefetched first, so the batch's cache misses overlap, and a run of
 * addresses in one shard (the usual case: a thread's blocks share its arena's shards)
 * takes its lock once. The slot pointer and mask are read without the lock only for
 * the prefetch, which never faults. */
size_t lg_blocks_remove_batch(uint64_t *addr, size_t n, struct lg_block *annotated)
{
    size_t nannot = 0;
    for (size_t k = 0; k < n; k++)
        prefetch_slot(addr[k] & ~(uint64_t)LG_BLOCKS_GONE, true);
    struct shard *held = NULL;
    for (size_t k = 0; k < n; k++) {
        uint64_t a = addr[k] & ~(uint64_t)LG_BLOCKS_GONE;
        struct shard *s = shard_of(a);
        if (s != held) {
            if (held)
                shard_unlock(held);
            shard_lock(s);
            held = s;
        }
        /* read again under the lock: lg_blocks_drain_batch may have taken it meanwhile */
        if (__atomic_load_n(&addr[k], __ATOMIC_RELAXED) & LG_BLOCKS_GONE)
            continue;
        struct lg_block b;
        if (remove_locked(s, a, &b) && (b.seq & LG_SEQ_ANNOTATED))
            annotated[nannot++] = b;
        __atomic_store_n(&addr[k], a | LG_BLOCKS_GONE, __ATOMIC_RELAXED);
    }
    if (held)
        shard_unlock(held);
    return nannot;
}

size_t lg_blocks_drain_batch_locked(uint64_t *addr, size_t n, struct lg_block *annotated)
{
    size_t nannot = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t a = __atomic_load_n(&addr[k], __ATOMIC_RELAXED);
        if (a & LG_BLOCKS_GONE)
            continue;
        struct lg_block b;
        if (remove_locked(shard_of(a), a, &b) && (b.seq & LG_SEQ_ANNOTATED))
            annotated[nannot++] = b;
        __atomic_store_n(&addr[k], a | LG_BLOCKS_GONE, __ATOMIC_RELAXED);
    }
    return nannot;
}

bool lg_blocks_lookup(uint64_t addr, bool mark, struct lg_block *out)
{
    struct shard *s = shard_of(addr);
    LG_ENTER(); /* a signal handler's free meanwhile must not wait for this lock */
    shard_lock(s);
    if (__atomic_load_n(&lg_blocks_npending, __ATOMIC_RELAXED))
        take_pending_locked(s); /* a handler's block, recorded before it is looked for */
    struct lg_block *b = find_slot(s, addr);
    if (b) {
        if (mark && !(b->seq & LG_SEQ_ANNOTATED)) {
            b->seq |= LG_SEQ_ANNOTATED;
            log_change(s, addr);
        }
        *out = *b;
    }
    shard_unlock(s);
    LG_LEAVE();
    return b != NULL;
}

void lg_blocks_lock_all(void)
{
    for (int i = 0; i < NSHARDS; i++)
        lg_lock(&shards[i].lock);
}

void lg_blocks_unlock_all(void)
{
    lg_blocks_pending_drain_locked();
    for (int i = NSHARDS - 1; i >= 0; i--)
        lg_unlock(&shards[i].lock);
}

/* One deadline for all the shards: when the crashing thread itself holds every lock (a
 * crash during a snapshot), waiting ms for each made the crash report wait 256 times
 * as long (77 s). */
bool lg_blocks_lock_all_within(long ms, bool *held)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool all = true;
    for (int i = 0; i < NSHARDS; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        all &= held[i] = spent < ms ? lg_lock_within(&shards[i].lock, ms - spent) : lg_lock_try(&shards[i].lock);
    }
    return all;
}

void lg_blocks_unlock_held(const bool *held)
{
    for (int i = NSHARDS - 1; i >= 0; i--)
        if (held[i])
            lg_unlock(&shards[i].lock);
}

void lg_blocks_atfork_child(void)
{
    pending_atfork_child();
    for (int i = 0; i < NSHARDS; i++)
        lg_lock_reset(&shards[i].lock);
}

size_t lg_blocks_copy_locked(struct lg_block *out, size_t cap)
{
    size_t n = 0;
    for (int k = 0; k < NSHARDS; k++) {
        struct shard *s = &shards[k];
        for (uint64_t i = 0; s->mask && i <= s->mask; i++) {
            if (!s->slots[i].addr)
                continue;
            if (n < cap)
                out[n] = s->slots[i];
            n++;
        }
    }
    return n;
}

void lg_blocks_stats(struct lg_blocks_stats *st, bool locked)
{
    memset(st, 0, sizeof *st);
    for (int k = 0; k < NSHARDS; k++) {
        struct shard *s = &shards[k];
        if (!locked)
            shard_lock(s);
        st->live_blocks += s->n;
        st->live_bytes += s->bytes;
        st->table_bytes += s->mask ? (s->mask + 1) * sizeof(struct lg_block) : 0;
        st->total_allocs += s->allocs;
        st->total_frees += s->frees;
        st->total_bytes += s->total_bytes;
        if (!locked)
            shard_unlock(s);
    }
}

/* ---- the change log, for the collections' sorted copy (blockindex.c) ---- */

void lg_blocks_log_start_locked(void)
{
    for (int k = 0; k < NSHARDS; k++)
        shards[k].nlog = 0, shards[k].log_lost = false;
    logging = true;
}

void lg_blocks_log_stop_locked(void) { logging = false; }

size_t lg_blocks_log_count_locked(bool *lost)
{
    size_t n = 0;
    *lost = !logging;
    for (int k = 0; k < NSHARDS; k++) {
        n += shards[k].nlog;
        *lost |= shards[k].log_lost;
    }
    return n;
}

void lg_blocks_log_take_locked(uint64_t *out)
{
    size_t n = 0;
    for (int k = 0; k < NSHARDS; k++) {
        struct shard *s = &shards[k];
        if (s->nlog)
            memcpy(out + n, s->log, s->nlog * sizeof *out);
        n += s->nlog;
        s->nlog = 0;
        s->log_lost = false;
    }
}

bool lg_blocks_find_locked(uint64_t addr, struct lg_block *out)
{
    const struct lg_block *b = find_slot(shard_of(addr), addr);
    if (b)
        *out = *b;
    return b != NULL;
}
