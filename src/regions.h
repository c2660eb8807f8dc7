/* Memory the program mapped itself (mmap/mremap/munmap called through the PLT; glibc's
 * malloc maps its arenas internally and never shows up here), plus the anonymous
 * mappings that existed when the tracer started (ld.so's own memory, the main
 * thread's static TLS). Valgrind scans such memory as roots; so do we. */
#ifndef LG_REGIONS_H
#define LG_REGIONS_H

#include <stdbool.h>
#include <stdint.h>

enum { LG_REGION_MMAP = 1, LG_REGION_EARLY = 2 };

struct lg_region {
    uintptr_t lo, hi;
    uint32_t kind;
};

void lg_regions_init(void);
void lg_regions_add(uintptr_t lo, uintptr_t hi, uint32_t kind);
void lg_regions_remove(uintptr_t lo, uintptr_t hi);

/* Call with lg_regions_lock held (or the world stopped). */
uint32_t lg_regions_count(void);
const struct lg_region *lg_regions_at(uint32_t i);
void lg_regions_lock(void);
void lg_regions_unlock(void);
/* The crash path's: tries for up to ms; true when taken. AS-safe. */
bool lg_regions_lock_within(long ms);
void lg_regions_atfork_child(void);

#endif
