/* A collection: the snapshot's stop and scan (snapshot.c), but the references go into
 * tracer memory, the blocks' words are kept for the next time (livegraph.c), and the
 * classification runs here (livemark.c). Dirty sources, best first: the kernel's
 * write-protect tracking (dirty_uffd.c), the store hooks of an instrumented program
 * (dirtyset.c), else full rescans. Hooks alone miss what uninstrumented code writes
 * other than through the memcpy family; see the man page. */
#include "collect.h"
#include "freebatch.h"
#include "inflight.h"

#include "annot.h"
#include "arena.h"
#include "blockindex.h"
#include "blocks.h"
#include "dirty_uffd.h"
#include "dirtyset.h"
#include "garbage.h"
#include "guard.h"
#include "init.h"
#include "livegraph.h"
#include "livemark.h"
#include "lock.h"
#include "log.h"
#include "maps.h"
#include "modules.h"
#include "options.h"
#include "regions.h"
#include "roots.h"
#include "scan.h"
#include "sites.h"
#include "snapshot.h"
#include "storehooks.h"
#include "stw.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

enum mode { MODE_UNSET, MODE_FULL, MODE_HOOKS, MODE_UFFD };

int lg_collect_active;
/* One collection at a time; everything below is protected by collect_lock. */
static lg_lock_t collect_lock = LG_LOCK_INIT;
static enum mode mode;
static uint32_t collections;
/* The references of a collection, kept mapped from one to the next (grown when needed):
 * mapping them anew each time cost more than filling them. */
static struct lg_live_edge *edge_buf;
static size_t edge_cap;
/* The dirty cards of large blocks (dirty_blocks): a bitmap per block, in hbits (kept
 * mapped the same way), for up to HUGE_MAX blocks; past that, or out of memory,
 * huge_lost and large blocks are rescanned whole. */
#define HUGE_MAX 64
static struct lg_dirty_cards huge[HUGE_MAX];
static size_t huge_off[HUGE_MAX], nhuge, last_huge;
static bool huge_lost;
static uint64_t *hbits;
static size_t hbits_n, hbits_cap;
static uint64_t verify_mismatches, verify_runs, verify_incremental;
/* Allocations since start, for collect_every; atomic. */
static uint64_t alloc_count;
/* The collect_interval thread has been started (reset in a fork child); atomic. */
static int thread_started;

struct job {
    uintptr_t caller_sp;
    uintptr_t returning; /* a block being returned by malloc: only the caller's register has it */
    uintptr_t self_regs[LG_STW_NREGS];
    struct lg_live_edge *e;
    size_t ne, cap;
    size_t nstable; /* the first root edges, from roots other than stacks and registers */
    bool from_root, oom;
    long rc;
    uint64_t stop_ns, work_ns;
    uint64_t t_prepare, t_roots, t_dirty, t_blocks, t_classify; /* ns, for verbosity=2 */
    struct lg_livegraph_stats st;
    const struct lg_stop_rec *recs; /* the stop's, for collect_verify */
    uint32_t nrecs;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- references into tracer memory ---- */

/* Populated at once, not through lg_grow: a full rescan fills tens of MB of edges. */
static void push_edge(struct job *j, uint32_t from, uint32_t to)
{
    if (j->ne == j->cap) {
        size_t ncap = j->cap ? j->cap * 2 : 65536;
        struct lg_live_edge *ne = lg_map_populated(ncap * sizeof *ne);
        if (!ne) {
            j->oom = true;
            return;
        }
        if (j->ne)
            memcpy(ne, j->e, j->ne * sizeof *ne);
        lg_unmap(j->e, j->cap * sizeof *ne);
        j->e = edge_buf = ne;
        j->cap = edge_cap = ncap;
    }
    j->e[j->ne++] = (struct lg_live_edge){from, to};
}

static void emit(void *ctx, const struct lg_snap_edge *se)
{
    struct job *j = ctx;
    if (se->flags & LG_EDGE_WEAK)
        return;
    bool interior = se->to_off && se->heur == LG_HEUR_NONE;
    push_edge(j, j->from_root ? LG_LIVE_ROOT : se->from, se->to | (interior ? LG_LIVE_INTERIOR : 0));
}

static bool volatile_root(uint8_t kind) { return kind == LG_ROOT_STACK || kind == LG_ROOT_REGISTERS; }

/* The roots that outlive a stop (globals, TLS, the program's mappings) before the
 * stacks and registers: the live graph's mark prefers the former as marking parents. */
static void scan_roots(struct job *j, struct lg_scan *sc, const struct lg_roots *r)
{
    j->from_root = true;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < r->n; i++) {
            const struct lg_snap_root *x = &r->root[i];
            if (volatile_root(x->kind) != (pass == 1))
                continue;
            if (x->kind == LG_ROOT_REGISTERS) {
                for (int k = 0; k < LG_STW_NREGS; k++)
                    lg_scan_word(sc, r->regs[i][k], x->id, (uint64_t)k * 8);
            } else {
                lg_scan_range(sc, x->addr, x->addr + x->len, x->id, 0);
            }
        }
        if (pass == 0)
            j->nstable = j->ne;
    }
    j->from_root = false;
}

