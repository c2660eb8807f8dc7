/* EXPECT: definite=161/4 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Blocks that libc allocates for the program, all leaked: strdup("hello, leak")
 * (12 bytes), strndup(.., 4) (5 bytes), asprintf of a fixed string, and the line buffer
 * that getline() allocates while reading from a pipe (the FILE itself is fclose'd).
 * Numbers as Valgrind prints them (asprintf and getline choose their own sizes). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_libc(void)
{
    char *volatile s = strdup("hello, leak");
    s = strndup("abcdefgh", 4);
    char *a = NULL;
    if (asprintf(&a, "value=%d name=%s", 42, "leakgraph") < 0)
        _exit(3);
    a = NULL;

    int fds[2];
    if (pipe(fds) != 0)
        _exit(3);
    if (write(fds[1], "first line\nsecond line\n", 23) != 23)
        _exit(3);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    if (!f)
        _exit(3);
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) != 11)
        _exit(3);
    fclose(f);
    line = NULL; /* the getline buffer is leaked */
    s = NULL;
    (void)s;
}

int main(void)
{
    leak_libc();
    scrub();
    return 0;
}
