/* trace_children_skip (see childskip.h). Runs inside lg_init, before any table exists:
 * static buffers and raw reads only. */
#include "childskip.h"

#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* Iterative: on a mismatch, go back to just after the last '*' and let it eat one more
 * character. Linear memory, no recursion. */
bool lg_childskip_glob(const char *pat, unsigned len, const char *s)
{
    unsigned p = 0, star = ~0u;
    const char *mark = s;
    while (*s) {
        if (p < len && (pat[p] == '?' || pat[p] == *s)) {
            p++;
            s++;
        } else if (p < len && pat[p] == '*') {
            star = p++;
            mark = s;
        } else if (star != ~0u) {
            p = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (p < len && pat[p] == '*')
        p++;
    return p == len;
}

static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool any_glob(const char *globs, const char *name)
{
    if (!name || !name[0])
        return false;
    for (const char *g = globs; *g;) {
        unsigned n = (unsigned)strcspn(g, ",");
        if (n && (lg_childskip_glob(g, n, name) || lg_childskip_glob(g, n, base(name))))
            return true;
        g += n + (g[n] == ',');
    }
    return false;
}

/* argv[0]: the first NUL-terminated string of /proc/self/cmdline. */
static void read_argv0(char *buf, unsigned cap)
{
    buf[0] = '\0';
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
}

bool lg_childskip_match(const char *globs)
{
    static char exe[4096], argv0[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    read_argv0(argv0, sizeof argv0);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    return any_glob(globs, exe) || any_glob(globs, argv0) || any_glob(globs, execfn);
}
