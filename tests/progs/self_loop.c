/* EXPECT: definite=32/1 indirect=48/1 possible=0/0 reachable=0/0 cyclic=32/1 */
/* A lost 32-byte node that points at itself and at a 48-byte child.
 * Valgrind: node definitely lost, child indirectly lost.
 * cyclic (not a Valgrind number): only the self-pointing node, 32/1; the child is
 * not part of any cycle. */
#include <stdlib.h>
#include <unistd.h>

struct node { struct node *self; void *child; long pad[2]; };

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) make_loop(void)
{
    struct node *volatile n = malloc(sizeof(struct node));
    n->self = n;
    n->child = calloc(1, 48);
    n->pad[0] = n->pad[1] = 0;
}

int main(void)
{
    make_loop();
    scrub();
    return 0;
}
