/* Builds the root list and the thread list of a snapshot. */
#include "roots.h"

#include "annot.h"
#include "arena.h"
#include "modules.h"
#include "options.h"
#include "regions.h"
#include "threads.h"

#include <string.h>

#define RED_ZONE 128

static bool grow_roots(struct lg_roots *r)
{
    uint32_t ncap = r->cap ? r->cap * 2 : 4096;
    struct lg_snap_root *nr = lg_map(ncap * sizeof *nr);
    uintptr_t(*ng)[LG_STW_NREGS] = lg_map(ncap * sizeof *ng);
    if (!nr || !ng)
        return false;
    if (r->n) {
        memcpy(nr, r->root, r->n * sizeof *nr);
        memcpy(ng, r->regs, r->n * sizeof *ng);
    }
    lg_unmap(r->root, r->cap * sizeof *nr);
    lg_unmap(r->regs, r->cap * sizeof *ng);
    r->root = nr;
    r->regs = ng;
    r->cap = ncap;
    return true;
}

static struct lg_snap_root *add_root(struct lg_roots *r, uint16_t kind, uintptr_t lo, uintptr_t hi, uint32_t owner)
{
    if (r->n == r->cap && !grow_roots(r))
        return NULL;
    struct lg_snap_root *x = &r->root[r->n];
    memset(x, 0, sizeof *x);
    x->id = r->n++;
    x->kind = kind;
    x->addr = lo;
    x->len = hi - lo;
    x->owner = owner;
    return x;
}

struct clip_ctx {
    struct lg_roots *r;
    uint16_t kind;
    uint32_t owner;
    uintptr_t base; /* for owner_off */
};

static void on_piece(void *p, uintptr_t lo, uintptr_t hi)
{
    struct clip_ctx *c = p;
    struct lg_snap_root *x = add_root(c->r, c->kind, lo, hi, c->owner);
    if (x)
        x->owner_off = c->base ? lo - c->base : 0;
}

static void add_clipped(struct lg_roots *r, const struct lg_maps *m, uint16_t kind, uintptr_t lo, uintptr_t hi,
                        uint32_t owner, uintptr_t base, uint32_t need)
{
    struct clip_ctx c = {r, kind, owner, base};
    /* A file the program mapped may be shorter than the mapping, and shared files can
     * shrink at any time: reading past the end would raise SIGBUS in the program.
     * Valgrind scans them under a fault handler; pointers into the heap kept in files
     * are rare enough that we skip them. */
    uint32_t avoid = kind == LG_ROOT_MMAP ? LG_MAP_FILE : 0;
    if (lo < hi)
        lg_maps_clip(m, lo, hi, need, avoid, on_piece, &c);
}

static void module_roots(struct lg_roots *r, const struct lg_maps *m)
{
    for (struct lg_module *mod = lg_modules_list(); mod; mod = mod->next) {
        if (mod->flags & (LG_MOD_TRACER | LG_MOD_UNLOADED | LG_MOD_VDSO))
            continue;
        for (uint32_t i = 0; i < mod->nseg; i++)
            add_clipped(r, m, LG_ROOT_GLOBAL, mod->seg_lo[i], mod->seg_hi[i], mod->id, mod->base, 0);
    }
}

/* An early region (ld.so's start-up memory) can be one mapping with a module's .bss:
 * the kernel merges adjacent anonymous mappings. The module's part is scanned once, as
 * its global root (or not at all, for the tracer); the rest is ld.so's and is a root:
 * it holds the initial link maps, the only path to a dlopen'ed library's link map. */
static void add_early(struct lg_roots *r, const struct lg_maps *m, uintptr_t lo, uintptr_t hi, int depth)
{
    for (struct lg_module *mod = lg_modules_list(); mod && lo < hi; mod = mod->next) {
        uintptr_t mlo = mod->lo & ~(uintptr_t)4095, mhi = (mod->hi + 4095) & ~(uintptr_t)4095;
        if ((mod->flags & LG_MOD_UNLOADED) || mhi <= lo || mlo >= hi)
            continue;
        if (depth < 8 && mlo > lo)
            add_early(r, m, lo, mlo, depth + 1);
        lo = mhi > lo ? mhi : lo;
    }
    if (lo < hi)
        add_clipped(r, m, LG_ROOT_MMAP, lo, hi, LG_REGION_EARLY, 0, LG_MAP_W);
}

