/* EXPECT: definite=44/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0
 * EXPECT[exe=direct_leak]: definite=100/1 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0
 * EXPECT[exe=three_sites]: definite=60/3 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* fork + execv of the direct_leak victim, then posix_spawn of the three_sites victim;
 * both children are traced (LD_PRELOAD is inherited) and report on their own. The
 * parent leaks 44 bytes. Victims are found in $LG_PROGS, or next to this executable.
 * EXPECT[exe=NAME] lines are the reports of the executed children (Valgrind with
 * --trace-children=yes). */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char dir[4096];

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void progs_dir(void)
{
    const char *d = getenv("LG_PROGS");
    if (d && *d && strlen(d) < sizeof dir - 64) {
        strcpy(dir, d);
        return;
    }
    ssize_t r = readlink("/proc/self/exe", dir, sizeof dir - 64);
    if (r <= 0)
        _exit(4);
    while (r > 0 && dir[r - 1] != '/')
        r--;
    dir[r > 0 ? r - 1 : 0] = '\0';
}

static void path_of(char *out, const char *name)
{
    strcpy(out, dir);
    strcat(out, "/");
    strcat(out, name);
}

static int wait_ok(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void __attribute__((noinline)) leak(size_t n)
{
    char *volatile p = malloc(n);
    memset(p, 0, n);
}

int main(void)
{
    static char p1[4200], p2[4200];
    progs_dir();
    path_of(p1, "direct_leak");
    path_of(p2, "three_sites");

    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        char *argv[] = {p1, NULL};
        execv(p1, argv);
        _exit(127);
    }
    if (!wait_ok(pid))
        return 3;

    char *argv2[] = {p2, NULL};
    if (posix_spawn(&pid, p2, NULL, NULL, argv2, environ) != 0)
        return 4;
    if (!wait_ok(pid))
        return 5;

    leak(44);
    scrub();
    write(1, "fork_exec: children ok\n", 23);
    return 0;
}
