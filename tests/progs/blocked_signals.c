/* EXPECT: definite=0/0 indirect=0/0 possible=272/1 reachable=128/1 cyclic=0/0 */
/* A thread blocks every signal and is still parked in pause() when main returns,
 * holding its 128-byte block only in a local. The stop signal never reaches it: the
 * snapshot must still complete within stop_timeout_ms, name the thread, and scan its
 * whole stack as it is, so the block stays reachable. Numbers as Valgrind prints them
 * (its possibly-lost 272 bytes are glibc's per-thread block). */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t ready;

static void *hermit(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char *volatile mine = malloc(128);
    memset(mine, 0, 128);
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&ready, 0, 0);
    if (pthread_create(&t, NULL, hermit, NULL) != 0)
        return 2;
    while (sem_wait(&ready) != 0)
        ;
    write(1, "main done\n", 10);
    return 0;
}
