/* Signal-based stop and resume; the handler is AS-safe (raw syscalls only). */
#include "stw.h"

#include "arena.h"
#include "dirtyset.h"
#include "inflight.h"
#include "lock.h"
#include "log.h"
#include "options.h"
#include "sites.h"
#include "sidestack.h"
#include "threads.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_STOPPED 16384

/* The stop in progress. Written by the stopping thread (one at a time: callers hold
 * the snapshot lock); handlers read recs and write only their own record. */
static struct lg_stop_rec *recs;
static volatile uint32_t nrecs;
static volatile uint32_t acks;
static volatile uint32_t epoch;   /* bumped when a stop starts */
static volatile uint32_t resumed; /* == epoch once threads may run again */
/* The program's handler, for signals that are not ours: two copies and an index, so a
 * handler chaining to it in another thread never reads one being rewritten. */
static struct sigaction saved_actions[2];
static volatile int saved_cur;
static int stop_signo, installed_signo;
/* This thread stops the others (inside lg_stw_run_locked): its own dl_iterate_phdr
 * calls, if any, pass. Thread-local: a crash snapshot in a thread that was not stopped
 * must not make the real stopper look like any thread. */
static __thread bool i_stop __attribute__((tls_model("initial-exec")));
/* The pid of a process whose stopper is about to take the loader lock (0: none): set
 * before it calls dl_iterate_phdr, cleared after (lg_stw_run_locked). A pid, so that a
 * fork child that inherits it ignores it. */
static volatile uint32_t coming;
/* How long a thread at the loader lock waits for an announced stop to begin. */
#define COMING_WAIT_MS 20
static bool overflow; /* more than MAX_STOPPED threads: the rest ran on */
static int last_error; /* why the last stop stopped nothing: ENOMEM or EINVAL */
static uint64_t stop_started_ms; /* CLOCK_MONOTONIC at the start of the stop */
/* How long a thread that masks the stop signal (and is not in sigwait) is watched for
 * unmasking it before it counts as one that blocks it. */
#define MASKED_GRACE_MS 50
/* How long a thread signalled inside glibc's realloc (it stops when glibc returns) is
 * waited for when it waits in futex(2): for an arena lock a stopped thread may hold. */
#define REALLOC_GRACE_MS 50

static long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A record's claim word: the stop's epoch and who took the record (0 open, 1 the thread,
 * 2 the stopper, giving up on it). With the epoch in it, a thread delayed between finding
 * its record and claiming it cannot take a record of a later stop put in the same slot. */
