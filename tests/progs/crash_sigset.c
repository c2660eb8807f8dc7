/* Dispositions of fatal signals changed outside sigaction() and signal(): glibc's
 * sigset(), sigignore() and siginterrupt() use its internal sigaction, and a raw
 * rt_sigaction(2) reaches the kernel directly. 64 bytes definitely lost.
 *   crash_sigset sigset     sigset(SIGSEGV, h1), a query, sigaction(SIGSEGV, h2) whose
 *                           handler longjmps out of a null write; then sigset(SIGSEGV,
 *                           SIG_DFL) and a null write kills (a crash report when traced)
 *   crash_sigset raw        rt_sigaction(SIGTRAP, SIG_IGN) by syscall: a query says
 *                           SIG_IGN; sigaction(SIGTRAP, h) and raise(): h runs
 *   crash_sigset other      sigignore(SIGFPE), siginterrupt(SIGBUS) and signal() after
 *                           it, ssignal(); sigset(SIGABRT, SIG_DFL) and abort() kills */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static sigjmp_buf jb;
static void h1(int s) { (void)s; }
static void h2(int s) { (void)s; siglongjmp(jb, 1); }
static void h3(int s) { (void)s; printf("handler ran\n"); }

static const char *name(int sig)
{
    struct sigaction q;
    sigaction(sig, NULL, &q);
    return q.sa_handler == SIG_IGN ? "SIG_IGN" : q.sa_handler == SIG_DFL ? "SIG_DFL" : q.sa_handler == h1 ? "h1" : q.sa_handler == h3 ? "h3" : "?";
}

static int mode_sigset(void)
{
    sigset(SIGSEGV, h1);
    printf("after sigset: %s\n", name(SIGSEGV));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h2;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1))
        *(volatile int *)0 = 1;
    printf("recovered\n");
    printf("sigset returns the old handler: %s\n", sigset(SIGSEGV, SIG_DFL) == h2 ? "h2" : "?");
    fflush(stdout);
    *(volatile int *)0 = 1;
    return 0;
}

static int mode_raw(void)
{
    struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } ign = {SIG_IGN, 0, 0, 0};
    syscall(SYS_rt_sigaction, SIGTRAP, &ign, NULL, 8);
    printf("after raw rt_sigaction: %s\n", name(SIGTRAP));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h3;
    sigaction(SIGTRAP, &sa, NULL);
    raise(SIGTRAP);
    printf("after raise: %s\n", name(SIGTRAP));
    return 0;
}

static int mode_other(void)
{
    sigignore(SIGFPE);
    raise(SIGFPE);
    printf("after sigignore: %s, survived\n", name(SIGFPE));
    signal(SIGBUS, h3);
    siginterrupt(SIGBUS, 1);
    struct sigaction q;
    sigaction(SIGBUS, NULL, &q);
    printf("after siginterrupt: SA_RESTART %s\n", q.sa_flags & SA_RESTART ? "set" : "clear");
    signal(SIGBUS, h3);
    sigaction(SIGBUS, NULL, &q);
    printf("signal after siginterrupt: SA_RESTART %s\n", q.sa_flags & SA_RESTART ? "set" : "clear");
    ssignal(SIGILL, h3);
    printf("after ssignal: %s\n", name(SIGILL));
    sigset(SIGABRT, h3);
    sigset(SIGABRT, SIG_DFL);
    fflush(stdout);
    abort();
}

int main(int argc, char **argv)
{
    char *lost = malloc(64);
    memset(lost, 1, 64);
    lost = NULL;
    const char *mode = argc > 1 ? argv[1] : "sigset";
    if (!strcmp(mode, "raw"))
        return mode_raw();
    if (!strcmp(mode, "other"))
        return mode_other();
    return mode_sigset();
}
