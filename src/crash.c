/* The crash path. Our handler stays installed for the fatal signals (unless the program
 * ignores one: then the kernel holds its SIG_IGN); the program's disposition lives
 * here. On a signal: the program's handler runs as the kernel would run
 * it (mask, SA_RESETHAND, SA_SIGINFO) and, if it returns, so do we (a handler that fixes
 * the fault retries it). Only when the default action is due is the snapshot written, and
 * then the default action happens for real: a fault re-executes the instruction with
 * SIG_DFL, a sent signal is sent again, so the exit status and the core are native. */
#include "crash.h"

#include "altstack.h"
#include "exitreport.h"
#include "guard.h"
#include "init.h"
#include "lock.h"
#include "log.h"
#include "options.h"
#include "snapshot.h"
#include "threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS, SIGTRAP};
#define NFATAL (sizeof fatal / sizeof *fatal)

/* The program's disposition of each fatal signal: two copies and the index of the
 * current one, so the handler reads a whole record while the program installs another.
 * Written under disp_lock by the wrappers, and by the handler for SA_RESETHAND. */
static struct {
    struct sigaction act[2];
    volatile int cur;
} disp[NFATAL];
static lg_lock_t disp_lock = LG_LOCK_INIT;
/* Whether our handler is installed; set once by lg_crash_init. */
static bool installed;
/* The thread writing the crash snapshot (0: none yet), and whether it is done. */
static volatile uint32_t crash_tid;
static volatile int crash_done;
/* The signal being handled by crash_tid, for a fault inside our own crash path. */
static volatile int crash_sig;
/* glibc's sigaction, resolved at init: the wrapper is ours. */
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
/* Our handler's action, built by install(). */
static struct sigaction ours;

static int slot(int sig)
{
    for (unsigned i = 0; i < NFATAL; i++)
        if (fatal[i] == sig)
            return (int)i;
    return -1;
}

static void disp_get(int i, struct sigaction *out)
{
    *out = disp[i].act[__atomic_load_n(&disp[i].cur, __ATOMIC_ACQUIRE)];
}

static void disp_set(int i, const struct sigaction *act)
{
    int next = disp[i].cur ^ 1;
    disp[i].act[next] = *act;
    __atomic_store_n(&disp[i].cur, next, __ATOMIC_RELEASE);
}

static bool has_handler(const struct sigaction *a)
{
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN; /* one union with sa_sigaction */
}

/* The kernel's struct sigaction for rt_sigaction(2): SIG_DFL needs no restorer. */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void set_default(int sig)
{
    struct ksigaction dfl = {0};
    syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
}

/* Raised by the kernel for the instruction at the PC: returning runs it again. SIGTRAP
 * (int3 has moved past) and SIGSYS (the system call returned) are sent again instead. */
static bool refaults(int sig, const siginfo_t *si)
{
    return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL);
}

/* The default action, for real: never returns for a signal that is sent again; returns
 * for a fault, whose instruction then faults again with SIG_DFL in place. */
static void default_action(int sig, const siginfo_t *si)
{
    set_default(sig);
    if (refaults(sig, si))
        return;
    syscall(SYS_tgkill, getpid(), lg_threads_tid(), sig);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &s, NULL, 8);
}

/* As the kernel would have run it: on the interrupted mask plus sa_mask plus the signal
 * (unless SA_NODEFER), after SA_RESETHAND's reset. A handler that longjmps out leaves
 * that mask, as it would without us. */
static void run_program_handler(int i, int sig, siginfo_t *si, ucontext_t *uc, const struct sigaction *a)
{
    if (a->sa_flags & SA_RESETHAND) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        disp_set(i, &dfl);
    }
    sigset_t m;
    sigorset(&m, &uc->uc_sigmask, &a->sa_mask);
    if (!(a->sa_flags & SA_NODEFER))
        sigaddset(&m, sig);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, si, uc);
    else
        a->sa_handler(sig);
}

static void snapshot(int sig, const siginfo_t *si, const ucontext_t *uc)
{
    struct lg_snap_crash c;
    memset(&c, 0, sizeof c);
    c.signo = (uint32_t)sig;
    c.code = si->si_code;
    c.tid = lg_threads_tid();
    bool addr = si->si_code > 0 && sig != SIGABRT && sig != SIGSYS;
    c.fault_addr = addr ? (uint64_t)(uintptr_t)si->si_addr : 0;
    c.pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    c.sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    for (int k = 0; k < 23; k++)
        c.regs[k] = (uint64_t)uc->uc_mcontext.gregs[k];
    uintptr_t own;
    LG_OWN_BEGIN(own);
    lg_exitreport_crash(&c);
    LG_OWN_END(own);
}

/* Another thread is writing the crash snapshot: wait for it (it ends the process). */
static void wait_for_crash(void)
{
    struct timespec ts = {0, 10 * 1000000L};
    while (!__atomic_load_n(&crash_done, __ATOMIC_ACQUIRE))
        nanosleep(&ts, NULL);
}

