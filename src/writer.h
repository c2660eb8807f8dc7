/* A fixed-buffer write(2) writer for snapshot files. No malloc, no stdio, no locks:
 * safe on the crash path. Errors are sticky; lg_writer_close reports the first one. */
#ifndef LG_WRITER_H
#define LG_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct lg_writer {
    int fd;
    int err; /* first -errno, 0 if none */
    char *buf;
    size_t cap, len;
    uint64_t off; /* bytes written to the file so far, including buffered ones */
};

/* Uses buf of cap bytes (tracer memory). AS-safe. */
void lg_writer_init(struct lg_writer *w, int fd, char *buf, size_t cap);
void lg_writer_put(struct lg_writer *w, const void *p, size_t n);
/* Pads with zeros to the next multiple of 8. */
void lg_writer_pad8(struct lg_writer *w);
void lg_writer_section(struct lg_writer *w, uint32_t tag, uint32_t count, uint64_t bytes);
/* Flushes; returns 0 or the first -errno. Does not close fd. */
int lg_writer_flush(struct lg_writer *w);

#endif
