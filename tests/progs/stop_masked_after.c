/* A thread that masks every signal after a stop signalled it, and then waits in
 * futex(2): the stop signal stays pending behind the mask. (libunwind does that around
 * dl_iterate_phdr, whose lock a collection holds; here a handler's sa_mask does it.) The
 * stop once waited for such a thread until its timeout (2 s), then scanned it as it was;
 * now it gives up on it after the 50 ms a masking thread is watched for, and says it
 * blocks the stop signal.
 *
 * How the stop signal comes before the mask, every time: the worker is parked in a
 * vfork wait (clone with CLONE_VFORK), where signals stay pending; the child sleeps
 * 200 ms, sends the worker SIGUSR1 and exits. Main calls leakgraph_collect() (when
 * preloaded) 20 ms into the wait, whose signal is then pending with SIGUSR1; the lower
 * number is delivered first, and its handler masks every signal (sa_mask) and waits in
 * futex until main says the collection is over (at most 5 s). Prints on stderr how many
 * collections found anything unreachable (the worker's block, held in a local, must be
 * found); "done" on stdout. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned collected; /* the futex word: 1 once the collection returned */
static volatile int in_wait;

static void on_usr1(int sig)
{
    (void)sig;
    struct timespec ts = {5, 0};
    while (!collected)
        if (syscall(SYS_futex, &collected, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) != 0 && !collected)
            break; /* timed out (5 s): main never collected */
}

struct child_arg {
    pid_t pid;
    pid_t tid;
};

static int child(void *p)
{
    struct child_arg *a = p;
    struct timespec ts = {0, 200 * 1000000L};
    syscall(SYS_nanosleep, &ts, NULL);
    syscall(SYS_tgkill, a->pid, a->tid, SIGUSR1);
    return 0;
}

static void *worker(void *unused)
{
    (void)unused;
    char *volatile mine = malloc(80);
    memset(mine, 2, 80);
    size_t stack_bytes = 64 << 10;
    char *stack = malloc(stack_bytes);
    struct child_arg a = {getpid(), (pid_t)syscall(SYS_gettid)};
    in_wait = 1;
    pid_t c = clone(child, stack + stack_bytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    if (c > 0)
        waitpid(c, NULL, 0);
    free(stack);
    free(mine);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigfillset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    long (*collect)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    pthread_t w;
    if (pthread_create(&w, NULL, worker, NULL))
        return 2;
    while (!in_wait)
        sched_yield();
    struct timespec ts = {0, 20 * 1000000L};
    nanosleep(&ts, NULL);
    int bad = collect && collect() != 0;
    collected = 1;
    syscall(SYS_futex, &collected, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(w, NULL);
    fprintf(stderr, "collections_with_unreachable=%d\n", bad);
    puts("done");
    return 0;
}
