/* --by: what the rows of a report stand for. analyze's loss records, growth's and top's rows
 * are per allocation site by default, or per type tag (leakgraph_tag), allocating function or
 * its source file. Only the names and labels live here; each report does its own counting. */
#ifndef LGT_GROUPBY_H
#define LGT_GROUPBY_H

#include <stddef.h>

enum lgt_group_by { LGT_BY_SITE, LGT_BY_FUNCTION, LGT_BY_FILE, LGT_BY_TAG };

#define LGT_GROUP_CHOICES "site, function, file, tag"
#define LGT_UNTAGGED "(untagged)" /* the group of the blocks without a tag */
#define LGT_NO_STACK "(no stack recorded)"

struct lgt_heap;
struct lgt_symstack;

/* "site", "function", "file" or "tag": 0, else -1. */
int lgt_group_parse(const char *s, enum lgt_group_by *by);
const char *lgt_group_name(enum lgt_group_by by);
/* By function or file: the allocating frame's function or source file, else that frame as
 * text ("module+0x..."); LGT_NO_STACK for an empty stack. A fresh string. */
char *lgt_group_frame_label(const struct lgt_symstack *st, enum lgt_group_by by);
/* Block b's tag name, or LGT_UNTAGGED. */
const char *lgt_group_tag_label(const struct lgt_heap *h, size_t b);

#endif
