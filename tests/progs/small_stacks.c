/* EXPECT: definite=48/1 indirect=0/0 possible=272/1 reachable=4096/1 cyclic=0/0 */
/* Threads with the smallest stack POSIX allows (PTHREAD_STACK_MIN, 16 KiB here): glibc
 * carves every thread's static TLS out of its stack and refuses the thread when the TLS
 * does not fit, so a tracer with a big initial-exec TLS block would make pthread_create
 * fail with EINVAL. 64 of them run one after another; one leaks 48 bytes. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg)
{
    char *volatile p = malloc(32);
    p[0] = 1;
    free(p);
    if (arg)
        p = malloc(48);
    return NULL;
}

int main(void)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    int rc = pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
    if (rc) {
        printf("setstacksize: %s\n", strerror(rc));
        return 1;
    }
    for (int i = 0; i < 64; i++) {
        pthread_t t;
        rc = pthread_create(&t, &a, work, i == 7 ? &a : NULL);
        if (rc) {
            printf("pthread_create %d: %s\n", i, strerror(rc));
            return 1;
        }
        pthread_join(t, NULL);
    }
    printf("64 small-stack threads done\n");
    return 0;
}
