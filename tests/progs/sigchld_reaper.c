/* EXPECT: definite=10/1 indirect=0/0 possible=0/0 reachable=4096/1 cyclic=0/0 */
/* A program that does not want its children's statuses: SIGCHLD set to SIG_IGN (the
 * kernel then reaps children itself), or with REAPER=1 a SIGCHLD handler that reaps
 * every child with waitpid(-1). Neither may take the analyser's exit status from the
 * tracer: error_exitcode must still turn the 10-byte leak into the chosen status. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    if (getenv("REAPER")) {
        struct sigaction sa = {0};
        sa.sa_handler = reap;
        sigaction(SIGCHLD, &sa, NULL);
    } else {
        signal(SIGCHLD, SIG_IGN);
    }
    char *volatile p = malloc(10);
    p[0] = 1;
    p = NULL;
    printf("children are not my business\n");
    return 0;
}
