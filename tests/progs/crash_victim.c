/* Dies of a fatal signal with a known heap: 300 bytes still reachable from a global (one
 * block), 200 bytes definitely lost (one block, its pointer dropped), and a lost ring of
 * two 48-byte blocks (96 bytes definitely + indirectly lost, one cycle).
 *   crash_victim null             write through NULL (SIGSEGV)
 *   crash_victim abort            abort() (SIGABRT)
 *   crash_victim fpe              integer division by zero (SIGFPE)
 *   crash_victim overflow         unbounded recursion in main (SIGSEGV on the guard page)
 *   crash_victim thread-overflow  the same in a second thread with a 256 KiB stack
 *   crash_victim tracer-lock      a fault inside the tracer, while it holds its
 *                                 annotation lock (leakgraph_tag with a bad name) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int leakgraph_tag(const void *ptr, const char *name) __attribute__((weak));

static char *kept;

static void make_heap(void)
{
    kept = malloc(300);
    char *lost = malloc(200);
    memset(lost, 1, 200);
    lost = NULL;
    void **a = malloc(48), **b = malloc(48);
    a[0] = b;
    b[0] = a;
    a = b = NULL;
}

static int depth(volatile char *prev)
{
    volatile char frame[256] = {0}; /* no stale pointers left in the deep stack */
    frame[0] = prev ? prev[0] + 1 : 0;
    return depth(frame) + frame[1];
}

static void *overflow_thread(void *arg)
{
    (void)arg;
    return (void *)(long)depth(NULL);
}

static void tracer_lock(void)
{
    /* A name whose first byte is readable and whose end runs into a PROT_NONE page: the
     * tracer reads it with its annotation lock held. */
    char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(pages + 4096, 4096, PROT_NONE);
    memset(pages, 'x', 4096);
    if (leakgraph_tag)
        leakgraph_tag(kept, pages + 4095);
    else
        *(volatile char *)(pages + 4096) = 0; /* untraced: the same signal */
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "null";
    make_heap();
    printf("crash_victim %s\n", mode);
    fflush(stdout);
    if (!strcmp(mode, "null")) {
        *(volatile int *)0 = 1; /* the crash line */
    } else if (!strcmp(mode, "abort")) {
        abort();
    } else if (!strcmp(mode, "fpe")) {
        volatile int num = 7, zero = 0;
        printf("%d\n", num / zero);
    } else if (!strcmp(mode, "overflow")) {
        return depth(NULL);
    } else if (!strcmp(mode, "thread-overflow")) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 256 * 1024);
        pthread_create(&t, &a, overflow_thread, NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "tracer-lock")) {
        tracer_lock();
    }
    fprintf(stderr, "crash_victim: no crash in mode %s\n", mode);
    return 3;
}
