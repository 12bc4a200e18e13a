/* libFuzzer target: the lp reader (and every text writer behind it) on
 * arbitrary bytes from memory. Seeds in fuzz/corpus/lp/. */
#include "fuzz_common_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text_format(data, size, lp_source_new);
    return 0;
}
