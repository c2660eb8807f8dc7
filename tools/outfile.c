/* Report files: never follow a symlink planted at the path, never clobber what is not ours. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

char *lgt_outfile_expand(const char *pattern, unsigned pid)
{
    size_t len = strlen(pattern);
    char *out = lgt_xmalloc(len * 10 + 1), *o = out; /* "%p" grows to at most 10 digits */
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            o += sprintf(o, "%u", pid);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            *o++ = '%';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* 1: path is a device or a FIFO to write into as it is; 0: path is free to create;
 * -1: refused (message in err). */
static int remove_ours(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        return 1; /* /dev/null, a terminal, a pipe: nothing to clobber */
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s: is a symbolic link; refusing to write through it", path);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: exists and is not a regular file of ours; refusing to"
                 " replace it", path);
        return -1;
    }
    if (unlink(path) != 0) {
        snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

FILE *lgt_outfile_open(const char *path, char *err, size_t errlen)
{
    int kind = remove_ours(path, err, errlen);
    if (kind < 0)
        return NULL;
    int flags = kind ? O_WRONLY | O_NOFOLLOW | O_CLOEXEC
                     : O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(path, flags, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}
