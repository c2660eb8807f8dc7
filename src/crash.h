/* Fatal signals (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS, SIGTRAP): a crash
 * snapshot and the report from the signal handler, then the default action as without
 * the tracer. The program's own handlers for these signals are recorded by the sigaction
 * and signal wrappers and run by ours, so the program sees its own dispositions. */
#ifndef LG_CRASH_H
#define LG_CRASH_H

#include <signal.h>
#include <stdbool.h>

/* Installs the handlers (on_crash=snapshot). Call once, at the end of start-up. */
void lg_crash_init(void);

/* The sigaction wrapper's part: true when signo is one of ours, the program's
 * disposition was recorded or read instead of the kernel's, and *rc is the result. */
bool lg_crash_sigaction(int signo, const struct sigaction *act, struct sigaction *old, int *rc);

/* Whether signo is a fatal signal whose disposition the sigaction wrapper records. */
bool lg_crash_owns(int signo);

/* A new thread: its alternate signal stack. */
void lg_crash_thread_start(void);
void lg_crash_thread_exit(void);

#endif
