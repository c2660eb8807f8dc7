/* Per-thread alternate signal stacks, so that the crash handler runs even when a thread
 * overflowed its own stack. Mapped from tracer memory with a guard page below. */
#ifndef LG_ALTSTACK_H
#define LG_ALTSTACK_H

/* Gives the calling thread an alternate stack unless it has one (the program's own is
 * kept; a later sigaltstack() call of the program replaces ours). */
void lg_altstack_install(void);
/* At thread exit: takes ours down and unmaps it (unless a handler is running on it). */
void lg_altstack_release(void);

#endif
