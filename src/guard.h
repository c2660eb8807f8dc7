/* The per-thread re-entrancy guard. While it is non-zero, allocator entry points pass
 * straight to glibc without recording anything, so the tracer never traces itself. */
#ifndef LG_GUARD_H
#define LG_GUARD_H

/* Initial-exec TLS: reading it is one %fs-relative load and never calls
 * __tls_get_addr (which may allocate). volatile because gcc drops stores around
 * calls to leaf-declared glibc functions (FEASIBILITY §1). Defined in init.c. */
extern __thread volatile int lg_busy __attribute__((tls_model("initial-exec")));

#define LG_ENTER() (lg_busy++)
#define LG_LEAVE() (lg_busy--)

#endif
