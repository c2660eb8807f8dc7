/* The table of program-mapped regions: a small array, since programs map far fewer
 * regions than they allocate blocks. */
#include "regions.h"

#include "arena.h"
#include "lock.h"
#include "log.h"
#include "maps.h"

#include <string.h>

#define MAX_REGIONS 65536

/* Protected by regions_lock. */
static lg_lock_t regions_lock = LG_LOCK_INIT;
static struct lg_region *regions;
static uint32_t nregions;

bool lg_regions_lock_within(long ms) { return lg_lock_within(&regions_lock, ms); }
void lg_regions_lock(void) { lg_lock(&regions_lock); }
void lg_regions_unlock(void) { lg_unlock(&regions_lock); }
void lg_regions_atfork_child(void) { lg_lock_reset(&regions_lock); }
uint32_t lg_regions_count(void) { return nregions; }
const struct lg_region *lg_regions_at(uint32_t i) { return &regions[i]; }

static void add_locked(uintptr_t lo, uintptr_t hi, uint32_t kind)
{
    static bool warned; /* under regions_lock */
    if (nregions < MAX_REGIONS && lo < hi) {
        regions[nregions++] = (struct lg_region){lo, hi, kind};
    } else if (lo < hi && !warned) {
        warned = true;
        lg_log(LG_LOG_WARN, "more than %d mappings made by the program: later ones are not scanned as roots, "
               "so blocks kept only there may be reported lost", MAX_REGIONS);
    }
}

void lg_regions_init(void)
{
    regions = lg_map(MAX_REGIONS * sizeof *regions);
    struct lg_maps m;
    if (!regions || lg_maps_read(&m) < 0)
        return;
    /* At the first allocation, glibc's malloc has mapped nothing yet: anonymous
     * writable mappings now belong to ld.so (link maps, the main thread's TLS). */
    for (size_t i = 0; i < m.n; i++) {
        const struct lg_map_ent *e = &m.ent[i];
        if ((e->flags & (LG_MAP_R | LG_MAP_W)) == (LG_MAP_R | LG_MAP_W) &&
            !(e->flags & (LG_MAP_FILE | LG_MAP_STACK | LG_MAP_HEAP | LG_MAP_SPECIAL)))
            add_locked(e->lo, e->hi, LG_REGION_EARLY);
    }
    /* Our own two mappings are in that list: the region array and the maps buffer. */
    uintptr_t own_lo = (uintptr_t)regions, own_hi = own_lo + MAX_REGIONS * sizeof *regions;
    uintptr_t buf_lo = (uintptr_t)m.ent, buf_hi = buf_lo + m.cap * sizeof *m.ent;
    lg_maps_free(&m);
    lg_regions_remove(own_lo, (own_hi + 4095) & ~(uintptr_t)4095);
    lg_regions_remove(buf_lo, (buf_hi + 4095) & ~(uintptr_t)4095);
}

void lg_regions_add(uintptr_t lo, uintptr_t hi, uint32_t kind)
{
    if (!regions)
        return;
    lg_lock(&regions_lock);
    add_locked(lo, hi, kind);
    lg_unlock(&regions_lock);
}

/* Cuts [lo, hi) out of every region, splitting one that straddles it. */
void lg_regions_remove(uintptr_t lo, uintptr_t hi)
{
    if (!regions)
        return;
    lg_lock(&regions_lock);
    for (uint32_t i = 0; i < nregions; i++) {
        struct lg_region *r = &regions[i];
        if (r->hi <= lo || r->lo >= hi)
            continue;
        if (r->lo < lo && r->hi > hi) {
            uintptr_t old_hi = r->hi;
            r->hi = lo;
            add_locked(hi, old_hi, r->kind);
        } else if (r->lo < lo) {
            r->hi = lo;
        } else if (r->hi > hi) {
            r->lo = hi;
        } else {
            regions[i--] = regions[--nregions];
        }
    }
    lg_unlock(&regions_lock);
}
