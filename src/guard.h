/* The per-thread re-entrancy guard. While it is non-zero, allocator entry points pass
 * straight to glibc without recording anything, so the tracer never traces itself. */
#ifndef LG_GUARD_H
#define LG_GUARD_H

#include <stdint.h>

/* Initial-exec TLS: reading it is one %fs-relative load and never calls
 * __tls_get_addr (which may allocate). volatile because gcc drops stores around
 * calls to leaf-declared glibc functions (FEASIBILITY §1). Defined in init.c. */
extern __thread volatile int lg_busy __attribute__((tls_model("initial-exec")));

/* The signal fences keep the compiler from moving other memory accesses across the
 * guard (volatile orders only volatile accesses): a signal handler that sees the guard
 * set must see the state it protects as written, and the code after it must read what
 * a handler wrote meanwhile (freebatch.c reused a load of its batch's length from before
 * LG_ENTER, lost a handler's flush and freed blocks twice). They cost no instruction. */
#define LG_ENTER() (__atomic_signal_fence(__ATOMIC_SEQ_CST), lg_busy++, __atomic_signal_fence(__ATOMIC_SEQ_CST))
#define LG_LEAVE() (__atomic_signal_fence(__ATOMIC_SEQ_CST), lg_busy--, __atomic_signal_fence(__ATOMIC_SEQ_CST))

/* The tracer's own work (an API call, the exit or crash report, a collection, a
 * triggered snapshot): what it allocates through glibc is the tracer's, also when a
 * signal handler of the program called it. lg_own_sp: the frame where the innermost
 * such work began, 0 outside any; an allocation inside the tracer is a handler's (the
 * program's) only when its signal frame lies deeper than that (sites.c). Initial-exec
 * TLS, defined in sites.c. saved: a uintptr_t of the caller's. */
extern __thread uintptr_t lg_own_sp __attribute__((tls_model("initial-exec")));
#define LG_OWN_BEGIN(saved) ((saved) = lg_own_sp, lg_own_sp = (uintptr_t)__builtin_frame_address(0), LG_ENTER())
#define LG_OWN_END(saved) (LG_LEAVE(), lg_own_sp = (saved))

#endif
