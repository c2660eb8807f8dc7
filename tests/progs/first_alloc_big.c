/* EXPECT: definite=262144/1 indirect=48/1 possible=0/0 reachable=0/0 cyclic=0/0 */
/* The process's very first allocation is 256 KiB, made from .preinit_array (before any
 * library's constructor, the tracer's included), so glibc serves it with its own
 * mmap. The tracer initialises inside that first malloc and takes the anonymous memory
 * that exists then as ld.so's, a root: it must do so before the real allocation, or the
 * block would become a root and the 48-byte block it alone points to would look
 * reachable. The big block is dropped: definitely lost, the small one indirectly. */
#include <stdlib.h>

static void **big;

static void first(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv, (void)envp;
    big = malloc(262144);
    big[100] = malloc(48);
}

__attribute__((section(".preinit_array"), used)) static void (*preinit)(int, char **, char **) = first;

static void __attribute__((noinline)) drop(void)
{
    big = NULL;
}

int main(void)
{
    drop();
    return 0;
}
