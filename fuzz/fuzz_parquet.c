/* Fuzz target: the whole Parquet read path (footer, schema mapping, pages,
 * codecs, decoders) over an in-memory file; must never crash, hang or
 * over-allocate, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>

#include "core/ts_io.h"
#include "parquet/pq_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_input *in = NULL;
    ts_error err;
    ts_err_clear(&err);
    if (ts_input_mem(data, size, "fuzz.parquet", &in, &err) != TS_OK) return 0;
    pq_reader_opts o;
    pq_reader_opts_default(&o);
    o.flat_only_projection = (size & 1) != 0; /* exercise both schema paths */
    o.batch_rows = 1000;
    pq_reader *r = NULL;
    if (pq_reader_open(in, &o, &r, &err) == TS_OK) {
        const ts_batch *b;
        for (int i = 0; i < 100000; i++) {
            ts_err_clear(&err);
            if (pq_reader_next(r, &b, &err) != TS_OK || !b) break;
        }
    }
    pq_reader_free(r);
    ts_input_close(in);
    return 0;
}
