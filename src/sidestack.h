/* Unwinding for allocations made on a stack that is not the thread's own (a coroutine's,
 * a signal stack): how deep such a stack goes is unknown, and libunwind needs several
 * KiB below the call (a 4 KiB coroutine stack was overrun by 3.8 KiB). The registers
 * are taken where the allocation runs and the unwinding itself runs on a stack of the
 * thread's own, mapped for it. */
#ifndef LG_SIDESTACK_H
#define LG_SIDESTACK_H

#include <stdbool.h>
#include <stdint.h>

/* The return addresses of the calling stack, innermost first, as unw_backtrace gives
 * them: at most want, into raw. Returns how many (0 when there is no memory for the
 * side stack). */
int lg_sidestack_backtrace(uintptr_t *raw, int want);

/* Whether this thread runs on its side stack now: an allocation from a signal handler
 * that interrupted the unwinding must not take the stack again. */
bool lg_sidestack_busy(void);

/* The stop handler's: when the thread was stopped on its side stack, *sp and regs (the
 * LG_STW_NREGS general registers) become those where the allocation runs, so that its
 * own stack is scanned from there. AS-safe. */
void lg_sidestack_stopped(uintptr_t *sp, uintptr_t *regs);

/* The thread is exiting: its side stack goes. */
void lg_sidestack_thread_exit(void);

#endif