/* ---- dirty blocks ---- */

#define MARK_RING 16 /* dirty ranges waiting for their look-up (a power of two) */
struct dirty_ctx {
    const struct lg_scan *sc;
    uint64_t *bits;
    size_t hint; /* where the last range's search ended: ranges mostly come in order */
    struct {
        uintptr_t lo, hi;
    } ring[MARK_RING]; /* ranges [out, in) */
    size_t in, out;
};

/* The first block at lo or after, galloping from the hint when lo is past it. */
static size_t first_at(struct dirty_ctx *c, uintptr_t lo)
{
    const struct lg_block *b = c->sc->blocks;
    size_t n = c->sc->n, l = 0, h = n;
    if (c->hint < n && b[c->hint].addr < lo) {
        size_t step = 1;
        l = c->hint + 1;
        while (c->hint + step < n && b[c->hint + step].addr < lo) {
            l = c->hint + step + 1;
            step *= 2;
        }
        h = c->hint + step < n ? c->hint + step : n;
    }
    return lg_scan_lower_bound(b, l, h, lo);
}

/* [lo, hi) of the large block b at position pos is dirty: its cards' bits. Cards come
 * in address order, mostly: the last block found is tried first. */
static void add_dirty(size_t pos, const struct lg_block *b, uintptr_t lo, uintptr_t hi)
{
    size_t i = last_huge;
    if (huge_lost)
        return;
    if (i >= nhuge || huge[i].pos != pos)
        for (i = 0; i < nhuge && huge[i].pos != pos; i++)
            ;
    if (i == nhuge) {
        uint32_t nbits = (uint32_t)((b->size + 63) / 64);
        size_t words = (nbits + 63) / 64;
        if (nhuge == HUGE_MAX || b->size / 64 >= UINT32_MAX ||
            !lg_grow((void **)&hbits, &hbits_cap, hbits_n + words, sizeof *hbits)) {
            huge_lost = true;
            return;
        }
        memset(&hbits[hbits_n], 0, words * sizeof *hbits);
        huge[nhuge] = (struct lg_dirty_cards){.pos = (uint32_t)pos, .nbits = nbits};
        huge_off[nhuge++] = hbits_n;
        hbits_n += words;
    }
    last_huge = i;
    uint64_t *bits = &hbits[huge_off[i]];
    for (uint64_t k = (lo - b->addr) / 64; k <= (hi - 1 - b->addr) / 64; k++)
        bits[k / 64] |= 1ull << (k % 64);
}

/* The bitmaps, sorted by position (a few: insertion sort), for lg_livegraph_update. */
static void finish_dirty(void)
{
    for (size_t i = 0; i < nhuge; i++)
        huge[i].bits = &hbits[huge_off[i]];
    for (size_t i = 1; i < nhuge; i++)
        for (size_t k = i; k > 0 && huge[k - 1].pos > huge[k].pos; k--) {
            struct lg_dirty_cards t = huge[k];
            huge[k] = huge[k - 1];
            huge[k - 1] = t;
        }
}

/* Flags every block overlapping [lo, hi). Blocks do not overlap: only the one before
 * the first block starting at lo or later can reach into the range. */
