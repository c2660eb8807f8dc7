/* Root enumeration (DESIGN "Roots"): writable segments of every module but ours,
 * thread stacks from SP-128, saved registers, static TLS and the TCB, memory the
 * program or ld.so mapped, and the cached stacks of exited threads. Never the heap,
 * never glibc's arenas, never the tracer's own memory. */
#ifndef LG_ROOTS_H
#define LG_ROOTS_H

#include "leakgraph/format.h"
#include "maps.h"
#include "scan.h"
#include "stw.h"

#include <stdbool.h>
#include <stdint.h>

struct lg_roots {
    struct lg_snap_root *root;
    uint32_t n, cap;
    /* register values, one row of LG_STW_NREGS per REGISTERS root, by root index */
    uintptr_t (*regs)[LG_STW_NREGS];
    struct lg_snap_thread *thread;
    uint32_t nthreads, thread_cap;
    bool not_stopped; /* a thread never acknowledged the stop */
};

struct lg_roots_input {
    const struct lg_maps *maps;
    const struct lg_stop_rec *recs; /* stopped threads */
    uint32_t nrecs;
    uintptr_t self_sp;                    /* the trigger's caller SP */
    const uintptr_t *self_regs;           /* LG_STW_NREGS saved at the trigger */
    const struct lg_scan *scan;           /* the live blocks, for stacks inside one */
};

/* Fills r; call with the world stopped and the module and region locks held. */
bool lg_roots_collect(struct lg_roots *r, const struct lg_roots_input *in);
void lg_roots_release(struct lg_roots *r);

#endif
