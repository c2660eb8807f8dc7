/* The cost of store hooks on a pointer-heavy workload: storebench [nodes=10000] [mops=20].
 * Nodes sit on a doubly linked ring; each operation unlinks a random node and relinks it
 * after another random node (six pointer stores), mops million times. Built plain, with
 * -DUSE_MACRO (every pointer store through LEAKGRAPH_STORE) and with `leakgraph cflags`
 * for gcc and clang; run under libleakgraph.so after one leakgraph_collect(), so that the
 * hooks are armed as they are between collections; under the tracer it also collects
 * every 40,000 operations (as collect_interval would), outside the time measured, so the
 * hooks' logs drain as they would. Prints the loop's time in ms. Also
 * times 10 million 64-byte memcpy calls through a pointer (the interposed memcpy). */
#include "leakgraph.h"
#include "xorshift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef USE_MACRO
#define SET(lhs, rhs) LEAKGRAPH_STORE(lhs, rhs)
#else
#define SET(lhs, rhs) ((lhs) = (rhs))
#endif

struct node {
    struct node *prev, *next;
    long key;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rng = 88172645463325252ull;
static inline uint64_t next(void) { return xorshift64(&rng); }

struct node **nodes;

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    long ops = (argc > 2 ? atol(argv[2]) : 20) * 1000000;
    nodes = malloc(n * sizeof *nodes);
    for (long i = 0; i < n; i++)
        nodes[i] = calloc(1, sizeof(struct node));
    for (long i = 0; i < n; i++) {
        SET(nodes[i]->next, nodes[(i + 1) % n]);
        SET(nodes[(i + 1) % n]->prev, nodes[i]);
    }
    if (LEAKGRAPH_AVAILABLE())
        leakgraph_collect();
    double t0 = now_ms(), paused = 0;
    for (long k = 0; k < ops; k++) {
        if (k % 40000 == 0 && k && LEAKGRAPH_AVAILABLE()) { /* as between periodic collections */
            double c0 = now_ms();
            leakgraph_collect();
            paused += now_ms() - c0;
        }
        struct node *a = nodes[next() % (unsigned long long)n], *b = nodes[next() % (unsigned long long)n];
        if (a == b || a->next == b)
            continue;
        SET(a->prev->next, a->next); /* unlink a */
        SET(a->next->prev, a->prev);
        SET(a->next, b->next); /* relink after b */
        SET(a->prev, b);
        SET(b->next->prev, a);
        SET(b->next, a);
    }
    double t1 = now_ms() - paused; /* the loop's own time */
    static char src[64], dst[64];
    void *(*volatile cp)(void *, const void *, size_t) = memcpy;
    for (long k = 0; k < 10000000; k++)
        cp(dst, src, sizeof dst);
    double t2 = now_ms();
    printf("loop %.1f ms; 10M memcpy(64) %.1f ms\n", t1 - t0, t2 - (t1 + paused));
    return 0;
}
