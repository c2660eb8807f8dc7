/* The ordered start-up (lazily from the first entry point, or our constructor), the
 * fork handlers and the destructor that produces the exit report. */
#include "init.h"
#include "freebatch.h"

#include "annot.h"
#include "arena.h"
#include "blocks.h"
#include "childskip.h"
#include "crash.h"
#include "collect.h"
#include "explainconfig.h"
#include "exitreport.h"
#include "guard.h"
#include "journal.h"
#include "log.h"
#include "modules.h"
#include "options.h"
#include "storehooks.h"
#include "regions.h"
#include "sites.h"
#include "startfile.h"
#include "threads.h"
#include "trigger.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

__thread volatile int lg_busy __attribute__((tls_model("initial-exec")));
volatile int lg_state;

/* Resolved by lg_init (or by an earlier call); read-only afterwards. */
static size_t (*real_usable_size)(void *);

/* Resolved on first use, whatever the tracer's state: a program calling it before the
 * first malloc, or in a setuid process where the tracer stays off, gets the real answer.
 * Our constructor resolves it too: the scan calls it with every shard lock held, and
 * dlsym may free (an old dlerror string), which must not happen there. */
size_t lg_real_usable_size(void *p)
{
    size_t (*f)(void *) = __atomic_load_n(&real_usable_size, __ATOMIC_ACQUIRE);
    if (!f) {
        lg_busy++; /* dlsym may allocate */
        f = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
        lg_busy--;
        __atomic_store_n(&real_usable_size, f, __ATOMIC_RELEASE);
    }
    return f ? f(p) : 0;
}

void lg_disable(const char *why)
{
    int s = lg_state;
    if (s != LG_DISABLED && __atomic_compare_exchange_n(&lg_state, &s, LG_DISABLED, false, __ATOMIC_ACQ_REL,
                                                        __ATOMIC_ACQUIRE))
        lg_log(LG_LOG_ERROR, "tracing disabled: %s; the program goes on untraced and no leak report "
               "will be written", why);
}

/* ---- fork: no tracer lock may be held across fork (FEASIBILITY §8) ---- */

/* fork() in a signal handler that interrupted the tracer on this thread: the locks below
 * may be held by the code it interrupted, and taking them would spin for ever (glibc's
 * own fork takes no malloc lock in a single-threaded program, so natively this works).
 * Then no lock is taken, and the child, whose copy of the tables may be mid-update,
 * goes on untraced. Per thread: two threads may fork at once. */
static __thread bool fork_unlocked __attribute__((tls_model("initial-exec")));

static void before_fork(void)
{
    fork_unlocked = lg_busy != 0;
    lg_busy++;
    if (fork_unlocked)
        return;
    lg_modules_lock();
    lg_regions_lock();
    lg_blocks_lock_all();
    lg_threads_fork_lock();
    lg_annot_lock();
    lg_sites_fork_lock();
    lg_arena_fork_lock(); /* last: the others allocate under their locks */
}

static void after_fork_parent(void)
{
    if (fork_unlocked) {
        lg_busy--;
        return;
    }
    lg_arena_fork_unlock();
    lg_sites_fork_unlock();
    lg_annot_unlock();
    lg_threads_fork_unlock();
    lg_blocks_unlock_all();
    lg_regions_unlock();
    lg_modules_unlock();
    lg_busy--;
}

static void after_fork_child(void)
{
    if (fork_unlocked) {
        /* quietly: such a child usually execs or _exits at once, and a program that
         * forks in a timer's handler would print this at every fork */
        __atomic_store_n(&lg_state, LG_DISABLED, __ATOMIC_RELEASE);
        lg_log(LG_LOG_INFO, "fork() in a signal handler that interrupted the tracer: the child "
               "(pid %d) is not traced", (int)getpid());
        lg_busy--;
        return;
    }
    lg_blocks_atfork_child();
    lg_regions_atfork_child();
    lg_modules_atfork_child();
    lg_sites_atfork_child();
    lg_annot_atfork_child();
    lg_freebatch_atfork_child(); /* the table and annotations first: it drains into them */
    lg_arena_atfork_child();
    lg_threads_atfork_child();
    lg_exitreport_atfork_child();
    lg_journal_atfork_child();
    lg_trigger_atfork_child();
    /* a fork child is a process of its own for leakgraph check: one that ends without
     * a report (_exit, a kill) must still be listed */
    if (lg_opt.started_file[0] && lg_state == LG_READY)
        lg_startfile_write(lg_opt.started_file);
    lg_collect_atfork_child();
    lg_busy--;
}

/* follow_children=0: take our library out of LD_PRELOAD in place, so programs this
 * one executes run untraced. Writing into the environment string avoids setenv's
 * allocation. */
/* The environment, also before libc has set environ: the tracer may initialise inside
 * an allocation made from .preinit_array, before libc's own constructor. Then the
 * initial stack has it, after argc and argv (ld.so's __libc_stack_end points at argc). */
