/* EXPECT: definite=200/1 indirect=0/0 possible=0/0 reachable=17080/6 cyclic=0/0 */
/* Memory the scanner must not read, or must read with care, so that taking a snapshot
 * never crashes the program:
 * - a block with a PROT_NONE page in the middle (a guard page, as some pool allocators
 *   put on top of malloc): the pointer to b in that page is invisible, so b is lost,
 *   while a and c, stored in the readable pages around it, are reachable;
 * - a MAP_SHARED file mapping two pages long over an 8-byte file: reading its second
 *   page raises SIGBUS. d is also kept by a global, so the numbers do not depend on
 *   whether the file mapping is scanned;
 * - an anonymous mapping named with PR_SET_VMA ("[anon:pool]" in /proc/self/maps), which
 *   is ordinary memory: e is reachable only through it. Kernels without the name feature
 *   leave it an unnamed anonymous mapping, which gives the same answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static char *big;
static void *d_global;
static uintptr_t pool_xor; /* the pool's own address, hidden */

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) guarded_block(void)
{
    big = aligned_alloc(4096, 3 * 4096);
    *(void **)(big + 16) = malloc(100);          /* a */
    *(void **)(big + 4096 + 16) = malloc(200);   /* b: behind the guard page */
    *(void **)(big + 2 * 4096 + 16) = malloc(300); /* c */
    if (mprotect(big + 4096, 4096, PROT_NONE) != 0)
        _exit(3);
}

static void __attribute__((noinline)) short_file(void)
{
    char path[] = "/tmp/lg-guarded-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 8) != 0)
        _exit(4);
    unlink(path);
    void **m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        _exit(5);
    d_global = malloc(80); /* d */
    m[0] = d_global;
    close(fd);
}

static void __attribute__((noinline)) named_pool(void)
{
    void **pool = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED)
        _exit(6);
    prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)pool, 65536, (unsigned long)"pool");
    pool[100] = malloc(216); /* e */
    pool_xor = (uintptr_t)pool ^ 0x5a5a5a5a5a5a5a5aULL;
}

int main(void)
{
    guarded_block();
    short_file();
    named_pool();
    scrub();
    printf("guarded memory set up\n");
    return 0;
}
