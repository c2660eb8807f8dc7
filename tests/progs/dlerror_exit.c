/* Used by tests/e2e/cases/dlerror_exit.sh. A failed dlsym leaves a dlerror string that
 * glibc frees at the next dlsym, and a global points into the last 8 bytes of a 20-byte
 * block, so the exit scan asks malloc_usable_size whether it is one of glibc's bin words.
 * The tracer once resolved malloc_usable_size with dlsym right there, every shard lock
 * held: glibc freed the old error string into the tracer's table and the process hung
 * at exit. The block is possibly lost (only an interior pointer reaches it). */
#include <dlfcn.h>
#include <stdlib.h>

char *tail_ptr;

int main(void)
{
    char *p = malloc(20);
    p[0] = 1;
    tail_ptr = p + 12;
    p = NULL;
    return dlsym(RTLD_DEFAULT, "leakgraph_no_such_symbol") == NULL ? 0 : 1;
}
