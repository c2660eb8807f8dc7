/* EXPECT: definite=0/0 indirect=0/0 possible=544/2 reachable=4096/1 cyclic=0/0 */
/* Two threads allocate and free for about three seconds, main asks for one snapshot
 * through the API, and frees everything at the end. The e2e test runs it with
 * snapshot_every and snapshot_interval and sends SIGUSR2 while it runs: every trigger
 * must leave a snapshot while the program keeps running, with its output unchanged.
 * With OWN_USR2=1 the program handles SIGUSR2 itself: the tracer must leave that
 * handler alone (and say so once), and the handler must see the signal. The line
 * "triggers: running, pid N" on stderr says the handlers are in place. */
#include <leakgraph.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr2_seen;

static void on_usr2(int sig)
{
    (void)sig;
    usr2_seen = 1;
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *churn(void *arg)
{
    (void)arg;
    struct timespec t0;
    void *keep[64] = {0};
    unsigned s = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (elapsed(&t0) < 3.0) {
        s = s * 1103515245 + 12345;
        int k = (s >> 8) & 63;
        free(keep[k]);
        keep[k] = malloc(16 + s % 100);
    }
    for (int k = 0; k < 64; k++)
        free(keep[k]);
    return NULL;
}

int main(void)
{
    if (getenv("OWN_USR2"))
        signal(SIGUSR2, on_usr2);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, churn, NULL) != 0)
            return 2;
    fprintf(stderr, "triggers: running, pid %d\n", (int)getpid()); /* the e2e test sends SIGUSR2 now */
    if (LEAKGRAPH_AVAILABLE() && getenv("LG_SNAP_PATH"))
        leakgraph_snapshot(getenv("LG_SNAP_PATH"));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("churned; own handler %s\n", getenv("OWN_USR2") ? (usr2_seen ? "saw the signal" : "missed it") : "not set");
    return 0;
}
