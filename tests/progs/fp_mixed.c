/* EXPECT: definite=1842/12 indirect=0/0 possible=272/1 reachable=0/0 cyclic=0/0 */
/* Allocation stacks through code with and without frame pointers, and through libc
 * (qsort's callback, a thread's start): the report's stacks must be libunwind's, frame
 * for frame, even where the tracer's frame-pointer walk would skip a caller. A function
 * built without frame pointers also runs with a hostile rbp (-16, near the top of the
 * address space), which a frame-pointer walk must survive. Each path loses one block of
 * its own size, so the check can pair each loss record with its expected stack
 * (tests/e2e/cases/fp_mixed.sh, against Valgrind's stacks). Run twice per path, so the
 * second allocation takes the tracer's cached walk. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NOFP __attribute__((noinline, optimize("omit-frame-pointer")))
#define FP __attribute__((noinline, optimize("no-omit-frame-pointer")))

static void *volatile sink;

FP static void leaf(size_t n)
{
    char *p = malloc(n);
    memset(p, 0, n);
    sink = p;
    sink = NULL;
}

NOFP static void nofp_mid(size_t n)
{
    leaf(n);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}

FP static void fp_top(size_t n)
{
    nofp_mid(n);
    __asm__ volatile("" ::: "memory");
}

/* rbp = -16 while calling malloc: a frame-pointer walk that trusts it crashes. */
NOFP static void hostile_rbp(size_t n)
{
    void *p;
    size_t clobbered;
    /* rsp stays where the compiler keeps it for calls (aligned, its CFI valid) */
    __asm__ volatile("mov %%rbp, %%rbx\n\t"
                     "mov $-16, %%rbp\n\t"
                     "call malloc@PLT\n\t"
                     "mov %%rbx, %%rbp"
                     : "=a"(p), "=D"(clobbered)
                     : "1"(n)
                     : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory");
    memset(p, 0, n);
    sink = p;
    sink = NULL;
}

static size_t cmp_size;
static int by_value(const void *a, const void *b)
{
    if (cmp_size) {
        leaf(cmp_size);
        cmp_size = 0;
    }
    return *(const int *)a - *(const int *)b;
}

NOFP static void sort_some(size_t n)
{
    int v[4] = {3, 1, 2, 0};
    cmp_size = n;
    qsort(v, 4, sizeof *v, by_value);
}

/* Two callers with frame pointers of the same function without: a frame-pointer walk
 * skips the caller, so both give the same walk from the one call site in main. */
FP static void via_a(size_t n)
{
    nofp_mid(n);
    __asm__ volatile("" ::: "memory");
}

FP static void via_b(size_t n)
{
    nofp_mid(n);
    __asm__ volatile("" ::: "memory");
}

static void *thread_main(void *arg)
{
    fp_top((size_t)arg);
    return NULL;
}

int main(void)
{
    for (int round = 0; round < 2; round++) {
        fp_top(101 + round * 100);       /* 101, 201 */
        nofp_mid(102 + round * 100);     /* 102, 202 */
        hostile_rbp(103 + round * 100);  /* 103, 203 */
        sort_some(104 + round * 100);    /* 104, 204 */
        void (*volatile via)(size_t) = round ? via_b : via_a;
        via(106 + round * 100);          /* 106 via_a, 206 via_b */
        pthread_t t;
        pthread_create(&t, NULL, thread_main, (void *)(size_t)(105 + round * 100));
        pthread_join(t, NULL);           /* 105, 205 */
    }
    return 0;
}
