/* What the report says of a crash snapshot (format 1.2 CRASH section): the signal's and
 * si_code's names, the crashing thread, the symbolized crash location. */
#ifndef LGT_CRASHINFO_H
#define LGT_CRASHINFO_H

#include "reader.h"
#include "symbolize.h"

/* "SIGSEGV"; "signal 42" style names are written into buf for others. */
const char *lgt_crash_signame(uint32_t signo, char buf[16]);
/* "SEGV_MAPERR", "sent by kill", ...; NULL when unknown. */
const char *lgt_crash_codename(uint32_t signo, int32_t code);
/* The frame of the crash PC (an exact instruction, not a return address). */
const struct lgt_frame *lgt_crash_frame(struct lgt_symbolizer *sym, const struct lg_snap_crash *c);
/* Whether the crashing thread is the main thread, per the THREADS section. */
int lgt_crash_in_main(const struct lgt_heap *h);

#endif
