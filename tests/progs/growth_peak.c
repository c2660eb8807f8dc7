/* show_growth's peak rule, exactly: one site grows to 10 live blocks, shrinks to 5,
 * grows back to 10 and then to 15, with leakgraph_show_growth() after each step. The
 * e2e test (tests/e2e/cases/triggers.sh) expects a row for grow_node at steps 1 (10,
 * +10) and 4 (15, +5) and none at steps 2 and 3 (back to the old peak is not growth).
 * Every block comes from the one call in grow_node, reached through the one call in
 * set_count, so all of them share one site. Frees everything before it exits. */
#include <leakgraph.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXN 64

static void *nodes[MAXN];
static int live;

static void *grow_node(void) { return malloc(48); }

static void set_count(int n)
{
    while (live < n)
        nodes[live++] = grow_node();
    while (live > n)
        free(nodes[--live]);
}

int main(void)
{
    static const int steps[] = {10, 5, 10, 15};
    int rows[4] = {0};
    for (int i = 0; i < 4; i++) {
        set_count(steps[i]);
        if (LEAKGRAPH_AVAILABLE() && leakgraph_show_growth)
            rows[i] = leakgraph_show_growth();
        fprintf(stderr, "growth_peak: step %d: %d live, %d rows\n", i + 1, live, rows[i]);
    }
    set_count(0);
    printf("steps done\n");
    return 0;
}
