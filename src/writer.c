/* Buffered write(2) writer shared by snapshots and, later, the crash path. */
#include "writer.h"

#include "leakgraph/format.h"
#include "log.h"

#include <string.h>

void lg_writer_init(struct lg_writer *w, int fd, char *buf, size_t cap)
{
    w->fd = fd;
    w->err = 0;
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->off = 0;
}

static void drain(struct lg_writer *w)
{
    if (w->len && !w->err)
        w->err = lg_write_all_async(w->fd, w->buf, w->len);
    w->len = 0;
}

void lg_writer_put(struct lg_writer *w, const void *p, size_t n)
{
    const char *c = p;
    w->off += n;
    while (n > 0) {
        if (w->len == w->cap)
            drain(w);
        size_t k = w->cap - w->len < n ? w->cap - w->len : n;
        memcpy(w->buf + w->len, c, k);
        w->len += k;
        c += k;
        n -= k;
    }
}

void lg_writer_pad8(struct lg_writer *w)
{
    static const char zeros[8];
    if (w->off & 7)
        lg_writer_put(w, zeros, 8 - (w->off & 7));
}

void lg_writer_section(struct lg_writer *w, uint32_t tag, uint32_t count, uint64_t bytes)
{
    struct lg_snap_section s = {.tag = tag, .count = count, .bytes = bytes};
    lg_writer_put(w, &s, sizeof s);
}

int lg_writer_flush(struct lg_writer *w)
{
    drain(w);
    return w->err;
}
