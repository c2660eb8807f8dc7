/* The per-thread re-entrancy guard. While it is non-zero, allocator entry points pass
 * straight to glibc without recording anything, so the tracer never traces itself. */
#ifndef LG_GUARD_H
#define LG_GUARD_H

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

#endif
