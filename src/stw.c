/* Signal-based stop and resume; the handler is AS-safe (raw syscalls only). */
#include "stw.h"

#include "arena.h"
#include "threads.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
static struct sigaction saved_action; /* the program's, for signals that are not ours */
static int stop_signo, installed_signo;

static long futex(volatile uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
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
    bool stopping = r && __atomic_load_n(&resumed, __ATOMIC_ACQUIRE) != my_epoch && !r->acked;
    if (!stopping) {
        /* Not a stop waiting for this thread: the program's own use of the signal
         * (or, rarely, our signal arriving late to a thread that had blocked it). */
        errno = saved;
        if (saved_action.sa_flags & SA_SIGINFO)
            saved_action.sa_sigaction(sig, info, ctx);
        else if (saved_action.sa_handler != SIG_DFL && saved_action.sa_handler != SIG_IGN)
            saved_action.sa_handler(sig);
        return;
    }
    {
        const ucontext_t *uc = ctx;
        for (int i = 0; i < LG_STW_NREGS; i++)
            r->regs[i] = (uintptr_t)uc->uc_mcontext.gregs[i];
        r->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        __atomic_store_n(&r->acked, 1, __ATOMIC_RELEASE);
        __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE);
        futex(&acks, FUTEX_WAKE_PRIVATE, 1, NULL);
        uint32_t v;
        while ((v = __atomic_load_n(&resumed, __ATOMIC_ACQUIRE)) != my_epoch)
            futex(&resumed, FUTEX_WAIT_PRIVATE, v, NULL);
    }
    errno = saved;
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
            if (!tid || tid == self || known(tid) || nrecs >= MAX_STOPPED)
                continue;
            memset(&recs[nrecs], 0, sizeof recs[nrecs]);
            recs[nrecs].tid = tid;
            __atomic_store_n(&nrecs, nrecs + 1, __ATOMIC_RELEASE);
            if (syscall(SYS_tgkill, pid, tid, stop_signo) == 0)
                added++;
            else
                __atomic_add_fetch(&acks, 1, __ATOMIC_RELEASE); /* already gone */
        }
    }
    close(fd);
    return added;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wait_acks(long timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    uint32_t a;
    while ((a = __atomic_load_n(&acks, __ATOMIC_ACQUIRE)) < nrecs) {
        uint64_t t = now_ms();
        if (t >= deadline)
            return;
        struct timespec ts = {0, 10 * 1000000L};
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
    if (sigaction(signo, &sa, &saved_action) != 0)
        return false;
    installed_signo = signo;
    return true;
}

uint32_t lg_stw_stop(int signo, long timeout_ms, struct lg_stop_rec **out)
{
    if (!recs && !(recs = lg_map(MAX_STOPPED * sizeof *recs)))
        return *out = NULL, 0;
    stop_signo = signo;
    nrecs = 0;
    acks = 0;
    __atomic_add_fetch(&epoch, 1, __ATOMIC_RELEASE);
    if (!install_handler(signo))
        return *out = recs, 0;
    uint32_t self = lg_threads_tid();
    pid_t pid = getpid();
    /* Re-list until stable: a thread not yet stopped may have created another. */
    while (signal_new_threads(self, pid) > 0)
        wait_acks(timeout_ms);
    *out = recs;
    return nrecs;
}

void lg_stw_resume(void)
{
    __atomic_store_n(&resumed, epoch, __ATOMIC_RELEASE);
    futex(&resumed, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
}
