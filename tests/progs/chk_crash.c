/* leakgraph check's suite: loses 64 bytes, then dies of SIGSEGV before any exit report
 * (with argv[1] = "exit": _exit(0) instead, which skips the report just the same). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

int main(int argc, char **argv)
{
    sink = malloc(64);
    sink = NULL;
    if (argc > 1 && !strcmp(argv[1], "exit"))
        _exit(0);
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return 0;
}