#define CLAIM(e, how) ((uint32_t)(e) << 2 | (how))
static bool claim(struct lg_stop_rec *r, uint32_t e, uint32_t how)
{
    uint32_t open = CLAIM(e, 0);
    return __atomic_compare_exchange_n(&r->claim, &open, CLAIM(e, how), false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Saves the registers, this thread's realloc and hooked write in flight, acknowledges the stop and
 * waits until the world resumes. */
static void stop_here(struct lg_stop_rec *r, const ucontext_t *uc, uint32_t my_epoch)
{
    for (int i = 0; i < LG_STW_NREGS; i++)
        r->regs[i] = (uintptr_t)uc->uc_mcontext.gregs[i];
    r->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    lg_sidestack_stopped(&r->sp, r->regs);
    r->inflight = lg_inflight;
    r->pending_lo = lg_dirtyset_pending.lo;
    r->pending_hi = lg_dirtyset_pending.hi;
    __atomic_store_n(&r->acked, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
    futex(&acks, FUTEX_WAKE_PRIVATE, 1, NULL);
    /* Until this stop or a later one is over: a later stop's handler may run inside this
     * wait (at the realloc safepoint, in normal context) and return after its own end. */
    uint32_t v;
    while ((int32_t)((v = __atomic_load_n(&resumed, __ATOMIC_ACQUIRE)) - my_epoch) < 0)
        futex(&resumed, FUTEX_WAIT_PRIVATE, v, NULL);
}

static void on_stop_signal(int sig, siginfo_t *info, void *ctx)
{
    int saved = errno;
    uint32_t my_epoch = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
    uint32_t tid = lg_threads_tid(), n = __atomic_load_n(&nrecs, __ATOMIC_ACQUIRE);
    struct lg_stop_rec *r = NULL;
    for (uint32_t i = 0; i < n && !r; i++)
        if (recs[i].tid == tid)
            r = &recs[i];
    bool stopping = r && r->epoch == my_epoch && __atomic_load_n(&resumed, __ATOMIC_ACQUIRE) != my_epoch &&
                    !r->acked;
    if (stopping && !claim(r, my_epoch, 1)) {
        errno = saved; /* our signal, late: the thread stopped elsewhere, or the stop gave up on it */
        return;
    }
    if (!stopping) {
        /* Not a stop waiting for this thread: the program's own use of the signal
         * (or, rarely, our signal arriving late to a thread that had blocked it). */
        const struct sigaction *prog = &saved_actions[__atomic_load_n(&saved_cur, __ATOMIC_ACQUIRE)];
        errno = saved;
        if (prog->sa_handler == SIG_DFL || prog->sa_handler == SIG_IGN)
            return; /* (whatever SA_SIGINFO says: sa_sigaction would be address 0 or 1) */
        if (prog->sa_flags & SA_SIGINFO)
            prog->sa_sigaction(sig, info, ctx);
        else
            prog->sa_handler(sig);
        return;
    }
    /* Inside glibc's realloc the block may be half moved: no record says where it is.
     * The realloc runs only glibc's code and the tracer's: code of the program there is
     * a signal handler of its own on top, which may never return while the stop lasts
     * (the block is missing from the stop then). One in glibc's or the tracer's code
     * answers at the tracer's next lock wait, if not at the realloc's end. */
    int where = lg_sites_pc_where((uintptr_t)((const ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP]);
    if (lg_inflight_in_glibc(&lg_inflight) && where != LG_PC_OTHER) {
        lg_stop_deferred = my_epoch;
        __atomic_store_n(&r->deferred, 1, __ATOMIC_RELEASE);
        errno = saved;
        return;
    }
    stop_here(r, (const ucontext_t *)ctx, my_epoch);
    errno = saved;
}

/* A stop outside the handler (a safepoint, the loader lock's wrapper), the record r
 * claimed: every signal blocked while stopped, as in the handler, so that no handler of
 * the program runs on a thread counted as stopped. */
static void stop_in_place(struct lg_stop_rec *r, uint32_t e)
{
    sigset_t all, old;
    sigfillset(&all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
    ucontext_t uc;
    getcontext(&uc);
    stop_here(r, &uc, e);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

/* Where a thread signalled inside glibc's realloc stops instead (stop epoch e), once
 * glibc returned and its in-flight state says where the block is now, or once it waits
 * for a tracer lock (lock.h). */
static void safepoint(uint32_t e)
{
    if (__atomic_load_n(&epoch, __ATOMIC_ACQUIRE) != e ||
        (int32_t)(__atomic_load_n(&resumed, __ATOMIC_ACQUIRE) - e) >= 0)
        return;
    uint32_t tid = lg_threads_tid(), n = __atomic_load_n(&nrecs, __ATOMIC_ACQUIRE), one = 1;
    struct lg_stop_rec *r = NULL;
    for (uint32_t i = 0; i < n && !r; i++)
        if (recs[i].tid == tid)
            r = &recs[i];
    if (!r || r->epoch != e ||
        !__atomic_compare_exchange_n(&r->deferred, &one, 2, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return; /* the stop gave up on this thread */
    stop_in_place(r, e);
}

static struct lg_stop_rec *find_rec(uint32_t tid)
{
    uint32_t n = __atomic_load_n(&nrecs, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (recs[i].tid == tid)
            return &recs[i];
    return NULL;
}

static bool masks_stop_signal(void)
{
    sigset_t cur;
    return stop_signo > 0 && syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, _NSIG / 8) == 0 &&
           sigismember(&cur, stop_signo) == 1;
}

/* Does anything only around a stop: one announced (the stopper is about to take the
 * loader lock), one in progress (it holds the lock, so a thread that waits here a moment
 * for its record waits no longer than it would have for the lock). The wait for an
 * announced stop is bounded: this call may come from a callback of the program's own
 * dl_iterate_phdr, which holds the lock the stopper waits for. After a stop the thread
 * looks again: lg_stw_stop may try once more, the lock held all along. The stop signal
 * it may have pending is delivered once libunwind unmasks it: during the stop, the
 * handler finds the claim taken and returns; after it, it counts as a late one (see
 * on_stop_signal). */
void lg_stw_at_loader_lock(void)
{
    if (i_stop)
        return;
    uint32_t tid = lg_threads_tid();
    uint64_t since = 0;
    for (;;) {
        uint32_t e = __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
        uint32_t res = __atomic_load_n(&resumed, __ATOMIC_ACQUIRE);
        struct lg_stop_rec *r;
        if (res == e) { /* no stop in progress: the common case, three loads */
            uint32_t c = __atomic_load_n(&coming, __ATOMIC_ACQUIRE);
            if (!c || c != (uint32_t)getpid() || !masks_stop_signal())
                return;
            uint64_t t = now_ms();
            if (!since)
                since = t;
            else if (t - since >= COMING_WAIT_MS)
                return;
            struct timespec ts = {0, 1000000};
            futex(&epoch, FUTEX_WAIT_PRIVATE, e, &ts);
            continue;
        }
        if (!(r = find_rec(tid)) || r->epoch != e) { /* not listed yet: the stopper lists as this runs */
            struct timespec ts = {0, 1000000};
            futex(&resumed, FUTEX_WAIT_PRIVATE, res, &ts);
            continue;
        }
        uint32_t state = __atomic_load_n(&r->state, __ATOMIC_RELAXED), one = 1;
        if (__atomic_load_n(&r->acked, __ATOMIC_ACQUIRE) || (state != LG_STOP_SIGNALLED && state != LG_STOP_MASKED) ||
            !masks_stop_signal()) /* (unmasked: the handler takes the signal, or will when it is sent) */
            return;
        if (!claim(r, e, 1) && !(__atomic_load_n(&r->claim, __ATOMIC_ACQUIRE) == CLAIM(e, 1) &&
                                 __atomic_compare_exchange_n(&r->deferred, &one, 2, false, __ATOMIC_ACQ_REL,
                                                             __ATOMIC_RELAXED)))
            return; /* given up on; or stopped already, inside a handler that returned deferred */
        stop_in_place(r, e);
        since = 0;
    }
}

int lg_stw_signal(void) { return lg_opt.stop_signal > 0 ? (int)lg_opt.stop_signal : SIGRTMIN + 3; }

void lg_stw_run_locked(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
    stop_signo = lg_stw_signal();
    bool was = i_stop;
    i_stop = true;
    __atomic_store_n(&coming, (uint32_t)getpid(), __ATOMIC_RELEASE);
    dl_iterate_phdr(cb, arg);
    __atomic_store_n(&coming, 0, __ATOMIC_RELEASE);
    i_stop = was;
    futex(&epoch, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
}

__thread volatile unsigned lg_stop_deferred __attribute__((tls_model("initial-exec")));

void lg_stw_deferred_stop(void)
{
    uint32_t e = lg_stop_deferred;
    lg_stop_deferred = 0;
    safepoint(e);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static bool known(uint32_t tid)
{
    for (uint32_t i = 0; i < nrecs; i++)
        if (recs[i].tid == tid)
            return true;
    return false;
}

/* What /proc/self/task/TID/status says of a thread: gone (exiting, zombie, or no longer
 * listed), blocking signo, or neither. A thread that blocks the signal would leave it
 * pending (a stall until the timeout) or, in sigwait, take it as its own: not sent. */
static ssize_t read_task_file(uint32_t tid, const char *name, char *buf, size_t cap)
{
    char path[64] = "/proc/self/task/";
    char *p = path + strlen(path);
    char digits[12];
    int nd = 0;
    do
        digits[nd++] = (char)('0' + tid % 10);
    while ((tid /= 10));
    while (nd)
        *p++ = digits[--nd];
    *p++ = '/';
    memcpy(p, name, strlen(name) + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static uint64_t parse_hex(const char *c)
{
    uint64_t v = 0;
    if (c[0] == '0' && c[1] == 'x')
        c += 2;
    for (; (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'); c++)
        v = v * 16 + (uint64_t)(*c <= '9' ? *c - '0' : *c - 'a' + 10);
    return v;
}

/* In sigwait/sigtimedwait the kernel unblocks the awaited signals for the duration, so
 * SigBlk does not show them: the set is the first argument of the system call, in our
 * own memory, and the thread is parked in the kernel while we read it. */
static bool sigwaits_for(const char *sc, int signo)
{
    if (strncmp(sc, "128 ", 4) != 0) /* rt_sigtimedwait */
        return false;
    const uint64_t *set = (const uint64_t *)(uintptr_t)parse_hex(sc + 4);
    return set && (*set >> (signo - 1) & 1);
}

/* "NR ARG0 .. ARG5 SP PC" for a thread parked in a system call ("running" otherwise): its
 * user SP, so that a thread we cannot stop is scanned from there, as Valgrind would. */
static uintptr_t syscall_sp(const char *sc)
{
    int field = 0;
    for (const char *c = sc; *c; c++)
        if (*c == ' ' && ++field == 7)
            return (uintptr_t)parse_hex(c + 1);
    return 0;
}

static uint32_t thread_state(uint32_t tid, int signo, uintptr_t *sp)
{
    char buf[2048], sc[256];
    if (read_task_file(tid, "status", buf, sizeof buf) <= 0)
        return LG_STOP_GONE;
    if (read_task_file(tid, "syscall", sc, sizeof sc) <= 0)
        sc[0] = 0;
    *sp = syscall_sp(sc);
    const char *st = strstr(buf, "\nState:\t");
    if (st && (st[8] == 'Z' || st[8] == 'X'))
        return LG_STOP_GONE;
    if (sigwaits_for(sc, signo))
        return LG_STOP_BLOCKS;
    const char *blk = strstr(buf, "\nSigBlk:\t");
    return blk && (parse_hex(blk + 9) >> (signo - 1) & 1) ? LG_STOP_MASKED : LG_STOP_SIGNALLED;
}

/* Lists /proc/self/task and signals every thread not seen yet. Returns how many. */
static uint32_t signal_new_threads(uint32_t self, pid_t pid)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    uint32_t added = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            off += d->d_reclen;
            uint32_t tid = 0;
            for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++)
                tid = tid * 10 + (uint32_t)(*c - '0');
            if (!tid || tid == self || known(tid))
                continue;
            if (nrecs >= MAX_STOPPED) {
                overflow = true;
                continue;
            }
            struct lg_stop_rec *r = &recs[nrecs];
            memset(r, 0, sizeof *r);
            r->tid = tid;
            r->epoch = epoch;
            r->claim = CLAIM(epoch, 0);
            r->since_ms = now_ms();
            r->state = thread_state(tid, stop_signo, &r->sp);
            __atomic_store_n(&nrecs, nrecs + 1, __ATOMIC_RELEASE);
            if (r->state == LG_STOP_MASKED) {
                added++; /* waited for: see recheck() */
                continue;
            }
            if (r->state == LG_STOP_SIGNALLED && syscall(SYS_tgkill, pid, tid, stop_signo) == 0) {
                added++;
                continue;
            }
            if (r->state == LG_STOP_SIGNALLED)
                r->state = LG_STOP_GONE; /* exited since the listing */
            __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
        }
    }
    close(fd);
    return added;
}

/* Whether the thread waits in futex(2): a realloc waiting for an arena lock, maybe one a
 * stopped thread holds. (One that copies is waited for up to the stop timeout.) */
static bool parked_in_futex(uint32_t tid)
{
    char sc[256];
    if (read_task_file(tid, "syscall", sc, sizeof sc) <= 0)
        return false;
    long nr = 0; /* decimal; "running" when not in one */
    const char *c = sc;
    for (; *c >= '0' && *c <= '9'; c++)
        nr = nr * 10 + (*c - '0');
    return c > sc && nr == SYS_futex;
}

/* Every 10 ms of waiting: threads that began exiting after they were signalled never
 * run the handler; threads that had the signal masked may have unmasked it since (glibc
 * starts every new thread with all signals blocked, for microseconds). Given up on as
 * threads that block the signal, after MASKED_GRACE_MS: those that masked it before it
 * was sent, and those that masked it since (it is pending) and wait in futex(2), for a
 * lock a stopped thread may hold or that the stop holds (libunwind masks every signal
 * around dl_iterate_phdr; see lg_stw_at_loader_lock), or for anything else while a
 * handler's sa_mask masks them. One that masked it since and runs is waited for, up to
 * the stop timeout: it will unmask it. */
static void recheck(pid_t pid)
{
    uint64_t t = now_ms();
    for (uint32_t i = 0; i < nrecs; i++) {
        struct lg_stop_rec *r = &recs[i];
        if ((r->state != LG_STOP_SIGNALLED && r->state != LG_STOP_MASKED) ||
            __atomic_load_n(&r->acked, __ATOMIC_ACQUIRE))
            continue;
        uintptr_t sp;
        uint32_t now = thread_state(r->tid, stop_signo, &sp);
        if (r->state == LG_STOP_MASKED && now == LG_STOP_SIGNALLED &&
            syscall(SYS_tgkill, pid, r->tid, stop_signo) == 0) {
            r->since_ms = t;
            r->state = LG_STOP_SIGNALLED;
            continue;
        }
        uint32_t one = 1;
        if (now == LG_STOP_SIGNALLED && r->state == LG_STOP_SIGNALLED &&
            __atomic_load_n(&r->deferred, __ATOMIC_ACQUIRE) == 1 && t - stop_started_ms >= REALLOC_GRACE_MS &&
            parked_in_futex(r->tid) &&
            __atomic_compare_exchange_n(&r->deferred, &one, 3, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            r->state = LG_STOP_REALLOC;
            r->sp = sp;
            __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
            continue;
        }
        /* (A claimed record is the thread's own: it stops, or stopped and deferred.) */
        bool masked_long = (now == LG_STOP_MASKED || now == LG_STOP_BLOCKS) && t - r->since_ms >= MASKED_GRACE_MS;
        one = 1;
        if ((now == LG_STOP_GONE &&
             (claim(r, r->epoch, 2) || /* or it deferred inside realloc, then exited */
              __atomic_compare_exchange_n(&r->deferred, &one, 3, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))) ||
            (now != LG_STOP_GONE && masked_long && (r->state == LG_STOP_MASKED || parked_in_futex(r->tid)) &&
             claim(r, r->epoch, 2))) {
            r->state = now == LG_STOP_GONE ? LG_STOP_GONE : LG_STOP_BLOCKS;
            r->sp = now == LG_STOP_GONE ? 0 : sp;
            __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
        }
    }
}

/* Rechecks every 10 ms of waiting, however the waits end: signals of the program that
 * interrupt them (EINTR) once kept a thread that had the signal masked waiting until it
 * stopped sending them (tens of ms, and a signal handler's allocations meanwhile). */
static void wait_acks(long timeout_ms, pid_t pid)
{
    uint64_t checked = now_ms(), deadline = checked + (uint64_t)timeout_ms;
    uint32_t a;
    while ((a = __atomic_load_n(&acks, __ATOMIC_ACQUIRE)) < nrecs) {
        uint64_t t = now_ms();
        if (t >= deadline)
            return;
        if (t - checked >= 10) {
            recheck(pid);
            checked = t;
            continue;
        }
        struct timespec ts = {0, (long)(10 - (t - checked)) * 1000000L};
        futex(&acks, FUTEX_WAIT_PRIVATE, a, &ts);
    }
}

/* The handler stays installed after the first stop: a thread that had the signal
 * blocked receives it late, and must not meet the default action (termination).
 * The program may have installed its own handler since: then that one becomes the
 * one we chain to, and ours goes back in. */
static bool install_handler(int signo)
{
    struct sigaction cur;
    if (installed_signo == signo && sigaction(signo, NULL, &cur) == 0 &&
        (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_stop_signal)
        return true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_stop_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    int next = saved_cur ^ 1;
    if (sigaction(signo, &sa, &saved_actions[next]) != 0)
        return false;
    __atomic_store_n(&saved_cur, next, __ATOMIC_RELEASE);
    installed_signo = signo;
    return true;
}

static uint32_t stop_once(int signo, long timeout_ms, struct lg_stop_rec **out)
{
    if (!recs && !(recs = lg_map(MAX_STOPPED * sizeof *recs)))
        return last_error = ENOMEM, *out = NULL, 0;
    stop_signo = signo;
    nrecs = 0;
    acks = 0;
    overflow = false;
    stop_started_ms = now_ms();
    if (!__atomic_add_fetch(&epoch, 1, __ATOMIC_RELEASE)) /* 0 means no stop (inflight.h) */
        __atomic_add_fetch(&epoch, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&coming, __ATOMIC_RELAXED)) /* threads at the loader lock wait for it */
        futex(&epoch, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
    if (!install_handler(signo)) {
        lg_stw_resume(); /* no stop after all: lg_stw_at_loader_lock must not wait for one */
        return last_error = EINVAL, *out = NULL, 0;
    }
    uint32_t self = lg_threads_tid();
    pid_t pid = getpid();
    /* Re-list until stable: a thread not yet stopped may have created another. */
    while (signal_new_threads(self, pid) > 0)
        wait_acks(timeout_ms, pid);
    /* Threads still inside realloc past the timeout: the stop goes on without them, and
     * their safepoint must not acknowledge it halfway through. */
    for (uint32_t i = 0; i < nrecs; i++) {
        uint32_t one = 1;
        __atomic_compare_exchange_n(&recs[i].deferred, &one, 3, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    *out = recs;
    return nrecs;
}

static bool gave_up_in_realloc(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (recs[i].state == LG_STOP_REALLOC)
            return true;
    return false;
}

/* A thread given up inside realloc (it waited for an arena lock a stopped thread held,
 * most likely) would be missing its block: the world resumes for a moment, so that the
 * lock's holder goes on, and the stop is tried again, three times in all. */
uint32_t lg_stw_stop(int signo, long timeout_ms, struct lg_stop_rec **out)
{
    for (int attempt = 1;; attempt++) {
        uint32_t n = stop_once(signo, timeout_ms, out);
        if (!*out || attempt == 3 || !gave_up_in_realloc(n))
            return n;
        lg_stw_resume();
    }
}

bool lg_stw_overflowed(void) { return overflow; }

void lg_stw_report_unstopped(const struct lg_stop_rec *recs, uint32_t n, const char *what)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct lg_stop_rec *r = &recs[i];
        if (r->acked) {
            if (lg_inflight_in_glibc(&r->inflight))
                lg_log(LG_LOG_WARN, "thread %u was stopped in a signal handler that interrupted realloc; the "
                       "block being reallocated is missing from this %s", r->tid, what);
            continue;
        }
        if (r->state == LG_STOP_GONE)
            continue;
        if (r->state == LG_STOP_REALLOC)
            lg_log(LG_LOG_WARN, "thread %u stayed inside realloc, waiting for a lock, through three tries to "
                   "stop it; it ran on, its stack was scanned as it was, and the block being reallocated "
                   "is missing from this %s", r->tid, what);
        else if (r->state == LG_STOP_BLOCKS)
            lg_log(LG_LOG_WARN, "thread %u blocks the stop signal %d (see stop_signal); its stack was "
                   "scanned as it was for this %s", r->tid, stop_signo, what);
        else
            lg_log(LG_LOG_WARN, "thread %u did not stop within %ld ms; its stack was scanned as it was for "
                   "this %s%s", r->tid, lg_opt.stop_timeout_ms, what,
                   r->deferred ? ", and the block it was reallocating is missing" : "");
    }
    if (lg_stw_overflowed())
        lg_log(LG_LOG_WARN, "more threads than a stop can hold: some ran on during this %s", what);
}

int lg_stw_error(void) { return last_error; }

void lg_stw_resume(void)
{
    __atomic_store_n(&resumed, epoch, __ATOMIC_RELEASE);
    futex(&resumed, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
}
