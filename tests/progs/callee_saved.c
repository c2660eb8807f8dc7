/* Not in the accuracy suite (see tests/e2e/cases/callee_saved.sh). A 333-byte block
 * whose only pointer sits in a callee-saved register (rbx) while the program asks for a
 * snapshot: the tracer's own frames spill rbx below the program's stack pointer, where
 * the scan does not look, so the snapshot must take rbx as the program's frame had it.
 * The snapshot goes to $LG_SNAP_PATH. */
#include <leakgraph.h>
#include <stdio.h>
#include <stdlib.h>

static void __attribute__((noinline)) snap_with_rbx(const char *path)
{
    register void *p asm("rbx") = malloc(333);
    asm volatile("" : "+r"(p)); /* keep it in rbx, and only there */
    int rc = leakgraph_snapshot(path);
    asm volatile("" : "+r"(p));
    free(p);
    printf("snapshot %d\n", rc);
}

int main(void)
{
    const char *path = getenv("LG_SNAP_PATH");
    if (!path || !LEAKGRAPH_AVAILABLE())
        return 2;
    snap_with_rbx(path);
    return 0;
}
