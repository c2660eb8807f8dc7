/* Start-up and shutdown of the tracer: the state machine, lazy initialisation from
 * any entry point, fork handlers, and the exit report. */
#ifndef LG_INIT_H
#define LG_INIT_H

#include <stddef.h>

enum lg_state { LG_UNINIT = 0, LG_INITIALIZING = 1, LG_READY = 2, LG_DISABLED = 3 };

/* The tracer's state; moves UNINIT -> INITIALIZING -> READY, and to DISABLED from
 * any state (secure-exec, out of metadata memory). Defined in init.c. */
extern volatile int lg_state;

/* Idempotent; safe to call from any entry point, including before our constructor. */
void lg_init(void);

/* Stops tracing for good, with one warning. Blocks already recorded stay. */
void lg_disable(const char *why);

/* The real malloc_usable_size, resolved at init. */
size_t lg_real_usable_size(void *p);

#endif
