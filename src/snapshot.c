/* Serialises the heap graph per include/leakgraph/format.h. Everything runs inside a
 * dl_iterate_phdr callback, so the loader lock is held and no stopped thread can be
 * holding it (the libunwind/dlclose deadlock of FEASIBILITY §3). */
#include "snapshot.h"
#include "freebatch.h"
#include "inflight.h"

#include "annot.h"
#include "arena.h"
#include "blocks.h"
#include "leakgraph/format.h"
#include "lock.h"
#include "log.h"
#include "modules.h"
#include "options.h"
#include "regions.h"
#include "roots.h"
#include "scan.h"
#include "sites.h"
#include "stw.h"
#include "threads.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define WRITE_BUF (1u << 20)
#define EDGE_CHUNK 65536
/* How long the crash path waits for each tracer lock before reading without it. */
#define CRASH_LOCK_MS 300

/* One snapshot at a time. */
static lg_lock_t snapshot_lock = LG_LOCK_INIT;
/* The crash snapshot's buffers, mapped at start-up (lg_snapshot_reserve) so the handler
 * needs no memory for them; used once. */
static char *crash_buf;
static struct lg_snap_edge *crash_chunk;
/* What a crash snapshot holds until lg_snapshot_crash_release: the world stays stopped
 * and the tables locked while the analyser runs, as if the process had died. */
static struct {
    bool active, snap, mods, regions, annot;
    bool blocks[LG_BLOCKS_NSHARDS];
} hold;
/* Numbering and timing of snapshots; protected by snapshot_lock. */
static uint32_t snapshot_seq;
static struct lg_snapshot_timing last_timing;

struct job {
    const struct lg_snapshot_req *req;
    struct lg_writer w;
    uintptr_t self_regs[LG_STW_NREGS];
    struct lg_snap_edge *chunk;
    uint32_t nchunk;
    uint32_t chunk_tag;
    uint64_t nedges, nroot_edges;
    int rc;
    bool unlocked; /* crash mode: a lock was not taken (LG_CRASH_UNLOCKED) */
    bool drain;    /* every shard lock and the annotation lock are held: drain the batches */
};

static uint64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    if (fd < 0)
        return 0;
    ssize_t r;
    while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
        n += (size_t)r;
    close(fd);
    return n;
}

static void write_process(struct job *j)
{
    char exe[4096], cmd[8192];
    /* thread-self: /proc/self is empty once main has called pthread_exit */
    ssize_t el = readlink("/proc/thread-self/exe", exe, sizeof exe);
    if (el < 0)
        el = readlink("/proc/self/exe", exe, sizeof exe);
    size_t cl = read_small_file("/proc/thread-self/cmdline", cmd, sizeof cmd);
    if (!cl)
        cl = read_small_file("/proc/self/cmdline", cmd, sizeof cmd);
    struct lg_snap_process p = {
        .pid = (uint32_t)getpid(), .ppid = (uint32_t)getppid(), .time_ns = now_ns(CLOCK_REALTIME),
        .reason = j->req->reason, .signo = j->req->signo, .fault_addr = j->req->fault_addr,
        .seq = snapshot_seq, .exe_len = el > 0 ? (uint32_t)el : 0, .cmdline_len = (uint32_t)cl};
    uint64_t bytes = (sizeof p + p.exe_len + p.cmdline_len + 7) & ~7ull;
    lg_writer_section(&j->w, LG_SEC_PROCESS, 1, bytes);
    lg_writer_put(&j->w, &p, sizeof p);
    lg_writer_put(&j->w, exe, p.exe_len);
    lg_writer_put(&j->w, cmd, p.cmdline_len);
    lg_writer_pad8(&j->w);
}

static void write_crash(struct job *j)
{
    struct lg_snap_crash *c = j->req->crash;
    if (!c)
        return;
    c->flags |= j->unlocked ? LG_CRASH_UNLOCKED : 0;
    lg_writer_section(&j->w, LG_SEC_CRASH, 1, sizeof *c);
    lg_writer_put(&j->w, c, sizeof *c);
}

/* A stack overflow leaves SP in the guard page or the gap below the stack: the stack is
 * then scanned from the lowest writable page above SP (its deepest frames). */
