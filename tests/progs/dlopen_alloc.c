/* EXPECT: definite=123/1 indirect=0/0 possible=2304/1 reachable=0/0 cyclic=0/0 */
/* dlopen a library, let it leak a 123-byte block (allocated in dlvictim_leak_inner),
 * dlclose it: the library is unloaded, and the leak's stack points into code that is no
 * longer mapped; the report must still name the library's module or function.
 * The library is $LG_PROGS/libdlvictim.so, or libdlvictim.so next to this executable. */
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
        write(2, "dlopen_alloc: cannot load ", 27);
        write(2, path, strlen(path));
        write(2, "\n", 1);
        _exit(5);
    }
    void (*leak)(size_t) = (void (*)(size_t))dlsym(h, "dlvictim_leak");
    leak(123);
    if (dlclose(h) != 0)
        _exit(6);
}

int main(void)
{
    lib_path();
    load();
    scrub();
    return 0;
}
