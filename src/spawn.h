/* Running the analyser at exit without the program noticing: a child whose exit sends
 * no signal (clone with exit signal 0), so no SIGCHLD reaches the program's handlers,
 * its sigwait threads or its SIG_IGN auto-reaping, and waitpid(-1) in the program does
 * not see it (only __WALL waits for such children). */
#ifndef LG_SPAWN_H
#define LG_SPAWN_H

/* Runs path with argv and envp and waits for it. Returns 0 with its wait status in
 * *status, or a positive errno value when it could not be started. */
int lg_spawn_wait(const char *path, char *const argv[], char *const envp[], int *status);

#endif