static uintptr_t crash_stack_from(struct job *j, const struct lg_maps *m, uintptr_t sp)
{
    const struct lg_map_ent *e = lg_maps_find(m, sp);
    if (e && (e->flags & LG_MAP_W))
        return sp;
    uintptr_t best = 0;
    for (size_t i = 0; i < m->n; i++)
        if ((m->ent[i].flags & LG_MAP_W) && m->ent[i].lo > sp && (!best || m->ent[i].lo < best))
            best = m->ent[i].lo;
    if (!best || best - sp > (1u << 20))
        return sp;
    j->req->crash->flags |= LG_CRASH_SP_MOVED;
    return best;
}

static uint64_t module_bytes(const struct lg_module *m)
{
    return (sizeof(struct lg_snap_module) + strlen(m->path) + m->build_id_len + 7) & ~7ull;
}

static void write_modules(struct job *j)
{
    uint32_t n = 0;
    uint64_t bytes = 0;
    for (struct lg_module *m = lg_modules_list(); m; m = m->next, n++)
        bytes += module_bytes(m);
    lg_writer_section(&j->w, LG_SEC_MODULES, n, bytes);
    for (struct lg_module *m = lg_modules_list(); m; m = m->next) {
        struct lg_snap_module r = {.base = m->base, .lo = m->lo, .hi = m->hi, .id = m->id, .flags = m->flags,
                                   .path_len = (uint32_t)strlen(m->path), .build_id_len = m->build_id_len};
        lg_writer_put(&j->w, &r, sizeof r);
        lg_writer_put(&j->w, m->path, r.path_len);
        lg_writer_put(&j->w, m->build_id, r.build_id_len);
        lg_writer_pad8(&j->w);
    }
}

static void write_sites(struct job *j)
{
    uint32_t n = 0;
    uint64_t bytes = 0;
    const struct lg_site *first = lg_sites_first();
    for (const struct lg_site *s = first; s; s = s->all_next, n++)
        bytes += sizeof(struct lg_snap_site) + 8ull * s->depth;
    lg_writer_section(&j->w, LG_SEC_SITES, n, bytes);
    for (const struct lg_site *s = first; s; s = s->all_next) {
        struct lg_snap_site r = {.id = s->id, .depth = s->depth};
        lg_writer_put(&j->w, &r, sizeof r);
        for (uint32_t i = 0; i < s->depth; i++) {
            uint64_t pc = s->pc[i];
            lg_writer_put(&j->w, &pc, 8);
        }
    }
}

/* The program's type tags: ids 1..n in order. */
static void write_tags(struct job *j)
{
    uint32_t n = lg_annot_tag_count();
    if (!n)
        return;
    uint64_t bytes = 0;
    for (uint32_t id = 1; id <= n; id++)
        bytes += sizeof(struct lg_snap_type_tag) + ((strlen(lg_annot_tag_name(id)) + 7) & ~(size_t)7);
    lg_writer_section(&j->w, LG_SEC_TAGS, n, bytes);
    for (uint32_t id = 1; id <= n; id++) {
        const char *name = lg_annot_tag_name(id);
        struct lg_snap_type_tag t = {.id = id, .name_len = (uint32_t)strlen(name)};
        static const char zeros[8];
        lg_writer_put(&j->w, &t, sizeof t);
        lg_writer_put(&j->w, name, t.name_len);
        lg_writer_put(&j->w, zeros, ((t.name_len + 7) & ~7u) - t.name_len);
    }
}

/* Collects the annotations of the sorted blocks into *out (a fresh lg_map'd array, its
 * length returned) and clears LG_SEQ_ANNOTATED, which is not part of the format. */
