/* leakgraph_garbage writes block addresses into the caller's array: here a heap block
 * that was already there at the collection before, so the next collection must see
 * those writes to know that the garbage is reachable again (the program's own stores
 * did not make that block dirty). Run under collect_verify: every collection is
 * compared with a full rescan at the same stop. Prints a line a round, then "done". */
#include "leakgraph.h"

#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 3
#define CHAIN 8

struct node {
    struct node *next;
    long pad[3];
};

struct leakgraph_garbage *volatile out; /* CHAIN entries a round, the earlier ones kept */

static void __attribute__((noinline)) make_lost(void)
{
    struct node *head = NULL;
    for (int i = 0; i < CHAIN; i++) {
        struct node *n = malloc(sizeof *n);
        n->next = head;
        head = n;
    }
}

/* Overwrites the stack below main's frame, where make_lost's frame held the chain. */
static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[4096];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

int main(void)
{
    if (!LEAKGRAPH_AVAILABLE()) {
        fputs("garbage_into_heap: run it under libleakgraph.so\n", stderr);
        return 2;
    }
    out = calloc(ROUNDS * CHAIN, sizeof *out);
    if (leakgraph_collect() < 0) /* the array is kept, clean */
        return 1;
    for (int round = 0; round < ROUNDS; round++) {
        make_lost();
        scrub();
        long lost = leakgraph_collect();
        long listed = leakgraph_garbage(out + CHAIN * round, CHAIN);
        long after = leakgraph_collect(); /* reachable again through the array */
        printf("round %d: %ld unreachable, %ld listed, %ld unreachable after\n", round, lost, listed, after);
        if (after != 0)
            return 1;
    }
    puts("done");
    return 0;
}
