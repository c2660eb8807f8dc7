/* Writes the fuzzer's seed corpus: valid snapshots of the classic leak shapes, and of the
 * format 1.1 annotations. */
#include <stdio.h>

#include "snapbuild.h"

static void save(const char *dir, const char *name, const struct gb *g)
{
    struct sb b = {0};
    gb_write(g, &b);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.lgs", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.buf, 1, b.len, f) != b.len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(b.buf);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: gen_seeds DIR\n"), 2;
    struct gb g;
    gb_init(&g);
    save(argv[1], "empty", &g);
    uint32_t d = gb_block(&g, 16, 1), a = gb_block(&g, 32, 2), b = gb_block(&g, 32, 2);
    uint32_t p = gb_block(&g, 8, 1), r = gb_block(&g, 0, 2);
    gb_edge(&g, d, a, 0, 0);
    gb_edge(&g, a, b, 8, 0);
    gb_edge(&g, b, a, 0, LG_HEUR_STDSTRING);
    gb_edge(&g, r, r, 0, 0);
    gb_root(&g, p, 4, 0);
    gb_root(&g, r, 0, 0);
    save(argv[1], "shapes", &g);
    g.with_stats = 1;
    g.chunk = 2;
    save(argv[1], "chunked", &g);
    gb_init(&g);
    for (uint32_t i = 0; i < 20; i++)
        gb_block(&g, 24, 1 + i % 2);
    for (uint32_t i = 0; i < 20; i++)
        gb_edge(&g, i, (i + 1) % 20, 0, 0);
    save(argv[1], "ring", &g);
    /* Format 1.1: tags, attributes (an ignored block), weak references, a registered root. */
    gb_init(&g);
    uint32_t conn = gb_tag(&g, "Connection"), buf = gb_tag(&g, "Buffer");
    for (uint32_t i = 0; i < 6; i++)
        gb_block(&g, 16 + 8 * i, 1 + i % 2);
    gb_root(&g, 0, 0, 0);
    gb_weak(&g, 0, 1);
    gb_edge(&g, 2, 3, 0, 0);
    gb_edge(&g, 3, 2, 8, 0);
    gb_weak(&g, 4, 4);
    gb_weak(&g, UINT32_MAX, 5);
    gb_user_root(&g, 5, 16);
    gb_attr(&g, 0, conn, 0);
    gb_attr(&g, 2, buf, LG_BATTR_IGNORED);
    gb_attr(&g, 4, conn, LG_BATTR_IGNORED);
    save(argv[1], "annotated", &g);
    g.chunk = 2;
    save(argv[1], "annotated-chunked", &g);
    return 0;
}