static size_t collect_attrs(struct lg_scan *sc, struct lg_snap_block_attr **out, size_t *cap)
{
    size_t n = 0;
    *cap = 0;
    *out = NULL;
    for (size_t i = 0; i < sc->n; i++) {
        struct lg_block *b = &sc->blocks[i];
        if (!(b->seq & LG_SEQ_ANNOTATED))
            continue;
        b->seq &= LG_SEQ_MASK;
        uint32_t tag, flags;
        if (!lg_annot_block(b->addr, &tag, &flags) || (!tag && !flags))
            continue;
        if (n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 4096;
            struct lg_snap_block_attr *na = lg_map(ncap * sizeof *na);
            if (!na)
                return n;
            if (n)
                memcpy(na, *out, n * sizeof *na);
            lg_unmap(*out, *cap * sizeof **out);
            *out = na;
            *cap = ncap;
        }
        (*out)[n++] = (struct lg_snap_block_attr){.block = (uint32_t)i, .tag = tag, .flags = flags};
    }
    return n;
}

/* Records go out in chunks, each its own section, so the file streams. */
static void write_array(struct job *j, uint32_t tag, const void *a, uint64_t n, size_t rec)
{
    const char *p = a;
    for (uint64_t off = 0; off < n;) {
        uint64_t k = n - off < EDGE_CHUNK ? n - off : EDGE_CHUNK;
        lg_writer_section(&j->w, tag, (uint32_t)k, k * rec);
        lg_writer_put(&j->w, p + off * rec, k * rec);
        off += k;
    }
}

static void flush_edges(struct job *j)
{
    if (j->nchunk)
        write_array(j, j->chunk_tag, j->chunk, j->nchunk, sizeof *j->chunk);
    j->nchunk = 0;
}

static void emit_edge(void *ctx, const struct lg_snap_edge *e)
{
    struct job *j = ctx;
    j->chunk[j->nchunk++] = *e;
    if (j->chunk_tag == LG_SEC_EDGES)
        j->nedges++;
    else
        j->nroot_edges++;
    if (j->nchunk == EDGE_CHUNK)
        flush_edges(j);
}

static void scan_roots(struct job *j, struct lg_scan *sc, const struct lg_roots *r)
{
    j->chunk_tag = LG_SEC_ROOT_EDGES;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct lg_snap_root *x = &r->root[i];
        if (x->kind == LG_ROOT_REGISTERS) {
            for (int k = 0; k < LG_STW_NREGS; k++)
                lg_scan_word(sc, r->regs[i][k], x->id, (uint64_t)k * 8);
        } else {
            lg_scan_range(sc, x->addr, x->addr + x->len, x->id, 0);
        }
    }
    flush_edges(j);
}

static void write_end(struct job *j, size_t nblocks, bool not_stopped)
{
    struct lg_snap_end e = {.nblocks = nblocks, .nedges = j->nedges, .nroot_edges = j->nroot_edges,
                            .nsites = lg_sites_count(), .flags = not_stopped ? LG_END_THREADS_NOT_STOPPED : 0};
    lg_writer_section(&j->w, LG_SEC_END, 1, sizeof e);
    lg_writer_put(&j->w, &e, sizeof e);
}

static void write_stats(struct job *j, uint64_t stop_ns, uint64_t scan_ns, uint64_t scanned)
{
    struct lg_blocks_stats bs;
    lg_blocks_stats(&bs, true);
    struct lg_snap_stats st = {.total_allocs = bs.total_allocs, .total_frees = bs.total_frees,
                               .total_bytes = bs.total_bytes, .meta_bytes = lg_arena_mapped_bytes(),
                               .stop_ns = stop_ns, .scan_ns = scan_ns, .scanned_bytes = scanned,
                               .table_bytes = bs.table_bytes, .live_blocks = bs.live_blocks,
                               .unwinds = lg_sites_unwinds()};
    lg_writer_section(&j->w, LG_SEC_STATS, 1, sizeof st);
    lg_writer_put(&j->w, &st, sizeof st);
}

