/* Allocation stacks: capture (libunwind's unw_backtrace, or a bounds-checked frame
 * pointer walk) and the site depot that interns each distinct stack as a site id. */
#ifndef LG_SITES_H
#define LG_SITES_H

#include <stdbool.h>
#include <stdint.h>

#define LG_MAX_DEPTH 64

struct lg_site {
    struct lg_site *next;     /* bucket chain; immutable once published */
    struct lg_site *all_next; /* list of every site, newest first */
    uint64_t hash;
    uint32_t id;
    uint32_t depth;
    uintptr_t pc[];
};

/* Maps the depot. tracer_lo/hi is our own text, whose frames are dropped. */
bool lg_sites_init(uintptr_t tracer_lo, uintptr_t tracer_hi, int depth, bool fast);

/* Captures the caller's stack and returns its site id (0 when out of memory). */
uint32_t lg_sites_capture(void);

/* For an allocation made while the thread is inside the tracer: whether a signal handler
 * made it (*handler: a frame-pointer walk from here meets glibc's signal return
 * trampoline; a handler on another stack, or reached through code without frame
 * pointers, is not found; the tracer's own work that a handler called, LG_OWN_BEGIN in
 * guard.h, is not a handler's), and then its site: the walk's frames but the tracer's. Takes
 * no lock it could wait for: 0 when a new site would need one that is taken. AS-safe. */
uint32_t lg_sites_capture_handler(bool *handler);

/* Interns an explicit stack; used by capture and by the unit tests. */
uint32_t lg_sites_intern(const uintptr_t *pc, uint32_t depth);

/* The newest site; walk all_next for the rest. Lock-free: sites are never freed. */
const struct lg_site *lg_sites_first(void);
uint32_t lg_sites_count(void);
/* How many stacks libunwind took (the rest came from confirmed frame-pointer walks). */
uint64_t lg_sites_unwinds(void);

/* Bounds of the calling thread's stack for the frame-pointer walk (0 = unknown). */
void lg_sites_set_thread_stack(uintptr_t lo, uintptr_t hi);
/* The calling thread is exiting: its stack cache goes back to the free list. */
void lg_sites_thread_exit(void);

void lg_sites_atfork_child(void);
/* Held across fork, so the child never inherits a half-linked site. */
void lg_sites_fork_lock(void);
void lg_sites_fork_unlock(void);

/* The stack pointer of the first caller outside the tracer and the dynamic loader:
 * where the program's own frames begin. Uses libunwind; not for signal handlers.
 * Returns fallback when it cannot tell. */
uintptr_t lg_sites_program_sp(uintptr_t fallback);
/* The callee-saved registers (rbx, rbp, r12-r15) as the first program frame sees them:
 * values the tracer's own frames may have spilled below that frame's SP. */
bool lg_sites_program_regs(uintptr_t out[6]);

/* Whose code pc is in: the tracer's, libc's, or other. AS-safe. */
enum { LG_PC_OTHER, LG_PC_TRACER, LG_PC_LIBC };
int lg_sites_pc_where(uintptr_t pc);

#endif
