/* The public leakgraph_* API (include/leakgraph.h). Exported; everything else is not. */
#include "leakgraph.h"

#include "exitreport.h"
#include "guard.h"
#include "init.h"
#include "leakgraph/format.h"
#include "sites.h"
#include "snapshot.h"

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
    lg_busy--;
    return rc;
}
