/* Fuzz target: a Timestream Query page parsed and appended into a batch whose
 * schema follows the page's own ColumnInfo. */
#include <stdint.h>
#include <string.h>

#include "aws/aws_timestream.h"

#define FUZZ_MAX_INPUT (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) return 0;
    aws_ts_page p;
    ts_error e;
    ts_err_clear(&e);
    if (aws_ts_page_parse((const char *)data, size, &p, &e) != TS_OK) return 0;
    ts_schema s;
    ts_schema_init(&s);
    long map[64];
    size_t n = p.ncols < 64 ? p.ncols : 64;
    long time_col = -1;
    for (size_t i = 0; i < p.ncols; i++) map[i < 64 ? i : 63] = -1;
    bool ok = p.ncols <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        if (ts_schema_add(&s, p.names[i], aws_ts_scalar_type(p.types[i]), TS_ROLE_MEASURE, true) !=
            TS_OK)
            ok = false;
        map[i] = (long)i;
        if (time_col < 0 && p.types[i] == AWS_TS_TIMESTAMP) time_col = (long)i;
    }
    long time_ns_col = -1;
    if (ok && time_col >= 0) {
        time_ns_col = (long)s.ncols;
        ok = ts_schema_add(&s, "time_ns", TS_TYPE_INT64, TS_ROLE_TIME, false) == TS_OK;
    }
    ts_batch b;
    if (ok && ts_batch_init(&b, &s, 7) == TS_OK) {
        size_t row = 0;
        while (row < p.nrows) {
            ts_batch_reset(&b);
            ts_err_clear(&e);
            if (aws_ts_page_append(&p, &row, &b, map, time_col, time_ns_col, &e) != TS_OK) break;
        }
        ts_batch_free(&b);
    }
    ts_schema_free(&s);
    aws_ts_page_free(&p);
    return 0;
}