static void mark_now(struct dirty_ctx *c, uintptr_t lo, uintptr_t hi)
{
    const struct lg_block *b = c->sc->blocks;
    /* most ranges start inside a block: the scan's index finds it in a miss or two */
    long in = lg_scan_lookup(c->sc, lo);
    size_t l = in >= 0 ? (size_t)in : first_at(c, lo);
    c->hint = l;
    if (in < 0 && l > 0 && b[l - 1].addr + b[l - 1].size > lo)
        l--;
    for (; l < c->sc->n && b[l].addr < hi; l++) {
        c->bits[l / 64] |= 1ull << (l % 64);
        uintptr_t end = b[l].addr + b[l].size;
        if (b[l].size >= LG_HUGE_ROW)
            add_dirty(l, &b[l], lo > b[l].addr ? lo : b[l].addr, hi < end ? hi : end);
    }
}

/* The ranges wait in a ring, their look-up's index entry loaded as they come in and
 * its block record half-way, and are flagged, in order, as they leave: ten thousand
 * dirty cards or pages anywhere in the heap missed the cache twice each, one after the
 * other. */
static void mark_range(void *p, uintptr_t lo, uintptr_t hi)
{
    struct dirty_ctx *c = p;
    if (c->in - c->out == MARK_RING) {
        mark_now(c, c->ring[c->out % MARK_RING].lo, c->ring[c->out % MARK_RING].hi);
        c->out++;
    }
    lg_scan_prefetch(c->sc, lo, false);
    c->ring[c->in % MARK_RING].lo = lo;
    c->ring[c->in % MARK_RING].hi = hi;
    c->in++;
    if (c->in - c->out > MARK_RING / 2)
        lg_scan_prefetch(c->sc, c->ring[(c->in - 1 - MARK_RING / 2) % MARK_RING].lo, true);
}

/* Then the ring's addresses are zeroed, as scan.c's ring is (pipe_done): they point
 * into heap blocks, on a program thread's stack. */
static void mark_flush(struct dirty_ctx *c)
{
    for (; c->out < c->in; c->out++)
        mark_now(c, c->ring[c->out % MARK_RING].lo, c->ring[c->out % MARK_RING].hi);
    memset(c->ring, 0, sizeof c->ring);
    __asm__ volatile("" : : "r"(c->ring) : "memory"); /* the stores must happen */
}

/* The heap mappings: every writable mapping that holds part of a block, each once (the
 * blocks and the mappings are both sorted). A block may span several mappings: the
 * program can mprotect a page in its middle, which splits the heap's mapping. After a
 * mapping, the blocks inside it are skipped with a binary search: a look-up per block
 * was most of the time of a collection of a million blocks. */
static bool uffd_dirty(struct dirty_ctx *c, const struct lg_maps *maps)
{
    const struct lg_block *b = c->sc->blocks;
    size_t n = c->sc->n, next = 0; /* the first mapping not handled yet */
    bool ok = true;
    for (size_t i = 0; i < n;) {
        uintptr_t lo = b[i].addr, hi = lo + (b[i].size ? b[i].size : 1);
        const struct lg_map_ent *e = lg_maps_find(maps, lo);
        if (!e) {
            i++;
            continue;
        }
        for (size_t k = (size_t)(e - maps->ent); k < maps->n && maps->ent[k].lo < hi; k++) {
            if (k < next)
                continue;
            next = k + 1;
            if ((maps->ent[k].flags & LG_MAP_W) && !lg_dirty_uffd_scan(maps->ent[k].lo, maps->ent[k].hi, mark_range, c))
                ok = false;
        }
        /* the blocks starting before the last handled mapping's end, but the last one
         * (it may reach into the mappings after) */
        uintptr_t end = maps->ent[next - 1].hi;
        size_t l = lg_scan_lower_bound(b, i + 1, n, end);
        i = l > i + 1 ? l - 1 : i + 1;
        if (i < n && i == l - 1 && b[i].addr + (b[i].size ? b[i].size : 1) <= end)
            i++; /* wholly inside: nothing new */
    }
    return ok;
}

