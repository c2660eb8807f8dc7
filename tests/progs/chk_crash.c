/* leakgraph check's suite: loses 64 bytes, then dies of SIGSEGV (a crash snapshot is
 * the report). With argv[1] = "exit": _exit(0) instead, which skips every report; with
 * "forkexit": a fork child does that and the parent exits normally. */
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "forkexit")) {
        pid_t pid = fork();
        if (pid == 0) {
            sink = malloc(48);
            _exit(0);
        }
        int st;
        return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
    }
    sink = malloc(64);
    sink = NULL;
    if (argc > 1 && !strcmp(argv[1], "exit"))
        _exit(0);
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return 0;
}
