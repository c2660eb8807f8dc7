/* EXPECT: definite=24/1 indirect=96/4 possible=0/0 reachable=0/0 cyclic=120/5 */
/* A doubly linked ring of 5 nodes (24 bytes each) with no pointer from outside.
 * Valgrind: the lowest-addressed node is definitely lost, the other 4 indirectly lost.
 * cyclic (not a Valgrind number): all 5 nodes form one strongly connected part. */
#include <stdlib.h>
#include <unistd.h>

struct node { struct node *next, *prev; long value; };

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make_ring(int n)
{
    struct node *volatile head = malloc(sizeof(struct node));
    head->next = head->prev = head;
    head->value = 0;
    for (int i = 1; i < n; i++) {
        struct node *x = malloc(sizeof *x);
        x->value = i;
        x->prev = head->prev;
        x->next = head;
        head->prev->next = x;
        head->prev = x;
    }
}

int main(void)
{
    make_ring(5);
    scrub();
    return 0;
}
