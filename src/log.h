/* Logging for the runtime: its own small formatter into a stack buffer and a write(2)
 * loop, so it never allocates and is safe in signal handlers and fork children. */
#ifndef LG_LOG_H
#define LG_LOG_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum lg_log_level { LG_LOG_ERROR = 0, LG_LOG_WARN = 1, LG_LOG_INFO = 2 };

/* Formats %s %d %u %ld %lu %zu %x %lx %p %c %%. AS-safe. Returns bytes written (truncates). */
size_t lg_fmt_async(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t lg_vfmt_async(char *buf, size_t cap, const char *fmt, va_list ap);

/* Writes all of buf to fd, retrying EINTR/EAGAIN. AS-safe. Returns 0 or -errno. */
int lg_write_all_async(int fd, const void *buf, size_t len);
/* Around the tracer's own file operations: SIGXFSZ blocked, so that one past
 * RLIMIT_FSIZE fails with EFBIG instead of ending the process; release takes back the
 * signal the failed operation raised (efbig), then restores the mask. AS-safe. */
void lg_xfsz_hold(sigset_t *old);
void lg_xfsz_release(const sigset_t *old, bool efbig);

/* "leakgraph: " + message + newline on stderr when level <= verbosity. AS-safe. */
void lg_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set once in lg_init from the options; errors always print. */
void lg_log_set_verbosity(int v);

/* Keeps a copy of stderr on a high close-on-exec descriptor (at start-up); lg_log_fd is
 * that copy while it is still the same file, else 2. The log and the analyser's report
 * go there. AS-safe. */
void lg_log_keep_stderr(void);
int lg_log_fd(void);

#endif
