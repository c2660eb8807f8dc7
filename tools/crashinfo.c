/* Names for the crash header of the reports. */
#include "crashinfo.h"

#include <signal.h>
#include <stdio.h>

const char *lgt_crash_signame(uint32_t signo, char buf[16])
{
    switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGSYS: return "SIGSYS";
    case SIGTRAP: return "SIGTRAP";
    default: snprintf(buf, 16, "signal %u", signo); return buf;
    }
}

static const char *sent_name(int32_t code)
{
    switch (code) {
    case SI_USER: return "sent by kill";
    case SI_TKILL: return "sent by tgkill or raise";
    case SI_QUEUE: return "sent by sigqueue";
    case SI_KERNEL: return "sent by the kernel";
    default: return NULL;
    }
}

const char *lgt_crash_codename(uint32_t signo, int32_t code)
{
    static const char *const segv[] = {NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"};
    static const char *const bus[] = {NULL, "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR",
                                      "BUS_MCEERR_AO"};
    static const char *const fpe[] = {NULL, "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF",
                                      "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"};
    static const char *const ill[] = {NULL, "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP",
                                      "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"};
    if (code <= 0 || code == SI_KERNEL)
        return sent_name(code);
    if (signo == SIGSEGV && code < 5)
        return segv[code];
    if (signo == SIGBUS && code < 6)
        return bus[code];
    if (signo == SIGFPE && code < 9)
        return fpe[code];
    if (signo == SIGILL && code < 9)
        return ill[code];
    if (signo == SIGSYS && code == 1)
        return "SYS_SECCOMP";
    if (signo == SIGTRAP && code == 1)
        return "TRAP_BRKPT";
    return NULL;
}

const struct lgt_frame *lgt_crash_frame(struct lgt_symbolizer *sym, const struct lg_snap_crash *c)
{
    /* the symbolizer looks return addresses up at pc - 1 */
    return sym && c->pc ? lgt_symbolize_pc(sym, c->pc + 1) : NULL;
}

int lgt_crash_in_main(const struct lgt_heap *h)
{
    for (size_t i = 0; i < h->nthreads; i++)
        if (h->threads[i].tid == h->crash.tid && (h->threads[i].flags & LG_THR_MAIN))
            return 1;
    return 0;
}
