/* The runtime's formatter and log writer: no malloc, no stdio, no locks. */
#include "log.h"

#include <errno.h>
#include <time.h>
#include <sys/syscall.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

/* Written once by lg_init before any thread is created by the program; read-only after. */
static int log_verbosity = 1;

void lg_log_set_verbosity(int v) { log_verbosity = v; }

/* A copy of the program's stderr at start-up, on a high descriptor, and the file it is
 * (device, inode). Programs close stderr on their way out (coreutils' close_stdout does,
 * in an atexit handler that runs before the report), and the report went nowhere. As
 * Valgrind moves its own log descriptor out of the way. Written once by lg_init. */
static int keep_fd = -1;
static dev_t keep_dev;
static ino_t keep_ino;

void lg_log_keep_stderr(void)
{
    struct stat st;
    if (fstat(2, &st) != 0)
        return;
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 900);
    if (fd < 0)
        fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
    if (fd < 0)
        return;
    keep_dev = st.st_dev;
    keep_ino = st.st_ino;
    keep_fd = fd;
}

int lg_log_fd(void)
{
    struct stat st;
    /* the program may have closed it, or put another file there (closefrom and reuse) */
    if (keep_fd >= 0 && fstat(keep_fd, &st) == 0 && st.st_dev == keep_dev && st.st_ino == keep_ino)
        return keep_fd;
    return 2;
}

static size_t put_str(char *buf, size_t cap, size_t n, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s && n + 1 < cap)
        buf[n++] = *s++;
    return n;
}

static size_t put_uint(char *buf, size_t cap, size_t n, uint64_t v, unsigned base)
{
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (i > 0 && n + 1 < cap)
        buf[n++] = tmp[--i];
    return n;
}

static size_t put_int(char *buf, size_t cap, size_t n, int64_t v)
{
    if (v < 0 && n + 1 < cap) {
        buf[n++] = '-';
        return put_uint(buf, cap, n, (uint64_t)0 - (uint64_t)v, 10);
    }
    return put_uint(buf, cap, n, (uint64_t)v, 10);
}

/* One conversion; *f points after '%'. Length modifiers l and z mean 64 bits. */
static size_t put_conv(char *buf, size_t cap, size_t n, const char **f, va_list *ap)
{
    int wide = 0;
    while (**f == 'l' || **f == 'z') {
        wide = 1;
        (*f)++;
    }
    char c = *(*f)++;
    switch (c) {
    case 's': return put_str(buf, cap, n, va_arg(*ap, const char *));
    case 'c': if (n + 1 < cap) buf[n++] = (char)va_arg(*ap, int); return n;
    case 'd': return put_int(buf, cap, n, wide ? va_arg(*ap, int64_t) : va_arg(*ap, int));
    case 'u': return put_uint(buf, cap, n, wide ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned), 10);
    case 'x': return put_uint(buf, cap, n, wide ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned), 16);
    case 'p':
        n = put_str(buf, cap, n, "0x");
        return put_uint(buf, cap, n, (uintptr_t)va_arg(*ap, void *), 16);
    default: if (n + 1 < cap) buf[n++] = c; return n;
    }
}

size_t lg_vfmt_async(char *buf, size_t cap, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (const char *f = fmt; *f && n + 1 < cap;) {
        if (*f != '%') {
            buf[n++] = *f++;
            continue;
        }
        f++;
        n = put_conv(buf, cap, n, &f, &cp);
    }
    va_end(cp);
    buf[n] = '\0';
    return n;
}

size_t lg_fmt_async(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = lg_vfmt_async(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

/* A write or ftruncate past RLIMIT_FSIZE raises SIGXFSZ, whose default action ends the
 * process: an exit snapshot larger than a program's file size limit killed the program
 * (status 153, its buffered output lost), and so did a journal at start-up. The
 * tracer's own file operations block it and fail with EFBIG instead; the signal the
 * failed call raised is then taken back, unless the program blocks SIGXFSZ itself (then
 * it is the program's to take). */
void lg_xfsz_hold(sigset_t *old)
{
    sigset_t xfsz;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &xfsz, old, _NSIG / 8);
}

void lg_xfsz_release(const sigset_t *old, bool efbig)
{
    if (efbig && !sigismember(old, SIGXFSZ)) {
        sigset_t xfsz;
        sigemptyset(&xfsz);
        sigaddset(&xfsz, SIGXFSZ);
        struct timespec now = {0, 0};
        syscall(SYS_rt_sigtimedwait, &xfsz, NULL, &now, _NSIG / 8);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

int lg_write_all_async(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    sigset_t old;
    lg_xfsz_hold(&old);
    int rc = 0;
    while (len > 0 && !rc) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno != EINTR && errno != EAGAIN)
                rc = -errno;
            continue;
        }
        p += w;
        len -= (size_t)w;
    }
    lg_xfsz_release(&old, rc == -EFBIG);
    return rc;
}

void lg_log(int level, const char *fmt, ...)
{
    if (level > log_verbosity && level != LG_LOG_ERROR)
        return;
    int saved = errno;
    char buf[1024];
    size_t n = lg_fmt_async(buf, sizeof buf - 1, "leakgraph: ");
    va_list ap;
    va_start(ap, fmt);
    n += lg_vfmt_async(buf + n, sizeof buf - 1 - n, fmt, ap);
    va_end(ap);
    buf[n++] = '\n';
    lg_write_all_async(lg_log_fd(), buf, n);
    errno = saved;
}
