/* leakgraph check's suite: leaks at named sites, chosen by the letters of argv[1]
 * ("none" leaks nothing): each 'a' loses 16 bytes at leak_site_a, 'b' 32 bytes at
 * leak_site_b, 'c' 48 bytes at leak_site_c (the "new" leak of the baseline test). Kept out
 * of the Valgrind accuracy suite: check's tests assert on its sites, not its byte totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[4096];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) leak_site_a(void) { sink = malloc(16); memset(sink, 1, 16); }
static void __attribute__((noinline)) leak_site_b(void) { sink = malloc(32); memset(sink, 2, 32); }
static void __attribute__((noinline)) leak_site_c(void) { sink = malloc(48); memset(sink, 3, 48); }

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "a";
    void *kept = malloc(100); /* freed: never a leak */
    for (const char *p = what; *p && strcmp(what, "none"); p++) {
        if (*p == 'a')
            leak_site_a();
        else if (*p == 'b')
            leak_site_b();
        else if (*p == 'c')
            leak_site_c();
    }
    sink = NULL;
    scrub();
    free(kept);
    printf("chk_leaky %s done\n", what);
    return 0;
}
