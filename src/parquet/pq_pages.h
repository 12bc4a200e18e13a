/* Walks the page headers of one column chunk without decoding values, for
 * `inspect --pages` and checks: offsets, sizes, types, encodings, CRCs. */
#ifndef PQ_PAGES_H
#define PQ_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "core/ts_error.h"
#include "core/ts_io.h"
#include "parquet/pq_meta.h"

typedef struct pq_page_info {
    size_t index;        /* 0-based page number in the chunk */
    uint64_t offset;     /* file offset of the page header */
    size_t header_len;
    const pq_page_header *h; /* valid during the callback only */
} pq_page_info;

typedef ts_status (*pq_page_cb)(const pq_page_info *pi, void *ud, ts_error *err);

/* Calls cb for every page of the chunk cc (whose bytes must lie in
 * [4, data_end)). Stops at the first error (the callback's too).
 * TS_ERR_CORRUPT for unreadable headers or pages that overrun the chunk. */
ts_status pq_walk_pages(ts_input *in, const pq_column_chunk *cc, uint64_t data_end, pq_page_cb cb,
                        void *ud, ts_error *err);

#endif
