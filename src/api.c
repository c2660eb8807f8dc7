/* The public leakgraph_* API (include/leakgraph.h). Exported; everything else is not. */
#include "leakgraph.h"

#include "annot.h"
#include "collect.h"
#include "livemark.h"
#include "exitreport.h"
#include "guard.h"
#include "init.h"
#include "leakgraph/format.h"
#include "showgrowth.h"
#include "sites.h"
#include "snapshot.h"
#include "trigger.h"
#include "arena.h"
#include "storehooks.h"

#include <errno.h>
#include <string.h>
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
    uintptr_t own;
    LG_OWN_BEGIN(own);
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
    LG_OWN_END(own);
    return rc;
}

LG_EXPORT int leakgraph_show_growth(void)
{
    if (lg_state != LG_READY)
        lg_init();
    if (lg_state != LG_READY)
        return -ENOTSUP;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    int rc = lg_showgrowth_run(0, 0, true);
    LG_OWN_END(own);
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

LG_EXPORT long leakgraph_collect(void)
{
    if (lg_state != LG_READY)
        lg_init();
    if (lg_state != LG_READY)
        return -ENOTSUP;
    return lg_collect_run(lg_sites_program_sp((uintptr_t)__builtin_frame_address(0)), false);
}

/* Copies in slices through a small buffer: the tracer allocates nothing here. */
static void fill_entry(struct leakgraph_garbage *o, const struct lg_garbage *g)
{
    memset(o, 0, sizeof *o);
    o->addr = (void *)(uintptr_t)g->addr;
    o->size = g->size;
    o->kind = g->kind == LG_LIVE_DEFINITE ? LEAKGRAPH_DEFINITE : LEAKGRAPH_INDIRECT;
    o->cycle = g->cycle;
    o->fresh = g->fresh;
    o->last_store = (void *)g->last_store;
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next) {
        if (s->id != g->site)
            continue;
        for (uint32_t i = 0; i < s->depth && i < LEAKGRAPH_GARBAGE_FRAMES; i++)
            o->stack[o->depth++] = (void *)s->pc[i];
        break;
    }
}

LG_EXPORT long leakgraph_garbage(struct leakgraph_garbage *out, size_t cap)
{
    if (!annot_ready())
        return -ENOTSUP;
    if (cap && !out)
        return -EINVAL;
    uintptr_t own;
    LG_OWN_BEGIN(own);
    size_t n = lg_collect_garbage(NULL, 0);
    struct lg_garbage *all = n ? lg_map(n * sizeof *all) : NULL;
    if (n && !all) {
        LG_OWN_END(own);
        return -ENOMEM;
    }
    n = lg_collect_garbage(all, n); /* the list may have changed in between: take the smaller */
    size_t fill = n < cap ? n : cap;
    /* block addresses, into what may be a heap block: recorded before they are written */
    struct lg_pending was = lg_storehooks_write_begin(out, fill * sizeof *out);
    for (size_t i = 0; i < fill; i++)
        fill_entry(&out[i], &all[i]);
    lg_storehooks_write_end(was);
    lg_unmap(all, n * sizeof *all);
    LG_OWN_END(own);
    return (long)n;
}
