/* EXPECT: definite=444/2 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0
 * EXPECT[child]: definite=333/2 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Before fork the parent leaks 111 bytes (inherited by the child). The child leaks 222
 * more and exits normally; the parent waits and leaks 333 more.
 * The first EXPECT is the parent, EXPECT[child] the forked child (same executable). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak(size_t n)
{
    char *volatile p = malloc(n);
    memset(p, 0, n);
}

void __attribute__((noinline)) child_work(void) { leak(222); }
void __attribute__((noinline)) parent_work(void) { leak(333); }

int main(void)
{
    leak(111);
    scrub();
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        child_work();
        scrub();
        exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 3;
    parent_work();
    scrub();
    write(1, "fork_child: child ok\n", 21);
    return 0;
}
