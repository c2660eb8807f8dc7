/* Pending-snapshot triggers: signal, allocation count, interval. */
#include "trigger.h"

#include "exitreport.h"
#include "guard.h"
#include "leakgraph/format.h"
#include "log.h"
#include "options.h"
#include "showgrowth.h"
#include "sites.h"
#include "snapshot.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK_EVERY 1024 /* allocations between two looks at the clock and the counter */

/* The reason of the snapshot due, 0 when none. Set by the signal handler and the
 * checks below, cleared by the thread that takes it (compare-and-swap). */
static volatile int pending;
/* Allocations counted in batches of CHECK_EVERY; next_count is the threshold of the
 * next snapshot_every snapshot. Updated atomically. */
static uint64_t alloc_count, next_count;
/* CLOCK_MONOTONIC seconds of the next snapshot_interval snapshot; atomic. */
static uint64_t next_time;
/* The signal whose handler is ours, 0 when none; set once by lg_trigger_init. */
static int installed_signo;
/* Snapshots taken in this process; atomic. */
static uint32_t taken;
static __thread uint32_t local_count __attribute__((tls_model("initial-exec")));

static uint64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

static void on_signal(int sig)
{
    (void)sig;
    int none = 0;
    __atomic_compare_exchange_n(&pending, &none, LG_REASON_SIGNAL, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

void lg_trigger_init(void)
{
    if (lg_opt.snapshot_every > 0)
        next_count = (uint64_t)lg_opt.snapshot_every;
    if (lg_opt.snapshot_interval > 0)
        next_time = mono_s() + (uint64_t)lg_opt.snapshot_interval;
    int sig = (int)lg_opt.snapshot_signal;
    if (sig <= 0)
        return;
    struct sigaction cur, sa;
    if (sig >= NSIG || sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &cur) != 0) {
        lg_log(LG_LOG_WARN, "snapshot_signal=%d is not a signal that can be caught; no snapshots on a signal", sig);
        return;
    }
    if ((cur.sa_flags & SA_SIGINFO) || (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN)) {
        lg_log(LG_LOG_WARN, "the program handles signal %d itself; leaving it alone (choose another with "
               "snapshot_signal=N, or 0)", sig);
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) == 0)
        installed_signo = sig;
}

void lg_trigger_on_program_handler(int signo)
{
    if (signo != installed_signo || !signo)
        return;
    installed_signo = 0;
    lg_log(LG_LOG_WARN, "the program installs its own handler for signal %d; it keeps it, and snapshots on "
           "that signal are off (choose another with snapshot_signal=N)", signo);
}

/* leakgraph.PID.N.lgs in output_dir ($TMPDIR, /tmp): numbered; the time is inside. */
static void take(int reason)
{
    char path[4200];
    uint32_t n = __atomic_add_fetch(&taken, 1, __ATOMIC_RELAXED);
    const char *dir = lg_opt.output_dir[0] ? lg_opt.output_dir : "";
    if (!dir[0]) {
        extern char **environ;
        for (char **e = environ; e && *e && !dir[0]; e++)
            if (!strncmp(*e, "TMPDIR=", 7) && (*e)[7])
                dir = *e + 7;
    }
    lg_fmt_async(path, sizeof path, "%s/leakgraph.%d.%u.lgs", dir[0] ? dir : "/tmp", (int)getpid(), n);
    char out[4200];
    int fd = lg_exitreport_open(path, out, sizeof out);
    if (fd < 0) {
        lg_log(LG_LOG_WARN, "cannot create snapshot %s (error %d)", out, -fd);
        lg_showgrowth_at_trigger(0, reason);
        return;
    }
    struct lg_snapshot_req req = {.fd = fd, .reason = (uint32_t)reason,
                                  .caller_sp = lg_sites_program_sp((uintptr_t)__builtin_frame_address(0))};
    int rc = lg_snapshot_take(&req);
    close(fd);
    lg_trigger_log(n, reason, out, rc);
    lg_showgrowth_at_trigger(rc ? 0 : n, reason);
}

void lg_trigger_log(uint32_t n, int reason, const char *path, int rc)
{
    struct lg_snapshot_timing t;
    lg_snapshot_last_timing(&t);
    static const char *const why[] = {"", "exit", "signal", "request", "timer", "allocation threshold", "crash"};
    char num[16] = "";
    if (n)
        lg_fmt_async(num, sizeof num, " %u", n);
    if (rc)
        lg_log(LG_LOG_WARN, "snapshot %s failed (error %d)", path, -rc);
    else
        lg_log(LG_LOG_WARN, "snapshot%s (%s) written to %s: %lu blocks; the program was paused %lu.%lu ms",
               num, why[reason < 7 && reason > 0 ? reason : 0], path, (unsigned long)t.blocks,
               (unsigned long)((t.stop_ns + t.scan_ns) / 1000000), (unsigned long)((t.stop_ns + t.scan_ns) / 100000 % 10));
}

static void check_due(void)
{
    uint64_t c = __atomic_add_fetch(&alloc_count, CHECK_EVERY, __ATOMIC_RELAXED);
    uint64_t due = __atomic_load_n(&next_count, __ATOMIC_RELAXED);
    if (due && c >= due &&
        __atomic_compare_exchange_n(&next_count, &due, due + (uint64_t)lg_opt.snapshot_every, false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        __atomic_store_n(&pending, LG_REASON_THRESHOLD, __ATOMIC_RELEASE);
    uint64_t when = __atomic_load_n(&next_time, __ATOMIC_RELAXED);
    if (when && mono_s() >= when &&
        __atomic_compare_exchange_n(&next_time, &when, mono_s() + (uint64_t)lg_opt.snapshot_interval, false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        __atomic_store_n(&pending, LG_REASON_TIMER, __ATOMIC_RELEASE);
}

void lg_trigger_on_alloc(void)
{
    if (__builtin_expect(++local_count == CHECK_EVERY, 0)) {
        local_count = 0;
        if (next_count || next_time)
            check_due();
    }
    int reason = __atomic_load_n(&pending, __ATOMIC_ACQUIRE);
    if (__builtin_expect(reason == 0, 1))
        return;
    if (!__atomic_compare_exchange_n(&pending, &reason, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return; /* another thread took it */
    int saved = errno;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    take(reason);
    LG_OWN_END(own);
    errno = saved;
}

void lg_trigger_atfork_child(void)
{
    taken = 0;
    pending = 0;
    lg_showgrowth_atfork_child();
}
