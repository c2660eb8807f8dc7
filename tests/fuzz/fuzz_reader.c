/* libFuzzer target: the snapshot reader must reject any input cleanly; whatever it accepts
 * must classify without a crash (mark, clique pass, SCCs). The same input also goes to the
 * journal reader and the ELF core parser (tools/journal.c, tools/core.c); a core that
 * parses is scanned against an empty block list of its pid. */
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "classify.h"
#include "core.h"
#include "journal.h"
#include "reader.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lgt_heap h;
    char err[512];
    if (lgt_journal_load_mem("fuzz.lgj", data, size, &h, NULL, err, sizeof err) == 0) {
        struct lgt_classes c;
        lgt_classify_run(&h, &c); /* no roots: every block unreached */
        lgt_classify_free(&c);
        lgt_reader_free(&h);
        return 0;
    }
    struct lgt_core core;
    if (lgt_core_load_mem("fuzz.core", data, size, &core, err, sizeof err) == 0) {
        memset(&h, 0, sizeof h);
        h.name = lgt_xstrdup("fuzz.lgj");
        h.exe = lgt_xstrdup("");
        h.proc.pid = core.pid;
        if (lgt_core_scan(&core, &h, err, sizeof err) == 0) {
            struct lgt_classes c;
            lgt_classify_run(&h, &c);
            lgt_classify_free(&c);
        }
        lgt_reader_free(&h);
        lgt_core_close(&core);
        return 0;
    }
    if (lgt_reader_load_mem("fuzz.lgs", data, size, &h, err, sizeof err) != 0)
        return 0;
    struct lgt_classes c;
    lgt_classify_run(&h, &c);
    lgt_classify_free(&c);
    lgt_reader_free(&h);
    return 0;
}
