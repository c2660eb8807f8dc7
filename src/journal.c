/* The SIGKILL journal. Design (man/leakgraph-journal.5):
 *  - a file created like the snapshots (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), sized once
 *    (journal_size) and mapped MAP_SHARED: every store lands in the page cache, which the
 *    kernel keeps when the process is killed, so nothing is ever flushed or written;
 *  - the live blocks in an open-addressing table inside the mapping: the journal is
 *    bounded by the live set, not by the run's length (no log to compact);
 *  - lock-free: an allocation claims an empty or freed slot with one compare-and-swap,
 *    fills it and publishes the address last; a free stores a tombstone. A process killed
 *    between the two leaves a BUSY slot, which readers skip: a record is either whole or
 *    absent;
 *  - sites and modules are appended as records whose commit word is stored last, so a
 *    record torn by SIGKILL ends the list instead of being read. */
#include "journal.h"
#include "freebatch.h"

#include "arena.h"
#include "blocks.h"
#include "leakgraph/journal.h"
#include "lock.h"
#include "log.h"
#include "modules.h"
#include "options.h"
#include "privfile.h"
#include "sites.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

bool lg_journal_active;

/* Set once by open, read-only afterwards (cleared in a fork child). */
static unsigned char *base;
static uint64_t map_bytes;
static struct lg_jrnl_header *hdr;
static struct lg_snap_block *slots;
static uint64_t slot_mask;
static int owner_pid;
static bool owns_file;
static char file_path[LG_OPT_STR_MAX + 32];

/* Appends: under append_lock. */
static lg_lock_t append_lock = LG_LOCK_INIT;
static uint64_t sites_used, modules_used;
static uint32_t sites_done;   /* every site id <= this one is journaled (or dropped) */
static uint32_t modules_done; /* likewise for module ids */

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    ssize_t r;
    if (fd < 0)
        return 0;
    while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
        n += (size_t)r;
    close(fd);
    return n;
}

/* Carves the areas out of size bytes: 4 KiB header, 64 KiB of modules, the table (the
 * largest power of two of 32-byte slots within three quarters of the rest), the sites. */
static bool layout(struct lg_jrnl_header *h, uint64_t size)
{
    const uint64_t mod_bytes = 64 << 10;
    if (size < (1u << 20))
        return false;
    uint64_t rest = size - LG_JRNL_HEADER_AREA - mod_bytes;
    uint64_t nslots = 1;
    while (nslots * 2 * sizeof(struct lg_snap_block) <= rest / 4 * 3)
        nslots *= 2;
    h->modules_off = LG_JRNL_HEADER_AREA;
    h->modules_bytes = mod_bytes;
    h->table_off = h->modules_off + mod_bytes;
    h->table_slots = nslots;
    h->sites_off = h->table_off + nslots * sizeof(struct lg_snap_block);
    h->sites_bytes = (size - h->sites_off) & ~7ull;
    return true;
}

static void write_header(uint64_t size)
{
    struct lg_jrnl_header *h = hdr;
    memcpy(h->magic, LG_JRNL_MAGIC, 8);
    h->major = LG_JRNL_MAJOR;
    h->minor = LG_JRNL_MINOR;
    h->header_bytes = sizeof *h;
    h->file_bytes = size;
    h->pid = (uint32_t)getpid();
    h->ppid = (uint32_t)getppid();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    h->stack_depth = (uint32_t)lg_opt.stack_depth;
    h->flags = lg_opt.fast_unwind ? LG_JRNL_F_FAST_UNWIND : 0;
    char *strs = (char *)(h + 1);
    size_t room = LG_JRNL_HEADER_AREA - sizeof *h;
    ssize_t el = readlink("/proc/self/exe", strs, room / 2);
    h->exe_len = el > 0 ? (uint32_t)el : 0;
    h->cmdline_len = (uint32_t)read_small("/proc/self/cmdline", strs + h->exe_len, room - h->exe_len);
    h->state = LG_JRNL_RUNNING;
}

static bool start(void *mem, uint64_t size)
{
    struct lg_jrnl_header probe = {0};
    if (!layout(&probe, size))
        return false;
    base = mem;
    map_bytes = size;
    hdr = (struct lg_jrnl_header *)base;
    *hdr = probe;
    write_header(size);
    slots = (struct lg_snap_block *)(base + hdr->table_off);
    slot_mask = hdr->table_slots - 1;
    sites_used = modules_used = 0;
    sites_done = modules_done = 0;
    owner_pid = (int)getpid();
    lg_journal_sync_modules();
    /* Published last: the hot path sees a complete journal or none. */
    __atomic_store_n(&lg_journal_active, true, __ATOMIC_RELEASE);
    return true;
}

