/* EXPECT: definite=48/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* 150,000 allocations from a function built without frame pointers (the tracer's
 * frame-pointer walk cannot be confirmed there, so libunwind takes every stack), freed,
 * and one 48-byte block lost: the report's last lines say that most stacks went
 * through libunwind and name fast_unwind=1 (tests/e2e/cases/stack_sites.sh). With the
 * argument "fp" the same allocations come from a function with frame pointers, and the
 * report says nothing of it. */
#include <stdlib.h>
#include <string.h>

#define NOFP __attribute__((noinline, optimize("omit-frame-pointer")))
#define FP __attribute__((noinline, optimize("no-omit-frame-pointer")))

static void *volatile sink;

NOFP static void churn_nofp(int n)
{
    for (int i = 0; i < n; i++) {
        sink = malloc(16 + (size_t)(i & 63));
        free(sink);
    }
}

FP static void churn_fp(int n)
{
    for (int i = 0; i < n; i++) {
        sink = malloc(16 + (size_t)(i & 63));
        free(sink);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fp"))
        churn_fp(150000);
    else
        churn_nofp(150000);
    sink = NULL;
    char *lost = malloc(48);
    memset(lost, 7, 48);
    lost = NULL;
    return 0;
}
