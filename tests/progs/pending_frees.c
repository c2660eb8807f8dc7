/* EXPECT: definite=0/0 indirect=0/0 possible=544/2 reachable=528/22 cyclic=0/0 */
/* Frees the tracer batches (free_batch) must count as frees at every stop. Two threads
 * each allocate 52 blocks of 24 bytes, free 41 of them (fewer than a batch: they wait in
 * the thread's batch), keep 11 in a global array and block in pause() until exit. Then
 * main forks: the child, where those threads do not exist, and the parent both exit
 * with the 22 kept blocks reachable and nothing lost. Main's own 30 frees wait in its
 * batch too. glibc's per-thread blocks as Valgrind prints them. The child's report is
 * checked by tests/e2e/cases/free_batch.sh (Valgrind counts the dead threads' DTV
 * blocks differently there). */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define PER 52 /* 41 freed: a batch size that divides it leaves none pending */
#define KEEP 11

static void *kept[2][KEEP];
static sem_t ready;

/* Zeroes dead stack below main's frame: pthread_create's calloc of each thread's DTV
 * leaves its start address there, and a later live frame over it (fork's, exit's) would
 * make that block reachable instead of possibly lost (Valgrind's answer). */
static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[16384];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void *worker(void *arg)
{
    void **mine = arg, *tmp[PER];
    for (int i = 0; i < PER; i++)
        tmp[i] = malloc(24);
    for (int i = 0; i < PER; i++) {
        if (i % 5 == 0)
            mine[i / 5] = tmp[i];
        else
            free(tmp[i]);
    }
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    void *tmp[30];
    sem_init(&ready, 0, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, kept[i]);
    for (int i = 0; i < 2; i++)
        sem_wait(&ready);
    scrub();
    for (int i = 0; i < 30; i++)
        tmp[i] = malloc(40);
    for (int i = 0; i < 30; i++)
        free(tmp[i]);
    pid_t pid = fork();
    if (pid == 0)
        exit(0);
    waitpid(pid, NULL, 0);
    return 0;
}
