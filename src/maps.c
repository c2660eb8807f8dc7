/* A /proc/self/maps parser that allocates only tracer memory. */
#include "maps.h"

#include "arena.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static uintptr_t parse_hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (uintptr_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (uintptr_t)(c - 'a' + 10);
        else
            return v;
    }
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && !memcmp(s, prefix, k);
}

/* Only the kernel's own pages are special: "[anon:name]" (prctl PR_SET_VMA) is the
 * program's anonymous memory like any other. */
static uint32_t classify_path(const char *s, size_t n)
{
    if (starts(s, n, "/dev/zero") || starts(s, n, "/SYSV"))
        return 0; /* MAP_SHARED|MAP_ANONYMOUS and shmat: anonymous memory */
    if (starts(s, n, "/dev/") && !starts(s, n, "/dev/shm/"))
        return LG_MAP_DEVICE;
    if (n && *s == '/')
        return LG_MAP_FILE;
    if (starts(s, n, "[stack]"))
        return LG_MAP_STACK;
    if (starts(s, n, "[heap]"))
        return LG_MAP_HEAP;
    if (starts(s, n, "[vvar") || starts(s, n, "[vdso") || starts(s, n, "[vsyscall"))
        return LG_MAP_SPECIAL;
    return 0;
}

/* "lo-hi perms offset dev inode   path" */
static bool parse_line(const char *s, const char *end, struct lg_map_ent *e)
{
    e->lo = parse_hex(&s);
    if (*s++ != '-')
        return false;
    e->hi = parse_hex(&s);
    if (*s++ != ' ' || end - s < 4)
        return false;
    e->flags = (s[0] == 'r' ? LG_MAP_R : 0) | (s[1] == 'w' ? LG_MAP_W : 0) | (s[2] == 'x' ? LG_MAP_X : 0) |
               (s[3] == 's' ? LG_MAP_SHARED : 0);
    int field = 0;
    while (s < end && field < 5) { /* skip perms, offset, dev, inode */
        while (s < end && *s != ' ')
            s++;
        while (s < end && *s == ' ')
            s++;
        field++;
        if (field == 4)
            break;
    }
    e->flags |= classify_path(s, (size_t)(end - s));
    return true;
}

static bool push(struct lg_maps *m, const struct lg_map_ent *e)
{
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        struct lg_map_ent *ne = lg_map(ncap * sizeof *ne);
        if (!ne)
            return false;
        if (m->n)
            memcpy(ne, m->ent, m->n * sizeof *ne);
        lg_unmap(m->ent, m->cap * sizeof *ne);
        m->ent = ne;
        m->cap = ncap;
    }
    m->ent[m->n++] = *e;
    return true;
}

int lg_maps_read(struct lg_maps *m)
{
    memset(m, 0, sizeof *m);
    /* /proc/self is the main thread's view: empty once main has called pthread_exit. */
    int fd = open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        char *line = buf, *nl;
        while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
            struct lg_map_ent e;
            if (parse_line(line, nl, &e) && !push(m, &e)) {
                close(fd);
                return -1;
            }
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have == sizeof buf) /* absurdly long line: drop it */
            have = 0;
    }
    close(fd);
    return 0;
}

void lg_maps_free(struct lg_maps *m)
{
    lg_unmap(m->ent, m->cap * sizeof *m->ent);
    memset(m, 0, sizeof *m);
}

const struct lg_map_ent *lg_maps_find(const struct lg_maps *m, uintptr_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < m->ent[mid].lo)
            hi = mid;
        else if (addr >= m->ent[mid].hi)
            lo = mid + 1;
        else
            return &m->ent[mid];
    }
    return NULL;
}

void lg_maps_clip(const struct lg_maps *m, uintptr_t lo, uintptr_t hi, uint32_t need, uint32_t avoid,
                  void (*fn)(void *ctx, uintptr_t lo, uintptr_t hi), void *ctx)
{
    need |= LG_MAP_R;
    avoid |= LG_MAP_SPECIAL | LG_MAP_DEVICE;
    for (size_t i = 0; i < m->n && lo < hi; i++) {
        const struct lg_map_ent *e = &m->ent[i];
        if (e->hi <= lo)
            continue;
        if (e->lo >= hi)
            break;
        uintptr_t a = e->lo > lo ? e->lo : lo, b = e->hi < hi ? e->hi : hi;
        if ((e->flags & need) == need && !(e->flags & avoid) && a < b)
            fn(ctx, a, b);
    }
}

bool lg_maps_scannable(const struct lg_maps *m, uintptr_t lo, uintptr_t hi)
{
    while (lo < hi) {
        const struct lg_map_ent *e = lg_maps_find(m, lo);
        if (!e || !(e->flags & LG_MAP_R) || (e->flags & (LG_MAP_SPECIAL | LG_MAP_DEVICE)))
            return false;
        lo = e->hi;
    }
    return true;
}
