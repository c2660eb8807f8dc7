/* The annotation API (include/leakgraph.h); not in the accuracy suite: Valgrind knows
 * none of it.
 * tests/e2e/cases/annotations.sh checks the report:
 * - three 80-byte blocks tagged "Connection", kept by a global registry: reachable;
 * - a leaked 64-byte block holding the only pointer to a 32-byte one, ignored with
 *   leakgraph_ignore: both "ignored", neither reported as lost;
 * - a leaked parent (48 bytes) and child (40 bytes) pointing at each other, the child's
 *   pointer marked weak: no cycle, the parent definitely lost, the child indirectly;
 * - a 56-byte block kept only in a shared file mapping (never scanned by itself),
 *   registered with leakgraph_register_root: reachable; a 72-byte one kept in another
 *   such mapping registered and then unregistered: definitely lost;
 * - a weak slot in a block that is freed, and a new block at the same address keeping a
 *   24-byte block at that offset: the stale weak mark must not apply (reachable);
 * - a block tagged "Buffer" and then realloc'ed: the tag follows it.
 * Every API return value is checked; the program prints "annotations ok". */
#include <leakgraph.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct node {
    struct node *other;
    char pad[32];
};

static void *registry[3];
static void *kept_y;
static void *buffer;
static int failures;

static void check(int rc, int want, const char *what)
{
    if (rc != want) {
        printf("%s returned %d, expected %d\n", what, rc, want);
        failures++;
    }
}

static void *file_page(void)
{
    char path[] = "/tmp/lg-annot-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 4096) != 0)
        exit(3);
    unlink(path);
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        exit(4);
    return m;
}

static void __attribute__((noinline)) tags_and_ignore(void)
{
    for (int i = 0; i < 3; i++) {
        registry[i] = malloc(80);
        check(leakgraph_tag(registry[i], "Connection"), 0, "leakgraph_tag");
    }
    void **ign = malloc(64);
    ign[0] = malloc(32);
    check(leakgraph_ignore(ign), 0, "leakgraph_ignore");
    int local;
    check(leakgraph_tag(&local, "NotABlock"), -ENOENT, "leakgraph_tag(stack address)");
    check(leakgraph_ignore((char *)registry[0] + 8), -ENOENT, "leakgraph_ignore(interior)");
}

static void __attribute__((noinline)) weak_parent(void)
{
    struct node *parent = malloc(48), *child = malloc(40);
    parent->other = child;
    child->other = parent;
    check(leakgraph_weak((void *const *)&child->other), 0, "leakgraph_weak");
    check(leakgraph_weak((void *const *)((char *)&child->other + 1)), -EINVAL, "leakgraph_weak(misaligned)");
}

static void __attribute__((noinline)) registered_roots(void)
{
    void **a = file_page(), **b = file_page();
    a[10] = malloc(56);
    b[10] = malloc(72);
    check(leakgraph_register_root(a, 4096), 0, "leakgraph_register_root");
    check(leakgraph_register_root(b, 4096), 0, "leakgraph_register_root");
    check(leakgraph_unregister_root(b), 0, "leakgraph_unregister_root");
    check(leakgraph_unregister_root(b), -ENOENT, "leakgraph_unregister_root(twice)");
}

static void __attribute__((noinline)) stale_weak(void)
{
    struct node *x = malloc(sizeof *x);
    check(leakgraph_weak((void *const *)&x->other), 0, "leakgraph_weak");
    free(x);
    struct node *y = malloc(sizeof *y); /* glibc hands the same chunk back */
    y->other = malloc(24);
    kept_y = y;
}

static void __attribute__((noinline)) tag_realloc(void)
{
    buffer = malloc(100);
    check(leakgraph_tag(buffer, "Buffer"), 0, "leakgraph_tag");
    buffer = realloc(buffer, 5000);
}

static void __attribute__((noinline)) scrub(void)
{
    volatile char buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

int main(void)
{
    if (!LEAKGRAPH_AVAILABLE()) {
        printf("not traced\n");
        return 0;
    }
    tags_and_ignore();
    weak_parent();
    registered_roots();
    stale_weak();
    tag_realloc();
    scrub();
    printf(failures ? "annotations FAILED\n" : "annotations ok\n");
    return failures != 0;
}
