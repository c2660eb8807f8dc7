/* The garbage list, in tracer memory, replaced at every collection. Not AS-safe. */
#include "garbage.h"

#include "arena.h"
#include "dirtyset.h"
#include "log.h"
#include "sitename.h"
#include "sites.h"

#include <string.h>

/* The list of the last collection; protected by the collection lock (collect.c). */
static struct lg_garbage *list;
static size_t nlist, list_cap;

static bool was_garbage(const struct lg_garbage *old, size_t nold, size_t *j, uint64_t addr, uint64_t seq)
{
    while (*j < nold && old[*j].addr < addr)
        (*j)++;
    return *j < nold && old[*j].addr == addr && old[*j].seq == seq;
}

bool lg_garbage_update(const struct lg_scan *sc, const struct lg_livemark *m, const uint32_t *pos)
{
    size_t n = 0, j = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->kind[i] == LG_LIVE_DEFINITE || m->kind[i] == LG_LIVE_INDIRECT;
    size_t cap = n ? n : 1;
    struct lg_garbage *nl = lg_map(cap * sizeof *nl);
    if (!nl)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->kind[i] != LG_LIVE_DEFINITE && m->kind[i] != LG_LIVE_INDIRECT)
            continue;
        const struct lg_block *b = &sc->blocks[pos ? pos[i] : i];
        struct lg_garbage *g = &nl[k++];
        g->addr = b->addr;
        g->size = b->size;
        g->seq = b->seq & LG_SEQ_MASK;
        g->site = b->site;
        g->kind = m->kind[i];
        g->cycle = m->cycle ? m->cycle[i] : 0;
        g->fresh = !was_garbage(list, nlist, &j, g->addr, g->seq);
        g->last_store = lg_dirtyset_last_overwrite(g->addr);
    }
    lg_unmap(list, list_cap * sizeof *list);
    list = nl;
    nlist = n;
    list_cap = cap;
    return true;
}

size_t lg_garbage_count(void) { return nlist; }

size_t lg_garbage_copy(struct lg_garbage *out, size_t cap)
{
    if (out && cap)
        memcpy(out, list, (cap < nlist ? cap : nlist) * sizeof *out);
    return nlist;
}

void lg_garbage_reset(void)
{
    lg_unmap(list, list_cap * sizeof *list);
    list = NULL;
    nlist = list_cap = 0;
}

/* ---- printing ---- */

static const struct lg_site *site_of(uint32_t id)
{
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next)
        if (s->id == id)
            return s;
    return NULL;
}

/* "f+0x1c (prog) <- main+0x40 (prog)": the first frames of the allocation stack. */
static void describe_site(uint32_t id, char *buf, size_t cap)
{
    const struct lg_site *s = site_of(id);
    size_t n = 0;
    buf[0] = 0;
    for (uint32_t i = 0; s && i < s->depth && i < 3 && n + 8 < cap; i++) {
        struct lg_sitename nm;
        lg_sitename_resolve(s->pc[i], &nm);
        if (i)
            n += lg_fmt_async(buf + n, cap - n, " <- ");
        n += lg_sitename_format(&nm, buf + n, cap - n);
    }
    if (!n)
        lg_fmt_async(buf, cap, "an unknown site");
}

static void print_store(uintptr_t pc)
{
    if (!pc)
        return;
    struct lg_sitename nm;
    char where[300];
    lg_sitename_resolve(pc, &nm);
    lg_sitename_format(&nm, where, sizeof where);
    lg_log(LG_LOG_WARN, "    last reference overwritten by the store at %s", where);
}

static void print_cycle(size_t first)
{
    uint32_t c = list[first].cycle;
    uint64_t bytes = 0, members = 0;
    char addrs[200];
    size_t n = 0;
    addrs[0] = 0;
    for (size_t i = first; i < nlist; i++) {
        if (list[i].cycle != c)
            continue;
        bytes += list[i].size;
        if (members++ < 4)
            n += lg_fmt_async(addrs + n, sizeof addrs - n, " %p", (void *)list[i].addr);
    }
    char site[600];
    describe_site(list[first].site, site, sizeof site);
    lg_log(LG_LOG_WARN, "  cycle of %lu blocks, %lu bytes, at%s%s; first allocated at %s", (unsigned long)members,
           (unsigned long)bytes, addrs, members > 4 ? " ..." : "", site);
    print_store(list[first].last_store);
}

void lg_garbage_print(uint32_t collection, long limit)
{
    uint64_t fresh = 0, bytes = 0;
    for (size_t i = 0; i < nlist; i++) {
        fresh += list[i].fresh;
        bytes += list[i].size;
    }
    if (!fresh)
        return;
    lg_log(LG_LOG_WARN, "collection %u: %lu blocks (%lu bytes) unreachable, %lu of them new:", collection,
           (unsigned long)nlist, (unsigned long)bytes, (unsigned long)fresh);
    long lines = 0;
    uint32_t seen_cycle = 0; /* cycles are numbered in the order of their first member */
    for (size_t i = 0; i < nlist; i++) {
        const struct lg_garbage *g = &list[i];
        if (g->cycle && g->cycle <= seen_cycle)
            continue;
        if (g->cycle)
            seen_cycle = g->cycle;
        if (!g->fresh)
            continue;
        if (limit > 0 && lines++ >= limit) {
            lg_log(LG_LOG_WARN, "  ... (collect_limit=%ld lines)", limit);
            return;
        }
        if (g->cycle) {
            print_cycle(i);
            continue;
        }
        char site[600];
        describe_site(g->site, site, sizeof site);
        lg_log(LG_LOG_WARN, "  %s lost: %lu bytes at %p, allocated at %s",
               g->kind == LG_LIVE_DEFINITE ? "definitely" : "indirectly", (unsigned long)g->size, (void *)g->addr,
               site);
        print_store(g->last_store);
    }
}
