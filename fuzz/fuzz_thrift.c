/* Fuzz target: FileMetaData and PageHeader decoding of arbitrary bytes
 * (and re-encoding whatever decodes); the same bytes also go through the
 * RLE/bit-packed decoder and the bit unpacker (width from the first byte). */
#include <stddef.h>
#include <stdint.h>

#include "core/ts_arena.h"
#include "core/ts_buf.h"
#include "parquet/pq_meta.h"
#include "parquet/pq_rle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    ts_error err;
    ts_err_clear(&err);
    ts_arena arena;
    ts_arena_init(&arena, 0);
    pq_file_meta m;
    if (pq_meta_decode_file(data, size, &m, &arena, &err) == TS_OK) {
        ts_buf out;
        ts_buf_init(&out, TS_MAX_PQ_FOOTER);
        (void)pq_meta_encode_file(&m, &out, &err);
        ts_buf_free(&out);
    }
    ts_arena_free(&arena);
    pq_page_header h;
    size_t used;
    ts_err_clear(&err);
    if (pq_page_header_decode(data, size, &h, &used, &err) == TS_OK && used > size) __builtin_trap();
    if (size > 0) {
        static uint32_t out[4096];
        static uint64_t out64[512];
        size_t got = 0;
        int bw = data[0] % 34; /* 33 must be refused */
        ts_err_clear(&err);
        if (pq_rle_decode(data + 1, size - 1, bw, out, 4096, &got, &err) == TS_OK && got > 4096)
            __builtin_trap();
        if (pq_unpack64(data + 1, size - 1, data[0] % 66, out64, 512) > 512) __builtin_trap();
    }
    return 0;
}
