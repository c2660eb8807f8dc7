/* EXPECT: definite=0/0 indirect=0/0 possible=0/0 reachable=0/0 cyclic=0/0 */
/* Allocates through every entry point (but pvalloc: see pvalloc.c), builds a list and a ring, and frees everything:
 * zero in every kind. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; long v; };

int main(void)
{
    void *p[16];
    int n = 0;
    p[n++] = malloc(10);
    p[n++] = calloc(3, 7);
    p[n++] = realloc(NULL, 20);
    p[n - 1] = realloc(p[n - 1], 4000);
    p[n++] = reallocarray(NULL, 4, 8);
    if (posix_memalign(&p[n++], 64, 100) != 0)
        return 2;
    p[n++] = aligned_alloc(64, 128);
    p[n++] = memalign(128, 30);
    p[n++] = valloc(10);
    p[n++] = strdup("freed");
    p[n++] = malloc(0);
    for (int i = 0; i < n; i++)
        free(p[i]);

    struct node *head = NULL;
    for (int i = 0; i < 1000; i++) {
        struct node *x = malloc(sizeof *x);
        x->v = i;
        x->next = head;
        head = x;
    }
    while (head) {
        struct node *x = head->next;
        free(head);
        head = x;
    }
    struct node *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    a->next = b; b->next = a;
    free(a);
    free(b);
    free(NULL);
    return 0;
}
