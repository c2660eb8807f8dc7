/* EXPECT: definite=112/3 indirect=224/8 possible=0/0 reachable=48/3 cyclic=48/3 */
/*
 * The `make demo` example: a tiny "server" that leaks in the four classic ways.
 *   - read_request(): a 64-byte buffer that is never freed        (definitely lost)
 *   - parse_config(): a tree of 7 config nodes whose root is dropped (1 definite + 6 indirect)
 *   - connect_peers(): 3 peers that point at each other in a ring, then forgotten
 *                      (a lost cycle: 1 definite + 2 indirect, all 3 cyclic)
 *   - register_handlers(): a global list of 3 handlers           (still reachable)
 * Valgrind: definite 64+32+16 = 112/3, indirect 6*32 + 2*16 = 224/8, reachable 48/3;
 * cyclic (not a Valgrind number) is the peer ring, 3*16 = 48/3.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config { struct config *left, *right; char key[16]; };
struct peer { struct peer *next; int fd; };
struct handler { struct handler *next; const char *name; };

struct handler *handlers; /* a global: everything on this list stays reachable */

static char *read_request(int n)
{
    char *buf = malloc(64);
    memset(buf, 0, 64);
    buf[0] = (char)('0' + n);
    return buf;
}

static void handle_request(int n)
{
    char *req = read_request(n);
    if (req[0] == '1')
        return; /* early return: req is leaked */
    free(req);
}

static struct config *config_node(int depth)
{
    if (depth == 0)
        return NULL;
    struct config *c = calloc(1, sizeof *c);
    strcpy(c->key, "option");
    c->left = config_node(depth - 1);
    c->right = config_node(depth - 1);
    return c;
}

static void parse_config(void)
{
    struct config *root = config_node(3); /* 7 nodes */
    (void)root;                           /* ... and forgotten */
}

static void connect_peers(void)
{
    struct peer *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    a->next = b; b->next = c; c->next = a; /* a ring: no reference counting would free it */
    a->fd = 3; b->fd = 4; c->fd = 5;
}

static void register_handlers(void)
{
    const char *names[] = {"GET", "PUT", "DELETE"};
    for (int i = 0; i < 3; i++) {
        struct handler *h = malloc(sizeof *h);
        h->name = names[i];
        h->next = handlers;
        handlers = h;
    }
}

/* Clear the dead part of the stack so that no stale copy of a pointer hides a leak. */
static void scrub_stack(void)
{
    volatile char junk[8192];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void)
{
    register_handlers();
    for (int n = 0; n < 3; n++)
        handle_request(n);
    parse_config();
    connect_peers();
    scrub_stack();
    write(1, "demo: served 3 requests\n", 24);
    return 0;
}
