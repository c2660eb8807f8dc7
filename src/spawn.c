/* A vfork-style spawn whose child exits silently; see spawn.h. */
#include "spawn.h"

#include "arena.h"
#include "log.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_STACK (64 * 1024)

struct child_args {
    const char *path;
    char *const *argv, *const *envp;
    uint64_t mask; /* the caller's signal mask, restored in the child before exec */
    volatile long err;
    int err_fd; /* becomes the child's stderr (lg_log_fd) */
};

/* The kernel's struct sigaction for rt_sigaction(2). */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

/* Runs on its own stack in the caller's memory (CLONE_VM), with every signal blocked:
 * raw system calls only, and nothing written but a->err. The program's handlers would
 * run on shared memory if a signal came before exec, so they go back to SIG_DFL in this
 * child's own copy of the table (no CLONE_SIGHAND) first, as posix_spawn does. */
static int child(void *p)
{
    struct child_args *a = p;
    for (int sig = 1; sig < 65; sig++) {
        struct ksigaction old, dfl = {0};
        if (syscall(SYS_rt_sigaction, sig, NULL, &old, 8) == 0 && old.handler != SIG_DFL && old.handler != SIG_IGN)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &a->mask, NULL, 8);
    if (a->err_fd != 2) /* our own descriptor table: CLONE_VM without CLONE_FILES */
        syscall(SYS_dup2, a->err_fd, 2);
    long r = syscall(SYS_execve, a->path, a->argv, a->envp);
    a->err = r < 0 ? ENOEXEC : 0;
    syscall(SYS_exit, 127);
    return 127;
}

/* SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT) makes the kernel reap every child at once,
 * whatever its exit signal: for the analyser's lifetime the disposition is SIG_DFL,
 * which sends nothing anywhere since our child exits without a signal. Raw system
 * calls: the program is not taking a signal over. */
static bool unignore_children(struct ksigaction *old)
{
    struct ksigaction dfl = {0};
    if (syscall(SYS_rt_sigaction, SIGCHLD, NULL, old, 8) != 0)
        return false;
    if (old->handler != SIG_IGN && !(old->flags & SA_NOCLDWAIT))
        return false;
    return syscall(SYS_rt_sigaction, SIGCHLD, &dfl, NULL, 8) == 0;
}

int lg_spawn_wait(const char *path, char *const argv[], char *const envp[], int *status)
{
    int saved_errno = errno;
    char *stack = lg_map(CHILD_STACK);
    if (!stack)
        return ENOMEM;
    struct child_args a = {path, argv, envp, 0, 0, lg_log_fd()};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    struct ksigaction chld;
    bool restore_chld = unignore_children(&chld);
    __builtin_memcpy(&a.mask, &old, sizeof a.mask);
    /* Exit signal 0: the low byte of the flags. CLONE_VFORK: we resume after exec. */
    pid_t pid = clone(child, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK, &a);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    lg_unmap(stack, CHILD_STACK);
    int rc = 0;
    if (pid < 0) {
        rc = clone_errno;
    } else {
        while (waitpid(pid, status, __WALL) < 0 && errno == EINTR)
            ;
        if (a.err)
            rc = (int)a.err;
    }
    if (restore_chld)
        syscall(SYS_rt_sigaction, SIGCHLD, &chld, NULL, 8);
    errno = saved_errno;
    return rc;
}
