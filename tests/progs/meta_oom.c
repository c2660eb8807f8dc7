/* Not in the accuracy suite: tests/e2e/cases/meta_oom.sh runs it under an address-space
 * limit (ulimit -v) that leaves room for the program but not for the tracer's tables.
 * Prints its peak virtual size (VmPeak, KiB) on stderr, then allocates and frees 10,000
 * blocks and prints a checksum on stdout, which must not change under the tracer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long vm_peak_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmPeak:", 7))
            kb = strtol(line + 7, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

int main(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < 10000; i++) {
        unsigned char *p = malloc(16 + i % 200);
        if (!p)
            return 3;
        p[0] = (unsigned char)i;
        sum += p[0];
        free(p);
    }
    printf("checksum %lu\n", sum);
    fprintf(stderr, "vmpeak %ld\n", vm_peak_kb());
    return 0;
}
