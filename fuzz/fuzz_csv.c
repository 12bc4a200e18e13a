/* libFuzzer target: the csv reader (and every text writer behind it) on
 * arbitrary bytes from memory. Seeds in fuzz/corpus/csv/. */
#include "fuzz_common_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_text_format(data, size, csv_source_new);
    return 0;
}
