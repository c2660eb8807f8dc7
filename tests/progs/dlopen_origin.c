/* EXPECT: definite=0/0 indirect=0/0 possible=2304/1 reachable=5614/7 cyclic=0/0 */
// LDLIBS: -Wl,--enable-new-dtags -Wl,-rpath,\$ORIGIN
/* STAGE: fixed-path */
/* dlopen by a bare name, found only through this executable's RUNPATH ($ORIGIN, the
 * directory of the executable): glibc searches the RUNPATH of the object that called
 * dlopen, so a tracer that wraps dlopen would make the lookup fail. The library keeps a
 * 77-byte block in its .bss and stays loaded: reachable (with stdout's buffer and
 * ld.so's own blocks, as Valgrind counts them). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    void *h = dlopen("libdlvictim.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    void (*keep)(size_t) = (void (*)(size_t))dlsym(h, "dlvictim_keep");
    if (!keep)
        return 2;
    keep(77);
    printf("loaded through RUNPATH\n");
    return 0;
}
