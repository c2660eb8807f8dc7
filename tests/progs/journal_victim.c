/* A victim that dies without exiting, for the journal and core tests
 * (tests/e2e/cases/journal.sh). Usage: journal_victim MODE [READY_FILE]
 *   kill:  build the heap, create READY_FILE, wait to be killed (SIGKILL)
 *   crash: build the heap, take a snapshot (leakgraph_snapshot), dereference NULL
 *   stop:  build the heap, create READY_FILE, wait (for gcore), then exit
 *   fork:  build the heap, fork; the child frees one kept block, allocates 777 bytes
 *          (make_child) and writes its pid to READY_FILE; the parent creates
 *          READY_FILE.parent; both wait to be killed
 * Heap at death, per site:
 *   make_kept:   4 blocks of 100 bytes in a global list (still reachable)
 *   make_lost:   3 blocks of 48 bytes, dropped (definitely lost)
 *   make_ring:   3 blocks of 32 bytes in a dropped ring (lost cycle)
 *   make_local:  1 block of 500 bytes held by a local of main (still reachable)
 *   churn:       blocks freed again or reallocated (200 allocations, none left but one
 *                block of 64 bytes grown to 640 by realloc, in a global)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

__attribute__((weak)) int leakgraph_snapshot(const char *path);

struct node {
    struct node *next;
    char pad[24];
};

static void *kept[4];
static char *grown;

__attribute__((noinline)) static void make_kept(void)
{
    for (int i = 0; i < 4; i++) {
        kept[i] = malloc(100);
        memset(kept[i], 1, 100);
    }
}

__attribute__((noinline)) static void make_lost(void)
{
    for (int i = 0; i < 3; i++) {
        char *p = malloc(48);
        memset(p, 2, 48);
    }
}

__attribute__((noinline)) static void make_ring(void)
{
    struct node *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    a->next = b;
    b->next = c;
    c->next = a;
    a = b = c = NULL;
}

__attribute__((noinline)) static char *make_local(void)
{
    char *p = malloc(500);
    memset(p, 3, 500);
    return p;
}

__attribute__((noinline)) static void churn(void)
{
    for (int i = 0; i < 200; i++)
        free(malloc(16 + (size_t)i));
    grown = malloc(64);
    grown = realloc(grown, 640);
}

static char *child_block;

__attribute__((noinline)) static void make_child(void)
{
    free(kept[0]);
    kept[0] = NULL;
    child_block = malloc(777);
}

/* Overwrites the stack below us, so no stale copy of a lost pointer stays there. */
__attribute__((noinline)) static void scrub(void)
{
    volatile char buf[8192];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "kill";
    make_kept();
    make_lost();
    make_ring();
    char *volatile local = make_local();
    churn();
    scrub();
    if (!strcmp(mode, "crash")) {
        if (argc > 2 && leakgraph_snapshot)
            leakgraph_snapshot(argv[2]);
        scrub();
        *(volatile int *)0 = 1;
    }
    if (!strcmp(mode, "fork") && argc > 2) {
        char path[4096];
        pid_t child = fork();
        if (child == 0) {
            make_child();
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
            int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0 && write(fd, buf, (size_t)n) == n)
                close(fd);
            for (;;)
                pause();
        }
        snprintf(path, sizeof path, "%s.parent", argv[2]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            close(fd);
        for (;;)
            pause();
    }
    if (argc > 2) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (!strcmp(mode, "stop")) {
        sleep(30);
        return local[0] == 3 ? 0 : 1;
    }
    for (;;)
        pause();
}
