/* EXPECT: definite=40/1 indirect=0/0 possible=2576/2 reachable=1822/5 cyclic=0/0 */
/* main() calls pthread_exit: the main thread stays a zombie while a second thread runs,
 * leaks 40 bytes and ends the process with exit(). The exit snapshot is taken in the
 * second thread; the zombie can never acknowledge a stop signal and must not be waited
 * for (or reported as a thread that did not stop). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *last(void *arg)
{
    (void)arg;
    usleep(100000);
    char *volatile p = malloc(40);
    p[0] = 1;
    p = NULL;
    exit(0);
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, last, NULL) != 0)
        return 2;
    pthread_exit(NULL);
}