bool lg_journal_open_mem(void *mem, uint64_t size)
{
    owns_file = false;
    return start(mem, size);
}

/* PATH with %p replaced by the pid and %% by %. */
static void expand(const char *path, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = path; *p && n + 24 < cap; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += lg_fmt_async(out + n, cap - n, "%d", (int)getpid());
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            out[n++] = '%';
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static int create_rw(const char *p) { return lg_privfile_create(p, O_RDWR); }

/* The pid of the live process that writes the journal at path, or 0 (not a journal, or
 * its process is gone: after an exec, the old image's journal has our own pid). */
static int live_writer(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct lg_jrnl_header h;
    ssize_t n = fd >= 0 ? pread(fd, &h, sizeof h, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h.magic, LG_JRNL_MAGIC, 8) || h.state != LG_JRNL_RUNNING ||
        (int)h.pid == getpid() || h.pid == 0)
        return 0;
    return kill((pid_t)h.pid, 0) == 0 || errno == EPERM ? (int)h.pid : 0;
}

/* Creates the file: O_CREAT|O_EXCL|O_NOFOLLOW, 0600. An existing regular file of ours is
 * replaced, unless it is the journal of a live process (a fork child's program, when the
 * path has no %p): then PATH.PID. A symlink or someone else's file is refused. */
