/* The exit report: snapshot at exit, then the leakgraph command analyses it and
 * prints the report on stderr (symbolization happens outside the traced process). */
#ifndef LG_EXITREPORT_H
#define LG_EXITREPORT_H

#include <stdint.h>

/* caller_sp: the stack pointer of the destructor, where the program's live frames end. */
void lg_exitreport_run(uintptr_t caller_sp);

struct lg_snap_crash;
/* From the fatal signal's handler: the crash snapshot (kept as snapshot= says, like the
 * exit one) and the analyser's report, with the other threads stopped. The error_exitcode
 * does not apply: the crash's own status follows. */
void lg_exitreport_crash(struct lg_snap_crash *c);
/* Finds the analyser ahead of a crash (dladdr and getenv are no business of a signal
 * handler). Called by the crash path's init. */
void lg_exitreport_prepare_crash(void);

/* Opens path for a snapshot or report: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. An
 * existing regular file owned by us is replaced; a symlink or someone else's file is
 * refused. %p in path becomes the pid. Returns fd or -errno; *out gets the path. */
int lg_exitreport_open(const char *path, char *out, unsigned cap);
/* Notes when tracing started (see lg_exitreport_open). Called by lg_init. */
void lg_exitreport_init(void);

void lg_exitreport_atfork_child(void);

#endif
