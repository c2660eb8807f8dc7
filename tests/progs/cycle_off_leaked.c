/* EXPECT: definite=40/1 indirect=48/3 possible=0/0 reachable=0/0 cyclic=48/3 */
/* A lost 40-byte head block points into a ring of 3 nodes (16 bytes each).
 * Valgrind: head definitely lost, ring indirectly lost.
 * cyclic (not a Valgrind number): the 3 ring nodes (48/3); the head is outside the cycle. */
#include <stdlib.h>
#include <unistd.h>

struct node { struct node *next; long value; };
struct head { struct node *ring; long pad[4]; };

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make(void)
{
    struct head *volatile h = calloc(1, sizeof(struct head));
    struct node *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    a->next = b; b->next = c; c->next = a;
    a->value = 1; b->value = 2; c->value = 3;
    h->ring = b;
}

int main(void)
{
    make();
    scrub();
    return 0;
}
