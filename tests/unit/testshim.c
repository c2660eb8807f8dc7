/* Stand-ins for init.c in the runtime unit tests: the Criterion runner must not be
 * traced, so the tests link the modules without the entry points and start-up. */
#include "init.h"

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

/* storehooks.c is left out (it defines memcpy and friends): its two flags. */
volatile int lg_storehooks_seen;
volatile int lg_storehooks_libc;
int lg_storehooks_last_store;
