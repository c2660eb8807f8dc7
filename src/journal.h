/* The SIGKILL journal (journal=PATH): the live blocks, their sites and the module map in
 * a MAP_SHARED file mapping, which the kernel keeps when the process dies. Format:
 * include/leakgraph/journal.h, man/leakgraph-journal.5. */
#ifndef LG_JOURNAL_H
#define LG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_block;

/* True while a journal is mapped: the one branch the allocation path takes. */
extern bool lg_journal_active;

/* Creates PATH (%p: the pid) with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600, sized
 * size bytes, and maps it. Called by lg_init once the tables exist. False (with a
 * warning) when the file cannot be made; the tracer goes on without a journal. */
bool lg_journal_open(const char *path, uint64_t size);

/* Creates a journal in memory that belongs to no file (unit tests): mem must stay
 * mapped, size bytes, zeroed. */
bool lg_journal_open_mem(void *mem, uint64_t size);

/* Hot path, only when lg_journal_active. */
void lg_journal_add(const struct lg_block *b);
void lg_journal_remove(uint64_t addr);

/* Records the modules loaded since the last call (after a dlopen). */
void lg_journal_sync_modules(void);

/* In a fork child: the mapping is shared with the parent, so the child stops writing. */
void lg_journal_atfork_child(void);

/* Normal exit: marks the journal LG_JRNL_EXITED and removes the file. */
void lg_journal_close(void);

/* Slots in use and dropped blocks, for tests and statistics. */
void lg_journal_counts(uint64_t *live, uint64_t *dropped);

#endif
