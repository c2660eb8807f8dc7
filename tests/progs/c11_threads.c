/* C11 threads (found by a review): glibc's thrd_create calls its own pthread_create
 * internally, so the interposed one never saw these threads. Each left about 69 KiB of
 * tracer buffers behind, and the frees waiting in its batch never reached glibc.
 * - 4000 short-lived threads each malloc and free 10 blocks and return i - 2000;
 *   thrd_join must give that value back. The growth of the address space between the
 *   1000th and the 4000th thread is printed on stderr ("growth_kib=N").
 * - one thread keeps the only pointer to a 64-byte block in a local while main returns:
 *   still reachable, through its stack.
 * Prints "joined N ok" on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <unistd.h>

static long vm_kib(void)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static int shortlived(void *arg)
{
    void *p[10];
    for (int i = 0; i < 10; i++)
        p[i] = malloc(40);
    for (int i = 0; i < 10; i++)
        free(p[i]);
    return (int)(long)arg - 2000;
}

static volatile int ready;

static int holder(void *unused)
{
    (void)unused;
    void *volatile mine = malloc(64);
    ready = 1;
    for (;;)
        pause();
    return mine != NULL;
}

int main(void)
{
    long at1000 = 0, ok = 0;
    for (long i = 0; i < 4000; i++) {
        thrd_t t;
        int res = 0;
        if (i == 1000)
            at1000 = vm_kib();
        if (thrd_create(&t, shortlived, (void *)i) != thrd_success || thrd_join(t, &res) != thrd_success)
            return 2;
        ok += res == (int)i - 2000;
    }
    fprintf(stderr, "growth_kib=%ld\n", vm_kib() - at1000);
    thrd_t h;
    if (thrd_create(&h, holder, NULL) != thrd_success)
        return 2;
    while (!ready)
        usleep(1000);
    usleep(10000);
    printf("joined %ld %s\n", ok, ok == 4000 ? "ok" : "WRONG");
    return 0;
}
