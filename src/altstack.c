/* Alternate signal stacks for the crash handler (FEASIBILITY §7: without one, an
 * overflow in a thread leaves no snapshot). */
#include "altstack.h"

#include "arena.h"

#include <signal.h>
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

void lg_altstack_install(void)
{
    stack_t cur;
    if (my_alt || sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
        return;
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
