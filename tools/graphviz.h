/* Rendering dot text with Graphviz's `dot` command: found on PATH and run with
 * posix_spawnp (no shell, so no file name is ever interpreted). */
#ifndef LGT_GRAPHVIZ_H
#define LGT_GRAPHVIZ_H

/* What a -o file name asks for: "dot" (.dot, .gv), "svg", "png", or NULL for another
 * extension. */
const char *lgt_graphviz_format(const char *path);
/* 1 when an executable `dot` is on PATH. */
int lgt_graphviz_found(void);
/* Runs `dot -T<format> dotfile` with its standard output on out_fd. 0, or -1 with a
 * message printed when it could not run or failed. */
int lgt_graphviz_render(const char *dotfile, const char *format, int out_fd);

#endif
