/* /proc/self/maps, read with raw open/read into tracer memory (opendir and fopen
 * allocate). Used to clip roots to readable memory and to find stacks and vtables. */
#ifndef LG_MAPS_H
#define LG_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LG_MAP_R = 1, LG_MAP_W = 2, LG_MAP_X = 4, LG_MAP_STACK = 16, LG_MAP_HEAP = 32,
       /* a file that can shrink under the mapping (a page past its end raises SIGBUS):
        * not /dev/zero or System V shared memory, which are anonymous memory */
       LG_MAP_FILE = 8,
       LG_MAP_SPECIAL = 64, /* [vvar], [vdso], [vsyscall]: kernel pages, never scanned */
       LG_MAP_DEVICE = 128, /* a device file: reading it may have side effects, never scanned */
       LG_MAP_SHARED = 256 };

struct lg_map_ent {
    uintptr_t lo, hi;
    uint32_t flags;
};

struct lg_maps {
    struct lg_map_ent *ent;
    size_t n, cap; /* cap in entries of the lg_map'd array */
};

/* Reads the current mappings, sorted by address. 0 or -errno. */
int lg_maps_read(struct lg_maps *m);
void lg_maps_free(struct lg_maps *m);

/* The mapping containing addr, or NULL. */
const struct lg_map_ent *lg_maps_find(const struct lg_maps *m, uintptr_t addr);

/* Calls fn for each piece of [lo, hi) mapped with all the flags in need (LG_MAP_R at least)
 * and none in avoid (LG_MAP_SPECIAL and LG_MAP_DEVICE always). */
void lg_maps_clip(const struct lg_maps *m, uintptr_t lo, uintptr_t hi, uint32_t need, uint32_t avoid,
                  void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx);

/* Whether [lo, hi) is readable memory that can be scanned (see lg_maps_clip). */
bool lg_maps_scannable(const struct lg_maps *m, uintptr_t lo, uintptr_t hi);

#endif