/* Everything between stopping and resuming the world. */
static void with_world_stopped(struct job *j, struct lg_stop_rec *recs, uint32_t nrecs, uint64_t t0)
{
    struct lg_maps maps;
    struct lg_scan sc;
    struct lg_roots roots;
    uint64_t t1 = now_ns(CLOCK_MONOTONIC);
    memset(&sc, 0, sizeof sc);
    memset(&roots, 0, sizeof roots);
    /* After the stop, not before: a free that did not wait for a lock may have come in
     * between, its pointer already gone from the program. */
    if (j->drain) {
        lg_freebatch_drain_locked(true);
        lg_inflight_publish_stop_locked(recs, nrecs);
    }
    if (lg_maps_read(&maps) < 0) {
        j->rc = -12;
        return;
    }
    bool ok = lg_scan_prepare(&sc, &maps);
    uint64_t t_index = now_ns(CLOCK_MONOTONIC);
    uintptr_t self_sp = j->req->crash ? crash_stack_from(j, &maps, j->req->caller_sp) : j->req->caller_sp;
    struct lg_roots_input in = {&maps, recs, nrecs, self_sp, j->self_regs, ok ? &sc : NULL};
    if (!ok || !lg_roots_collect(&roots, &in)) {
        j->rc = -12; /* out of tracer memory: give back what was mapped */
        lg_roots_release(&roots);
        lg_scan_release(&sc);
        lg_maps_free(&maps);
        return;
    }
    sc.emit = emit_edge;
    sc.ctx = j;
    write_process(j);
    write_crash(j);
    write_modules(j);
    write_sites(j);
    write_array(j, LG_SEC_THREADS, roots.thread, roots.nthreads, sizeof *roots.thread);
    write_tags(j);
    struct lg_snap_block_attr *attrs;
    size_t attr_cap, nattrs = collect_attrs(&sc, &attrs, &attr_cap);
    write_array(j, LG_SEC_BLOCKS, sc.blocks, sc.n, sizeof *sc.blocks);
    write_array(j, LG_SEC_BLOCK_ATTRS, attrs, nattrs, sizeof *attrs);
    lg_unmap(attrs, attr_cap * sizeof *attrs);
    write_array(j, LG_SEC_ROOTS, roots.root, roots.n, sizeof *roots.root);
    uint64_t t_words = now_ns(CLOCK_MONOTONIC);
    scan_roots(j, &sc, &roots);
    j->chunk_tag = LG_SEC_EDGES;
    lg_scan_blocks(&sc);
    flush_edges(j);
    uint64_t t2 = now_ns(CLOCK_MONOTONIC);
    write_stats(j, t1 - t0, t2 - t1, sc.scanned_bytes);
    write_end(j, sc.n, roots.not_stopped);
    last_timing = (struct lg_snapshot_timing){t1 - t0, t2 - t1, sc.scanned_bytes, sc.n, j->nedges + j->nroot_edges,
                                              t_index - t1, t2 - t_words};
    lg_stw_report_unstopped(recs, nrecs, "snapshot");
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
    if (j->req->crash) {
        hold.regions = lg_regions_lock_within(CRASH_LOCK_MS);
        bool blocks_all = lg_blocks_lock_all_within(CRASH_LOCK_MS, hold.blocks);
        j->unlocked |= !blocks_all;
        hold.annot = lg_annot_lock_within(CRASH_LOCK_MS);
        j->unlocked |= !hold.regions || !hold.annot;
        /* batches may be drained only with every shard lock; without, their blocks show live */
        j->drain = blocks_all && hold.annot;
    } else {
        lg_regions_lock();
        lg_blocks_lock_all();
        lg_annot_lock(); /* before the stop: a stopped thread must not be holding it */
        j->drain = true;
    }
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    struct lg_stop_rec *recs;
    uint32_t n = lg_stw_stop(signo, lg_opt.stop_timeout_ms, &recs);
    if (recs) {
        with_world_stopped(j, recs, n, t0);
    } else {
        if (lg_stw_error() == ENOMEM)
            lg_log(LG_LOG_ERROR, "out of memory for the tracer's stop records; no snapshot taken");
        else
            lg_log(LG_LOG_ERROR, "cannot handle the stop signal %d; no snapshot taken", signo);
        j->rc = lg_stw_error() == ENOMEM ? -ENOMEM : -EAGAIN;
    }
    if (j->req->crash)
        return 1; /* see hold */
    lg_stw_resume();
    lg_annot_unlock();
    lg_blocks_unlock_all();
    lg_regions_unlock();
    return 1;
}

/* The snapshotting thread's registers: as now, plus the callee-saved ones the program's
 * frame had, which our frames (below the scanned part of the stack) may hold spilled. */
