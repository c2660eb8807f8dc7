/* A handler on the alternate signal stack (SA_ONSTACK) interrupts code whose rbp holds
 * -16 (code built without frame pointers may keep anything there; -16 is a common mask)
 * and calls leakgraph_collect() (when preloaded) until a second handler, also on the
 * alternate stack, has allocated 100 times while the thread was inside the tracer. The
 * walk that finds such a handler goes from the alternate stack into the thread's own
 * where the trampoline's frame links: a range check that overflowed at rbp = -16 let it
 * read address -8 (found by a review). Prints "done" on stdout; exit 0. */
#include <leakgraph.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int runs, a_done;
static char alt[1 << 16] __attribute__((aligned(16)));
void *volatile keep[100];

/* Spins with rbp = -16 until a_done. */
void spin(void);
__asm__(".text\n.globl spin\n.type spin, @function\nspin:\n push %rbp\n mov $-16, %rbp\n"
        "1: cmpl $0, a_done(%rip)\n je 1b\n pop %rbp\n ret\n");

static void on_b(int s)
{
    (void)s;
    if (runs < 100) {
        keep[runs] = malloc(32);
        runs++;
    }
}

static void on_a(int s)
{
    (void)s;
    while (runs < 100)
        if (leakgraph_collect)
            leakgraph_collect();
    a_done = 1;
}

static void *sender(void *arg)
{
    pthread_t m = *(pthread_t *)arg;
    pthread_kill(m, SIGUSR1);
    while (!a_done) {
        pthread_kill(m, SIGWINCH);
        usleep(200);
    }
    return NULL;
}

int main(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    if (sigaltstack(&ss, NULL) != 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sa.sa_handler = on_a;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_b;
    sigaction(SIGWINCH, &sa, NULL);
    pthread_t self = pthread_self(), t;
    if (pthread_create(&t, NULL, sender, &self))
        return 2;
    spin();
    pthread_join(t, NULL);
    for (int i = 0; i < 100; i++)
        free(keep[i]);
    puts("done");
    return 0;
}
