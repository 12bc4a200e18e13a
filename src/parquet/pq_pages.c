/* Page-header walk of a column chunk (see pq_pages.h). */
#include "parquet/pq_pages.h"

#include <inttypes.h>

#include "core/ts_buf.h"

#define WINDOW0 ((size_t)16 << 10)
#define MAX_HEADER ((size_t)16 << 20)

ts_status pq_walk_pages(ts_input *in, const pq_column_chunk *cc, uint64_t data_end, pq_page_cb cb,
                        void *ud, ts_error *err)
{
    if (!cc->has_meta) return ts_err_set(err, TS_ERR_CORRUPT, "column chunk without metadata");
    const pq_column_meta *md = &cc->meta;
    int64_t start = md->data_page_offset;
    if (md->has_dictionary_page_offset && md->dictionary_page_offset > 0 &&
        md->dictionary_page_offset < start)
        start = md->dictionary_page_offset;
    if (start < 4 || md->total_compressed_size < 0 || (uint64_t)start > data_end ||
        (uint64_t)md->total_compressed_size > data_end - (uint64_t)start)
        return ts_err_set(err, TS_ERR_CORRUPT, "column chunk at %" PRId64 " (+%" PRId64
                          ") lies outside the data area", start, md->total_compressed_size);
    uint64_t off = (uint64_t)start, end = off + (uint64_t)md->total_compressed_size;
    ts_buf b;
    ts_buf_init(&b, MAX_HEADER);
    ts_status st = TS_OK;
    for (size_t idx = 0; off < end && st == TS_OK; idx++) {
        uint64_t remaining = end - off;
        size_t window = remaining < WINDOW0 ? (size_t)remaining : WINDOW0;
        pq_page_header h;
        size_t hlen = 0;
        for (;;) {
            ts_buf_clear(&b);
            if ((st = ts_buf_reserve(&b, window)) != TS_OK) break;
            if ((st = ts_input_read_at(in, off, b.data, window, err)) != TS_OK) break;
            ts_error e2;
            ts_err_clear(&e2);
            st = pq_page_header_decode_at(b.data, window, off, &h, &hlen, &e2);
            if (st == TS_OK) break;
            if (st == TS_ERR_CORRUPT && window < remaining && window < MAX_HEADER) {
                window = remaining < (uint64_t)window * 8 ? (size_t)remaining : window * 8;
                if (window > MAX_HEADER) window = MAX_HEADER;
                continue;
            }
            st = ts_err_set(err, st, "page %zu at offset %" PRIu64 ": %s", idx, off, e2.msg);
            break;
        }
        if (st != TS_OK) break;
        if (h.compressed_page_size < 0 || (uint64_t)h.compressed_page_size > remaining - hlen) {
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "page %zu at offset %" PRIu64 " (%d bytes) overruns its column chunk",
                            idx, off, h.compressed_page_size);
            break;
        }
        pq_page_info pi = {.index = idx, .offset = off, .header_len = hlen, .h = &h};
        st = cb(&pi, ud, err);
        off += hlen + (uint64_t)h.compressed_page_size;
    }
    ts_buf_free(&b);
    return st;
}
