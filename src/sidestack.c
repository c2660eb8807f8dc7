/* Unwinding on a stack of the thread's own; see sidestack.h. */
#include "sidestack.h"

#include "altstack.h"
#include "arena.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define SIDE_BYTES (64u << 10)

struct unwind_job {
    unw_context_t uc; /* the registers where the allocation runs, for a stop meanwhile */
    uintptr_t *raw;
    int want, n;
};

#define IE __attribute__((tls_model("initial-exec")))
/* This thread's side stack, mapped at its first use; and whether it is in use. */
static __thread char *side IE;
static __thread volatile bool on_side IE;

bool lg_sidestack_busy(void) { return on_side; }

/* On the side stack. unw_backtrace walks up through run_on's frame into the program's:
 * its call frame is found from rbp (-fno-omit-frame-pointer), which still points to the
 * stack the allocation runs on. (A walk from the saved registers with unw_init_local and
 * unw_step took libunwind's cache locks, with every signal blocked, at each step: a
 * stop then waited for the thread in vain.) */
static void unwind_from(void *arg)
{
    struct unwind_job *j = arg;
    j->n = unw_backtrace((void **)j->raw, j->want);
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
    /* Taken before the job is written, given back after it is read: an allocation from a
     * signal handler meanwhile unwinds in place instead of reusing the job. */
    on_side = true;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    j->raw = raw;
    j->want = want;
    j->n = 0;
    /* On the alternate signal stack, a signal for another SA_ONSTACK handler that came
     * while on the side stack would make the kernel start the alternate stack afresh,
     * over the live frames of the handler running there: signals wait meanwhile. */
    sigset_t all, old;
    bool alt = lg_altstack_on((uintptr_t)__builtin_frame_address(0));
    if (alt) {
        sigfillset(&all);
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
    }
    unw_getcontext(&j->uc);
    run_on(top, unwind_from, j);
    if (alt)
        syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
    int n = j->n;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    on_side = false;
    return n;
}

void lg_sidestack_stopped(uintptr_t *sp, uintptr_t *regs)
{
    if (!side || *sp - (uintptr_t)side >= SIDE_BYTES)
        return;
    /* run_on switched after unw_getcontext: the context is complete */
    const struct unwind_job *j = (const struct unwind_job *)(side + SIDE_BYTES) - 1;
    for (int i = 0; i < NGREG; i++)
        regs[i] = (uintptr_t)j->uc.uc_mcontext.gregs[i];
    *sp = (uintptr_t)j->uc.uc_mcontext.gregs[REG_RSP];
}

void lg_sidestack_thread_exit(void)
{
    if (side)
        lg_unmap(side, SIDE_BYTES);
    side = NULL;
}