/* A bitmap of the blocks to rescan, or NULL with *full set. */
static uint64_t *dirty_blocks(const struct lg_scan *sc, const struct lg_maps *maps, bool *full)
{
    size_t words = (sc->n + 64) / 64;
    *full = mode == MODE_FULL;
    if (*full)
        return NULL;
    struct dirty_ctx c = {.sc = sc, .bits = lg_map(words * 8)};
    nhuge = last_huge = hbits_n = 0;
    huge_lost = false;
    if (!c.bits) {
        *full = true;
        return NULL;
    }
    if (mode == MODE_UFFD && !uffd_dirty(&c, maps))
        lg_log(LG_LOG_INFO, "userfaultfd refused a heap mapping; its blocks were rescanned");
    uintptr_t kept_lo, kept_hi;
    bool each = mode == MODE_HOOKS && lg_dirtyset_each(mark_range, &c, &kept_lo, &kept_hi);
    mark_flush(&c);
    if (mode == MODE_HOOKS && !each)
        *full = true; /* a set overflowed: some writes went unrecorded */
    else if (mode == MODE_HOOKS && kept_hi != kept_lo) {
        /* only the writes outside the card table went unrecorded: the blocks there */
        c.hint = 0;
        mark_now(&c, 0, kept_lo);
        mark_now(&c, kept_hi, UINTPTR_MAX);
        lg_log(LG_LOG_INFO, "collection %u: a thread's log of stores outside the card table overflowed; the "
               "blocks outside it were rescanned", collections);
    }
    finish_dirty();
    return c.bits;
}

/* ---- classification, and the verification against a full rescan ---- */

/* ignored[c] for the n blocks of the classification (sc's blocks pos[c], or c when pos
 * is NULL): leakgraph_ignore'd ones; NULL when there are none. */
static bool ignored_flags(const struct lg_scan *sc, size_t n, const uint32_t *pos, uint8_t **out)
{
    *out = NULL;
    for (size_t c = 0; lg_annot_block_count() && c < n; c++) {
        const struct lg_block *b = &sc->blocks[pos ? pos[c] : c];
        uint32_t tag, flags;
        if (!(b->seq & LG_SEQ_ANNOTATED) || !lg_annot_block(b->addr, &tag, &flags) || !(flags & LG_BATTR_IGNORED))
            continue;
        if (!*out && !(*out = lg_map(n)))
            return false;
        (*out)[c] = 1;
    }
    return true;
}

static const char *kind_name(uint8_t k)
{
    static const char *const names[] = {"unreached", "still reachable", "possibly lost", "definitely lost",
                                        "indirectly lost", "ignored"};
    return k <= LG_LIVE_IGNORED ? names[k] : "?";
}

/* The incremental classification block by block: sub's blocks as classified, the others
 * reachable. */
static void spread(const struct lg_livemark *m, const struct lg_live_sub *sub, size_t n, uint8_t *kind,
                   uint32_t *cycle)
{
    memset(kind, LG_LIVE_REACHABLE, n);
    for (size_t c = 0; c < m->n; c++) {
        kind[sub ? sub->pos[c] : c] = m->kind[c];
        cycle[sub ? sub->pos[c] : c] = m->cycle ? m->cycle[c] : 0;
    }
}

/* The kept graph's violations of its invariants (none kept with collect_dirty=full). */
static uint64_t graph_violations(const struct job *j, const struct lg_scan *sc)
{
    if (mode == MODE_FULL)
        return 0;
    size_t n = 0, cap = (size_t)j->nrecs + 1;
    uintptr_t *sp = lg_map(cap * sizeof *sp);
    if (!sp) {
        lg_log(LG_LOG_WARN, "collect_verify: out of tracer memory; the kept graph not checked");
        return 0;
    }
    sp[n++] = (uintptr_t)__builtin_frame_address(0);
    for (uint32_t i = 0; i < j->nrecs; i++)
        if (j->recs[i].acked)
            sp[n++] = j->recs[i].sp;
    uint64_t bad = lg_livegraph_check(sc, collections, sp, n);
    lg_unmap(sp, cap * sizeof *sp);
    return bad;
}

