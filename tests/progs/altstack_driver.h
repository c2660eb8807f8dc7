/* The driver of the altstack_* victims: handlers A (SIGUSR1) and B (SIGWINCH) on one
 * alternate signal stack (SA_ONSTACK). A sender thread sends A once, then B every
 * PERIOD_US microseconds until a_done; main waits in wait_a(). */
#ifndef ALTSTACK_DRIVER_H
#define ALTSTACK_DRIVER_H

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

volatile int a_done;
static char alt[1 << 16] __attribute__((aligned(16)));

static void *sender(void *arg)
{
    pthread_t m = *(pthread_t *)arg;
    pthread_kill(m, SIGUSR1);
    while (!a_done) {
        pthread_kill(m, SIGWINCH);
        usleep(PERIOD_US);
    }
    return NULL;
}

static int drive_two(void (*on_a)(int), void (*on_b)(int), void (*wait_a)(void))
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
    wait_a();
    pthread_join(t, NULL);
    return 0;
}

#endif
