/* EXPECT: definite=12500/125 indirect=0/0 possible=272/1 reachable=18000/500 cyclic=0/0 */
/* handler_alloc.c with its handler on an alternate signal stack (SA_ONSTACK): the
 * frame-pointer walk that tells a handler's allocations inside the tracer from the
 * tracer's own starts on that stack and must find glibc's signal trampoline there. It
 * once stopped at the stack's edge: the handler was not found and its blocks went
 * unrecorded (the nodes' children then reported lost, the dropped blocks not at all).
 * Numbers as Valgrind prints them, the same as handler_alloc's. */
#define HANDLER_ONSTACK
#include "handler_alloc.c"
