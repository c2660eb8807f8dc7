/* Stop-the-world by signals: every other thread runs a handler that saves its
 * registers and waits on a futex until the snapshot is done. No ptrace, so it works
 * under gdb and strace. Call with the loader lock held (from a dl_iterate_phdr
 * callback) so no stopped thread holds it. */
#ifndef LG_STW_H
#define LG_STW_H

#include <stdint.h>

#define LG_STW_NREGS 23

struct lg_stop_rec {
    uint32_t tid;
    volatile uint32_t acked;
    uintptr_t sp;
    uintptr_t regs[LG_STW_NREGS];
};

/* Stops every other thread; waits at most timeout_ms for each round of
 * acknowledgements. Returns the number of records; *recs points at them. */
uint32_t lg_stw_stop(int signo, long timeout_ms, struct lg_stop_rec **recs);
void lg_stw_resume(void);

#endif
