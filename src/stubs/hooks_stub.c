/* libleakgraph_hooks.so: do-nothing store hooks that programs built with `leakgraph
 * cflags` link against, so that they also run without the tracer. Preloaded,
 * libleakgraph.so comes first in the lookup order and its hooks are the ones called. */
#include <stddef.h>

#define STUB(name) __attribute__((visibility("default"))) void name(void *a) { (void)a; }
#define STUBN(name) __attribute__((visibility("default"))) void name(void *a, size_t n) { (void)a, (void)n; }

STUB(__sanitizer_cov_store1)
STUB(__sanitizer_cov_store2)
STUB(__sanitizer_cov_store4)
STUB(__sanitizer_cov_store8)
STUB(__sanitizer_cov_store16)
STUB(__asan_store1_noabort)
STUB(__asan_store2_noabort)
STUB(__asan_store4_noabort)
STUB(__asan_store8_noabort)
STUB(__asan_store16_noabort)
STUBN(__asan_storeN_noabort)
STUB(__asan_load1_noabort)
STUB(__asan_load2_noabort)
STUB(__asan_load4_noabort)
STUB(__asan_load8_noabort)
STUB(__asan_load16_noabort)
STUBN(__asan_loadN_noabort)
__attribute__((visibility("default"))) void __asan_handle_no_return(void) {}
