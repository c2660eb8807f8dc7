/* Unwinding on a stack of the thread's own; see sidestack.h. */
#include "sidestack.h"

#include "arena.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#define SIDE_BYTES (64u << 10)

struct unwind_job {
    unw_context_t uc; /* the registers where the allocation runs */
    uintptr_t *raw;
    int want, n;
};

#define IE __attribute__((tls_model("initial-exec")))
/* This thread's side stack, mapped at its first use; and whether it is in use. */
static __thread char *side IE;
static __thread volatile bool on_side IE;

bool lg_sidestack_busy(void) { return on_side; }

/* On the side stack: the walk from the saved registers, as unw_backtrace does it. */
static void unwind_from(void *arg)
{
    struct unwind_job *j = arg;
    unw_cursor_t c;
    unw_word_t ip;
    int n = 0;
    if (unw_init_local(&c, &j->uc) == 0)
        do {
            if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
                break;
            j->raw[n++] = (uintptr_t)ip;
        } while (n < j->want && unw_step(&c) > 0);
    j->n = n;
}

/* Calls fn(arg) with the stack pointer at top (16-byte aligned), back after. Every
 * call-clobbered register is declared clobbered; rbx keeps the old stack pointer. */
static void run_on(char *top, void (*fn)(void *), void *arg)
{
    __asm__ volatile("mov %%rsp, %%rbx\n\t"
                     "mov %[top], %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "mov %%rbx, %%rsp"
                     : "+D"(arg)
                     : [top] "r"(top), [fn] "r"(fn)
                     : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc", "xmm0",
                       "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                       "xmm12", "xmm13", "xmm14", "xmm15");
}

int lg_sidestack_backtrace(uintptr_t *raw, int want)
{
    if (!side && !(side = lg_map(SIDE_BYTES)))
        return 0;
    /* The job lives on the side stack too: unw_context_t alone is most of a KiB. */
    struct unwind_job *j = (struct unwind_job *)(side + SIDE_BYTES) - 1;
    char *top = (char *)((uintptr_t)j & ~(uintptr_t)15);
    j->raw = raw;
    j->want = want;
    j->n = 0;
    on_side = true;
    unw_getcontext(&j->uc);
    run_on(top, unwind_from, j);
    on_side = false;
    return j->n;
}

void lg_sidestack_thread_exit(void)
{
    if (side)
        lg_unmap(side, SIDE_BYTES);
    side = NULL;
}
