/* Program annotations: see annot.h. */
#include "annot.h"

#include "arena.h"
#include "blocks.h"
#include "guard.h"
#include "leakgraph/format.h"
#include "lock.h"
#include "track.h"

#include <errno.h>
#include <string.h>

/* How far below a weak slot leakgraph_weak() looks for the start of its block (16-byte
 * steps, one table probe each): a struct's fields are near its start. Beyond this, the
 * slot is kept without an owner, and judged by sequence numbers at snapshot time. */
#define OWNER_SEARCH (64 * 1024)

struct battr {      /* an annotated block */
    uint64_t addr;  /* 0: empty */
    uint32_t tag;
    uint32_t flags;
};

struct wslot {      /* a weak slot */
    uint64_t slot;  /* 0: empty */
    uint64_t owner; /* start of the block holding it, 0 when not found */
    uint64_t seq;   /* without an owner: sequence numbers handed out before the call */
};

/* Everything below is under annot_lock. Tables are open addressing with backward-shift
 * deletion, grown at half full, in lg_map'd memory. */
static lg_lock_t annot_lock = LG_LOCK_INIT;

/* Held inside the guard: a signal handler's free of an annotated block meanwhile defers
 * (freebatch.c) instead of waiting for this lock, which its own thread holds. */
static inline void alock(void)
{
    LG_ENTER();
    lg_lock(&annot_lock);
}

static inline void aunlock(void)
{
    lg_unlock(&annot_lock);
    LG_LEAVE();
}
static struct battr *battrs;
static uint64_t battr_mask, battr_n;
static struct wslot *wslots;
static uint64_t wslot_mask, wslot_n;
static char (*tags)[LG_ANNOT_TAG_LEN + 1];
static uint32_t ntags;
static struct { uintptr_t addr; size_t len; } *roots;
static uint32_t nroots;
static volatile uint64_t nweak; /* read without the lock by the scanner's fast check */

static inline uint64_t hash64(uint64_t a)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdull;
    return a ^ (a >> 33);
}

/* ---- generic table helpers, instantiated for the two record types ---- */
#define DEFINE_TABLE(NAME, T, KEY)                                                                 \
    static T *NAME##_find(T *tab, uint64_t mask, uint64_t k)                                     \
    {                                                                                              \
        if (!tab)                                                                                  \
            return NULL;                                                                           \
        for (uint64_t i = hash64(k) & mask; tab[i].KEY; i = (i + 1) & mask)                        \
            if (tab[i].KEY == k)                                                                   \
                return &tab[i];                                                                    \
        return NULL;                                                                               \
    }                                                                                              \
    static T *NAME##_slot(T *tab, uint64_t mask, uint64_t k)                                     \
    {                                                                                              \
        uint64_t i = hash64(k) & mask;                                                             \
        while (tab[i].KEY && tab[i].KEY != k)                                                      \
            i = (i + 1) & mask;                                                                    \
        return &tab[i];                                                                            \
    }                                                                                              \
    static void NAME##_delete(T *tab, uint64_t mask, T *e)                                       \
    {                                                                                              \
        uint64_t i = (uint64_t)(e - tab), j = i;                                                   \
        for (;;) {                                                                                 \
            j = (j + 1) & mask;                                                                    \
            if (!tab[j].KEY)                                                                       \
                break;                                                                             \
            uint64_t home = hash64(tab[j].KEY) & mask;                                             \
            if (i <= j ? (home > i && home <= j) : (home > i || home <= j))                        \
                continue;                                                                          \
            tab[i] = tab[j];                                                                       \
            i = j;                                                                                 \
        }                                                                                          \
        memset(&tab[i], 0, sizeof tab[i]);                                                         \
    }                                                                                              \
    static bool NAME##_grow(T **tab, uint64_t *mask, uint64_t n)                                 \
    {                                                                                              \
        if (*tab && 2 * (n + 1) <= *mask + 1)                                                      \
            return true;                                                                           \
        uint64_t ncap = *tab ? 2 * (*mask + 1) : 1024;                                             \
        T *nt = lg_map(ncap * sizeof *nt);                                                         \
        if (!nt)                                                                                   \
            return false;                                                                          \
        for (uint64_t i = 0; *tab && i <= *mask; i++)                                              \
            if ((*tab)[i].KEY)                                                                     \
                *NAME##_slot(nt, ncap - 1, (*tab)[i].KEY) = (*tab)[i];                             \
        if (*tab)                                                                                  \
            lg_unmap(*tab, (*mask + 1) * sizeof **tab);                                            \
        *tab = nt;                                                                                 \
        *mask = ncap - 1;                                                                          \
        return true;                                                                               \
    }

