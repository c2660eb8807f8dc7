/* Stand-ins for init.c in the runtime unit tests: the Criterion runner must not be
 * traced, so the tests link the modules without the entry points and start-up. */
#include "init.h"
#include "storehooks.h"

#include <malloc.h>

__thread volatile int lg_busy __attribute__((tls_model("initial-exec")));
volatile int lg_state = LG_READY;

void lg_init(void) {}
void lg_disable(const char *why)
{
    (void)why;
    lg_state = LG_DISABLED;
}
size_t lg_real_usable_size(void *p) { return malloc_usable_size(p); }

/* storehooks.c is left out (it defines memcpy and friends): its flags, and no writes
 * to record. */
volatile int lg_storehooks_seen;
volatile int lg_storehooks_libc;
int lg_storehooks_last_store;
void lg_storehooks_wrote(const void *d, size_t n) { (void)d, (void)n; }
struct lg_pending lg_storehooks_write_begin(const void *d, size_t n)
{
    (void)d, (void)n;
    return (struct lg_pending){0, 0};
}
void lg_storehooks_write_end(struct lg_pending was) { (void)was; }
