/* Not a victim of the accuracy corpus: run by tests/e2e/cases/handler_exit_fork.sh only.
 * exit() or fork() in a signal handler that interrupted the tracer's own code (a
 * cleanup-and-exit handler for SIGTERM, a timer that forks): a one-shot timer, armed
 * again by the main thread every 1000 allocations, fires 100 us later while it
 * allocates and frees, and the handler acts only when the interrupted instruction lies
 * in libleakgraph.so's text (found with dl_iterate_phdr before). One shot at a time:
 * a traced fork takes longer than the interval, and a periodic timer would fork back
 * to back at one interrupted instruction, never letting main go on. "exit": exit(3) at the first such signal. "fork": fork, the
 * child _exits, the parent reaps it; after 200 such forks main prints "forks done" and
 * returns 0. Without the tracer, or if no signal lands in it within 20 s: status 4. */
#define _GNU_SOURCE
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static uintptr_t lo, hi; /* libleakgraph.so's executable segment */
static int fork_mode;
static volatile int forks;
static const struct itimerval once = {{0, 0}, {0, 100}};

static int find_tracer(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (!strstr(info->dlpi_name, "libleakgraph"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            lo = info->dlpi_addr + ph->p_vaddr;
            hi = lo + ph->p_memsz;
        }
    }
    return 1;
}

static void on_timer(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    uintptr_t pc = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
    if (pc < lo || pc >= hi)
        return;
    if (!fork_mode)
        exit(3);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    if (p > 0)
        waitpid(p, NULL, 0);
    forks++;
}

int main(int argc, char **argv)
{
    fork_mode = argc > 1 && !strcmp(argv[1], "fork");
    dl_iterate_phdr(find_tracer, NULL);
    if (!lo)
        return 4;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    static void *slot[512];
    unsigned s = 1;
    time_t end = time(NULL) + 20;
    while (forks < 200 && time(NULL) < end) {
        setitimer(ITIMER_REAL, &once, NULL);
        for (int i = 0; i < 1000; i++) {
            s = s * 1103515245u + 12345u;
            unsigned k = (s >> 8) & 511;
            free(slot[k]);
            slot[k] = malloc((s >> 16) % 2000);
        }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    if (forks < 200)
        return 4;
    puts("forks done");
    return 0;
}
