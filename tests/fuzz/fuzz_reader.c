/* libFuzzer target: the snapshot reader must reject any input cleanly; whatever it accepts
 * must classify without a crash (mark, clique pass, SCCs). */
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lgt_heap h;
    char err[512];
    if (lgt_reader_load_mem("fuzz.lgs", data, size, &h, err, sizeof err) != 0)
        return 0;
    struct lgt_classes c;
    lgt_classify_run(&h, &c);
    lgt_classify_free(&c);
    lgt_reader_free(&h);
    return 0;
}
