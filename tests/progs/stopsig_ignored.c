/* The program's own disposition of the stop signal (SIGRTMIN+3) is SIG_IGN with
 * SA_SIGINFO set, as sigaction(2) allows; a collection then puts the tracer's handler in
 * and keeps the program's. The program's own raise() of that signal must still be
 * ignored: the tracer once called sa_sigaction, address 1 (a crash). Prints "done". */
#include "leakgraph.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGRTMIN + 3, &sa, NULL))
        return 2;
    if (LEAKGRAPH_AVAILABLE())
        leakgraph_collect();
    raise(SIGRTMIN + 3);
    puts("done");
    return 0;
}
