/* Group names and labels: see groupby.h. */
#include "groupby.h"

#include <string.h>

#include "offline.h"
#include "xalloc.h"

static const char *const names[] = {"site", "function", "file", "tag"}; /* enum order */

int lgt_group_parse(const char *s, enum lgt_group_by *by)
{
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i]) == 0)
            return *by = (enum lgt_group_by)i, 0;
    return -1;
}

const char *lgt_group_name(enum lgt_group_by by)
{
    return (size_t)by < sizeof names / sizeof *names ? names[by] : "?";
}

char *lgt_group_frame_label(const struct lgt_symstack *st, enum lgt_group_by by)
{
    const struct lgt_frame *top = st->n ? st->frames[0] : NULL;
    if (!top)
        return lgt_xstrdup(LGT_NO_STACK);
    if (by == LGT_BY_FUNCTION && top->function)
        return lgt_xstrdup(top->function);
    if (by == LGT_BY_FILE && top->file)
        return lgt_xstrdup(top->file);
    return lgt_frame_string(top); /* no symbols: the frame is the best name there is */
}

const char *lgt_group_tag_label(const struct lgt_heap *h, size_t b)
{
    const char *name = lgt_reader_tag_name(h, lgt_reader_block_tag(h, b));
    return name ? name : LGT_UNTAGGED;
}
