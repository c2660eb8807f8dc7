/* Every node of a complete binary tree of depth N (argv[1], default 9) is allocated from
 * a call stack of its own: the recursion's return addresses differ only in which of two
 * call sites each level came through, so two nodes' stacks can be the same return
 * addresses in another order. The report must keep 2^N - 1 sites apart (a stack hash
 * that combined its two lanes before mixing merged about 2 in 256 of them).
 * The tree hangs off a global: every node is still reachable. */
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *l, *r;
};

static struct node *__attribute__((noinline)) build(int depth)
{
    if (depth == 0)
        return NULL;
    struct node *n = malloc(sizeof *n);
    n->l = build(depth - 1);
    __asm__ volatile("" ::: "memory"); /* two distinct return addresses */
    n->r = build(depth - 1);
    __asm__ volatile("" ::: "memory");
    return n;
}

struct node *volatile keep;

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 9;
    keep = build(depth);
    printf("stack_tree: %d nodes\n", (1 << depth) - 1);
    return 0;
}
