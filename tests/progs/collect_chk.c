/* The checking entry points that fortified builds call (_FORTIFY_SOURCE: __memcpy_chk
 * and its siblings) write references too: with store hooks as the dirty source, an
 * incremental collection must see those writes as it sees memcpy's. Called here by name,
 * as a fortified build calls them.
 *
 * A node hangs off a global. Three times: a block B is made, its address kept only
 * XOR-ed in a global (no reference) and written into a fresh source block S; after a
 * collection (S is then old and clean), __memcpy_chk, __memmove_chk or __mempcpy_chk
 * copies B's address from S into a slot of the node, and S is freed: the next
 * collection must find nothing unreachable (B hangs off the node now). Then
 * __memset_chk clears the three slots: the next collection must find the three blocks
 * unreachable. The string entry points are checked for their results.
 *
 * Argument "overflow": __memcpy_chk with a length past the object size, which must
 * abort as glibc's does; "unterminated": __strcat_chk on an object with no terminator
 * before an unreadable page, the same (not a crash). Prints each result on stdout (collect=-1 without the tracer). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

extern void *__memcpy_chk(void *, const void *, size_t, size_t);
extern void *__memmove_chk(void *, const void *, size_t, size_t);
extern void *__mempcpy_chk(void *, const void *, size_t, size_t);
extern void *__memset_chk(void *, int, size_t, size_t);
extern char *__strcpy_chk(char *, const char *, size_t);
extern char *__stpcpy_chk(char *, const char *, size_t);
extern char *__strncpy_chk(char *, const char *, size_t, size_t);
extern char *__strcat_chk(char *, const char *, size_t);

#define KEY ((uintptr_t)0x5a5a5a5a5a5a5a5aull)
struct node {
    void *ref[8];
};
static struct node *volatile root;
static volatile uintptr_t hidden[3];
static volatile size_t word = sizeof(void *);
static long (*collect)(void);

static long collect_now(void) { return collect ? collect() : -1; }

/* Out of line, so that no copy of the source block's address stays in main's frame. */
static __attribute__((noinline)) void **make_source(int i)
{
    void **s = malloc(16);
    hidden[i] = (uintptr_t)malloc(40) ^ KEY;
    s[0] = (void *)(hidden[i] ^ KEY);
    s[1] = NULL;
    return s;
}

static __attribute__((noinline)) void copy_into_node(int i, void **s)
{
    size_t left = sizeof root->ref - (size_t)i * sizeof(void *);
    if (i == 0)
        __memcpy_chk(&root->ref[i], s, word, left);
    else if (i == 1)
        __memmove_chk(&root->ref[i], s, word, left);
    else
        __mempcpy_chk(&root->ref[i], s, word, left);
    free(s);
}

static void strings(void)
{
    char buf[32];
    printf("strcpy: %s\n", __strcpy_chk(buf, "leak", sizeof buf));
    printf("stpcpy: %td\n", __stpcpy_chk(buf, "graph", sizeof buf) - buf);
    printf("strcat: %s\n", __strcat_chk(buf, "-cat", sizeof buf));
    memset(buf, 'x', sizeof buf);
    __strncpy_chk(buf, "ab", 6, sizeof buf);
    printf("strncpy: %s %d %d\n", buf, buf[5], buf[6]);
}

int main(int argc, char **argv)
{
    collect = (long (*)(void))dlsym(RTLD_DEFAULT, "leakgraph_collect");
    if (argc > 1 && strcmp(argv[1], "unterminated") == 0) {
        /* glibc's __strcat_chk reads no further than the object: an 8-byte one with no
         * terminator, against an unreadable page, aborts as an overflow */
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || mprotect(p + 4096, 4096, PROT_NONE) != 0)
            return 2;
        memset(p + 4096 - 8, 'A', 8);
        __strcat_chk(p + 4096 - 8, "x", 8);
        puts("not reached");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "overflow") == 0) {
        char small[8];
        volatile size_t n = 16;
        char big[16] = "0123456789abcde";
        __memcpy_chk(small, big, n, sizeof small);
        puts(small);
        return 0;
    }
    root = calloc(1, sizeof *root);
    collect_now(); /* arms the store hooks */
    for (int i = 0; i < 3; i++) {
        void **s = make_source(i);
        collect_now(); /* S is old and clean after this one */
        copy_into_node(i, s);
        printf("copy %d: collect=%ld\n", i, collect_now());
    }
    for (int i = 0; i < 3; i++)
        __memset_chk(&root->ref[i], 0, word, sizeof root->ref - (size_t)i * sizeof(void *));
    printf("cleared: collect=%ld\n", collect_now());
    for (int i = 0; i < 3; i++)
        free((void *)(hidden[i] ^ KEY));
    strings();
    free(root);
    return 0;
}
