/* EXPECT: definite=24/1 indirect=720/30 possible=0/0 reachable=0/0 cyclic=0/0 */
/* A complete binary tree of depth 5 (31 nodes of 24 bytes) whose root pointer is lost:
 * the root is definitely lost, the 30 other nodes indirectly lost. No cycles. */
#include <stdlib.h>
#include <unistd.h>

struct node { struct node *left, *right; long value; };

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static struct node *build(int depth)
{
    if (depth == 0)
        return NULL;
    struct node *n = malloc(sizeof *n);
    n->value = depth;
    n->left = build(depth - 1);
    n->right = build(depth - 1);
    return n;
}

static void __attribute__((noinline)) lose_tree(void)
{
    struct node *volatile root = build(5);
    (void)root;
}

int main(void)
{
    lose_tree();
    scrub();
    return 0;
}
