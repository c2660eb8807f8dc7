/* EXPECT: definite=0/0 indirect=0/0 possible=576/2 reachable=64/2 cyclic=0/0 */
/* Two threads keep a pointer only in their own __thread variable:
 *   - "parked": still alive at exit, blocked in pause(): its 40-byte block is reachable;
 *   - "joined": has exited and been joined; glibc keeps its stack (and static TLS) in
 *     the stack cache, which Valgrind scans: its 24-byte block is reachable too.
 * Plus glibc's per-thread 288-byte block, possibly lost, once per thread (as Valgrind
 * prints it). */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

static __thread void *volatile tls_ptr;
static sem_t ready;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) stash(size_t n)
{
    tls_ptr = malloc(n);
}

static void *parked(void *arg)
{
    (void)arg;
    stash(40);
    scrub();
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

static void *joined(void *arg)
{
    (void)arg;
    stash(24);
    scrub();
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    sem_init(&ready, 0, 0);
    /* The parked thread first: had the joined thread exited before, the parked one
     * would reuse its cached stack and glibc would clear the joined thread's TLS. */
    if (pthread_create(&a, NULL, parked, NULL) != 0)
        return 2;
    while (sem_wait(&ready) != 0)
        ;
    if (pthread_create(&b, NULL, joined, NULL) != 0)
        return 2;
    pthread_join(b, NULL);
    scrub();
    return 0;
}
