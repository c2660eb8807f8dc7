/* Per-thread alternate signal stacks, so that the crash handler runs even when a thread
 * overflowed its own stack. Mapped from tracer memory with a guard page below. */
#ifndef LG_ALTSTACK_H
#define LG_ALTSTACK_H

#include <stdbool.h>
#include <stdint.h>

/* Gives the calling thread an alternate stack unless it has one (the program's own is
 * kept; a later sigaltstack() call of the program replaces ours). */
void lg_altstack_install(void);
/* The calling thread's alternate stack changed (the interposed sigaltstack): noted
 * again. AS-safe. */
void lg_altstack_changed(void);
/* Whether sp is on the calling thread's alternate stack, as last noted: a range test,
 * no system call (the side stack asks at every unwind on a foreign stack). A stack
 * registered with a raw system call is not seen. AS-safe. */
bool lg_altstack_on(uintptr_t sp);
/* At thread exit: takes ours down and unmaps it (unless a handler is running on it). */
void lg_altstack_release(void);

#endif
