/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=64/4 cyclic=0/0 */
/* A ring of 4 nodes (16 bytes each) kept alive by a global pointer: still reachable,
 * so not cyclic (cyclic counts unreachable blocks only). */
#include <stdlib.h>
#include <unistd.h>

struct node { struct node *next; long value; };
struct node *volatile g_ring;

int main(void)
{
    struct node *first = malloc(sizeof *first), *last = first;
    first->value = 0;
    for (int i = 1; i < 4; i++) {
        struct node *x = malloc(sizeof *x);
        x->value = i;
        last->next = x;
        last = x;
    }
    last->next = first;
    g_ring = first;
    return 0;
}