static void region_roots(struct lg_roots *r, const struct lg_maps *m)
{
    uint32_t n = lg_regions_count();
    for (uint32_t i = 0; i < n; i++) {
        const struct lg_region *g = lg_regions_at(i);
        if (g->kind == LG_REGION_EARLY)
            add_early(r, m, g->lo, g->hi, 0);
        else if (lg_opt.scan_mmap)
            add_clipped(r, m, LG_ROOT_MMAP, g->lo, g->hi, g->kind, 0, LG_MAP_W);
    }
}

static struct lg_snap_thread *add_thread(struct lg_roots *r)
{
    if (r->nthreads == r->thread_cap) {
        uint32_t ncap = r->thread_cap ? r->thread_cap * 2 : 256;
        struct lg_snap_thread *nt = lg_map(ncap * sizeof *nt);
        if (!nt)
            return NULL;
        if (r->nthreads)
            memcpy(nt, r->thread, r->nthreads * sizeof *nt);
        lg_unmap(r->thread, r->thread_cap * sizeof *nt);
        r->thread = nt;
        r->thread_cap = ncap;
    }
    struct lg_snap_thread *t = &r->thread[r->nthreads++];
    memset(t, 0, sizeof *t);
    return t;
}

/* A thread running on another stack than its own (a coroutine, a sigaltstack): that
 * stack from sp up to the end of the heap block or mapping holding it, and its own stack
 * whole, since where its frames end there is unknown. Never a whole heap mapping. */
static void foreign_stack(struct lg_roots *r, const struct lg_roots_input *in, struct lg_snap_thread *t,
                          uintptr_t from)
{
    long j = in->scan ? lg_scan_lookup(in->scan, t->sp) : -1;
    const struct lg_map_ent *e = lg_maps_find(in->maps, t->sp);
    if (j >= 0)
        add_clipped(r, in->maps, LG_ROOT_STACK, from, in->scan->blocks[j].addr + in->scan->blocks[j].size,
                    t->tid, 0, LG_MAP_W);
    else if (e && !(e->flags & LG_MAP_HEAP))
        add_clipped(r, in->maps, LG_ROOT_STACK, from, e->hi, t->tid, 0, LG_MAP_W);
    if (t->stack_hi)
        add_clipped(r, in->maps, LG_ROOT_STACK, t->stack_lo, t->stack_hi, t->tid, 0, LG_MAP_W);
}

/* One live thread: stack from sp (or whole when it did not stop), TLS, registers. */
static void live_thread(struct lg_roots *r, const struct lg_roots_input *in, uint32_t tid, uintptr_t sp,
                        const uintptr_t *regs, uint32_t flags)
{
    const struct lg_maps *m = in->maps;
    struct lg_thread *reg = lg_threads_find(tid);
    struct lg_snap_thread *t = add_thread(r);
    if (!t)
        return;
    t->tid = tid;
    t->flags = flags | (reg && (reg->flags & LG_T_MAIN) ? LG_THR_MAIN : 0);
    if (!sp && reg && (flags & LG_THR_EXITED))
        sp = reg->exit_sp; /* a zombie main thread: scanned from its pthread_exit call */
    t->sp = sp;
    uintptr_t lo = reg ? reg->stack_lo : 0, hi = reg ? reg->stack_hi : 0;
    /* A stopped thread may be in a leaf function using the red zone below its SP;
     * the calling thread is suspended at calls only, and starts where the program's
     * frames start. */
    uintptr_t red = (flags & LG_THR_SELF) ? 0 : RED_ZONE;
    t->stack_lo = lo;
    t->stack_hi = hi;
    if (sp && hi && (sp < lo || sp >= hi)) {
        foreign_stack(r, in, t, sp - red);
    } else if (sp && !hi) { /* a thread we never registered: its stack is the mapping */
        const struct lg_map_ent *e = lg_maps_find(m, sp);
        if (e && !(e->flags & LG_MAP_HEAP)) {
            t->stack_lo = e->lo;
            t->stack_hi = e->hi;
            add_clipped(r, m, LG_ROOT_STACK, sp - red > e->lo ? sp - red : e->lo, e->hi, tid, 0, LG_MAP_W);
        } else {
            foreign_stack(r, in, t, sp - red);
        }
    } else {
        uintptr_t from = sp ? (sp - red > lo ? sp - red : lo) : lo;
        add_clipped(r, m, LG_ROOT_STACK, from, hi, tid, 0, LG_MAP_W);
    }
    if (reg && lg_threads_tls_range(reg->tp, &t->tls_lo, &t->tls_hi))
        add_clipped(r, m, LG_ROOT_TLS, t->tls_lo, t->tls_hi, tid, 0, LG_MAP_W);
    if (regs) {
        struct lg_snap_root *x = add_root(r, LG_ROOT_REGISTERS, 0, LG_STW_NREGS * 8, tid);
        if (x) {
            x->addr = 0;
            memcpy(r->regs[x->id], regs, sizeof r->regs[x->id]);
        }
    }
}