/* Rescans every block at the same stop and compares the classification block by block. */
static void verify(struct job *j, struct lg_scan *sc, size_t nroot_edges, const struct lg_livemark *inc,
                   const struct lg_live_sub *sub)
{
    uint8_t *ignored = NULL, *ikind = lg_map(sc->n + 1);
    uint32_t *icycle = lg_map((sc->n + 1) * sizeof *icycle);
    j->ne = nroot_edges;
    lg_scan_blocks(sc);
    struct lg_livemark full;
    if (!ikind || !icycle || j->oom || !ignored_flags(sc, sc->n, NULL, &ignored) ||
        !lg_livemark_run(&full, sc->n, j->e, j->ne, ignored)) {
        lg_log(LG_LOG_WARN, "collect_verify: out of tracer memory; not compared");
        lg_unmap(ikind, sc->n + 1);
        lg_unmap(icycle, (sc->n + 1) * sizeof *icycle);
        lg_unmap(ignored, sc->n);
        return;
    }
    spread(inc, sub, sc->n, ikind, icycle);
    verify_runs++;
    verify_incremental += !j->st.full;
    uint64_t bad = 0, broken = graph_violations(j, sc);
    if (!lg_blockindex_check()) {
        lg_log(LG_LOG_ERROR, "collect_verify: MISMATCH at collection %u: the kept sorted copy of the block "
               "table differs from a fresh copy", collections);
        bad++;
    }
    for (size_t i = 0; i < sc->n; i++) {
        bool fc = full.cycle && full.cycle[i], ic = icycle[i] != 0;
        if (full.kind[i] == ikind[i] && fc == ic)
            continue;
        if (bad++ < 10)
            lg_log(LG_LOG_ERROR, "collect_verify: MISMATCH at collection %u: block %p (%lu bytes): incremental "
                   "says %s%s, a full rescan says %s%s", collections, (void *)sc->blocks[i].addr,
                   (unsigned long)sc->blocks[i].size, kind_name(ikind[i]), ic ? " (cyclic)" : "",
                   kind_name(full.kind[i]), fc ? " (cyclic)" : "");
    }
    verify_mismatches += bad + broken;
    if (bad)
        lg_log(LG_LOG_ERROR, "collect_verify: MISMATCH at collection %u: %lu of %lu blocks differ (%lu rescanned)",
               collections, (unsigned long)bad, (unsigned long)sc->n, (unsigned long)j->st.rescanned);
    lg_livemark_release(&full);
    lg_unmap(ikind, sc->n + 1);
    lg_unmap(icycle, (sc->n + 1) * sizeof *icycle);
    lg_unmap(ignored, sc->n);
}

/* Classifies sub's blocks (the others are reachable) or, without sub, every block from
 * the edges in j->e. */
static void classify(struct job *j, struct lg_scan *sc, size_t nroot_edges, const struct lg_live_sub *sub)
{
    uint8_t *ignored;
    struct lg_livemark m;
    size_t n = sub ? sub->n : sc->n;
    const uint32_t *pos = sub ? sub->pos : NULL;
    if (j->oom || !ignored_flags(sc, n, pos, &ignored) ||
        !lg_livemark_run(&m, n, sub ? sub->e : j->e, sub ? sub->ne : j->ne, ignored)) {
        j->rc = -ENOMEM;
        return;
    }
    if (!lg_garbage_update(sc, &m, pos))
        j->rc = -ENOMEM;
    else
        j->rc = (long)lg_garbage_count();
    if (lg_opt.collect_verify)
        verify(j, sc, nroot_edges, &m, sub);
    lg_livemark_release(&m);
    lg_unmap(ignored, n);
}

/* Whether the stop stopped every thread (or found it gone): the pending writes of one
 * that ran on are unknown, and a record of its may land in the generation just read. */
static bool all_stopped(const struct lg_stop_rec *recs, uint32_t nrecs)
{
    for (uint32_t i = 0; i < nrecs; i++)
        if (!recs[i].acked && recs[i].state != LG_STOP_GONE)
            return false;
    return !lg_stw_overflowed();
}

