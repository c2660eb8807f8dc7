/* EXPECT: definite=12500/125 indirect=0/0 possible=272/1 reachable=18000/500 cyclic=0/0 */
/* A signal handler that allocates while its thread is inside the tracer. Main runs
 * leakgraph_collect() in a loop (when preloaded; a busy loop otherwise), so nearly every
 * SIGUSR1 from the sender thread lands inside the tracer, often while main holds every
 * lock of the block table. Each of the 250 handler runs links a 48-byte node, holding a
 * 24-byte child, onto a global list; every second run also drops a 100-byte block. The
 * tracer once left such blocks unrecorded: the dropped ones went unreported and the
 * children of unrecorded nodes were reported lost (handler_driver.h runs it). Numbers
 * as Valgrind prints them (its possibly lost 272 bytes: glibc's block for the joined
 * sender thread, in its stack cache). */
#include <stdlib.h>

#define RUNS 250
#include "handler_driver.h"

struct node {
    struct node *next;
    void *child;
    char pad[32];
};

static struct node *volatile head;

static void on_usr1(int sig)
{
    (void)sig;
    if (runs >= RUNS)
        return;
    struct node *n = malloc(sizeof *n);
    n->child = malloc(24);
    n->next = head;
    head = n;
    if (runs % 2) {
        void *volatile dropped = malloc(100);
        dropped = NULL;
    }
    runs++;
}

int main(void)
{
    return drive(on_usr1);
}