void lg_snapshot_save_registers(uintptr_t *regs)
{
    ucontext_t uc;
    memset(regs, 0, LG_STW_NREGS * sizeof *regs);
    if (getcontext(&uc) == 0)
        for (int i = 0; i < LG_STW_NREGS; i++)
            regs[i] = (uintptr_t)uc.uc_mcontext.gregs[i];
    static const int at[6] = {REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15};
    uintptr_t saved[6];
    if (lg_sites_program_regs(saved))
        for (int i = 0; i < 6; i++)
            regs[at[i]] = saved[i];
}

bool lg_snapshot_reserve(void)
{
    if (!crash_buf)
        crash_buf = lg_map(WRITE_BUF);
    if (!crash_chunk)
        crash_chunk = lg_map(EDGE_CHUNK * sizeof *crash_chunk);
    return crash_buf && crash_chunk;
}

static void write_header(struct job *j)
{
    struct lg_snap_header h = {.major = LG_SNAP_MAJOR, .minor = LG_SNAP_MINOR, .header_bytes = sizeof h};
    memcpy(h.magic, LG_SNAP_MAGIC, 8);
    lg_writer_put(&j->w, &h, sizeof h);
}

/* The crash path: the interrupted registers, locks with a time limit, the reserved
 * buffers. The snapshot lock is not waited for long: a snapshot in progress in another
 * thread is stopped (and its locks are the ones we give up on). */
static int take_crash(struct job *j, const struct lg_snapshot_req *req)
{
    if (!crash_buf || !crash_chunk)
        return -ENOMEM;
    hold.active = true;
    hold.snap = lg_lock_within(&snapshot_lock, CRASH_LOCK_MS);
    j->unlocked = !hold.snap;
    snapshot_seq++;
    for (int i = 0; i < LG_STW_NREGS; i++)
        j->self_regs[i] = (uintptr_t)req->crash->regs[i];
    j->chunk = crash_chunk;
    lg_writer_init(&j->w, req->fd, crash_buf, WRITE_BUF);
    write_header(j);
    hold.mods = lg_modules_lock_within(CRASH_LOCK_MS);
    j->unlocked |= !hold.mods;
    if (hold.mods)
        lg_modules_refresh_locked(); /* learns what was dlopen'ed since */
    lg_stw_run_locked(in_loader_lock, j);
    return j->rc ? j->rc : lg_writer_flush(&j->w);
}

void lg_snapshot_crash_release(void)
{
    if (!hold.active)
        return;
    hold.active = false;
    lg_stw_resume();
    if (hold.annot)
        lg_annot_unlock();
    lg_blocks_unlock_held(hold.blocks);
    if (hold.regions)
        lg_regions_unlock();
    if (hold.mods)
        lg_modules_unlock();
    if (hold.snap)
        lg_unlock(&snapshot_lock);
}

int lg_snapshot_take(const struct lg_snapshot_req *req)
{
    struct job j;
    memset(&j, 0, sizeof j);
    j.req = req;
    if (req->crash)
        return take_crash(&j, req);
    char *buf = lg_map(WRITE_BUF);
    j.chunk = lg_map(EDGE_CHUNK * sizeof *j.chunk);
    if (!buf || !j.chunk) {
        lg_unmap(buf, WRITE_BUF);
        lg_unmap(j.chunk, EDGE_CHUNK * sizeof *j.chunk);
        return -12;
    }
    lg_lock(&snapshot_lock);
    snapshot_seq++;
    lg_snapshot_save_registers(j.self_regs);
    lg_modules_refresh();
    lg_writer_init(&j.w, req->fd, buf, WRITE_BUF);
    write_header(&j);
    lg_modules_lock();
    lg_stw_run_locked(in_loader_lock, &j);
    lg_modules_unlock();
    int rc = j.rc ? j.rc : lg_writer_flush(&j.w);
    lg_unlock(&snapshot_lock);
    lg_unmap(buf, WRITE_BUF);
    lg_unmap(j.chunk, EDGE_CHUNK * sizeof *j.chunk);
    return rc;
}

void lg_snapshot_last_timing(struct lg_snapshot_timing *t)
{
    lg_lock(&snapshot_lock);
    *t = last_timing;
    lg_unlock(&snapshot_lock);
}