/* Everything between stopping and resuming the world. */
static void with_world_stopped(struct job *j, struct lg_stop_rec *recs, uint32_t nrecs)
{
    struct lg_maps maps;
    struct lg_scan sc;
    struct lg_roots roots;
    j->recs = recs;
    j->nrecs = nrecs;
    memset(&roots, 0, sizeof roots);
    /* after the stop: a free that did not wait for a lock may have come in before it */
    lg_freebatch_drain_locked(true);
    lg_inflight_publish_stop_locked(recs, nrecs);
    if (lg_maps_read(&maps) < 0) {
        j->rc = -ENOMEM;
        return;
    }
    uint64_t t0 = now_ns();
    /* the card table where the blocks kept are (the copy is still the last
     * collection's), and the hooks' overwrites, before the garbage list names them */
    lg_blockindex_each_span(lg_dirtyset_drain_span, NULL);
    lg_dirtyset_drain();
    struct lg_block *blocks;
    size_t nblocks;
    bool merged, same;
    memset(&sc, 0, sizeof sc);
    bool ok = lg_blockindex_get(&blocks, &nblocks, &merged, &same) &&
              lg_scan_prepare_kept(&sc, &maps, blocks, nblocks, lg_blockindex_version(), same);
    struct lg_roots_input in = {&maps, recs, nrecs, j->caller_sp, j->self_regs, ok ? &sc : NULL};
    if (ok && lg_roots_collect(&roots, &in)) {
        uint64_t t1 = now_ns();
        sc.emit = emit;
        sc.ctx = j;
        scan_roots(j, &sc, &roots);
        j->from_root = true;
        lg_scan_word(&sc, j->returning, 0, 0);
        j->from_root = false;
        size_t nroot_edges = j->ne;
        bool full;
        uint64_t t2 = now_ns();
        uint64_t *dirty = dirty_blocks(&sc, &maps, &full);
        uint64_t t3 = now_ns();
        struct lg_live_sub sub, *subp = &sub;
        if (mode == MODE_FULL) {
            subp = NULL;
            /* nothing kept between collections: the plain scan, the cheapest full one */
            j->st = (struct lg_livegraph_stats){.rescanned = sc.n, .full = true, .remarked = true};
            lg_livegraph_unkept(&sc);
            lg_scan_blocks(&sc);
        } else if (!lg_livegraph_update(&sc, lg_blockindex_version(), dirty, huge_lost ? NULL : huge, nhuge,
                                        full, j->e, j->nstable, nroot_edges, &sub, &j->st)) {
            /* out of tracer memory: the graph is forgotten; this one scans every block */
            j->ne = nroot_edges;
            j->oom = false;
            subp = NULL;
            lg_livegraph_unkept(&sc);
            j->st.full = true;
            lg_scan_blocks(&sc);
        }
        lg_unmap(dirty, (sc.n + 64) / 64 * 8);
        uint64_t t4 = now_ns();
        classify(j, &sc, nroot_edges, subp);
        j->t_prepare = t1 - t0, j->t_roots = t2 - t1, j->t_dirty = t3 - t2, j->t_blocks = t4 - t3;
        j->t_classify = now_ns() - t4;
        uintptr_t lo, hi;
        lg_livegraph_window(&lo, &hi);
        /* armed in every mode: hooks that run also name the last overwrite */
        if (lg_dirtyset_rotate(lo, hi, sc.lo, sc.hi, !all_stopped(recs, nrecs)))
            for (uint32_t i = 0; i < nrecs; i++) /* stores after their hooks, to land later */
                lg_dirtyset_carry(recs[i].pending_lo, recs[i].pending_hi);
    } else {
        j->rc = -ENOMEM;
    }
    lg_roots_release(&roots);
    lg_scan_release(&sc);
    lg_maps_free(&maps);
}

static int in_loader_lock(struct dl_phdr_info *info, size_t size, void *p)
{
    (void)info;
    (void)size;
    struct job *j = p;
    int signo = lg_stw_signal();
    lg_regions_lock();
    lg_blocks_lock_all();
    lg_annot_lock();
    uint64_t t0 = now_ns();
    struct lg_stop_rec *recs;
    uint32_t n = lg_stw_stop(signo, lg_opt.stop_timeout_ms, &recs);
    uint64_t t1 = now_ns();
    if (recs) {
        lg_stw_report_unstopped(recs, n, "collection");
        with_world_stopped(j, recs, n);
    } else {
        j->rc = lg_stw_error() == ENOMEM ? -ENOMEM : -EAGAIN;
    }
    j->stop_ns = t1 - t0;
    j->work_ns = now_ns() - t1;
    lg_stw_resume();
    lg_annot_unlock();
    lg_blocks_unlock_all();
    lg_regions_unlock();
    return 1;
}