static int create_journal(const char *path)
{
    expand(path, file_path, sizeof file_path);
    int fd = create_rw(file_path);
    if (fd >= 0 || errno != EEXIST)
        return fd < 0 ? -errno : fd;
    struct stat st;
    if (lstat(file_path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return -EEXIST;
    int other = live_writer(file_path);
    if (!other) {
        if (unlink(file_path) != 0)
            return -errno;
        fd = create_rw(file_path);
        return fd < 0 ? -errno : fd;
    }
    size_t len = strlen(file_path);
    if (len + 16 >= sizeof file_path)
        return -ENAMETOOLONG;
    lg_fmt_async(file_path + len, sizeof file_path - len, ".%d", (int)getpid());
    fd = create_rw(file_path);
    if (fd >= 0)
        lg_log(LG_LOG_WARN, "the journal path belongs to process %d, which is running; writing %s instead", other,
               file_path);
    return fd < 0 ? -errno : fd;
}

bool lg_journal_open(const char *path, uint64_t size)
{
    if (size < (1u << 20)) {
        lg_log(LG_LOG_WARN, "journal_size=%lu is below the minimum of 1M; using 1M", (unsigned long)size);
        size = 1u << 20;
    }
    size = (size + 4095) & ~(uint64_t)4095;
    int fd = create_journal(path);
    if (fd < 0) {
        lg_log(LG_LOG_WARN, "cannot create the journal %s (errno %d); running without a journal", file_path, -fd);
        return false;
    }
    long m = -1;
    sigset_t old;
    lg_xfsz_hold(&old);
    int t = ftruncate(fd, (off_t)size);
    int e = errno;
    lg_xfsz_release(&old, t != 0 && e == EFBIG);
    if (t == 0) {
        m = syscall(SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        e = errno;
    }
    close(fd);
    if (m < 0 && m > -4096) {
        lg_log(LG_LOG_WARN, "cannot map the journal %s (%serrno %d); running without a journal", file_path,
               e == EFBIG && t != 0 ? "larger than the file size limit, RLIMIT_FSIZE; " : "",
               m == -1 ? e : (int)-m);
        unlink(file_path);
        return false;
    }
    owns_file = true;
    if (!start((void *)m, size)) {
        syscall(SYS_munmap, m, size);
        unlink(file_path);
        return false;
    }
    lg_log(LG_LOG_INFO, "journal of the live blocks in %s", file_path);
    return true;
}

/* ---- the block table ---- */

/* A fork child with a %p path gets its own journal at its first allocation (a child that
 * only calls exec pays nothing): set by the fork handler, cleared by child_start. */
static bool child_pending;
static void child_start(const struct lg_block *b);

/* Claims a slot for b; false when its window is full. */
static bool add_slot(const struct lg_block *b)
{
    uint64_t i = lg_jrnl_hash(b->addr) & slot_mask;
    for (unsigned n = 0; n < LG_JRNL_WINDOW; n++, i = (i + 1) & slot_mask) {
        struct lg_snap_block *s = &slots[i];
        uint64_t a = __atomic_load_n(&s->addr, __ATOMIC_RELAXED);
        if (a != LG_JRNL_EMPTY && a != LG_JRNL_TOMB)
            continue;
        if (!__atomic_compare_exchange_n(&s->addr, &a, LG_JRNL_BUSY, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        s->size = b->size;
        s->seq = b->seq & LG_SEQ_MASK;
        s->site = b->site;
        s->tid = b->tid;
        __atomic_store_n(&s->addr, b->addr, __ATOMIC_RELEASE);
        return true;
    }
    __atomic_add_fetch(&hdr->dropped_blocks, 1, __ATOMIC_RELAXED);
    return false;
}

void lg_journal_add(const struct lg_block *b)
{
    if (__builtin_expect(child_pending, 0)) {
        child_start(b);
        return;
    }
    if (add_slot(b) && __builtin_expect(b->site > __atomic_load_n(&sites_done, __ATOMIC_RELAXED), 0))
        lg_journal_sync_modules(); /* also writes the new sites */
}

void lg_journal_remove(uint64_t addr)
{
    if (__builtin_expect(child_pending, 0))
        return; /* no journal yet: the block table is copied when it is made */
    uint64_t i = lg_jrnl_hash(addr) & slot_mask;
    for (unsigned n = 0; n < LG_JRNL_WINDOW; n++, i = (i + 1) & slot_mask) {
        uint64_t a = __atomic_load_n(&slots[i].addr, __ATOMIC_RELAXED);
        if (a == addr) {
            __atomic_store_n(&slots[i].addr, LG_JRNL_TOMB, __ATOMIC_RELEASE);
            return;
        }
        if (a == LG_JRNL_EMPTY)
            return; /* never journaled (dropped, or allocated before the journal) */
    }
}

void lg_journal_counts(uint64_t *live, uint64_t *dropped)
{
    uint64_t n = 0;
    for (uint64_t i = 0; hdr && i <= slot_mask; i++)
        if (slots[i].addr > LG_JRNL_BUSY)
            n++;
    *live = n;
    *dropped = hdr ? hdr->dropped_blocks : 0;
}

/* ---- appended records (under append_lock) ---- */

/* Reserves bytes in an area; NULL when it is full. */
static unsigned char *reserve(uint64_t off, uint64_t cap, uint64_t *used, size_t bytes)
{
    if (*used + bytes + sizeof(struct lg_jrnl_rec) > cap) /* keep room for a zero end word */
        return NULL;
    unsigned char *p = base + off + *used;
    *used += bytes;
    return p;
}

static void commit(unsigned char *p, size_t bytes)
{
    struct lg_jrnl_rec *r = (struct lg_jrnl_rec *)p;
    r->bytes = (uint32_t)bytes;
    __atomic_store_n(&r->commit, LG_JRNL_COMMIT, __ATOMIC_RELEASE);
}

static void put_module(const struct lg_module *m)
{
    size_t plen = strlen(m->path);
    size_t bytes = pad8(sizeof(struct lg_jrnl_rec) + sizeof(struct lg_snap_module) + plen + m->build_id_len);
    unsigned char *p = reserve(hdr->modules_off, hdr->modules_bytes, &modules_used, bytes);
    if (!p) {
        hdr->dropped_modules++;
        return;
    }
    struct lg_snap_module r = {.base = m->base, .lo = m->lo, .hi = m->hi, .id = m->id,
                               .flags = m->flags & ~(uint32_t)LG_MOD_UNLOADED,
                               .path_len = (uint32_t)plen, .build_id_len = m->build_id_len};
    unsigned char *q = p + sizeof(struct lg_jrnl_rec);
    memcpy(q, &r, sizeof r);
    memcpy(q + sizeof r, m->path, plen);
    memcpy(q + sizeof r + plen, m->build_id, m->build_id_len);
    commit(p, bytes);
}

static void put_site(const struct lg_site *s)
{
    size_t bytes = sizeof(struct lg_jrnl_rec) + sizeof(struct lg_snap_site) + s->depth * sizeof(uint64_t);
    unsigned char *p = reserve(hdr->sites_off, hdr->sites_bytes, &sites_used, bytes);
    if (!p) {
        hdr->dropped_sites++;
        return;
    }
    struct lg_snap_site r = {.id = s->id, .depth = s->depth};
    unsigned char *q = p + sizeof(struct lg_jrnl_rec);
    memcpy(q, &r, sizeof r);
    for (uint32_t i = 0; i < s->depth; i++) {
        uint64_t pc = s->pc[i];
        memcpy(q + sizeof r + i * 8, &pc, 8);
    }
    commit(p, bytes);
}

void lg_journal_sync_modules(void)
{
    if (!hdr)
        return;
    lg_lock(&append_lock);
    /* Modules first: a site's frames symbolize only with the modules loaded before it. */
    lg_modules_lock();
    uint32_t mmax = modules_done;
    for (const struct lg_module *m = lg_modules_list(); m && m->id > modules_done; m = m->next) {
        put_module(m);
        if (m->id > mmax)
            mmax = m->id;
    }
    modules_done = mmax;
    lg_modules_unlock();
    uint32_t smax = sites_done;
    for (const struct lg_site *s = lg_sites_first(); s && s->id > sites_done; s = s->all_next) {
        put_site(s);
        if (s->id > smax)
            smax = s->id;
    }
    __atomic_store_n(&sites_done, smax, __ATOMIC_RELEASE);
    lg_unlock(&append_lock);
}

/* ---- lifetime ---- */

void lg_journal_atfork_child(void)
{
    lg_lock_reset(&append_lock);
    if (!base && !child_pending)
        return;
    /* The mapping is the parent's: the child must not write it. */
    bool had_file = owns_file || child_pending;
    lg_journal_active = false;
    if (owns_file)
        syscall(SYS_munmap, base, map_bytes);
    base = NULL;
    hdr = NULL;
    owns_file = false;
    child_pending = false;
    if (had_file && strstr(lg_opt.journal, "%p")) {
        child_pending = true;
        lg_journal_active = true;
    }
}

/* Whether addr already has a slot (only for the race in child_start). */
static bool present(uint64_t addr)
{
    uint64_t i = lg_jrnl_hash(addr) & slot_mask;
    for (unsigned n = 0; n < LG_JRNL_WINDOW; n++, i = (i + 1) & slot_mask) {
        uint64_t a = __atomic_load_n(&slots[i].addr, __ATOMIC_ACQUIRE);
        if (a == addr)
            return true;
        if (a == LG_JRNL_EMPTY)
            return false;
    }
    return false;
}

/* The child's first allocation: create its journal and copy the block table into it (the
 * inherited blocks, and b, which is already in the table). */
static void child_start(const struct lg_block *b)
{
    static lg_lock_t start_lock = LG_LOCK_INIT;
    lg_lock(&start_lock);
    if (!child_pending) { /* another thread made it meanwhile, maybe copying b too */
        lg_unlock(&start_lock);
        if (hdr && !present(b->addr))
            lg_journal_add(b);
        return;
    }
    lg_journal_active = false;
    if (!lg_journal_open(lg_opt.journal, (uint64_t)lg_opt.journal_size)) {
        child_pending = false;
        lg_unlock(&start_lock);
        return;
    }
    /* start() published lg_journal_active; adds by other threads wait on start_lock or
     * land in the new table (the copy below skips nothing: duplicates are checked). */
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, false);
    size_t cap = st.live_blocks + 4096;
    struct lg_block *buf = lg_map(cap * sizeof *buf);
    if (buf) {
        /* With every shard locked no block comes or goes: the copy and the journal agree
         * when the other threads' frees and allocations reach the journal again. No
         * other lock is taken in here (before_fork takes the module lock first). */
        lg_blocks_lock_all();
        lg_freebatch_drain_locked(false); /* freed already, and out of the journal */
        size_t n = lg_blocks_copy_locked(buf, cap);
        for (size_t k = 0; k < n && k < cap; k++)
            add_slot(&buf[k]);
        __atomic_store_n(&child_pending, false, __ATOMIC_RELEASE);
        lg_blocks_unlock_all();
        lg_unmap(buf, cap * sizeof *buf);
    } else {
        __atomic_store_n(&child_pending, false, __ATOMIC_RELEASE);
        add_slot(b);
    }
    lg_unlock(&start_lock);
    lg_journal_sync_modules(); /* sites made since the journal was opened */
}

void lg_journal_close(void)
{
    if (!hdr || (int)getpid() != owner_pid)
        return;
    __atomic_store_n(&hdr->state, LG_JRNL_EXITED, __ATOMIC_RELEASE);
    if (owns_file)
        unlink(file_path);
}

/* Normal exit (also in processes whose tracer never started: nothing to do then). */
__attribute__((destructor)) static void journal_fini(void) { lg_journal_close(); }
