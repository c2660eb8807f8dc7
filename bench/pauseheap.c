/* bench/pauseheap.c: a live heap of a given size, then one snapshot on a signal, for
 * bench/pause.sh (the pause per 100 MB of heap).
 *
 * usage: pauseheap [megabytes=100] [block_bytes=100]
 *
 * Allocates megabytes MiB of requested bytes in blocks of block_bytes, each block
 * pointing at the previous one (a list reachable from a global, so the scan follows
 * one pointer per block), then raises SIGUSR2. Under the tracer that only marks a
 * snapshot as pending: the next allocation takes it, with every thread stopped, and
 * the tracer logs "the program was paused X ms". Then it frees everything and exits.
 * Natively SIGUSR2 is ignored, so the program runs the same without the tracer. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *prev;
    unsigned long val;
};

struct node *head; /* the root: external, so the stores stay */

int main(int argc, char **argv)
{
    long mb = argc > 1 ? atol(argv[1]) : 100;
    long bs = argc > 2 ? atol(argv[2]) : 100;
    if (mb <= 0 || bs < (long)sizeof(struct node)) {
        fprintf(stderr, "usage: pauseheap [megabytes>0] [block_bytes>=%zu]\n", sizeof(struct node));
        return 2;
    }
    long n = mb * 1048576 / bs;
    for (long i = 0; i < n; i++) {
        struct node *p = malloc((size_t)bs);
        if (!p)
            return 1;
        memset(p, 0, (size_t)bs);
        p->prev = head;
        p->val = (unsigned long)i;
        head = p;
    }
    if (!getenv("LEAKGRAPH_OPTIONS"))
        signal(SIGUSR2, SIG_IGN); /* natively: the default action would kill us */
    raise(SIGUSR2);
    void *volatile take = malloc(16); /* the allocation that takes the pending snapshot */
    free(take);
    long freed = 0;
    while (head) {
        struct node *p = head->prev;
        free(head);
        head = p;
        freed++;
    }
    printf("%ld blocks of %ld bytes\n", freed, bs);
    return 0;
}
