/* Exit-time snapshot and hand-off to `leakgraph analyze`. Runs in our destructor,
 * after the program's atexit handlers and static destructors. */
#include "exitreport.h"

#include "collect.h"

#include "arena.h"
#include "guard.h"
#include "init.h"
#include "leakgraph/format.h"
#include "log.h"
#include "options.h"
#include "privfile.h"
#include "blocks.h"
#include "sites.h"
#include "snapshot.h"
#include "spawn.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 24

/* Files this process created (dev, inode): it may replace its own. Reset in a fork
 * child. Written by whichever thread writes a file; a lost entry only means a copy. */
static struct { dev_t dev; ino_t ino; } made[32];
static unsigned nmade;
/* When this process (or the first of its fork ancestors) started tracing: a file
 * modified since then comes from a relative (fork children inherit snapshot=, and a
 * path without %p is then the same for all of them) and is never replaced. The coarse
 * clock is the one file times come from: with the fine one, a relative's file written
 * within a tick of the start looked older than the run and was overwritten. */
static struct timespec started;

/* Snapshot file names within one process; protected by the single exit path. */
static unsigned file_counter;

void lg_exitreport_atfork_child(void)
{
    file_counter = 0;
    nmade = 0; /* the parent's files are a relative's now */
}

/* Copies path into out, replacing %p with the pid and %% with %. */
static void expand(const char *path, char *out, unsigned cap)
{
    unsigned n = 0;
    for (const char *p = path; *p && n + 24 < cap; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += (unsigned)lg_fmt_async(out + n, cap - n, "%d", (int)getpid());
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

void lg_exitreport_init(void) { clock_gettime(CLOCK_REALTIME_COARSE, &started); }

static bool ours(const struct stat *st)
{
    for (unsigned i = 0; i < nmade && i < 32; i++)
        if (made[i].dev == st->st_dev && made[i].ino == st->st_ino)
            return true;
    return st->st_mtim.tv_sec < started.tv_sec ||
           (st->st_mtim.tv_sec == started.tv_sec && st->st_mtim.tv_nsec < started.tv_nsec);
}

static int create(const char *path)
{
    int fd = lg_privfile_create(path, O_WRONLY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        unsigned i = __atomic_fetch_add(&nmade, 1, __ATOMIC_RELAXED) % 32;
        made[i].dev = st.st_dev;
        made[i].ino = st.st_ino;
    }
    return fd;
}

/* An earlier file is rewritten in place, under an exclusive lock held until it is
 * closed, rather than unlinked and created again: a fork relative exiting at the same
 * time saw the same old file and unlinked the new one (one file for two processes, 2
 * runs in 10 of snapshot_shared_path). Whoever comes second finds the lock taken, or the
 * file new, and writes PATH.PID. O_NONBLOCK: a FIFO planted there must not block.
 * -1: a relative's; -2: not rewritable in place (read-only, or linked elsewhere too,
 * whose content must stay): the caller unlinks it. */
static int rewrite(const char *path)
{
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return errno == EACCES ? -2 : -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid() || !ours(&st)) {
        close(fd);
        return -1;
    }
    if (st.st_nlink != 1 || ftruncate(fd, 0) != 0 || fchmod(fd, 0600) != 0) {
        close(fd);
        return -2;
    }
    unsigned i = __atomic_fetch_add(&nmade, 1, __ATOMIC_RELAXED) % 32;
    made[i].dev = st.st_dev;
    made[i].ino = st.st_ino;
    return fd;
}

/* An existing file is replaced when it is the caller's own regular file from before
 * this run, or one this process wrote; one a relative wrote during this run stays, and
 * the new one goes next to it as PATH.PID. Symlinks are never followed. */
int lg_exitreport_open(const char *path, char *out, unsigned cap)
{
    expand(path, out, cap);
    int fd = create(out);
    if (fd >= 0 || errno != EEXIST)
        return fd < 0 ? -errno : fd;
    struct stat st;
    if (lstat(out, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return -EEXIST;
    if (ours(&st)) {
        if ((fd = rewrite(out)) >= 0)
            return fd;
        if (fd == -2) { /* read-only, or other links to it: replaced, as before */
            if (unlink(out) != 0)
                return -errno;
            fd = create(out);
            return fd < 0 ? -errno : fd;
        }
    }
    size_t len = strlen(out);
    if (len + 16 >= cap)
        return -ENAMETOOLONG;
    lg_fmt_async(out + len, cap - (unsigned)len, ".%d", (int)getpid());
    fd = create(out);
    if (fd >= 0) /* the log's formatter knows no precision: the suffix names the file */
        lg_log(LG_LOG_WARN, "the snapshot path was written by another process of this run (a path "
               "without %%p is shared by fork children); writing %s instead", out);
    return fd < 0 ? -errno : fd;
}

static int open_temp(char *out, unsigned cap)
{
    const char *dir = lg_opt.output_dir[0] ? lg_opt.output_dir : getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    for (int tries = 0; tries < 100; tries++) {
        /* not leakgraph.PID.N.lgs: those are the trigger snapshots, which may number hundreds */
        lg_fmt_async(out, cap, "%s/leakgraph.%d.exit.%u.lgs", dir, (int)getpid(), ++file_counter);
        int fd = lg_privfile_create(out, O_WRONLY);
        if (fd >= 0 || errno != EEXIST)
            return fd < 0 ? -errno : fd;
    }
    return -EEXIST;
}

static bool executable(const char *p) { return p[0] && access(p, X_OK) == 0; }

/* The analyser: tool_path, else next to this library, else ../bin, else PATH. */
static bool find_tool(char *out, unsigned cap)
{
    Dl_info di;
    if (lg_opt.tool_path[0]) {
        lg_fmt_async(out, cap, "%s", lg_opt.tool_path);
        return executable(out);
    }
    if (dladdr((void *)lg_exitreport_run, &di) && di.dli_fname) {
        lg_fmt_async(out, cap, "%s", di.dli_fname);
        char *slash = strrchr(out, '/');
        if (slash) {
            lg_fmt_async(slash, cap - (unsigned)(slash - out), "/leakgraph");
            if (executable(out))
                return true;
            lg_fmt_async(slash, cap - (unsigned)(slash - out), "/../bin/leakgraph");
            if (executable(out))
                return true;
        }
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n && n + 12 < cap) {
            memcpy(out, path, n);
            memcpy(out + n, "/leakgraph", 11);
            if (executable(out))
                return true;
        }
        path += n + (path[n] == ':');
    }
    return false;
}

/* The analyser must not be traced itself: drop LD_PRELOAD and our options. */
static char **clean_env(size_t *mapped)
{
    extern char **environ;
    size_t n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    *mapped = (n + 1) * sizeof(char *);
    char **env = lg_map(*mapped);
    if (!env)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "LEAKGRAPH_OPTIONS=", 18))
            env[k++] = *e;
    env[k] = NULL;
    return env;
}

