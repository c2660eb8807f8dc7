/* The driver of the handler_* victims: a sender thread sends main SIGUSR1 every 200 us
 * until the victim's handler has run RUNS times (it counts them in `runs`), while main
 * runs leakgraph_collect() in a loop when preloaded (a busy loop otherwise), so nearly
 * every handler run lands inside the tracer. Main allocates nothing itself, so the
 * handler never interrupts glibc's own malloc. */
#ifndef HANDLER_DRIVER_H
#define HANDLER_DRIVER_H

#include <leakgraph.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile int runs;

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

#if defined HANDLER_ONSTACK && !defined HANDLER_ONSTACK_LOCAL
/* The handler runs on an alternate signal stack (SA_ONSTACK); scrubbed after, as the
 * thread's own stack is: it is a global, and a root. With HANDLER_ONSTACK_LOCAL it is a
 * local array of drive(), inside the thread's own stack. */
static char altstack[1 << 16] __attribute__((aligned(16)));
#endif

static int drive(void (*handler)(int))
{
#ifdef HANDLER_ONSTACK_LOCAL
    char altstack[1 << 16] __attribute__((aligned(16)));
#endif
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
#ifdef HANDLER_ONSTACK
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    if (sigaltstack(&ss, NULL) != 0)
        return 1;
    sa.sa_flags |= SA_ONSTACK;
#endif
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self(), t;
    if (pthread_create(&t, NULL, sender, &self))
        return 1;
    while (runs < RUNS)
        if (leakgraph_collect)
            leakgraph_collect();
    pthread_join(t, NULL);
    scrub();
#ifdef HANDLER_ONSTACK
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    memset(altstack, 0, sizeof altstack);
    __asm__ volatile("" : : "r"(altstack) : "memory"); /* the stores must happen */
#endif
    return 0;
}

#endif
