/* Creates report files safely: O_EXCL|O_NOFOLLOW, mode 0600, %p → pid. */
#ifndef LGT_OUTFILE_H
#define LGT_OUTFILE_H

#include <stdio.h>

/* Expands %p in pattern to pid (and %% to %); returns a fresh string. */
char *lgt_outfile_expand(const char *pattern, unsigned pid);
/* Opens path for writing. An existing regular file we own is replaced (users re-run
 * commands); a device or FIFO is written as it is; a symlink or anything else is refused. NULL with a one-line message in err. */
FILE *lgt_outfile_open(const char *path, char *err, size_t errlen);

#endif
