/* libFuzzer target: the jsonl reader (and every text writer behind it) on
 * arbitrary bytes from memory. Seeds in fuzz/corpus/jsonl/. */
#include "fuzz_common_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text_format(data, size, jsonl_source_new);
    return 0;
}
