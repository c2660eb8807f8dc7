/* show_growth: per-site live counts from a copy of the block table, objgraph's peak
 * rule, text rows on stderr and JSON lines in growth_json. */
#include "showgrowth.h"
#include "freebatch.h"

#include "arena.h"
#include "blocks.h"
#include "exitreport.h"
#include "leakgraph/format.h"
#include "lock.h"
#include "log.h"
#include "modules.h"
#include "options.h"
#include "sitename.h"
#include "sites.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_COLS 72 /* the name column is as wide as the longest name, up to this */

/* Per site id (dense, 1..lg_sites_count()): the count and bytes now, and the peak. */
struct site_stat {
    uint64_t count, bytes;
    uint64_t peak, peak_bytes; /* the highest count reported so far, and its bytes */
};

/* A site whose count rose above its peak at this report. */
struct grown {
    uint32_t site;
    uint64_t count, bytes;
    int64_t dcount, dbytes;
};

/* A row to print, named outside every lock. */
struct row {
    struct grown g;
    uintptr_t pc;
    struct lg_sitename name;
};

/* Counting and the peaks are serialised by stat_lock (triggers and API calls of any
 * thread); rows are per call, so naming and printing run without it. */
static lg_lock_t stat_lock = LG_LOCK_INIT;
static struct site_stat *stats; /* mapped; stats_cap entries */
static size_t stats_cap;
static uint32_t reports; /* growth reports of this process (JSON "growth") */
/* growth_json's file as created by this process or, after fork, its parent; json_pid
 * says which. Under stat_lock. */
static char json_path[4200];
static int json_pid;
static bool json_warned;

void lg_showgrowth_atfork_child(void) { lg_lock_reset(&stat_lock); }

static uint64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The live blocks, copied under every shard lock so the counts are of one moment. */
static struct lg_block *copy_blocks(size_t *n, size_t *cap)
{
    size_t slack = 1024;
    for (;;) {
        struct lg_blocks_stats st;
        lg_blocks_stats(&st, false);
        *cap = st.live_blocks + slack;
        struct lg_block *b = lg_map_populated(*cap * sizeof *b);
        if (!b)
            return NULL;
        lg_blocks_lock_all();
        lg_freebatch_drain_locked(false); /* freed blocks waiting in a batch are not growth */
        *n = lg_blocks_copy_locked(b, *cap);
        lg_blocks_unlock_all();
        if (*n <= *cap)
            return b;
        lg_unmap(b, *cap * sizeof *b);
        slack *= 4;
    }
}

/* Room for site ids up to nsites, grown by remapping. */
static bool reserve_stats(uint32_t nsites)
{
    if (nsites < stats_cap)
        return true;
    size_t cap = stats_cap * 2 > (size_t)nsites + 1024 ? stats_cap * 2 : (size_t)nsites + 1024;
    struct site_stat *s = lg_map(cap * sizeof *s);
    if (!s)
        return false;
    if (stats) {
        memcpy(s, stats, stats_cap * sizeof *s);
        lg_unmap(stats, stats_cap * sizeof *s);
    }
    stats = s;
    stats_cap = cap;
    return true;
}

/* Largest count growth first, then bytes, then the older site. */
static bool before(const struct grown *a, const struct grown *b)
{
    if (a->dcount != b->dcount)
        return a->dcount > b->dcount;
    if (a->dbytes != b->dbytes)
        return a->dbytes > b->dbytes;
    return a->site < b->site;
}

/* Heapsort (qsort may call malloc): a heap whose root is the row ranked last. */
static void sift(struct grown *g, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && before(&g[c], &g[c + 1]))
            c++;
        if (!before(&g[i], &g[c]))
            return;
        struct grown t = g[i];
        g[i] = g[c];
        g[c] = t;
        i = c;
    }
}

static void sort_grown(struct grown *g, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(g, i, n);
    for (size_t end = n; end > 1; end--) {
        struct grown t = g[0];
        g[0] = g[end - 1];
        g[end - 1] = t;
        sift(g, 0, end - 1);
    }
}

/* Counts, applies the peak rule and returns the grown sites (mapped, *ng of them, *gcap
 * entries for lg_unmap). Call with stat_lock held. */
static struct grown *count_and_raise(uint32_t nsites, size_t *ng, size_t *gcap)
{
    size_t n, cap;
    struct lg_block *b = copy_blocks(&n, &cap);
    if (!b)
        return NULL;
    for (uint32_t id = 1; id <= nsites; id++)
        stats[id].count = stats[id].bytes = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i].site && b[i].site <= nsites) {
            stats[b[i].site].count++;
            stats[b[i].site].bytes += b[i].size;
        }
    lg_unmap(b, cap * sizeof *b);
    *gcap = (size_t)nsites + 1;
    struct grown *g = lg_map(*gcap * sizeof *g);
    if (!g)
        return NULL;
    *ng = 0;
    for (uint32_t id = 1; id <= nsites; id++) {
        struct site_stat *s = &stats[id];
        if (s->count <= s->peak)
            continue;
        g[(*ng)++] = (struct grown){id, s->count, s->bytes, (int64_t)(s->count - s->peak),
                                    (int64_t)s->bytes - (int64_t)s->peak_bytes};
        s->peak = s->count;
        s->peak_bytes = s->bytes;
    }
    return g;
}

