/* Alternate signal stacks for the crash handler (FEASIBILITY §7: without one, an
 * overflow in a thread leaves no snapshot). */
#include "altstack.h"

#include "arena.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GUARD 4096
/* The crash snapshot runs on it: the snapshot code keeps about 20 KiB of locals, the
 * analyser's spawn a few more. Mapped lazily by the kernel: untouched pages cost nothing. */
#define ALT_SIZE (256 * 1024)

/* The calling thread's mapping (guard page first), NULL when it has none of ours. */
static __thread char *my_alt __attribute__((tls_model("initial-exec")));
/* The calling thread's alternate stack, ours or the program's, as registered when it
 * started or through sigaltstack(3) since: [alt_lo, alt_hi), empty when none. */
static __thread uintptr_t alt_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t alt_hi __attribute__((tls_model("initial-exec")));

void lg_altstack_changed(void)
{
    stack_t cur;
    alt_lo = alt_hi = 0;
    if (syscall(SYS_sigaltstack, NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
        alt_lo = (uintptr_t)cur.ss_sp;
        alt_hi = (uintptr_t)cur.ss_sp + cur.ss_size;
    }
}

bool lg_altstack_on(uintptr_t sp) { return sp - alt_lo < alt_hi - alt_lo; }

void lg_altstack_install(void)
{
    stack_t cur;
    if (my_alt || sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE)) {
        lg_altstack_changed(); /* the program's own */
        return;
    }
    char *m = lg_map(GUARD + ALT_SIZE);
    if (!m)
        return;
    syscall(SYS_mprotect, m, GUARD, PROT_NONE);
    stack_t ss = {.ss_sp = m + GUARD, .ss_size = ALT_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        lg_unmap(m, GUARD + ALT_SIZE);
        return;
    }
    my_alt = m;
    lg_altstack_changed();
}

void lg_altstack_release(void)
{
    stack_t cur;
    if (!my_alt || sigaltstack(NULL, &cur) != 0)
        return;
    if ((char *)cur.ss_sp == my_alt + GUARD) {
        if (cur.ss_flags & SS_ONSTACK)
            return;
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    }
    lg_unmap(my_alt, GUARD + ALT_SIZE);
    my_alt = NULL;
}
