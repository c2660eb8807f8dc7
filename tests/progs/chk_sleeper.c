/* leakgraph check's tests: says "sleeping" and sleeps until a signal ends it (SIGTERM
 * forwarded by check, as when a CI job is cancelled). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    puts("sleeping");
    fflush(stdout);
    for (int i = 0; i < 600; i++)
        sleep(1);
    return 0;
}
