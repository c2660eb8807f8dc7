/* Creating the files that reveal the process's memory: snapshots, the journal, the
 * growth JSON. */
#ifndef LG_PRIVFILE_H
#define LG_PRIVFILE_H

#include <fcntl.h>
#include <sys/stat.h>

/* open(path, flags) as a new file (O_EXCL), never through a symlink (O_NOFOLLOW), not
 * inherited across exec, mode 0600 whatever the umask: a umask that clears the owner's
 * read bit (0400) made the exit snapshot unreadable by the analyser, which opens it by
 * name, and the report was lost. AS-safe. */
static inline int lg_privfile_create(const char *path, int flags)
{
    int fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        (void)fchmod(fd, 0600);
    return fd;
}

#endif
