/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=576/12 cyclic=0/0 */
/* A server-like program whose global registry keeps every Connection it accepts (48 bytes
 * each, from new_connection) and never drops one, while the request buffers come and go.
 * With the tracer loaded and LG_SNAP_DIR set, it writes LG_SNAP_DIR/snap1 after K = 5
 * connections and LG_SNAP_DIR/snap2 after K + N = 12 (N = 7): `leakgraph growth` must show
 * new_connection with +7 blocks and +336 bytes, still reachable, and `leakgraph chain
 * --site new_connection` must end at the global `registry`. No stdio. */
#include <leakgraph.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K 5
#define N 7

struct connection {
    int fd;
    int state;
    char peer[32];
    struct connection *next;
};

struct registry {
    long count;
    struct connection *head; /* newest first */
};

struct registry registry;

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

static struct connection *__attribute__((noinline)) new_connection(int fd)
{
    struct connection *c = malloc(sizeof *c);
    memset(c, 0, sizeof *c);
    c->fd = fd;
    memcpy(c->peer, "127.0.0.1", 10);
    return c;
}

static void __attribute__((noinline)) handle_request(struct connection *c)
{
    char *volatile buf = malloc(512); /* per request: freed again */
    char *volatile hdr = malloc(64);
    buf[0] = (char)c->fd;
    hdr[0] = 1;
    free(hdr);
    free(buf);
    c->state = 1;
}

static void __attribute__((noinline)) accept_connections(int from, int to)
{
    for (int fd = from; fd < to; fd++) {
        struct connection *c = new_connection(fd);
        handle_request(c);
        c->next = registry.head;
        registry.head = c;
        registry.count++;
    }
}

static void __attribute__((noinline)) snapshot(const char *name)
{
    const char *dir = getenv("LG_SNAP_DIR");
    char path[4096];
    size_t n = dir ? strlen(dir) : 0;
    if (!dir || !LEAKGRAPH_AVAILABLE() || n + strlen(name) + 2 > sizeof path)
        return;
    memcpy(path, dir, n);
    path[n] = '/';
    memcpy(path + n + 1, name, strlen(name) + 1);
    scrub();
    leakgraph_snapshot(path);
}

int main(void)
{
    accept_connections(0, K);
    snapshot("snap1");
    accept_connections(K, K + N);
    snapshot("snap2");
    scrub();
    write(1, "registry_growth done\n", 21);
    return 0;
}
