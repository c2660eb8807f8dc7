/* leakgraph check's suite: one process tree. A fork child that leaks 24 bytes at
 * child_leak and exits; a fork + execv of chk_leaky; a posix_spawn of chk_leaky.
 * argv[1]: chk_leaky's path; argv[2], argv[3]: its arguments for the exec'd and the
 * spawned copy ("none" for no leak); argv[4] = "clean": the fork child leaks nothing. */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static void *volatile sink;

static void __attribute__((noinline)) child_leak(void) { sink = malloc(24); memset(sink, 4, 24); }

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[4096];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static int wait_ok(pid_t pid)
{
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int clean = argc > 4 && !strcmp(argv[4], "clean");
    pid_t pid = fork();
    if (pid == 0) {
        if (!clean)
            child_leak();
        sink = NULL;
        scrub();
        exit(0);
    }
    int ok = wait_ok(pid);
    pid = fork();
    if (pid == 0) {
        execv(argv[1], (char *[]){argv[1], argv[2], NULL});
        _exit(127);
    }
    ok &= wait_ok(pid);
    pid_t sp;
    ok &= posix_spawn(&sp, argv[1], NULL, NULL, (char *[]){argv[1], argv[3], NULL}, environ) == 0;
    ok &= wait_ok(sp);
    return ok ? 0 : 1;
}
