/* Fatal signals ignored by the program must stay ignored across execve(2), as POSIX and
 * Linux keep SIG_IGN over exec; the tracer catches them all, so its handler must not be
 * what the kernel holds while the program ignores one.
 *   crash_ign_exec          ignores them with signal(), forks and execs itself (child)
 *   crash_ign_exec child    inherits the SIG_IGNs: sigaction() reports them, raise()
 *                           is ignored; then SIGSEGV back to SIG_DFL and a null write
 *                           kills it (a crash report under the tracer). 64 bytes lost. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS, SIGTRAP};
#define NSIGS (sizeof sigs / sizeof *sigs)

static int child(void)
{
    char *lost = malloc(64);
    memset(lost, 1, 64);
    lost = NULL;
    for (unsigned k = 0; k < NSIGS; k++) {
        struct sigaction q;
        sigaction(sigs[k], NULL, &q);
        raise(sigs[k]);
        printf("child: signal %d %s, survived\n", sigs[k], q.sa_handler == SIG_IGN ? "ignored" : "NOT ignored");
    }
    fflush(stdout);
    signal(SIGSEGV, SIG_DFL);
    *(volatile int *)0 = 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child();
    for (unsigned k = 0; k < NSIGS; k++)
        signal(sigs[k], SIG_IGN);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)0);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    printf("parent: child %s %d\n", WIFEXITED(st) ? "exited" : "killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}