/* The first frame of every row's site: one walk of the site list into an id index. */
static void fill_pcs(struct row *rows, size_t nrows, uint32_t nsites)
{
    const struct lg_site **by_id = nrows ? lg_map(((size_t)nsites + 1) * sizeof *by_id) : NULL;
    if (!by_id)
        return;
    for (const struct lg_site *s = lg_sites_first(); s; s = s->all_next)
        if (s->id <= nsites)
            by_id[s->id] = s;
    for (size_t i = 0; i < nrows; i++) {
        const struct lg_site *s = by_id[rows[i].g.site];
        rows[i].pc = s && s->depth ? s->pc[0] : 0;
    }
    lg_unmap(by_id, ((size_t)nsites + 1) * sizeof *by_id);
}

/* ---- output ------------------------------------------------------------------------ */

static const char *reason_text(int reason)
{
    switch (reason) {
    case LG_REASON_SIGNAL: return "on a signal";
    case LG_REASON_TIMER: return "on a timer";
    case LG_REASON_THRESHOLD: return "at an allocation threshold";
    case LG_REASON_API: return "on request";
    default: return "from leakgraph_show_growth()";
    }
}

static const char *reason_json(int reason)
{
    switch (reason) {
    case LG_REASON_SIGNAL: return "signal";
    case LG_REASON_TIMER: return "timer";
    case LG_REASON_THRESHOLD: return "threshold";
    case LG_REASON_API: return "request";
    default: return "show_growth";
    }
}

/* v right-aligned in width columns, with a sign when plus. */
static size_t put_num(char *buf, size_t cap, size_t n, int64_t v, int width, bool plus)
{
    char tmp[32];
    size_t len = lg_fmt_async(tmp, sizeof tmp, plus && v >= 0 ? "+%ld" : "%ld", (long)v);
    for (size_t i = len; (int)i < width && n + 1 < cap; i++)
        buf[n++] = ' ';
    for (size_t i = 0; i < len && n + 1 < cap; i++)
        buf[n++] = tmp[i];
    buf[n] = '\0';
    return n;
}

static void print_text(const struct row *rows, size_t nrows, size_t ngrown, uint32_t nsites, uint32_t snapshot,
                       int reason, uint64_t count_ns)
{
    char names[NAME_MAX_COLS + 1], line[512];
    int width = 17;
    for (size_t i = 0; i < nrows; i++) {
        int len = (int)lg_sitename_format(&rows[i].name, names, sizeof names);
        if (len > width)
            width = len;
    }
    if (snapshot)
        lg_fmt_async(line, sizeof line, "growth at snapshot %u (%s)", snapshot, reason_text(reason));
    else
        lg_fmt_async(line, sizeof line, "growth (%s)", reason_text(reason));
    lg_log(LG_LOG_ERROR, "%s: %lu of %u sites above their peak, %lu shown; counted in %lu.%lu ms", line,
           (unsigned long)ngrown, nsites, (unsigned long)nrows, (unsigned long)(count_ns / 1000000),
           (unsigned long)(count_ns / 100000 % 10));
    if (!nrows)
        return;
    size_t n = lg_fmt_async(line, sizeof line, "  %s", "function (module)");
    for (size_t k = 17; (int)k < width && n + 1 < sizeof line; k++)
        line[n++] = ' ';
    line[n] = '\0';
    lg_log(LG_LOG_ERROR, "%s     count     delta        bytes        delta  site", line);
    for (size_t i = 0; i < nrows; i++) {
        const struct grown *g = &rows[i].g;
        n = lg_fmt_async(line, sizeof line, "  ");
        size_t len = lg_sitename_format(&rows[i].name, line + n, NAME_MAX_COLS + 1);
        n += len;
        for (size_t k = len; (int)k < width && n + 1 < sizeof line; k++)
            line[n++] = ' ';
        n = put_num(line, sizeof line, n, (int64_t)g->count, 10, false);
        n = put_num(line, sizeof line, n, g->dcount, 10, true);
        n = put_num(line, sizeof line, n, (int64_t)g->bytes, 13, false);
        n = put_num(line, sizeof line, n, g->dbytes, 13, true);
        lg_fmt_async(line + n, sizeof line - n, "  %u", g->site);
        lg_log(LG_LOG_ERROR, "%s", line);
    }
}

/* s as a JSON string body: quotes, backslashes and control characters escaped. */
static size_t put_json_str(char *buf, size_t cap, size_t n, const char *s)
{
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20) {
            n += lg_fmt_async(buf + n, cap - n, "\\u00%c%c", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n] = '\0';
    return n;
}