struct argbuf {
    char *argv[MAX_ARGS];
    char store[4][4200];
    int n;
};

static void add_arg(struct argbuf *a, const char *s)
{
    if (a->n < MAX_ARGS - 1)
        a->argv[a->n++] = (char *)s;
    a->argv[a->n] = NULL;
}

static void add_opt(struct argbuf *a, int slot, const char *name, const char *val)
{
    lg_fmt_async(a->store[slot], sizeof a->store[slot], "--%s=%s", name, val);
    add_arg(a, a->store[slot]);
}

static void build_args(struct argbuf *a, char *tool, char *snap)
{
    char num[32];
    a->n = 0;
    add_arg(a, tool);
    add_arg(a, "analyze");
    add_arg(a, snap);
    if (lg_opt.json[0])
        add_opt(a, 0, "json", lg_opt.json);
    if (lg_opt.log_path[0])
        add_opt(a, 1, "log-file", lg_opt.log_path);
    add_opt(a, 2, "show-leak-kinds", lg_opt.show_leak_kinds);
    add_opt(a, 3, "errors-for-leak-kinds", lg_opt.errors_for_leak_kinds);
    if (lg_opt.explain > 0) {
        static char ex[48];
        lg_fmt_async(num, sizeof num, "%ld", lg_opt.explain);
        lg_fmt_async(ex, sizeof ex, "--explain=%s", num);
        add_arg(a, ex);
    }
    if (lg_opt.error_exitcode) {
        static char ec[48];
        lg_fmt_async(num, sizeof num, "%ld", lg_opt.error_exitcode);
        lg_fmt_async(ec, sizeof ec, "--error-exitcode=%s", num);
        add_arg(a, ec);
    }
}

/* The analyser found by lg_exitreport_prepare_crash, "" when none. */
static char crash_tool[4096];

void lg_exitreport_prepare_crash(void)
{
    if (!find_tool(crash_tool, sizeof crash_tool))
        crash_tool[0] = '\0';
}

