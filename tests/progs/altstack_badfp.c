/* A handler on the alternate signal stack (SA_ONSTACK) interrupts code whose rbp holds
 * -16 (code built without frame pointers may keep anything there; -16 is a common mask)
 * and calls leakgraph_collect() (when preloaded) until a second handler, also on the
 * alternate stack, has allocated 100 times while the thread was inside the tracer. The
 * walk that finds such a handler goes from the alternate stack into the thread's own
 * where the trampoline's frame links: a range check that overflowed at rbp = -16 let it
 * read address -8 (found by a review). Prints "done" on stdout; exit 0. */
#include <leakgraph.h>
#include <stdio.h>
#include <stdlib.h>

#define PERIOD_US 200
#include "altstack_driver.h"

volatile int runs;
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

int main(void)
{
    int rc = drive_two(on_a, on_b, spin);
    for (int i = 0; rc == 0 && i < 100; i++)
        free(keep[i]);
    if (!rc)
        puts("done");
    return rc;
}