DEFINE_TABLE(battr, struct battr, addr)
DEFINE_TABLE(wslot, struct wslot, slot)

/* Adds flags or a tag to the live block at addr; the block is flagged in its record so
 * that freeing it drops the annotation. */
static int annotate(uintptr_t addr, uint32_t tag, uint32_t flags)
{
    struct lg_block b;
    if (!addr || !lg_blocks_lookup(addr, true, &b))
        return -ENOENT;
    alock();
    int rc = -ENOMEM;
    if (battr_grow(&battrs, &battr_mask, battr_n)) {
        struct battr *e = battr_slot(battrs, battr_mask, addr);
        if (!e->addr) {
            e->addr = addr;
            battr_n++;
        }
        if (tag)
            e->tag = tag;
        e->flags |= flags;
        rc = 0;
    }
    aunlock();
    return rc;
}

static uint32_t intern_tag(const char *name)
{
    char buf[LG_ANNOT_TAG_LEN + 1];
    size_t n = strnlen(name, LG_ANNOT_TAG_LEN);
    memcpy(buf, name, n);
    buf[n] = 0;
    for (uint32_t i = 0; i < ntags; i++)
        if (!strcmp(tags[i], buf))
            return i + 1;
    if (!tags && !(tags = lg_map(LG_ANNOT_MAX_TAGS * sizeof *tags)))
        return 0;
    if (ntags == LG_ANNOT_MAX_TAGS)
        return 0;
    memcpy(tags[ntags], buf, n + 1);
    return ++ntags;
}

int lg_annot_tag(uintptr_t block, const char *name)
{
    if (!name || !name[0])
        return -EINVAL;
    alock();
    uint32_t id = intern_tag(name);
    aunlock();
    return id ? annotate(block, id, 0) : -ENOSPC;
}

int lg_annot_ignore(uintptr_t block) { return annotate(block, 0, LG_BATTR_IGNORED); }

/* The block holding slot, searched downwards from it: see OWNER_SEARCH. */
static uintptr_t find_owner(uintptr_t slot)
{
    struct lg_block b;
    uintptr_t lo = slot > OWNER_SEARCH ? slot - OWNER_SEARCH : 16;
    for (uintptr_t a = slot & ~(uintptr_t)15; a >= lo; a -= 16)
        if (lg_blocks_lookup(a, false, &b))
            return slot < b.addr + b.size ? (lg_blocks_lookup(a, true, &b), a) : 0;
    return 0;
}

int lg_annot_weak(uintptr_t slot)
{
    if (!slot || (slot & 7))
        return -EINVAL;
    uintptr_t owner = find_owner(slot);
    uint64_t seq = lg_track_seq_bound();
    alock();
    int rc = -ENOMEM;
    if (wslot_grow(&wslots, &wslot_mask, wslot_n) && (!owner || battr_grow(&battrs, &battr_mask, battr_n))) {
        struct wslot *e = wslot_slot(wslots, wslot_mask, slot);
        if (!e->slot)
            wslot_n++;
        *e = (struct wslot){slot, owner, seq};
        if (owner) { /* an attribute record without flags: the block owns weak slots */
            struct battr *a = battr_slot(battrs, battr_mask, owner);
            if (!a->addr) {
                a->addr = owner;
                battr_n++;
            }
        }
        __atomic_store_n(&nweak, wslot_n, __ATOMIC_RELEASE);
        rc = 0;
    }
    aunlock();
    return rc;
}

