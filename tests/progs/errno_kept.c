/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=4096/1 cyclic=0/0 */
/* A successful allocation leaves errno as it was (programs check errno after calls that
 * allocate inside, e.g. strtol-style parsers), even when the tracer unwinds, grows its
 * table or maps memory: 200,000 allocations from 50 distinct stacks, errno checked after
 * each, and malloc_usable_size at least the requested size. Prints the first mismatch. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

static void *keep[200000];

static int __attribute__((noinline)) one(int i, int depth)
{
    if (depth > 0)
        return one(i, depth - 1) + 1;
    errno = EDOM;
    void *p = (i & 1) ? malloc(24 + (size_t)i % 100) : calloc(1, 24 + (size_t)i % 100);
    if (errno != EDOM) {
        printf("errno changed by allocation %d: %d\n", i, errno);
        return -1000000;
    }
    if (malloc_usable_size(p) < 24 + (size_t)i % 100) {
        printf("malloc_usable_size too small at %d\n", i);
        return -1000000;
    }
    keep[i] = p;
    return 0;
}

int main(void)
{
    for (int i = 0; i < 200000; i++)
        if (one(i, i % 50) < 0)
            return 1;
    errno = ERANGE;
    void *q;
    if (posix_memalign(&q, 64, 100) != 0 || errno != ERANGE) {
        printf("posix_memalign changed errno: %d\n", errno);
        return 1;
    }
    free(q);
    for (int i = 0; i < 200000; i++)
        free(keep[i]);
    printf("errno kept\n");
    return 0;
}
