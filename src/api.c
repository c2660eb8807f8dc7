/* The public leakgraph_* API (include/leakgraph.h). Exported; everything else is not. */
#include "leakgraph.h"

#include "annot.h"
#include "exitreport.h"
#include "guard.h"
#include "init.h"
#include "leakgraph/format.h"
#include "showgrowth.h"
#include "sites.h"
#include "snapshot.h"
#include "trigger.h"

#include <errno.h>
#include <unistd.h>

#define LG_EXPORT __attribute__((visibility("default")))

LG_EXPORT const char *leakgraph_version(void) { return LG_VERSION; }

LG_EXPORT int leakgraph_snapshot(const char *path)
{
    if (lg_state != LG_READY)
        lg_init();
    if (lg_state != LG_READY)
        return -ENOTSUP;
    if (!path || !path[0])
        return -EINVAL;
    char out[4200];
    lg_busy++;
    int fd = lg_exitreport_open(path, out, sizeof out);
    int rc = fd;
    if (fd >= 0) {
        struct lg_snapshot_req req = {.fd = fd, .reason = LG_REASON_API,
                                      .caller_sp = lg_sites_program_sp((uintptr_t)__builtin_frame_address(0))};
        rc = lg_snapshot_take(&req);
        close(fd);
    }
    lg_trigger_log(0, LG_REASON_API, out, rc);
    lg_showgrowth_at_trigger(0, LG_REASON_API);
    lg_busy--;
    return rc;
}

LG_EXPORT int leakgraph_show_growth(void)
{
    if (lg_state != LG_READY)
        lg_init();
    if (lg_state != LG_READY)
        return -ENOTSUP;
    lg_busy++;
    int rc = lg_showgrowth_run(0, 0, true);
    lg_busy--;
    return rc;
}

/* The annotation calls: the tracer must be up (lazy init, as for any allocation). */
static bool annot_ready(void)
{
    if (lg_state != LG_READY)
        lg_init();
    return lg_state == LG_READY;
}

LG_EXPORT int leakgraph_tag(const void *ptr, const char *name)
{
    return annot_ready() ? lg_annot_tag((uintptr_t)ptr, name) : -ENOTSUP;
}

LG_EXPORT int leakgraph_ignore(const void *ptr)
{
    return annot_ready() ? lg_annot_ignore((uintptr_t)ptr) : -ENOTSUP;
}

LG_EXPORT int leakgraph_weak(void *const *slot)
{
    return annot_ready() ? lg_annot_weak((uintptr_t)slot) : -ENOTSUP;
}

LG_EXPORT int leakgraph_register_root(const void *addr, size_t len)
{
    return annot_ready() ? lg_annot_register_root((uintptr_t)addr, len) : -ENOTSUP;
}

LG_EXPORT int leakgraph_unregister_root(const void *addr)
{
    return annot_ready() ? lg_annot_unregister_root((uintptr_t)addr) : -ENOTSUP;
}