int lg_annot_register_root(uintptr_t addr, size_t len)
{
    if (!addr || !len || addr + len < addr)
        return -EINVAL;
    alock();
    int rc = -ENOSPC;
    if (!roots)
        roots = lg_map(LG_ANNOT_MAX_ROOTS * sizeof *roots);
    if (roots && nroots < LG_ANNOT_MAX_ROOTS) {
        roots[nroots].addr = addr;
        roots[nroots].len = len;
        nroots++;
        rc = 0;
    }
    aunlock();
    return rc;
}

int lg_annot_unregister_root(uintptr_t addr)
{
    alock();
    int rc = -ENOENT;
    for (uint32_t i = 0; i < nroots; i++) {
        if (roots[i].addr == addr) {
            roots[i] = roots[--nroots];
            rc = 0;
            break;
        }
    }
    aunlock();
    return rc;
}

/* Weak slots inside [addr, addr + size): probe each word, or walk the table when that
 * is shorter. */
static void forget_slots(uintptr_t addr, size_t size)
{
    if (!wslot_n)
        return;
    if (size / 8 <= wslot_mask + 1) {
        for (uintptr_t p = addr; p + 8 <= addr + size; p += 8) {
            struct wslot *e = wslot_find(wslots, wslot_mask, p);
            if (e) {
                wslot_delete(wslots, wslot_mask, e);
                wslot_n--;
            }
        }
    } else {
        for (uint64_t i = 0; i <= wslot_mask;)
            if (wslots[i].slot >= addr && wslots[i].slot < addr + size) {
                wslot_delete(wslots, wslot_mask, &wslots[i]);
                wslot_n--; /* the shift may have moved another entry into i: look again */
            } else {
                i++;
            }
    }
    __atomic_store_n(&nweak, wslot_n, __ATOMIC_RELEASE);
}

void lg_annot_forget_locked(uintptr_t addr, size_t size)
{
    struct battr *e = battr_find(battrs, battr_mask, addr);
    if (e) {
        battr_delete(battrs, battr_mask, e);
        battr_n--;
    }
    forget_slots(addr, size);
}

void lg_annot_forget(uintptr_t addr, size_t size)
{
    alock();
    lg_annot_forget_locked(addr, size);
    aunlock();
}

void lg_annot_move(uintptr_t from, size_t from_size, uintptr_t to)
{
    alock();
    struct battr *e = battr_find(battrs, battr_mask, from);
    struct battr saved = e ? *e : (struct battr){0};
    if (e) {
        battr_delete(battrs, battr_mask, e);
        battr_n--;
    }
    forget_slots(from, from_size);
    aunlock();
    if (saved.tag || saved.flags)
        annotate(to, saved.tag, saved.flags);
}

bool lg_annot_lock_within(long ms) { return lg_lock_within(&annot_lock, ms); }
void lg_annot_lock(void) { lg_lock(&annot_lock); }
void lg_annot_unlock(void) { lg_unlock(&annot_lock); }

bool lg_annot_block(uintptr_t addr, uint32_t *tag, uint32_t *flags)
{
    const struct battr *e = battr_find(battrs, battr_mask, addr);
    if (!e)
        return false;
    *tag = e->tag;
    *flags = e->flags;
    return true;
}

uint32_t lg_annot_tag_count(void) { return ntags; }
uint64_t lg_annot_block_count(void) { return battr_n; }
const char *lg_annot_tag_name(uint32_t id) { return id && id <= ntags ? tags[id - 1] : ""; }
bool lg_annot_has_weak(void) { return __atomic_load_n(&nweak, __ATOMIC_ACQUIRE) != 0; }

bool lg_annot_is_weak(uintptr_t slot, uint64_t holder_seq)
{
    const struct wslot *e = wslot_find(wslots, wslot_mask, slot);
    if (!e)
        return false;
    return e->owner || !holder_seq || holder_seq < e->seq;
}

uint32_t lg_annot_root_count(void) { return nroots; }

void lg_annot_root(uint32_t i, uintptr_t *addr, size_t *len)
{
    *addr = roots[i].addr;
    *len = roots[i].len;
}

void lg_annot_atfork_child(void) { lg_lock_reset(&annot_lock); }
