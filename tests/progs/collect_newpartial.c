/* A clean block becomes partly unreadable between two collections (mprotect of its second
 * page, which alone refers to a block): that block is then lost, as a full rescan says,
 * and reachable again once the page is readable. Prints the unreachable counts. */
#include "leakgraph.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
void **R;
int main(void)
{
    if (posix_memalign((void **)&R, 4096, 8192)) return 1;
    memset(R, 0, 8192);
    R[512] = malloc(40); /* second page */
    printf("c1 %ld\n", leakgraph_collect());
    mprotect((char *)R + 4096, 4096, PROT_NONE);
    printf("c2 %ld\n", leakgraph_collect());
    mprotect((char *)R + 4096, 4096, PROT_READ | PROT_WRITE);
    printf("c3 %ld\n", leakgraph_collect());
    return 0;
}
