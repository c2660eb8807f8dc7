/* EXPECT: definite=55/1 indirect=0/0 possible=544/2 reachable=0/0 cyclic=0/0
 * EXPECT[child]: definite=77/1 indirect=0/0 possible=544/2 reachable=65/2 cyclic=0/0 */
/* Two threads allocate and free in a loop while the main thread forks. Each thread
 * replaces the block in its global slot under a mutex that pthread_atfork holds across
 * the fork, so the child always sees exactly two live blocks (32 and 33 bytes) in the
 * slots: reachable. The child leaks 77 bytes and exits normally; the parent waits,
 * stops and joins the threads, frees the slots and leaks 55 bytes.
 * The first EXPECT is the parent, EXPECT[child] the forked child.
 * glibc's per-thread blocks as Valgrind prints them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
void *volatile g_slot[2];
static volatile int stop;
static volatile int started[2];

static void prepare(void) { pthread_mutex_lock(&lock); }
static void release(void) { pthread_mutex_unlock(&lock); }

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak(size_t n)
{
    char *volatile p = malloc(n);
    memset(p, 0, n);
}

static void *churn(void *arg)
{
    int i = (int)(size_t)arg;
    while (!stop) {
        pthread_mutex_lock(&lock);
        void *n = malloc(32 + i);
        void *old = g_slot[i];
        g_slot[i] = n;
        free(old);
        pthread_mutex_unlock(&lock);
        started[i] = 1;
    }
    scrub();
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_atfork(prepare, release, release);
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, churn, (void *)(size_t)i) != 0)
            return 2;
    while (!started[0] || !started[1])
        usleep(100);
    usleep(2000);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        leak(77);
        scrub();
        exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 3;
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    free(g_slot[0]);
    free(g_slot[1]);
    g_slot[0] = g_slot[1] = NULL;
    leak(55);
    scrub();
    write(1, "fork_threads: child ok\n", 23);
    return 0;
}
