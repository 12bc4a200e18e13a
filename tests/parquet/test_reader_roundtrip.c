/* Our writer's files read back by our reader: every batch type with NULLs,
 * each writable codec, MICROS and NANOS time, several row groups and pages,
 * odd batch sizes on both sides; values, validity, schema and counts equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "parquet/pq_reader.h"
#include "parquet/pq_writer.h"

#define ROWS 70001

static const char *const regions[] = {"north", "south", "\xc3\xa9st", "west", "central", ""};

static void fill(ts_batch *b, size_t first, size_t n, bool nanos)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = first + k;
        int64_t t = INT64_C(1704067200000000000) + (int64_t)i * 60000001000 + (nanos ? (int64_t)(i % 1000) : 0);
        ts_batch_set_i64(b, 0, k, t);
        if (i % 11 == 0) ts_batch_set_null(b, 1, k);
        else ts_batch_set_str_ref(b, 1, k, regions[i % 6], strlen(regions[i % 6]));
        if (i % 13 == 0) ts_batch_set_null(b, 2, k);
        else ts_batch_set_i64(b, 2, k, (int64_t)(i * 2654435761u) - INT64_C(4000000000));
        if (i % 7 == 0) ts_batch_set_null(b, 3, k);
        else ts_batch_set_f64(b, 3, k, (double)i / 7.0 - 100.0);
        if (i % 5 == 0) ts_batch_set_null(b, 4, k);
        else ts_batch_set_bool(b, 4, k, i % 3 == 0);
    }
    b->nrows = n;
}

static void roundtrip(pq_codec codec, pq_time_unit unit, size_t wbatch, size_t rbatch)
{
    ts_error err;
    ts_err_clear(&err);
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&s, "region", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "plant_id", TS_TYPE_INT64, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "mw", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "online", TS_TYPE_BOOL, TS_ROLE_MEASURE, true), TS_OK);
    bool nanos = unit == PQ_UNIT_NANOS;

    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &err), TS_OK);
    pq_writer_opts wo;
    pq_writer_opts_default(&wo);
    wo.codec = codec;
    wo.time_unit = unit;
    wo.row_group_rows = 30000;
    wo.page_bytes = 16 << 10;
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, &wo, &w, &err), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, wbatch), TS_OK);
    for (size_t first = 0; first < ROWS; first += wbatch) {
        size_t n = ROWS - first < wbatch ? ROWS - first : wbatch;
        ts_batch_reset(&b);
        fill(&b, first, n, nanos);
        ts_status st = pq_writer_write(w, &b, &err);
        if (st != TS_OK) print_error("write: %s\n", err.msg);
        assert_int_equal(st, TS_OK);
    }
    assert_int_equal(pq_writer_close(w, &err), TS_OK);
    pq_writer_free(w);
    size_t len;
    const uint8_t *data = ts_output_mem_data(out, &len);

    ts_input *in;
    assert_int_equal(ts_input_mem(data, len, "roundtrip.parquet", &in, &err), TS_OK);
    pq_reader_opts ro;
    pq_reader_opts_default(&ro);
    ro.batch_rows = rbatch;
    pq_reader *r;
    ts_status st = pq_reader_open(in, &ro, &r, &err);
    if (st != TS_OK) print_error("open: %s: %s\n", err.ctx, err.msg);
    assert_int_equal(st, TS_OK);
    const ts_schema *rs = pq_reader_schema(r);
    assert_int_equal(rs->ncols, 5);
    for (size_t c = 0; c < 5; c++) {
        assert_string_equal(rs->fields[c].name, s.fields[c].name);
        assert_int_equal(rs->fields[c].type, s.fields[c].type);
        assert_int_equal(rs->fields[c].nullable, s.fields[c].nullable);
    }
    assert_int_equal(rs->fields[0].role, TS_ROLE_TIME);
    ts_batch want;
    assert_int_equal(ts_batch_init(&want, &s, rbatch), TS_OK);
    size_t row = 0;
    for (;;) {
        const ts_batch *got;
        st = pq_reader_next(r, &got, &err);
        if (st != TS_OK) print_error("read: %s: %s\n", err.ctx, err.msg);
        assert_int_equal(st, TS_OK);
        if (!got) break;
        assert_true(got->nrows <= rbatch);
        ts_batch_reset(&want);
        fill(&want, row, got->nrows, nanos);
        for (size_t i = 0; i < got->nrows; i++) {
            for (size_t c = 0; c < 5; c++) {
                bool v = ts_batch_valid(&want, c, i);
                if (ts_batch_valid(got, c, i) != v)
                    print_error("row %zu col %zu validity %d\n", row + i, c, (int)v);
                assert_int_equal(ts_batch_valid(got, c, i), v);
                if (!v) continue;
                switch (s.fields[c].type) {
                case TS_TYPE_TIMESTAMP:
                case TS_TYPE_INT64:
                    if (got->cols[c].v.i64[i] != want.cols[c].v.i64[i])
                        print_error("row %zu col %zu: %lld != %lld\n", row + i, c,
                                    (long long)got->cols[c].v.i64[i], (long long)want.cols[c].v.i64[i]);
                    assert_true(got->cols[c].v.i64[i] == want.cols[c].v.i64[i]);
                    break;
                case TS_TYPE_DOUBLE:
                    assert_true(got->cols[c].v.f64[i] == want.cols[c].v.f64[i]);
                    break;
                case TS_TYPE_BOOL:
                    assert_int_equal(got->cols[c].v.b8[i], want.cols[c].v.b8[i]);
                    break;
                case TS_TYPE_STRING:
                    assert_int_equal(got->cols[c].v.str[i].len, want.cols[c].v.str[i].len);
                    assert_memory_equal(got->cols[c].v.str[i].ptr, want.cols[c].v.str[i].ptr,
                                        want.cols[c].v.str[i].len);
                    break;
                }
            }
        }
        row += got->nrows;
    }
    assert_int_equal(row, ROWS);
    assert_true(pq_reader_rows_read(r) == ROWS);
    assert_true(pq_reader_footer_rows(r) == ROWS);
    assert_true(pq_reader_row_group_rows(r) == ROWS);
    assert_true(pq_reader_meta(r)->nrow_groups >= 3);
    pq_reader_free(r);
    ts_input_close(in);
    ts_batch_free(&want);
    ts_batch_free(&b);
    ts_output_close(out);
    ts_schema_free(&s);
}

static void test_codecs(void **state)
{
    (void)state;
    const pq_codec cs[] = {PQ_CODEC_ZSTD, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_UNCOMPRESSED};
    for (size_t i = 0; i < 4; i++) roundtrip(cs[i], PQ_UNIT_MICROS, 8192, 65536);
}

static void test_nanos_and_odd_batches(void **state)
{
    (void)state;
    roundtrip(PQ_CODEC_ZSTD, PQ_UNIT_NANOS, 997, 1000);
    roundtrip(PQ_CODEC_SNAPPY, PQ_UNIT_NANOS, 65536, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_nanos_and_odd_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
