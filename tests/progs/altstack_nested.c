/* Two handlers on one alternate signal stack (SA_ONSTACK): A allocates in a loop (on a
 * stack not the thread's own, each allocation's stack is unwound on the tracer's side
 * stack), B comes every 50 us meanwhile. A signal that arrived while A's thread was on
 * the side stack made the kernel start the alternate stack afresh, over A's live frames
 * (the kernel sees a stack pointer off the alternate stack): the program crashed under
 * the tracer (found by a review). Prints "done" on stdout; exit 0. */
#include <stdio.h>
#include <stdlib.h>

#define PERIOD_US 50
#include "altstack_driver.h"

static volatile int b_runs;

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

static void wait_a(void)
{
    while (!a_done)
        ;
}

int main(void)
{
    int rc = drive_two(on_a, on_b, wait_a);
    if (!rc)
        puts("done");
    return rc;
}
