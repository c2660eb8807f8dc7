/* A store in flight across a collection: collect_inflight clang|gcc|macro [rounds=3]. A
 * compiler hook runs before its store, so a thread can be stopped between the two: the
 * collection reads the slot's old value, the store lands after it. Here a worker thread
 * calls the hook itself (__sanitizer_cov_store8 or __asan_store8_noabort, as instrumented
 * code does; or leakgraph_note_store, as LEAKGRAPH_STORE does for a slot outside the
 * card table, and then does not mark the card after the store), then waits while the main thread collects, then stores the only reference to
 * a block into a node that hangs off a global, and exits. The next collection must find
 * that block reachable: the slot's card must be read again although nothing was
 * recorded since. Round 1 is the first collection (the hooks disarmed before it),
 * later rounds the usual case; in even rounds the store waits over two collections. Prints each collection's unreachable count, then
 * "done"; exit status 1 when a block reachable after a store was found unreachable. */
#include "leakgraph.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void __sanitizer_cov_store8(void *) __attribute__((weak));
void __asan_store8_noabort(void *) __attribute__((weak));

struct node {
    void *slot[8];
};

struct node *volatile root; /* the node, from a global: always reachable */
void *volatile keep;        /* the block, until the worker has stored it */
static void (*hook)(void *);
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage; /* 1: the hook ran; 2: the collection is over */

static void note_store(void *slot) { leakgraph_note_store(slot, keep); }

static void *worker(void *arg)
{
    void **slot = &root->slot[(long)arg];
    hook(slot); /* ... and the store comes after the collection */
    pthread_mutex_lock(&mu);
    stage = 1;
    pthread_cond_broadcast(&cv);
    while (stage != 2)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    *(void *volatile *)slot = keep;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "clang") && strcmp(argv[1], "gcc") && strcmp(argv[1], "macro"))) {
        fputs("usage: collect_inflight clang|gcc|macro [rounds]\n", stderr);
        return 2;
    }
    hook = !strcmp(argv[1], "clang") ? __sanitizer_cov_store8 : __asan_store8_noabort;
    if (!strcmp(argv[1], "macro"))
        hook = leakgraph_note_store ? note_store : NULL;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (!LEAKGRAPH_AVAILABLE() || !hook) {
        fputs("collect_inflight: run it under libleakgraph.so\n", stderr);
        return 2;
    }
    root = calloc(1, sizeof *root);
    int bad = 0;
    for (long r = 0; r < rounds && r < 8; r++) {
        keep = malloc(48);
        pthread_t t;
        stage = 0;
        if (pthread_create(&t, NULL, worker, (void *)r))
            return 2;
        pthread_mutex_lock(&mu);
        while (stage != 1)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        long before = 0; /* the worker: between its hook and its store, for one collection or two */
        for (long c = 0; c <= r % 2; c++)
            before = leakgraph_collect();
        pthread_mutex_lock(&mu);
        stage = 2;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        pthread_join(t, NULL);
        keep = NULL; /* now only the node refers to the block */
        long after = leakgraph_collect();
        printf("round %ld: %ld unreachable with the store in flight, %ld after it\n", r + 1, before, after);
        bad |= after != 0;
    }
    puts("done");
    return bad;
}