/* Runs the analyser and returns its exit status (-1 when it could not run). */
static int analyse(char *snap)
{
    static char tool[4096];
    if (crash_tool[0])
        memcpy(tool, crash_tool, sizeof tool);
    else if (!find_tool(tool, sizeof tool)) {
        lg_log(LG_LOG_ERROR, "cannot find the leakgraph command to analyse the snapshot (set tool_path); "
               "the snapshot is kept at %s", snap);
        return -2;
    }
    static struct argbuf a;
    build_args(&a, tool, snap);
    size_t envlen;
    char **env = clean_env(&envlen);
    int st = 0;
    int rc = env ? lg_spawn_wait(tool, a.argv, env, &st) : ENOMEM;
    lg_unmap(env, envlen);
    if (rc) {
        lg_log(LG_LOG_ERROR, "cannot run %s (error %d); the snapshot is kept at %s", tool, rc, snap);
        return -2;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The program's buffered stdout belongs before the report. */
static void flush_stdout(void)
{
    if (ftrylockfile(stdout) == 0) {
        fflush_unlocked(stdout);
        funlockfile(stdout);
    }
}

static void log_timing(void)
{
    struct lg_snapshot_timing t;
    lg_snapshot_last_timing(&t);
    uint64_t mbps = t.words_ns ? t.scanned_bytes * 1000 / t.words_ns : 0;
    lg_log(LG_LOG_INFO, "exit snapshot: %lu blocks, %lu references; stop %lu us, scan %lu us (index %lu us, "
           "%lu KiB of words in %lu us: %lu MB/s, writes included)",
           (unsigned long)t.blocks, (unsigned long)t.edges, (unsigned long)(t.stop_ns / 1000),
           (unsigned long)(t.scan_ns / 1000), (unsigned long)(t.index_ns / 1000),
           (unsigned long)(t.scanned_bytes >> 10), (unsigned long)(t.words_ns / 1000), (unsigned long)mbps);
    struct lg_blocks_stats st;
    lg_blocks_stats(&st, false);
    lg_log(LG_LOG_INFO, "stacks: %lu of %lu allocations unwound by libunwind, the rest by frame-pointer walks; %u sites",
           (unsigned long)lg_sites_unwinds(), (unsigned long)st.total_allocs, lg_sites_count());
}

/* The snapshot file: snapshot= when set (else a temporary file); fd or -1, said why. */
static int open_snapshot(char *snap, unsigned cap, bool *keep)
{
    *keep = lg_opt.snapshot[0];
    int fd = *keep ? lg_exitreport_open(lg_opt.snapshot, snap, cap) : open_temp(snap, cap);
    if (fd < 0 && *keep) {
        lg_log(LG_LOG_WARN, "cannot create snapshot file %s (error %d); using a temporary file", snap, -fd);
        *keep = false;
        fd = open_temp(snap, cap);
    }
    if (fd < 0)
        lg_log(LG_LOG_ERROR, "cannot create a snapshot file in %s (error %d); no leak report",
               lg_opt.output_dir[0] ? lg_opt.output_dir : "$TMPDIR or /tmp", -fd);
    return fd;
}

/* Takes the snapshot into snap and analyses it; the analyser's status, or -1 when there
 * was no analysis. */
static int snapshot_and_report(struct lg_snapshot_req *req, bool crash)
{
    static char snap[4200];
    bool keep;
    int fd = open_snapshot(snap, sizeof snap, &keep);
    if (fd < 0)
        return -1;
    req->fd = fd;
    int rc = lg_snapshot_take(req);
    close(fd);
    if (rc) {
        lg_log(LG_LOG_ERROR, "writing the %s snapshot %s failed (%s, error %d); no leak report",
               crash ? "crash" : "exit", snap,
               rc == -ENOMEM  ? "out of memory for the tracer"
               : rc == -EFBIG ? "larger than the file size limit, RLIMIT_FSIZE"
               : rc == -ENOSPC ? "no space left on the device"
                               : "system error",
               -rc);
        unlink(snap);
        return -1;
    }
    uint64_t lost = lg_blocks_pending_lost();
    if (lost)
        lg_log(LG_LOG_WARN, "%lu blocks that signal handlers allocated while their thread was inside the tracer "
               "were not recorded (too many waited for a lock at once); blocks reachable only through them "
               "are reported lost", (unsigned long)lost);
    if (!crash)
        log_timing();
    else if (!lg_opt.report)
        lg_log(LG_LOG_WARN, "crash snapshot (signal %d) written to %s", (int)req->signo, snap);
    if (!lg_opt.report)
        return -1;
    if (!crash)
        flush_stdout(); /* a crash loses the program's buffered output, as without us */
    int status = analyse(snap);
    if (status == -2)
        keep = true;
    if (!keep)
        unlink(snap);
    return status;
}

void lg_exitreport_run(uintptr_t caller_sp)
{
    if (lg_busy) {
        /* exit() in a signal handler that interrupted the tracer on this thread: the
         * interrupted code may hold a lock that the snapshot takes (it spun for ever),
         * and its table may be mid-update. */
        if (lg_state == LG_READY && (lg_opt.report || lg_opt.snapshot[0]))
            lg_log(LG_LOG_WARN, "exit() was called in a signal handler that interrupted the "
                   "tracer's own work: no leak report");
        return;
    }
    lg_collect_at_exit();
    /* snapshot= alone (report=0) still keeps the snapshot, unanalysed. */
    if (lg_state != LG_READY || (!lg_opt.report && !lg_opt.snapshot[0]))
        return;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    struct lg_snapshot_req req = {.reason = LG_REASON_EXIT, .caller_sp = lg_sites_program_sp(caller_sp)};
    int status = snapshot_and_report(&req, false);
    LG_OWN_END(own);
    if (lg_opt.error_exitcode && status == lg_opt.error_exitcode)
        _exit((int)lg_opt.error_exitcode);
}

void lg_exitreport_crash(struct lg_snap_crash *c)
{
    if (lg_state != LG_READY || (!lg_opt.report && !lg_opt.snapshot[0]))
        return;
    /* The interrupted code may use the 128-byte red zone below its SP. */
    struct lg_snapshot_req req = {.reason = LG_REASON_CRASH, .signo = c->signo, .fault_addr = c->fault_addr,
                                  .caller_sp = (uintptr_t)c->sp - 128, .crash = c};
    snapshot_and_report(&req, true);
}
