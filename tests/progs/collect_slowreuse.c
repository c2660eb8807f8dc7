/* A clean block R holds a pointer 8 bytes into X, whose first word is X's length minus 8
 * (Valgrind's length64 heuristic accepts it: a definite reference). X is freed and Y, of
 * the same size, comes back at the same address; R is not written again. Every
 * collection must find Y reachable through R, as a full rescan does. Run with
 * free_batch=0 (the freed address comes back at once). Prints the unreachable counts. */
#include "leakgraph.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void **R;

__attribute__((noinline)) static void step1(void)
{
    long *x = malloc(40);
    ((volatile long *)x)[0] = 32; /* 40 - 8: LENGTH64 */
    R[0] = (char *)x + 8;
}

__attribute__((noinline)) static void step2(void)
{
    long *x = (long *)((char *)R[0] - 8);
    free(x);
    long *y = malloc(40);
    if ((char *)y + 8 != (char *)R[0]) {
        printf("not the same address\n");
        exit(3);
    }
    volatile long *vy = y;
    for (int i = 0; i < 5; i++) vy[i] = 0;
    vy[0] = 32;
    y = NULL;
}

int main(void)
{
    if (posix_memalign((void **)&R, 4096, 4096))
        return 1;
    memset(R, 0, 4096);
    step1();
    printf("c1 %ld\n", leakgraph_collect());
    step2();
    printf("c2 %ld\n", leakgraph_collect());
    printf("c3 %ld\n", leakgraph_collect());
    return 0;
}