static char **environment(void)
{
    extern char **environ;
    extern void *__libc_stack_end;
    if (environ || !__libc_stack_end)
        return environ;
    long argc = *(const long *)__libc_stack_end;
    return (char **)__libc_stack_end + 1 + argc + 1;
}

static const char *env_get(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environment(); e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static void strip_preload(void)
{
    for (char **e = environment(); e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11))
            continue;
        char *src = *e + 11, *dst = src;
        while (*src) {
            size_t n = strcspn(src, ": ");
            char *tok = src;
            src += n;
            const char *base = tok;
            for (char *c = tok; c < tok + n; c++)
                if (*c == '/')
                    base = c + 1;
            bool ours = (size_t)(tok + n - base) >= 15 && !strncmp(base, "libleakgraph.so", 15);
            if (!ours && n) {
                if (dst != *e + 11)
                    *dst++ = ':';
                memmove(dst, tok, n);
                dst += n;
            }
            while (*src == ':' || *src == ' ')
                src++;
        }
        *dst = '\0';
    }
}

static bool init_tables(void)
{
    uintptr_t lo = 0, hi = 0;
    lg_modules_self_range((const void *)lg_init, &lo, &hi);
    lg_freebatch_init(lg_opt.free_batch);
    return lg_threads_init() && lg_blocks_init() &&
           lg_sites_init(lo, hi, (int)lg_opt.stack_depth, lg_opt.fast_unwind);
}

/* The stop signal must be one a handler can catch and that nothing else sends: not
 * SIGKILL/SIGSTOP, not a fault signal (a real fault would be taken for a stop), not
 * SIGCHLD/SIGCONT, which the kernel sends on its own, and not the snapshot signal. */
static void check_stop_signal(void)
{
    long s = lg_opt.stop_signal;
    if (s == 0)
        return; /* the default, SIGRTMIN+3 */
    bool bad = s < 1 || s > SIGRTMAX || s == SIGKILL || s == SIGSTOP || s == SIGSEGV || s == SIGBUS ||
               s == SIGILL || s == SIGFPE || s == SIGTRAP || s == SIGABRT || s == SIGSYS || s == SIGCHLD ||
               s == SIGCONT || s == lg_opt.snapshot_signal;
    if (bad) {
        lg_log(LG_LOG_WARN, "stop_signal=%ld cannot stop threads (it must be a catchable signal that nothing "
               "else sends, not snapshot_signal); using %d (SIGRTMIN+3)", s, SIGRTMIN + 3);
        lg_opt.stop_signal = 0;
    }
}

static void init_once(void)
{
    /* First, before the tracer maps anything: the anonymous memory that exists now is
     * ld.so's (and the main thread's TLS), a root. */
    lg_regions_init();
    lg_options_defaults(&lg_opt);
    lg_options_parse(&lg_opt, env_get("LEAKGRAPH_OPTIONS"));
    lg_log_set_verbosity((int)lg_opt.verbosity);
    lg_log_keep_stderr();
    check_stop_signal();
    lg_exitreport_init();
    if (lg_opt.error_exitcode < 0 || lg_opt.error_exitcode > 255) {
        lg_log(LG_LOG_WARN, "error_exitcode=%ld is not an exit status (0-255); ignored", lg_opt.error_exitcode);
        lg_opt.error_exitcode = 0;
    }
    if (!lg_opt.follow_children)
        strip_preload();
    /* Skipped: passive for good, quietly; LD_PRELOAD stays for its children. */
    if (lg_opt.trace_children_skip[0] && lg_childskip_match(lg_opt.trace_children_skip)) {
        __atomic_store_n(&lg_state, LG_DISABLED, __ATOMIC_RELEASE);
        return;
    }
    if (lg_opt.started_file[0])
        lg_startfile_write(lg_opt.started_file);
    if (!init_tables()) {
        lg_disable("cannot map memory for the tracer's tables");
        return;
    }
    lg_modules_refresh();
    if (lg_opt.journal[0])
        lg_journal_open(lg_opt.journal, (uint64_t)lg_opt.journal_size);
    lg_trigger_init();
    lg_crash_init();
    lg_collect_init();
    lg_explain_config();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    __atomic_store_n(&lg_state, LG_READY, __ATOMIC_RELEASE);
}

void lg_init(void)
{
    int expected = LG_UNINIT;
    if (!__atomic_compare_exchange_n(&lg_state, &expected, LG_INITIALIZING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return; /* done, in progress in another thread, or disabled: pass through */
    lg_busy++;
    lg_storehooks_init(); /* also when tracing is off: the interposed memcpy stays */
    if (getauxval(AT_SECURE)) {
        /* setuid/setgid: never write files that reveal this process's memory. */
        __atomic_store_n(&lg_state, LG_DISABLED, __ATOMIC_RELEASE);
    } else {
        init_once();
    }
    lg_busy--;
}

__attribute__((constructor)) static void on_load(void)
{
    lg_init();
    lg_real_usable_size(NULL); /* resolved now, in a constructor, not first in a scan */
}

__attribute__((destructor)) static void on_unload(void)
{
    lg_exitreport_run((uintptr_t)__builtin_frame_address(0));
}
