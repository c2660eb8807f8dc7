/* started_file (see startfile.h). Runs inside lg_init: static buffers, no allocation. */
#include "startfile.h"

#include "exitreport.h"
#include "log.h"

#include <fcntl.h>
#include <unistd.h>

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void lg_startfile_write(const char *path)
{
    static char out[4200], buf[8192];
    int fd = lg_exitreport_open(path, out, sizeof out);
    if (fd < 0) {
        lg_log(LG_LOG_WARN, "cannot create started_file %s (error %d)", out, -fd);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 2);
    n = n > 0 ? n : 0;
    buf[n++] = '\n';
    write_all(fd, buf, (size_t)n);
    int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    n = cfd >= 0 ? read(cfd, buf, sizeof buf - 1) : 0;
    if (cfd >= 0)
        close(cfd);
    n = n > 0 ? n : 0;
    for (ssize_t i = 0; i < n; i++) /* NUL-separated arguments, one line */
        if (buf[i] == '\0' || buf[i] == '\n')
            buf[i] = i == n - 1 ? '\n' : ' ';
    if (n == 0 || buf[n - 1] != '\n')
        buf[n++] = '\n';
    write_all(fd, buf, (size_t)n);
    close(fd);
}
