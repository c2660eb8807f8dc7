/* EXPECT: definite=64/1 indirect=0/0 possible=272/1 reachable=0/0 cyclic=0/0 */
/* A signal-handling thread in the usual style: every signal blocked, then sigwait() on all
 * of them. The tracer's stop signal must not be sent to it: it would come back from
 * sigwait with a signal nobody sent it (printed below), or sit pending until the stop
 * times out. Main leaks 64 bytes and exits while that thread still waits. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        int sig = 0;
        if (sigwait(&all, &sig) == 0) {
            printf("sigwait returned signal %d\n", sig);
            fflush(stdout);
        }
    }
    return NULL;
}

int main(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the waiter */
    pthread_t t;
    if (pthread_create(&t, NULL, waiter, NULL) != 0)
        return 2;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    char *volatile p = malloc(64);
    p[0] = 1;
    p = NULL;
    usleep(100000);
    return 0;
}