/* ---- the dirty source, chosen at the first collection ---- */

static void choose_mode(void)
{
    const char *want = lg_opt.collect_dirty, *why = "";
    bool any = !strcmp(want, "auto");
    if (!any && strcmp(want, "uffd") && strcmp(want, "hooks") && strcmp(want, "full")) {
        lg_log(LG_LOG_WARN, "collect_dirty=%s is not one of auto, uffd, hooks, full; using auto", want);
        any = true;
    }
    mode = MODE_FULL;
    if ((any || !strcmp(want, "uffd")) && lg_dirty_uffd_probe(&why))
        mode = MODE_UFFD;
    else if (!strcmp(want, "hooks") || (any && lg_storehooks_seen))
        mode = MODE_HOOKS;
    if (mode != MODE_UFFD && (any || !strcmp(want, "uffd")))
        lg_log(LG_LOG_WARN, "collections: no page-level dirty tracking (%s; soft-dirty is not used); %s", why,
               mode == MODE_HOOKS ? "using the store hooks" : "every collection rescans the whole heap");
    if (mode == MODE_HOOKS && !lg_storehooks_seen)
        lg_log(LG_LOG_WARN, "collect_dirty=hooks, but no store hook has run: is the program built with "
               "`leakgraph cflags`? Writes it makes are not seen");
    lg_storehooks_libc = mode == MODE_HOOKS;
    static const char *const names[] = {"", "full rescans", "store hooks (a hint: see the man page)",
                                        "userfaultfd write-protect (WP_ASYNC + PAGEMAP_SCAN)"};
    lg_log(lg_opt.explain_config ? LG_LOG_ERROR : LG_LOG_INFO, "collections: incremental with dirty tracking by %s%s", names[mode],
           lg_storehooks_seen ? "; instrumented stores name the last overwrite" : "");
}

/* The calling thread's registers as its program frame has them: the callee-saved ones.
 * The others are dead across the call into the tracer (the ABI says so) and hold
 * whatever the tracer left in them, such as the reference a store hook just saw
 * overwritten: scanning them would keep garbage alive. */
static void keep_callee_saved(uintptr_t *regs)
{
    static const int keep[] = {REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15, REG_RSP};
    uintptr_t all[LG_STW_NREGS];
    lg_snapshot_save_registers(all);
    memset(regs, 0, LG_STW_NREGS * sizeof *regs);
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        regs[keep[i]] = all[keep[i]];
}

static long run(uintptr_t caller_sp, uintptr_t returning, bool print);

long lg_collect_run(uintptr_t caller_sp, bool print) { return run(caller_sp, 0, print); }

static long run(uintptr_t caller_sp, uintptr_t returning, bool print)
{
    if (lg_state != LG_READY)
        return -ENOTSUP;
    struct job j;
    memset(&j, 0, sizeof j);
    j.caller_sp = caller_sp;
    j.returning = returning;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    uint64_t t0 = now_ns();
    lg_lock(&collect_lock);
    j.e = edge_buf; /* under the lock: another collection may have grown it */
    j.cap = edge_cap;
    if (mode == MODE_UNSET)
        choose_mode();
    collections++;
    keep_callee_saved(j.self_regs);
    lg_modules_refresh();
    lg_modules_lock();
    lg_stw_run_locked(in_loader_lock, &j);
    lg_modules_unlock();
    uint64_t t1 = now_ns();

    lg_log(LG_LOG_INFO, "collection %u: %ld unreachable; %lu blocks rescanned, %lu kept%s, %lu suspects%s; paused %lu us "
           "of %lu (stop %lu, copy and index %lu, roots %lu, dirty %lu, blocks %lu, classify %lu%s)", collections, j.rc,
           (unsigned long)j.st.rescanned, (unsigned long)j.st.kept, j.st.full ? " (full)" : "",
           (unsigned long)j.st.suspects,
           j.st.full ? "" : j.st.remarked ? " (marked again from the roots)"
           : j.st.scanned_rows ? " (marked again locally, found through every kept row)"
           : j.st.scanned_diffs ? " (marked again locally, the dirty rows searched)"
           : j.st.suspects ? " (marked again locally)" : "",
           (unsigned long)((j.stop_ns + j.work_ns) / 1000), (unsigned long)((t1 - t0) / 1000), (unsigned long)(j.stop_ns / 1000),
           (unsigned long)(j.t_prepare / 1000), (unsigned long)(j.t_roots / 1000), (unsigned long)(j.t_dirty / 1000),
           (unsigned long)(j.t_blocks / 1000), (unsigned long)(j.t_classify / 1000),
           lg_opt.collect_verify ? ", with the verification" : "");
    if (print && j.rc >= 0)
        lg_garbage_print(collections, lg_opt.collect_limit);
    lg_unlock(&collect_lock);
    LG_OWN_END(own);
    return j.rc;
}