static bool overlaps_live(const struct lg_roots *r, uintptr_t lo, uintptr_t hi)
{
    for (uint32_t i = 0; i < r->nthreads; i++)
        if (r->thread[i].stack_lo < hi && lo < r->thread[i].stack_hi)
            return true;
    return false;
}

/* glibc keeps exited threads' stacks (and their TLS) cached and mapped: Valgrind
 * scans that memory, so a block kept only by a joined thread's __thread is reachable.
 * Only from the SP the thread left at its exit, as Valgrind does (the stack below it
 * died with its frames): glibc reuses a cached stack for the next thread, whose own
 * dead frames would otherwise keep its lost blocks reachable. */
static void exited_threads(struct lg_roots *r, const struct lg_maps *m)
{
    uint32_t n = lg_threads_count();
    for (uint32_t i = 0; i < n; i++) {
        struct lg_thread *t = lg_threads_at(i);
        if (!(t->flags & LG_T_EXITED) || !t->stack_hi || overlaps_live(r, t->stack_lo, t->stack_hi))
            continue;
        struct lg_snap_thread *st = add_thread(r);
        if (!st)
            return;
        st->tid = t->tid;
        st->flags = LG_THR_EXITED;
        st->stack_lo = t->stack_lo;
        st->stack_hi = t->stack_hi;
        uintptr_t from = t->exit_sp > t->stack_lo && t->exit_sp < t->stack_hi ? t->exit_sp : t->stack_lo;
        add_clipped(r, m, LG_ROOT_STACK, from, t->stack_hi, t->tid, 0, LG_MAP_W);
        if (lg_threads_tls_range(t->tp, &st->tls_lo, &st->tls_hi) && !overlaps_live(r, st->tls_lo, st->tls_hi))
            add_clipped(r, m, LG_ROOT_TLS, st->tls_lo, st->tls_hi, t->tid, 0, LG_MAP_W);
    }
}

bool lg_roots_collect(struct lg_roots *r, const struct lg_roots_input *in)
{
    memset(r, 0, sizeof *r);
    if (!grow_roots(r))
        return false;
    module_roots(r, in->maps);
    live_thread(r, in, lg_threads_tid(), in->self_sp, in->self_regs, LG_THR_SELF | LG_THR_STOPPED);
    for (uint32_t i = 0; i < in->nrecs; i++) {
        const struct lg_stop_rec *s = &in->recs[i];
        bool ok = __atomic_load_n(&s->acked, __ATOMIC_ACQUIRE);
        uint32_t flags = ok ? LG_THR_STOPPED : s->state == LG_STOP_GONE ? LG_THR_EXITED : LG_THR_NOT_STOPPED;
        if (flags == LG_THR_NOT_STOPPED)
            r->not_stopped = true;
        /* A thread we could not stop is scanned from the SP of the system call it is
         * parked in, when it is in one; the handler's SP when it stopped. */
        uintptr_t sp = ok || flags == LG_THR_NOT_STOPPED ? s->sp : 0;
        live_thread(r, in, s->tid, sp, ok ? s->regs : NULL, flags);
    }
    exited_threads(r, in->maps);
    region_roots(r, in->maps);
    for (uint32_t i = 0; i < lg_annot_root_count(); i++) {
        uintptr_t a;
        size_t len;
        lg_annot_root(i, &a, &len);
        add_clipped(r, in->maps, LG_ROOT_USER, a, a + len, 0, 0, 0);
    }
    return true;
}

void lg_roots_release(struct lg_roots *r)
{
    lg_unmap(r->root, r->cap * sizeof *r->root);
    lg_unmap(r->regs, r->cap * sizeof *r->regs);
    lg_unmap(r->thread, r->thread_cap * sizeof *r->thread);
    memset(r, 0, sizeof *r);
}
