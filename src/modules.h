/* The module map: every object loaded into the process (path, load bias, address range,
 * build-id, writable segments), kept after dlclose so old stacks still symbolize. */
#ifndef LG_MODULES_H
#define LG_MODULES_H

#include <stdbool.h>
#include <stdint.h>

#define LG_MAX_SEGS 8

struct lg_module {
    struct lg_module *next;
    uintptr_t base, lo, hi;
    uint32_t id, flags; /* enum lg_snap_module_flags */
    uint32_t build_id_len;
    uint8_t build_id[40];
    uint32_t nseg; /* writable PT_LOAD segments, for roots */
    uintptr_t seg_lo[LG_MAX_SEGS], seg_hi[LG_MAX_SEGS];
    bool seen; /* scratch for refresh */
    char path[];
};

/* Re-reads the loaded objects with dl_iterate_phdr, adding new ones and marking the
 * vanished ones unloaded. Takes modules_lock; allocates only arena memory. */
void lg_modules_refresh(void);
/* The same with modules_lock already held (the crash path takes it with a time limit). */
void lg_modules_refresh_locked(void);

/* The list, newest first. Call with the lock held (lg_modules_lock) or while the
 * world is stopped. */
struct lg_module *lg_modules_list(void);
void lg_modules_lock(void);
void lg_modules_unlock(void);
/* The crash path's: tries for up to ms; true when taken. AS-safe. */
bool lg_modules_lock_within(long ms);
void lg_modules_atfork_child(void);

/* The text range of the object containing fn (our own library). */
bool lg_modules_self_range(const void *fn, uintptr_t *lo, uintptr_t *hi);
/* The same for any object (no side effect): the PT_LOAD segment holding fn. */
bool lg_modules_text_range(const void *fn, uintptr_t *lo, uintptr_t *hi);

#endif
