/* EXPECT: definite=0/0 indirect=0/0 possible=816/3 reachable=600/3 cyclic=0/0 */
/* Three threads allocate 100, 200 and 300 bytes, keep the pointers only in a local
 * variable, and are still blocked in pause() when main returns: their stacks are roots,
 * so the 600 bytes are reachable. glibc's per-thread blocks as Valgrind prints them. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t ready;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void *worker(void *arg)
{
    size_t n = (size_t)arg;
    char *volatile mine = malloc(n);
    memset(mine, 0, n);
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(size_t)(100 * (i + 1))) != 0)
            return 2;
    for (int i = 0; i < 3; i++)
        while (sem_wait(&ready) != 0)
            ;
    scrub();
    return 0;
}
