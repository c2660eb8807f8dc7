/* EXPECT: definite=0/0 indirect=0/0 possible=2304/1 reachable=1535/6 cyclic=0/0 */
/* STAGE: fixed-path */
/* A 72-byte block kept only in a static variable of a dlopen'ed library (never closed):
 * the library's .bss is a root, so it is reachable (plus what dlopen itself allocates,
 * as Valgrind prints it). The library is $LG_PROGS/libdlvictim.so, or libdlvictim.so
 * next to this executable. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

static void lib_path(void)
{
    const char *dir = getenv("LG_PROGS");
    size_t n;
    if (dir && *dir) {
        n = strlen(dir);
        if (n > sizeof path - 32)
            _exit(4);
        memcpy(path, dir, n);
    } else {
        ssize_t r = readlink("/proc/self/exe", path, sizeof path - 32);
        if (r <= 0)
            _exit(4);
        n = (size_t)r;
        while (n > 0 && path[n - 1] != '/')
            n--;
        if (n > 0)
            n--;
    }
    strcpy(path + n, "/libdlvictim.so");
}

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static void __attribute__((noinline)) load(void)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        write(2, "dlopen_static: cannot load ", 27);
        write(2, path, strlen(path));
        write(2, "\n", 1);
        _exit(5);
    }
    void (*keep)(size_t) = (void (*)(size_t))dlsym(h, "dlvictim_keep");
    keep(72);
}

int main(void)
{
    lib_path();
    load();
    scrub();
    return 0;
}
