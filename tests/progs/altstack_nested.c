/* Two handlers on one alternate signal stack (SA_ONSTACK): A allocates in a loop (on a
 * stack not the thread's own, each allocation's stack is unwound on the tracer's side
 * stack), B comes every 50 us meanwhile. A signal that arrived while A's thread was on
 * the side stack made the kernel start the alternate stack afresh, over A's live frames
 * (the kernel sees a stack pointer off the alternate stack): the program crashed under
 * the tracer (found by a review). Prints "done" on stdout; exit 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int a_done, b_runs;
static char alt[1 << 16] __attribute__((aligned(16)));

static void on_b(int s)
{
    (void)s;
    volatile char pad[512];
    memset((char *)pad, 0x41, sizeof pad);
    b_runs++;
}

static void __attribute__((noinline)) depth(int k)
{
    if (k) {
        depth(k - 1);
        __asm__ volatile("" ::: "memory"); /* not a tail call */
        return;
    }
    free(malloc(16));
}

static void on_a(int s)
{
    (void)s;
    for (int i = 0; i < 20000; i++)
        depth(i % 8);
    a_done = 1;
}

static void *sender(void *arg)
{
    pthread_t m = *(pthread_t *)arg;
    pthread_kill(m, SIGUSR1);
    while (!a_done) {
        pthread_kill(m, SIGWINCH);
        usleep(50);
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
    while (!a_done)
        ;
    pthread_join(t, NULL);
    puts("done");
    return 0;
}
