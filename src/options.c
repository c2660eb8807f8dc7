/* LEAKGRAPH_OPTIONS parsing: fixed buffers only, a warning and the default on bad input,
 * because the runtime must never fail the program it runs in. */
#include "options.h"

#include "log.h"

#include <string.h>

struct lg_opts lg_opt;

void lg_options_defaults(struct lg_opts *o)
{
#define LG_OPT_DEF_BOOL(name, def) o->name = (def);
#define LG_OPT_DEF_INT(name, def) o->name = (def);
#define LG_OPT_DEF_STR(name, def) strcpy(o->name, (def));
#define LG_OPTION(type, name, def, help) LG_OPT_DEF_##type(name, def)
#include "leakgraph/options.def"
#undef LG_OPTION
}

static bool parse_bool(const char *v, size_t n, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strlen(yes[i]) == n && !strncasecmp(v, yes[i], n))
            return *out = 1, true;
        if (strlen(no[i]) == n && !strncasecmp(v, no[i], n))
            return *out = 0, true;
    }
    return false;
}

/* Decimal with an optional K/M/G suffix (powers of 1024) and sign. */
static bool parse_int(const char *v, size_t n, long *out)
{
    size_t i = 0;
    int neg = 0;
    long x = 0;
    if (i < n && (v[i] == '-' || v[i] == '+'))
        neg = v[i++] == '-';
    if (i == n)
        return false;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
        if (x > (LONG_MAX - 9) / 10)
            return false;
        x = x * 10 + (v[i] - '0');
    }
    int shift = 0;
    if (i < n) {
        const char *suf = "kKmMgG";
        const char *s = strchr(suf, v[i]);
        if (!s || i + 1 != n)
            return false;
        shift = 10 * (1 + (int)(s - suf) / 2);
        if (x > (LONG_MAX >> shift))
            return false;
    }
    *out = (neg ? -x : x) << shift;
    return true;
}

static bool parse_str(const char *v, size_t n, char *out)
{
    if (n >= LG_OPT_STR_MAX)
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

#define LG_OPT_SET_BOOL(o, name, v, n) parse_bool(v, n, &(o)->name)
#define LG_OPT_SET_INT(o, name, v, n) parse_int(v, n, &(o)->name)
#define LG_OPT_SET_STR(o, name, v, n) parse_str(v, n, (o)->name)

/* 1 = set, 0 = bad value, -1 = unknown name. */
static int set_one(struct lg_opts *o, const char *name, size_t nlen, const char *v, size_t vlen)
{
#define LG_OPTION(type, oname, def, help)                                   \
    if (nlen == sizeof(#oname) - 1 && !strncmp(name, #oname, nlen))        \
        return LG_OPT_SET_##type(o, oname, v, vlen) ? 1 : 0;
#include "leakgraph/options.def"
#undef LG_OPTION
    return -1;
}

static int parse_entry(struct lg_opts *o, const char *e, size_t len)
{
    const char *eq = memchr(e, '=', len);
    if (len == 0)
        return 0;
    size_t nlen = eq ? (size_t)(eq - e) : len;
    char name[64];
    parse_str(e, nlen < sizeof name ? nlen : sizeof name - 1, name);
    if (!eq) {
        lg_log(LG_LOG_WARN, "LEAKGRAPH_OPTIONS: '%s' is not name=value; ignored", name);
        return 1;
    }
    size_t vlen = len - nlen - 1;
    int r = set_one(o, e, nlen, eq + 1, vlen);
    if (r == -1)
        lg_log(LG_LOG_WARN, "LEAKGRAPH_OPTIONS: unknown option '%s'; ignored", name);
    else if (r == 0)
        lg_log(LG_LOG_WARN, "LEAKGRAPH_OPTIONS: bad value for '%s'; using the default", name);
    return r == 1 ? 0 : 1;
}

int lg_options_parse(struct lg_opts *o, const char *s)
{
    int bad = 0;
    if (!s)
        return 0;
    while (*s) {
        const char *end = strchr(s, ':');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        bad += parse_entry(o, s, len);
        s += len;
        if (*s == ':')
            s++;
    }
    return bad;
}
