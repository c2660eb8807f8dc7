/* EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=4160/2 cyclic=0/0 */
/* The program takes over the tracer's stop signal (SIGRTMIN+3) between two snapshots
 * requested through the API, and raises it itself: the second snapshot must still
 * stop the parked thread (no timeout), and the program's handler must still run.
 * Under Valgrind (or without the tracer) the API calls are skipped: weak symbols. */
#include <leakgraph.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t ready;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

static void *parked(void *arg)
{
    (void)arg;
    char *volatile mine = malloc(64);
    memset(mine, 0, 64);
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

static int snapshot(const char *name)
{
    char path[256];
    if (!LEAKGRAPH_AVAILABLE())
        return 0;
    snprintf(path, sizeof path, "%s/%s.%d.lgs", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name, (int)getpid());
    int rc = leakgraph_snapshot(path);
    unlink(path);
    return rc;
}

int main(void)
{
    pthread_t t;
    sem_init(&ready, 0, 0);
    if (pthread_create(&t, NULL, parked, NULL) != 0)
        return 2;
    while (sem_wait(&ready) != 0)
        ;
    int a = snapshot("clash1");
    signal(SIGRTMIN + 3, on_signal);
    int b = snapshot("clash2");
    raise(SIGRTMIN + 3);
    printf("snapshots %d %d, handler ran %d time(s)\n", a, b, (int)handled);
    return 0;
}
