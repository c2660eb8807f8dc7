/* `leakgraph cycles SNAPSHOT`: only the reference cycles among the lost blocks. */
#include "cmd.h"

static void usage(FILE *out)
{
    fputs("usage: leakgraph cycles SNAPSHOT [--json FILE] [--log-file FILE]\n"
          "List the cycles of unreachable blocks (strongly connected parts of two or more\n"
          "blocks, or a block pointing at itself), with the references that close them.\n\n"
          "  --json FILE       also write them as JSON (%p: the pid)\n"
          "  --log-file FILE   write the text to FILE, not stderr (%p: the pid)\n"
          "Exit status: 0, or 2 for an unreadable snapshot or a usage error.\n", out);
}

int lgt_cmd_cycles(int argc, char **argv)
{
    struct lgt_analyze_args a = {.cycles_only = 1};
    int rc = lgt_cmd_analyze_parse(argc, argv, &a, "cycles", usage);
    return rc >= 0 ? rc : lgt_cmd_analyze_execute(&a);
}
