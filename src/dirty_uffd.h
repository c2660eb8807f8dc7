/* Page-level dirty tracking for the incremental collection: userfaultfd write-protect in
 * asynchronous mode (UFFD_FEATURE_WP_ASYNC) read back and re-armed with PAGEMAP_SCAN.
 * The kernel, not the program, records every write: the truth the store hooks are not. */
#ifndef LG_DIRTY_UFFD_H
#define LG_DIRTY_UFFD_H

#include <stdbool.h>
#include <stdint.h>

/* Probes once (a userfaultfd with WP_ASYNC and WP_UNPOPULATED, a PAGEMAP_SCAN on a test
 * page). False, with the reason in *why, when the kernel or the sandbox refuses. */
bool lg_dirty_uffd_probe(const char **why);

/* Calls fn for every written page range inside [lo, hi), a heap mapping, and write-
 * protects it again. A mapping not seen before (or grown, or no longer registered) is
 * registered and reported whole. False when the kernel refused: the caller treats the
 * range as written and may stop using userfaultfd. World stopped. */
bool lg_dirty_uffd_scan(uintptr_t lo, uintptr_t hi, void (*fn)(void *, uintptr_t, uintptr_t), void *ctx);

/* Forgets registrations that [lo, hi) no longer covers... and everything in a fork child. */
void lg_dirty_uffd_atfork_child(void);
/* Closes what a probe opened (explain_config when no collection is due). */
void lg_dirty_uffd_close(void);

#endif
