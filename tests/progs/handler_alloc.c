/* EXPECT: definite=12500/125 indirect=0/0 possible=272/1 reachable=18000/500 cyclic=0/0 */
/* A signal handler that allocates while its thread is inside the tracer. Main runs
 * leakgraph_collect() in a loop (when preloaded; a busy loop otherwise), so nearly every
 * SIGUSR1 from the sender thread lands inside the tracer, often while main holds every
 * lock of the block table. Each of the 250 handler runs links a 48-byte node, holding a
 * 24-byte child, onto a global list; every second run also drops a 100-byte block. The
 * tracer once left such blocks unrecorded: the dropped ones went unreported and the
 * children of unrecorded nodes were reported lost. Main allocates nothing itself, so
 * the handler never interrupts glibc's own malloc. Numbers as Valgrind prints them (its
 * possibly lost 272 bytes: glibc's block for the joined sender thread, in its stack cache). */
#include <leakgraph.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS 250

struct node {
    struct node *next;
    void *child;
    char pad[32];
};

static struct node *volatile head;
static volatile int runs;

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

static void *sender(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    while (runs < RUNS) {
        pthread_kill(main_thread, SIGUSR1);
        usleep(200);
    }
    return NULL;
}

/* The handlers' frames were below main's: nothing of them may look like a reference. */
static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[65536];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self(), t;
    if (pthread_create(&t, NULL, sender, &self))
        return 1;
    while (runs < RUNS)
        if (leakgraph_collect)
            leakgraph_collect();
    pthread_join(t, NULL);
    scrub();
    return 0;
}
