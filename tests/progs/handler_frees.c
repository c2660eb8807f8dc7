/* A signal handler that frees (found by a review): a pool of 20000 200-byte blocks,
 * all reachable from a global array; SIGALRM every 100 us; each handler run frees the
 * next 20 pool blocks (and clears their slots) unless it interrupted code in libc, so
 * glibc's allocator is never re-entered and the program runs clean natively. main
 * meanwhile mallocs with the signal blocked and frees with it unblocked, so under the
 * tracer the handler often lands inside the tracer: in its batch flush, or holding a
 * block table lock. The tracer once corrupted the heap here (a stale batch length) and
 * then deadlocked (a handler's free waiting for its own thread's lock).
 * With the argument "realloc" the handler grows each block with realloc before freeing
 * it (a realloc inside the tracer). Later, such frees left their records in place when
 * a lock was taken, and showed as definitely lost blocks.
 * Prints "done" on stdout; the counts go to stderr. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#define POOL 20000
#ifndef PER
#define PER 20
#endif
static void **pool;
static volatile long next_free, skipped;
static int grow_first;
static unsigned long libc_lo[64], libc_hi[64]; static int nlibc;
static int in_libc(unsigned long pc)
{
    for (int i = 0; i < nlibc; i++) if (pc >= libc_lo[i] && pc < libc_hi[i]) return 1;
    return 0;
}
static void on_alarm(int s, siginfo_t *si, void *ctx)
{
    (void)s; (void)si;
    unsigned long pc = ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
    if (in_libc(pc)) { skipped++; return; }
    for (int k = 0; k < PER && next_free < POOL; k++) {
        free(grow_first ? realloc(pool[next_free], 400) : pool[next_free]);
        pool[next_free++] = NULL;
    }
}
int main(int argc, char **argv)
{
    grow_first = argc > 1 && !strcmp(argv[1], "realloc");
    FILE *m = fopen("/proc/self/maps", "r"); char line[512];
    while (fgets(line, sizeof line, m))
        if (strstr(line, "libc.so") || strstr(line, "ld-linux")) if (nlibc < 64) {
            sscanf(line, "%lx-%lx", &libc_lo[nlibc], &libc_hi[nlibc]); nlibc++;
        }
    fclose(m);
    void *churn[256];
    sigset_t alrm; sigemptyset(&alrm); sigaddset(&alrm, SIGALRM);
    pool = malloc(POOL * sizeof *pool);
    for (int i = 0; i < POOL; i++) pool[i] = malloc(200);
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_alarm; sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (next_free < POOL / 2) {
        sigprocmask(SIG_BLOCK, &alrm, NULL);
        for (int i = 0; i < 256; i++) churn[i] = malloc(24);
        sigprocmask(SIG_UNBLOCK, &alrm, NULL);
        for (int i = 0; i < 256; i++) free(churn[i]);
    }
    struct itimerval off = {{0,0},{0,0}};
    setitimer(ITIMER_REAL, &off, NULL);
    long left = POOL - next_free;
    fprintf(stderr, "freed=%ld skipped=%ld expect definite=0/0 reachable=%ld/%ld\n", next_free, skipped, left*200 + POOL*8, left + 1);
    puts("done");
    return 0;
}
