/* A program with its own SIGSEGV handler. Heap: 300 bytes still reachable, 200 bytes
 * definitely lost, as crash_victim.
 *   crash_handler signal     handler installed with signal(): prints, restores SIG_DFL
 *                            with signal() and returns; the fault repeats and kills
 *   crash_handler sigaction  the same with sigaction(SA_SIGINFO), the handler checks
 *                            si_addr and that sigaction() reports it, not the tracer's
 *   crash_handler resethand  sigaction(SA_RESETHAND): the kernel's one-shot handler
 *   crash_handler retry      a handler that mprotects the page and returns: the write
 *                            succeeds and the program exits 0
 *   crash_handler ignore     SIGSEGV ignored, then raise(SIGSEGV): ignored, exits 0 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *kept;
static char *page;
static volatile int handled;

static void say(const char *s) { write(1, s, strlen(s)); }

static void on_segv_signal(int sig)
{
    handled++;
    say("handler ran (signal)\n");
    signal(sig, SIG_DFL);
}

static void on_segv_info(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    struct sigaction cur;
    handled++;
    sigaction(sig, NULL, &cur);
    say(si->si_addr == (void *)page ? "handler ran (sigaction), si_addr right\n" : "handler: wrong si_addr\n");
    say((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv_info ? "sigaction reports the program's handler\n"
                                                                         : "sigaction reports another handler\n");
    signal(sig, SIG_DFL);
}

static void on_segv_once(int sig)
{
    (void)sig;
    handled++;
    say("handler ran (resethand)\n");
}

static void on_segv_retry(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    handled++;
    mprotect((void *)((unsigned long)si->si_addr & ~4095ul), 4096, PROT_READ | PROT_WRITE);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "signal";
    kept = malloc(300);
    char *lost = malloc(200);
    memset(lost, 2, 200);
    lost = NULL;
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (!strcmp(mode, "signal")) {
        signal(SIGSEGV, on_segv_signal);
    } else if (!strcmp(mode, "sigaction") || !strcmp(mode, "retry")) {
        sa.sa_sigaction = !strcmp(mode, "retry") ? on_segv_retry : on_segv_info;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
    } else if (!strcmp(mode, "resethand")) {
        sa.sa_handler = on_segv_once;
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGSEGV, &sa, NULL);
    } else if (!strcmp(mode, "ignore")) {
        signal(SIGSEGV, SIG_IGN);
        raise(SIGSEGV);
        printf("ignored\n");
        return 0;
    }
    page[0] = 1; /* faults: read-only */
    printf("wrote after %d handler runs\n", handled);
    return 0;
}