static void on_fatal(int sig, siginfo_t *si, void *ctx)
{
    int saved = errno;
    ucontext_t *uc = ctx;
    uint32_t me = lg_threads_tid();
    int i = slot(sig);
    if (__atomic_load_n(&crash_tid, __ATOMIC_ACQUIRE) == me && !crash_done) {
        /* A fault in our own crash path: give up the snapshot, die of the first signal. */
        siginfo_t sent = {.si_code = SI_USER};
        set_default(sig);
        default_action(crash_sig, &sent);
        errno = saved;
        return;
    }
    /* The record is current: the kernel ran our handler, so nothing replaced it behind
     * the wrappers (lg_crash_sigaction adopts such a change before putting ours back). */
    struct sigaction a;
    disp_get(i, &a);
    if (has_handler(&a)) {
        errno = saved;
        run_program_handler(i, sig, si, uc, &a);
        return;
    }
    /* The kernel's own signals (faults, seccomp) kill even when ignored. */
    if (a.sa_handler == SIG_IGN && si->si_code <= 0) {
        errno = saved;
        return;
    }
    uint32_t none = 0;
    if (__atomic_compare_exchange_n(&crash_tid, &none, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        crash_sig = sig;
        snapshot(sig, si, uc);
        __atomic_store_n(&crash_done, 1, __ATOMIC_RELEASE);
        lg_snapshot_crash_release();
    } else if (none != me) {
        wait_for_crash();
    }
    default_action(sig, si);
    errno = saved;
}

/* The kernel holds our handler for a fatal signal unless the program ignores it: a
 * caught signal is reset to SIG_DFL by execve(2), an ignored one must stay ignored. */
static int kernel_set(int i, const struct sigaction *act)
{
    return real_sigaction(fatal[i], act->sa_handler == SIG_IGN ? act : &ours, NULL);
}

/* Whatever the kernel holds other than our handler was set by the program: its SIG_IGN,
 * or a change behind the wrappers (glibc's sigset() reaches its internal sigaction, a
 * raw rt_sigaction(2)). That is the program's disposition; our record is stale. */
static bool adopt_kernel(int i)
{
    struct sigaction k;
    if (real_sigaction(fatal[i], NULL, &k) != 0 || k.sa_sigaction == on_fatal)
        return true;
    disp_set(i, &k);
    return false;
}

/* A change behind the wrappers is adopted, then the new action goes in as any other:
 * recorded, with our handler back in the kernel (passing it through would be as exact,
 * but would lose the crash snapshot for good). The program sees what the kernel would
 * have given it: its handler run as the kernel runs it, the old action answered. */
bool lg_crash_sigaction(int signo, const struct sigaction *act, struct sigaction *old, int *rc)
{
    int i = installed && !lg_busy ? slot(signo) : -1;
    if (i < 0)
        return false;
    lg_lock(&disp_lock);
    bool ours_in = adopt_kernel(i);
    struct sigaction prev;
    disp_get(i, &prev);
    *rc = 0;
    if (act && (!ours_in || act->sa_handler == SIG_IGN))
        *rc = kernel_set(i, act);
    if (*rc == 0 && act)
        disp_set(i, act);
    lg_unlock(&disp_lock);
    if (*rc == 0 && old)
        *old = prev;
    return true;
}

bool lg_crash_owns(int signo)
{
    return installed && slot(signo) >= 0;
}

static void install(void)
{
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_fatal;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    /* Everything but the faults: one in our own path must reach us (see on_fatal). */
    sigfillset(&ours.sa_mask);
    for (unsigned k = 0; k < NFATAL; k++)
        if (fatal[k] != SIGABRT)
            sigdelset(&ours.sa_mask, fatal[k]);
    for (unsigned k = 0; k < NFATAL; k++) {
        struct sigaction cur;
        if (real_sigaction(fatal[k], NULL, &cur) != 0)
            continue;
        disp_set((int)k, &cur);
        kernel_set((int)k, &cur); /* an inherited SIG_IGN stays in the kernel */
    }
}

void lg_crash_init(void)
{
    const char *m = lg_opt.on_crash;
    if (strcmp(m, "snapshot") && strcmp(m, "journal-only") && strcmp(m, "off")) {
        lg_log(LG_LOG_WARN, "on_crash=%s is not one of snapshot, journal-only, off; using snapshot", m);
        strcpy(lg_opt.on_crash, "snapshot");
    }
    if (!strcmp(m, "journal-only") && !lg_opt.journal[0])
        lg_log(LG_LOG_WARN, "on_crash=journal-only without journal=PATH: nothing is kept at a crash");
    if (strcmp(m, "snapshot") || (!lg_opt.report && !lg_opt.snapshot[0]))
        return;
    real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
    if (!real_sigaction || !lg_snapshot_reserve()) {
        lg_log(LG_LOG_WARN, "cannot prepare the crash path; no snapshot at a crash");
        return;
    }
    lg_exitreport_prepare_crash();
    lg_altstack_install();
    install();
    installed = true;
}

void lg_crash_thread_start(void)
{
    if (installed)
        lg_altstack_install();
}

void lg_crash_thread_exit(void)
{
    if (installed)
        lg_altstack_release();
}
