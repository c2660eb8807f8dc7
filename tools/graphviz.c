/* Graphviz's dot as a child process: see graphviz.h. */
#include "graphviz.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"

extern char **environ;

const char *lgt_graphviz_format(const char *path)
{
    static const char *const ext[][2] = {{".dot", "dot"}, {".gv", "dot"}, {".svg", "svg"},
                                         {".png", "png"}};
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t n = strlen(ext[i][0]);
        if (len > n && strcasecmp(path + len - n, ext[i][0]) == 0)
            return ext[i][1];
    }
    return NULL;
}

/* The PATH search posix_spawnp will do, done first so that a missing Graphviz is told
 * apart from a failing one before any output file is created. */
int lgt_graphviz_found(void)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; ; p++) {
        size_t len = strcspn(p, ":");
        char *cand = lgt_xasprintf("%.*s/dot", (int)len, len ? p : ".");
        int ok = access(cand, X_OK) == 0;
        free(cand);
        if (ok)
            return 1;
        p += len;
        if (!*p)
            return 0;
    }
}

int lgt_graphviz_render(const char *dotfile, const char *format, int out_fd)
{
    char type[16];
    snprintf(type, sizeof type, "-T%s", format);
    char *argv[] = {"dot", type, (char *)dotfile, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ), st = 0;
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "leakgraph: cannot run Graphviz's dot: %s\n", strerror(rc));
        return -1;
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "leakgraph: Graphviz's dot %s failed (%s %d)\n", type,
                WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return -1;
    }
    return 0;
}
