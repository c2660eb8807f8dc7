/* Snapshots while the program runs: on a signal, after every N allocations, every N
 * seconds. A signal handler cannot take a snapshot (it would stop the world from
 * inside an arbitrary interrupted function, perhaps one holding the loader lock), so
 * every trigger only marks a snapshot as pending, and the next allocation, in any
 * thread, takes it: there the tracer holds no lock and the thread is in plain code. */
#ifndef LG_TRIGGER_H
#define LG_TRIGGER_H

#include <stdint.h>

/* Installs the snapshot signal's handler unless the program already handles it. */
void lg_trigger_init(void);

/* Called after every recorded allocation (hot path: one load when nothing is due). */
void lg_trigger_on_alloc(void);

/* The program installs a handler for signo (sigaction or signal): if that is the
 * snapshot signal, the program's handler wins and we say so once. */
void lg_trigger_on_program_handler(int signo);

/* The line that announces a snapshot of a trigger (n: its number, 0 for one of
 * leakgraph_snapshot) or its failure (rc < 0), with how long the program was paused. */
void lg_trigger_log(uint32_t n, int reason, const char *path, int rc);

/* Counts snapshots in a fork child from 1 again. */
void lg_trigger_atfork_child(void);

#endif