/* growth_json: created once (O_EXCL|O_NOFOLLOW, 0600, like snapshots), then opened
 * for appending at each report, so a program that closes every descriptor never has
 * ours written into one of its files. A fork child with %p in the path gets a file of
 * its own; without %p it appends to its parent's. Call with stat_lock held. */
static int open_json(void)
{
    if (json_path[0] && (json_pid == (int)getpid() || !strstr(lg_opt.growth_json, "%p"))) {
        int fd = open(json_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())) {
            close(fd);
            return -EPERM;
        }
        return fd < 0 ? -errno : fd;
    }
    int fd = lg_exitreport_open(lg_opt.growth_json, json_path, sizeof json_path);
    if (fd >= 0)
        json_pid = (int)getpid();
    else
        json_path[0] = '\0';
    return fd;
}

static void write_json(int fd, const struct row *rows, size_t nrows, uint32_t report, uint32_t snapshot,
                       int reason)
{
    uint64_t t = now_ns(CLOCK_REALTIME);
    char ms[8];
    lg_fmt_async(ms, sizeof ms, "%u", (unsigned)(t / 1000000 % 1000 + 1000)); /* "1xyz": zero-padded */
    for (size_t i = 0; i < nrows; i++) {
        const struct grown *g = &rows[i].g;
        char line[1024];
        size_t n = lg_fmt_async(line, sizeof line,
                                "{\"growth\":%u,\"snapshot\":%u,\"reason\":\"%s\",\"time\":%lu.%s,\"pid\":%d,"
                                "\"site\":%u,\"function\":\"",
                                report, snapshot, reason_json(reason), (unsigned long)(t / 1000000000u), ms + 1,
                                (int)getpid(), g->site);
        n = put_json_str(line, sizeof line, n, rows[i].name.function);
        n += lg_fmt_async(line + n, sizeof line - n, "\",\"offset\":%lu,\"module\":\"", (unsigned long)rows[i].name.offset);
        n = put_json_str(line, sizeof line, n, rows[i].name.module);
        n += lg_fmt_async(line + n, sizeof line - n,
                          "\",\"pc\":\"%p\",\"count\":%lu,\"bytes\":%lu,\"delta_count\":%ld,\"delta_bytes\":%ld}\n",
                          (void *)rows[i].pc, (unsigned long)g->count, (unsigned long)g->bytes, (long)g->dcount,
                          (long)g->dbytes);
        if (n + 1 >= sizeof line) /* truncated: never write half an object */
            continue;
        lg_write_all_async(fd, line, n);
    }
}

static void json_out(const struct row *rows, size_t nrows, uint32_t report, uint32_t snapshot, int reason)
{
    lg_lock(&stat_lock);
    int fd = open_json();
    bool warn = fd < 0 && !json_warned;
    json_warned |= warn;
    lg_unlock(&stat_lock);
    if (warn)
        lg_log(LG_LOG_WARN, "cannot write growth_json=%s (error %d); no JSON growth lines", lg_opt.growth_json, -fd);
    if (fd < 0)
        return;
    write_json(fd, rows, nrows, report, snapshot, reason);
    close(fd);
}

/* ---- one report --------------------------------------------------------------------- */

int lg_showgrowth_run(uint32_t snapshot, int reason, bool text)
{
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    size_t ngrown = 0, gcap = 0;
    lg_lock(&stat_lock);
    uint32_t nsites = lg_sites_count();
    struct grown *g = reserve_stats(nsites) ? count_and_raise(nsites, &ngrown, &gcap) : NULL;
    uint32_t report = ++reports;
    lg_unlock(&stat_lock);
    uint64_t count_ns = now_ns(CLOCK_MONOTONIC) - t0;
    if (!g) {
        lg_log(LG_LOG_WARN, "show_growth: out of metadata memory");
        return -ENOMEM;
    }
    sort_grown(g, ngrown);
    size_t nrows = lg_opt.growth_limit > 0 && (size_t)lg_opt.growth_limit < ngrown ? (size_t)lg_opt.growth_limit : ngrown;
    struct row *rows = nrows ? lg_map(nrows * sizeof *rows) : NULL;
    if (nrows && !rows) {
        lg_unmap(g, gcap * sizeof *g);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nrows; i++)
        rows[i].g = g[i];
    lg_unmap(g, gcap * sizeof *g);
    fill_pcs(rows, nrows, nsites);
    lg_modules_refresh(); /* libraries dlopen'ed since the last snapshot */
    for (size_t i = 0; i < nrows; i++)
        lg_sitename_resolve(rows[i].pc, &rows[i].name);
    if (text)
        print_text(rows, nrows, ngrown, nsites, snapshot, reason, count_ns);
    if (lg_opt.growth_json[0] && nrows)
        json_out(rows, nrows, report, snapshot, reason);
    if (rows)
        lg_unmap(rows, nrows * sizeof *rows);
    return (int)nrows;
}

void lg_showgrowth_at_trigger(uint32_t snapshot, int reason)
{
    if (lg_opt.show_growth || lg_opt.growth_json[0])
        lg_showgrowth_run(snapshot, reason, lg_opt.show_growth);
}
