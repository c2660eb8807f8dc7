/* leakgraph_collect() and leakgraph_garbage(), step by step: a kept list, a dropped single
 * block, a dropped ring of three (a cycle), a list whose head pointer is overwritten, and
 * blocks that become garbage through memcpy and free. Prints one line per collection and
 * per garbage block (kind, size, cycle number, fresh) on stdout; without the tracer it
 * says so and exits 0. Argument "sleep": sleeps 3 s once the ring is dropped, and ends;
 * "noapi": the same steps without calling the API (for collect_every). */
#include "leakgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct node {
    struct node *next;
    long payload[3];
};

struct node *kept;            /* a list of 2, reachable all along */
struct node *volatile slot;   /* its target changes */
struct node *volatile box[2]; /* overwritten by memcpy */

static struct node *__attribute__((noinline)) make(struct node *next, long v)
{
    struct node *n = calloc(1, sizeof *n);
    n->next = next;
    n->payload[0] = v;
    return n;
}

static void __attribute__((noinline)) drop_ring(void)
{
    struct node *a = make(NULL, 1), *b = make(a, 2), *c = make(b, 3);
    a->next = c; /* a -> c -> b -> a */
    slot = a;
}

static void __attribute__((noinline)) overwrite_slot(void) { LEAKGRAPH_STORE(slot, kept); }

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[16384];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

/* Called right after scrub(), so that its frame (g below) holds no stale pointer from the
 * frames of make() that ran where it runs now. */
static void __attribute__((noinline)) collect(const char *step)
{
    long n = leakgraph_collect();
    struct leakgraph_garbage g[16];
    memset(g, 0, sizeof g);
    long m = leakgraph_garbage(g, 16);
    printf("%s: collect=%ld garbage=%ld\n", step, n, m);
    for (long i = 0; i < m && i < 16; i++)
        printf("  %s size=%zu cycle=%u fresh=%d stack=%s\n", g[i].kind == LEAKGRAPH_DEFINITE ? "definite" : "indirect",
               g[i].size, g[i].cycle, g[i].fresh, g[i].depth > 0 ? "yes" : "no");
}

static int noapi; /* argument "noapi": no leakgraph_collect calls (for collect_every) */
#define report(step) (noapi ? (void)0 : (scrub(), collect(step)))

int main(int argc, char **argv)
{
    if (!LEAKGRAPH_AVAILABLE()) {
        puts("no tracer");
        return 0;
    }
    noapi = argc > 1 && !strcmp(argv[1], "noapi");
    kept = make(make(NULL, 20), 10);
    report("start");
    free(make(NULL, 99));       /* allocated and freed: never garbage */
    (void)make(NULL, 4);        /* dropped at once */
    report("single");
    drop_ring();
    report("ring kept");
    overwrite_slot();           /* the ring's only reference goes */
    if (argc > 1 && !strcmp(argv[1], "sleep")) {
        scrub();
        /* for collect_interval; a collection's stop signal ends a sleep early (EINTR) */
        struct timespec left = {3, 0};
        while (nanosleep(&left, &left) != 0)
            ;
        return 0;
    }
    report("ring dropped");
    box[0] = make(NULL, 5);
    box[1] = make(NULL, 6);
    struct node *const zero[2] = {NULL, NULL};
    memcpy((void *)box, zero, sizeof zero); /* both references go through memcpy */
    report("memcpy");
    struct node *second = kept->next;
    kept->next = NULL;
    free(second);
    report("freed");
    return 0;
}
