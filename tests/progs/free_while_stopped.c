/* Used by tests/e2e/cases/free_batch.sh (not a Valgrind-checked victim: the numbers come from the
 * tracer's API). Two threads build and free 50-node lists without pause while main
 * collects 200 times. A free that lands while a collection is stopping the world must
 * count as a free: a node whose free waited in a batch, with nothing pointing at it any
 * more, would come out unreachable. Prints the largest number of unreachable blocks any
 * collection found (0 without the tracer). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "leakgraph.h"

struct node {
    struct node *next;
    char pad[16];
};

static volatile int stop;

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        struct node *head = NULL;
        for (int i = 0; i < 50; i++) {
            struct node *n = malloc(sizeof *n);
            n->next = head;
            head = n;
        }
        while (head) {
            struct node *next = head->next;
            free(head);
            head = next;
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    long worst = 0;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, worker, NULL))
            return 3;
    for (int i = 0; i < 200; i++) {
        long n = leakgraph_collect ? leakgraph_collect() : 0;
        if (n > worst)
            worst = n;
        usleep(500);
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("most unreachable in one collection: %ld\n", worst);
    return 0;
}