size_t lg_collect_garbage(struct lg_garbage *out, size_t cap)
{
    lg_lock(&collect_lock);
    size_t n = lg_garbage_copy(out, cap);
    lg_unlock(&collect_lock);
    return n;
}

/* ---- triggers ---- */

static void *interval_thread(void *arg)
{
    (void)arg;
    uintptr_t own;
    LG_OWN_BEGIN(own); /* nothing this thread does is the program's */
    (void)own;
    for (;;) {
        struct timespec ts = {.tv_sec = lg_opt.collect_interval};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        lg_collect_run((uintptr_t)__builtin_frame_address(0), true);
    }
    return NULL;
}

static void start_thread(void)
{
    int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
        (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(RTLD_NEXT, "pthread_create");
    pthread_t t;
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, lg_stw_signal());
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the program's signals go to its own threads */
    if (!real || real(&t, NULL, interval_thread, NULL) != 0)
        lg_log(LG_LOG_WARN, "cannot start the collect_interval thread; no timed collections");
    else
        pthread_detach(t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void lg_collect_init(void)
{
    if (lg_opt.collect_every < 0 || lg_opt.collect_interval < 0) {
        lg_log(LG_LOG_WARN, "collect_every and collect_interval must not be negative; ignored");
        lg_opt.collect_every = lg_opt.collect_interval < 0 ? 0 : lg_opt.collect_every;
        lg_opt.collect_every = lg_opt.collect_every < 0 ? 0 : lg_opt.collect_every;
        lg_opt.collect_interval = lg_opt.collect_interval < 0 ? 0 : lg_opt.collect_interval;
    }
    lg_collect_active = lg_opt.collect_every > 0 || lg_opt.collect_interval > 0;
    lg_storehooks_last_store = lg_opt.collect_last_store != 0;
}

void lg_collect_on_alloc(void *p)
{
    if (lg_opt.collect_interval > 0 && !__atomic_load_n(&thread_started, __ATOMIC_RELAXED) &&
        !__atomic_exchange_n(&thread_started, 1, __ATOMIC_ACQ_REL)) {
        uintptr_t own;
        LG_OWN_BEGIN(own);
        start_thread();
        LG_OWN_END(own);
    }
    if (lg_opt.collect_every > 0 &&
        __atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED) % (uint64_t)lg_opt.collect_every == 0) {
        int saved = errno;
        run(lg_sites_program_sp((uintptr_t)__builtin_frame_address(0)), (uintptr_t)p, true);
        errno = saved;
    }
}

void lg_collect_at_exit(void)
{
    if (lg_state != LG_READY || !lg_opt.collect_verify)
        return;
    lg_collect_run(lg_sites_program_sp((uintptr_t)__builtin_frame_address(0)), false);
    lg_log(verify_mismatches ? LG_LOG_ERROR : LG_LOG_WARN,
           "collect_verify: %lu collections (%lu incremental) compared block by block with a full "
           "rescan: %lu mismatches", (unsigned long)verify_runs, (unsigned long)verify_incremental,
           (unsigned long)verify_mismatches);
}

void lg_collect_atfork_child(void)
{
    lg_lock_reset(&collect_lock);
    thread_started = 0;
    if (mode == MODE_UFFD)
        mode = MODE_UNSET; /* probe again: the parent's userfaultfd is not ours */
    lg_dirty_uffd_atfork_child();
    lg_livegraph_reset();
    lg_blockindex_reset();
    lg_scan_drop_kept();
    lg_dirtyset_reset();
}
