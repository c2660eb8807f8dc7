/* EXPECT: definite=10/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Leaks 10 bytes, then closes stdout and stderr in an atexit handler, as coreutils'
 * close_stdout does: the report must still reach the stderr the program started with
 * (tests/e2e/cases/closes_stderr.sh checks the text report there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void close_streams(void)
{
    fclose(stdout);
    fclose(stderr);
}

int main(void)
{
    char *volatile p = malloc(10);
    memset(p, 1, 10);
    p = NULL;
    atexit(close_streams);
    puts("closing my streams at exit");
    return 0;
}
