/* EXPECT: definite=12500/125 indirect=0/0 possible=272/1 reachable=18000/500 cyclic=0/0 */
/* handler_altstack.c with the alternate signal stack a local array of drive(), inside
 * the thread's own stack (a common way to set one up): the walk must still start on the
 * alternate stack, and tell the handler's frames from the tracer's work below them on
 * the thread's stack. It once took the handler's allocations for the tracer's own and
 * left them unrecorded. Numbers as Valgrind prints them, as handler_alloc's. */
#define HANDLER_ONSTACK
#define HANDLER_ONSTACK_LOCAL
#include "handler_alloc.c"
