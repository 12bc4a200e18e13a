/* Parquet writer: every type and nullability read back by an independent
 * strict reader, determinism, dictionary fallback, statistics rules,
 * UTF-8 and timestamp-precision refusals, row-group cutting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "parquet/pq_writer.h"
#include "pq_readback.h"

#define NS_PER_US 1000LL

static ts_schema *make_schema(bool nullable)
{
    static ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&s, "region", TS_TYPE_STRING, TS_ROLE_DIMENSION, nullable), TS_OK);
    assert_int_equal(ts_schema_add(&s, "plant_id", TS_TYPE_INT64, TS_ROLE_MEASURE, nullable), TS_OK);
    assert_int_equal(ts_schema_add(&s, "generation_mw", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, nullable), TS_OK);
    assert_int_equal(ts_schema_add(&s, "online", TS_TYPE_BOOL, TS_ROLE_MEASURE, nullable), TS_OK);
    assert_int_equal(ts_schema_add(&s, "note", TS_TYPE_STRING, TS_ROLE_MEASURE, nullable), TS_OK);
    return &s;
}

static const char *const regions[] = {"north", "south", "east", "west", "", "zürich"};

/* Row r of the standard test table (deterministic). */
static void fill_row(ts_batch *b, size_t row, size_t r, bool nullable)
{
    ts_batch_set_i64(b, 0, row, (int64_t)1700000000000000000LL + (int64_t)r * 1000 * NS_PER_US);
    bool null = nullable && r % 7 == 3;
    if (null) {
        for (size_t c = 1; c < 6; c++) ts_batch_set_null(b, c, row);
        return;
    }
    const char *reg = regions[r % 6];
    assert_int_equal(ts_batch_set_str(b, 1, row, reg, strlen(reg)), TS_OK);
    ts_batch_set_i64(b, 2, row, (int64_t)(r % 50) - 25);
    ts_batch_set_f64(b, 3, row, (double)r * 0.25 - 100.0);
    ts_batch_set_bool(b, 4, row, r % 3 == 0);
    char note[64];
    int n = snprintf(note, sizeof note, "note-%zu", r);
    assert_int_equal(ts_batch_set_str(b, 5, row, note, (size_t)n), TS_OK);
}

/* Writes `rows` rows in batches of `bs`; returns a malloc'd copy of the file. */
static uint8_t *write_table(const pq_writer_opts *o, bool nullable, size_t rows, size_t bs, size_t *len)
{
    ts_schema *s = make_schema(nullable);
    ts_error e;
    ts_err_clear(&e);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, s, o, &w, &e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, s, bs), TS_OK);
    for (size_t r = 0; r < rows;) {
        ts_batch_reset(&b);
        size_t k = 0;
        for (; k < bs && r < rows; k++, r++) fill_row(&b, k, r, nullable);
        b.nrows = k;
        ts_status st = pq_writer_write(w, &b, &e);
        if (st != TS_OK) fprintf(stderr, "write: %s\n", e.msg);
        assert_int_equal(st, TS_OK);
    }
    ts_status st = pq_writer_close(w, &e);
    if (st != TS_OK) fprintf(stderr, "close: %s\n", e.msg);
    assert_int_equal(st, TS_OK);
    const uint8_t *d = ts_output_mem_data(out, len);
    uint8_t *copy = ts_malloc(*len);
    memcpy(copy, d, *len);
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(s);
    return copy;
}

static void check_table(const uint8_t *file, size_t len, bool nullable, size_t rows, rb_file *f)
{
    bool ok = rb_read(f, file, len);
    if (!ok) fprintf(stderr, "readback: %s\n", f->why);
    assert_true(ok);
    assert_int_equal(f->meta.num_rows, rows);
    for (size_t r = 0; r < rows; r++) {
        bool null = nullable && r % 7 == 3;
        assert_true(f->cols[0].valid[r]);
        assert_int_equal(f->cols[0].i[r], 1700000000000000LL + (int64_t)r * 1000);
        for (size_t c = 1; c < 6; c++) assert_int_equal(f->cols[c].valid[r], !null);
        if (null) continue;
        const char *reg = regions[r % 6];
        assert_int_equal(f->cols[1].slen[r], strlen(reg));
        assert_memory_equal(f->cols[1].s[r], reg, strlen(reg));
        assert_int_equal(f->cols[2].i[r], (int64_t)(r % 50) - 25);
        assert_true(f->cols[3].d[r] == (double)r * 0.25 - 100.0);
        assert_int_equal(f->cols[4].i[r], r % 3 == 0);
        char note[64];
        snprintf(note, sizeof note, "note-%zu", r);
        assert_string_equal(f->cols[5].s[r], note);
    }
}

static void test_all_types_all_codecs(void **state)
{
    (void)state;
    pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    for (size_t ci = 0; ci < 4; ci++) {
        for (int nullable = 0; nullable < 2; nullable++) {
            pq_writer_opts o;
            pq_writer_opts_default(&o);
            o.codec = codecs[ci];
            o.created_by = "tsarchive version 0.1.0 (build test)";
            pq_kv kv[] = {{"tsarchive.columns", "[]"}, {"k2", NULL}};
            o.kv = kv;
            o.nkv = 2;
            size_t len;
            uint8_t *file = write_table(&o, nullable, 20000, 4096, &len);
            rb_file f;
            check_table(file, len, nullable, 20000, &f);
            const pq_file_meta *m = &f.meta;
            assert_string_equal(m->created_by, "tsarchive version 0.1.0 (build test)");
            assert_int_equal(m->nkv, 2);
            assert_string_equal(m->kv[0].key, "tsarchive.columns");
            assert_null(m->kv[1].value);
            /* schema */
            assert_int_equal(m->nschema, 7);
            assert_false(m->schema[0].has_type);
            const pq_schema_element *t = &m->schema[1];
            assert_int_equal(t->type, PQ_INT64);
            assert_int_equal(t->repetition, PQ_REQUIRED);
            assert_int_equal(t->logical.kind, PQ_LT_TIMESTAMP);
            assert_true(t->logical.utc);
            assert_int_equal(t->logical.unit, PQ_UNIT_MICROS);
            assert_int_equal(t->converted_type, PQ_CT_TIMESTAMP_MICROS);
            assert_int_equal(m->schema[2].type, PQ_BYTE_ARRAY);
            assert_int_equal(m->schema[2].logical.kind, PQ_LT_STRING);
            assert_int_equal(m->schema[2].converted_type, PQ_CT_UTF8);
            assert_int_equal(m->schema[2].repetition, nullable ? PQ_OPTIONAL : PQ_REQUIRED);
            assert_int_equal(m->schema[3].type, PQ_INT64);
            assert_false(m->schema[3].has_converted_type);
            assert_int_equal(m->schema[4].type, PQ_DOUBLE);
            assert_int_equal(m->schema[5].type, PQ_BOOLEAN);
            for (size_t i = 0; i < 6; i++) assert_int_equal(m->column_orders[i], PQ_ORDER_TYPE);
            const pq_column_meta *reg = &m->row_groups[0].columns[1].meta;
            assert_int_equal(reg->codec, codecs[ci]);
            /* region: low cardinality → all dictionary */
            assert_true(reg->has_dictionary_page_offset);
            assert_int_equal(f.cols[1].plain_pages, 0);
            assert_true(f.cols[1].dict_data_pages > 0);
            /* note: all distinct → PLAIN, no dictionary */
            assert_false(m->row_groups[0].columns[5].meta.has_dictionary_page_offset);
            assert_int_equal(f.cols[5].dict_pages, 0);
            rb_free(&f);
            ts_free(file);
        }
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = 3000;
    size_t l1, l2;
    uint8_t *a = write_table(&o, true, 10000, 1000, &l1);
    uint8_t *b = write_table(&o, true, 10000, 1000, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    /* different batch sizes, same bytes */
    uint8_t *c = write_table(&o, true, 10000, 777, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, c, l1);
    ts_free(a);
    ts_free(b);
    ts_free(c);
    /* size-based page and row-group cuts too: the same bytes for any batch sizes */
    pq_writer_opts_default(&o);
    o.page_bytes = 3000;
    o.row_group_bytes = 50000;
    o.dict_max_bytes = 2000;
    size_t sizes[] = {1000, 777, 12293, 1};
    uint8_t *ref = NULL;
    size_t lref = 0;
    for (size_t i = 0; i < 4; i++) {
        size_t l;
        uint8_t *x = write_table(&o, true, 15000, sizes[i], &l);
        if (!ref) {
            ref = x;
            lref = l;
            rb_file f;
            check_table(x, l, true, 15000, &f);
            assert_true(f.meta.nrow_groups > 3);
            assert_true(f.cols[5].plain_pages > 10);
            rb_free(&f);
            continue;
        }
        if (l != lref || memcmp(x, ref, l) != 0) fprintf(stderr, "batch size %zu gives other bytes\n", sizes[i]);
        assert_int_equal(l, lref);
        assert_memory_equal(x, ref, l);
        ts_free(x);
    }
    ts_free(ref);
}

static void test_row_group_cutting(void **state)
{
    (void)state;
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = 1000;
    size_t len;
    uint8_t *file = write_table(&o, true, 3500, 512, &len);
    rb_file f;
    check_table(file, len, true, 3500, &f);
    assert_int_equal(f.meta.nrow_groups, 4);
    assert_int_equal(f.meta.row_groups[0].num_rows, 1000);
    assert_int_equal(f.meta.row_groups[3].num_rows, 500);
    rb_free(&f);
    ts_free(file);
    /* by size */
    pq_writer_opts_default(&o);
    o.row_group_bytes = 200 * 1024;
    o.page_bytes = 8 * 1024;
    file = write_table(&o, false, 40000, 1000, &len);
    check_table(file, len, false, 40000, &f);
    assert_true(f.meta.nrow_groups >= 3);
    for (size_t g = 0; g + 1 < f.meta.nrow_groups; g++) {
        /* cut at a multiple of 4096 rows once the size is reached */
        assert_int_equal(f.meta.row_groups[g].num_rows % 4096, 0);
        assert_true(f.meta.row_groups[g].total_byte_size < 2 * 200 * 1024);
        assert_true(f.meta.row_groups[g].total_byte_size > 200 * 1024 / 2);
    }
    rb_free(&f);
    ts_free(file);
}

/* One STRING column: low cardinality first (dictionary), then distinct
 * values that overflow a small dictionary limit mid-chunk. */
static void test_dictionary_fallback(void **state)
{
    (void)state;
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "v", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "i", TS_TYPE_INT64, TS_ROLE_MEASURE, false), TS_OK);
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.dict_max_bytes = 4096;
    o.page_bytes = 2048;
    ts_error e;
    ts_err_clear(&e);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, &o, &w, &e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 1000), TS_OK);
    char buf[64];
    const size_t N = 20000;
    for (size_t r = 0; r < N;) {
        ts_batch_reset(&b);
        size_t k = 0;
        for (; k < 1000; k++, r++) {
            int n = r < 10000 ? snprintf(buf, sizeof buf, "v%zu", r % 10) : snprintf(buf, sizeof buf, "distinct-%zu", r);
            if (r % 11 == 0) ts_batch_set_null(&b, 0, k);
            else assert_int_equal(ts_batch_set_str(&b, 0, k, buf, (size_t)n), TS_OK);
            ts_batch_set_i64(&b, 1, k, (int64_t)(r % 3)); /* int dictionary, never full */
        }
        b.nrows = k;
        assert_int_equal(pq_writer_write(w, &b, &e), TS_OK);
    }
    assert_int_equal(pq_writer_close(w, &e), TS_OK);
    size_t len;
    const uint8_t *d = ts_output_mem_data(out, &len);
    rb_file f;
    bool ok = rb_read(&f, d, len);
    if (!ok) fprintf(stderr, "%s\n", f.why);
    assert_true(ok);
    const pq_column_meta *m = &f.meta.row_groups[0].columns[0].meta;
    assert_true(f.cols[0].dict_data_pages > 0);
    assert_true(f.cols[0].plain_pages > 0);
    assert_int_equal(m->nencodings, 3);
    assert_int_equal(m->encodings[0], PQ_ENC_PLAIN);
    assert_int_equal(m->encodings[1], PQ_ENC_RLE);
    assert_int_equal(m->encodings[2], PQ_ENC_RLE_DICTIONARY);
    assert_int_equal(m->nencoding_stats, 3);
    assert_int_equal(m->encoding_stats[0].page_type, PQ_PAGE_DICTIONARY);
    assert_int_equal(m->encoding_stats[1].encoding, PQ_ENC_RLE_DICTIONARY);
    assert_int_equal(m->encoding_stats[1].count, f.cols[0].dict_data_pages);
    assert_int_equal(m->encoding_stats[2].encoding, PQ_ENC_PLAIN);
    assert_int_equal(m->encoding_stats[2].count, f.cols[0].plain_pages);
    for (size_t r = 0; r < N; r++) {
        assert_int_equal(f.cols[0].valid[r], r % 11 != 0);
        if (r % 11 == 0) continue;
        int n = r < 10000 ? snprintf(buf, sizeof buf, "v%zu", r % 10) : snprintf(buf, sizeof buf, "distinct-%zu", r);
        assert_int_equal(f.cols[0].slen[r], (size_t)n);
        assert_memory_equal(f.cols[0].s[r], buf, (size_t)n);
        assert_int_equal(f.cols[1].i[r], (int64_t)(r % 3));
    }
    /* the int column: required, dictionary only: PLAIN (dict page) + RLE_DICTIONARY */
    const pq_column_meta *mi = &f.meta.row_groups[0].columns[1].meta;
    assert_int_equal(mi->nencodings, 2);
    assert_int_equal(f.cols[1].plain_pages, 0);
    assert_int_equal(mi->statistics.null_count, 0);
    assert_int_equal((int64_t)rb_le64(mi->statistics.min_value.ptr), 0);
    assert_int_equal((int64_t)rb_le64(mi->statistics.max_value.ptr), 2);
    rb_free(&f);
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(&s);
}

typedef struct stats_case {
    ts_type type;
    size_t n;
    const double *d;
    const int64_t *i;
    const char *const *s;
    const bool *null;
} stats_case;

static void write_one(ts_type type, size_t n, const double *dv, const int64_t *iv, const char *const *sv,
                      const bool *nulls, bool dictionary, rb_file *f)
{
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "x", type, TS_ROLE_MEASURE, true), TS_OK);
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.dictionary = dictionary;
    ts_error e;
    ts_err_clear(&e);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, &o, &w, &e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, n ? n : 1), TS_OK);
    for (size_t r = 0; r < n; r++) {
        if (nulls && nulls[r]) ts_batch_set_null(&b, 0, r);
        else if (type == TS_TYPE_DOUBLE) ts_batch_set_f64(&b, 0, r, dv[r]);
        else if (type == TS_TYPE_STRING) assert_int_equal(ts_batch_set_str(&b, 0, r, sv[r], strlen(sv[r])), TS_OK);
        else if (type == TS_TYPE_BOOL) ts_batch_set_bool(&b, 0, r, iv[r]);
        else ts_batch_set_i64(&b, 0, r, iv[r]);
    }
    b.nrows = n;
    assert_int_equal(pq_writer_write(w, &b, &e), TS_OK);
    assert_int_equal(pq_writer_close(w, &e), TS_OK);
    size_t len;
    const uint8_t *d = ts_output_mem_data(out, &len);
    bool ok = rb_read(f, d, len);
    if (!ok) fprintf(stderr, "%s\n", f->why);
    assert_true(ok);
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(&s);
}

static double stat_d(pq_bytes b)
{
    assert_true(b.set);
    assert_int_equal(b.len, 8);
    uint64_t u = rb_le64(b.ptr);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void test_statistics(void **state)
{
    (void)state;
    for (int dict = 0; dict < 2; dict++) {
        rb_file f;
        /* doubles: NaN skipped, zero extremes as -0 / +0 */
        double dv[] = {NAN, 0.0, 5.5, -0.0, NAN, 1.0};
        bool dn[] = {false, false, false, false, false, true};
        write_one(TS_TYPE_DOUBLE, 6, dv, NULL, NULL, dn, dict, &f);
        pq_statistics *st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_int_equal(st->null_count, 1);
        assert_true(stat_d(st->max_value) == 5.5);
        double mn = stat_d(st->min_value);
        assert_true(mn == 0.0 && signbit(mn));
        assert_true(st->min.set && st->max.set);
        assert_true(isnan(f.cols[0].d[0]));
        rb_free(&f);
        double zv[] = {0.0, -0.0};
        write_one(TS_TYPE_DOUBLE, 2, zv, NULL, NULL, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        mn = stat_d(st->min_value);
        double mx = stat_d(st->max_value);
        assert_true(signbit(mn) && !signbit(mx));
        rb_free(&f);
        /* all NaN: no min/max */
        double nv[] = {NAN, NAN};
        write_one(TS_TYPE_DOUBLE, 2, nv, NULL, NULL, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_false(st->min_value.set);
        assert_false(st->max_value.set);
        assert_true(st->has_null_count);
        rb_free(&f);
        /* negative ints */
        int64_t iv[] = {-5, 3, INT64_MIN, 7, -1};
        write_one(TS_TYPE_INT64, 5, NULL, iv, NULL, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_true((int64_t)rb_le64(st->min_value.ptr) == INT64_MIN);
        assert_int_equal((int64_t)rb_le64(st->max_value.ptr), 7);
        assert_memory_equal(st->min.ptr, st->min_value.ptr, 8);
        rb_free(&f);
        /* strings: empty string is the min; bytewise unsigned ("é" > "z"); no legacy min/max */
        const char *sv[] = {"b", "", "z", "\xc3\xa9", "a"};
        write_one(TS_TYPE_STRING, 5, NULL, NULL, sv, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_true(st->min_value.set);
        assert_int_equal(st->min_value.len, 0);
        assert_int_equal(st->max_value.len, 2);
        assert_memory_equal(st->max_value.ptr, "\xc3\xa9", 2);
        assert_false(st->min.set);
        assert_false(st->max.set);
        assert_int_equal(f.cols[0].slen[1], 0);
        rb_free(&f);
        /* long strings: min/max omitted, null_count kept */
        char longs[200];
        memset(longs, 'q', sizeof longs - 1);
        longs[199] = 0;
        const char *lv[] = {"a", longs};
        write_one(TS_TYPE_STRING, 2, NULL, NULL, lv, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_false(st->max_value.set);
        assert_true(st->has_null_count);
        assert_string_equal(f.cols[0].s[1], longs);
        rb_free(&f);
        /* bools */
        int64_t bv[] = {1, 1, 0};
        write_one(TS_TYPE_BOOL, 3, NULL, bv, NULL, NULL, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_int_equal(st->min_value.ptr[0], 0);
        assert_int_equal(st->max_value.ptr[0], 1);
        assert_int_equal(f.cols[0].i[0], 1);
        assert_int_equal(f.cols[0].i[2], 0);
        rb_free(&f);
        /* all null */
        bool an[] = {true, true, true};
        write_one(TS_TYPE_INT64, 3, NULL, iv, NULL, an, dict, &f);
        st = &f.meta.row_groups[0].columns[0].meta.statistics;
        assert_int_equal(st->null_count, 3);
        assert_false(st->min_value.set);
        assert_false(f.meta.row_groups[0].columns[0].meta.has_dictionary_page_offset); /* no empty dictionary */
        rb_free(&f);
    }
}

static ts_status write_bad(ts_type type, const pq_writer_opts *o, int64_t iv, const char *sv, size_t slen,
                           size_t at_row, ts_error *e)
{
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "col_x", type, TS_ROLE_MEASURE, false), TS_OK);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, o, &w, e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 10), TS_OK);
    for (size_t r = 0; r < 10; r++) {
        if (type == TS_TYPE_STRING) {
            if (r == at_row) assert_int_equal(ts_batch_set_str(&b, 0, r, sv, slen), TS_OK);
            else assert_int_equal(ts_batch_set_str(&b, 0, r, "ok", 2), TS_OK);
        } else {
            ts_batch_set_i64(&b, 0, r, r == at_row ? iv : (int64_t)r * 1000000);
        }
    }
    b.nrows = 10;
    /* a first good batch so the row number counts the file, not the batch */
    ts_batch good;
    assert_int_equal(ts_batch_init(&good, &s, 5), TS_OK);
    for (size_t r = 0; r < 5; r++) {
        if (type == TS_TYPE_STRING) assert_int_equal(ts_batch_set_str(&good, 0, r, "fine", 4), TS_OK);
        else ts_batch_set_i64(&good, 0, r, 0);
    }
    good.nrows = 5;
    assert_int_equal(pq_writer_write(w, &good, e), TS_OK);
    ts_status st = pq_writer_write(w, &b, e);
    if (st == TS_OK) st = pq_writer_close(w, e);
    else assert_int_not_equal(pq_writer_close(w, e), TS_OK); /* poisoned */
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_batch_free(&good);
    ts_schema_free(&s);
    return st;
}

static void test_utf8_rejected(void **state)
{
    (void)state;
    const char *bad[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "abcdefgh\x80"};
    for (int dict = 0; dict < 2; dict++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            pq_writer_opts o;
            pq_writer_opts_default(&o);
            o.dictionary = dict;
            ts_error e;
            ts_err_clear(&e);
            assert_int_equal(write_bad(TS_TYPE_STRING, &o, 0, bad[i], strlen(bad[i]), 4, &e), TS_ERR_CORRUPT);
            assert_non_null(strstr(e.msg, "col_x"));
            assert_non_null(strstr(e.msg, "row 9"));
            assert_non_null(strstr(e.msg, "UTF-8"));
        }
    }
    /* valid multi-byte text passes */
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    ts_error e;
    ts_err_clear(&e);
    const char *good = "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80";
    assert_int_equal(write_bad(TS_TYPE_STRING, &o, 0, good, strlen(good), 4, &e), TS_OK);
}

static void test_timestamp_precision(void **state)
{
    (void)state;
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    ts_error e;
    ts_err_clear(&e);
    /* 1 ns past a microsecond: refused under MICROS */
    assert_int_equal(write_bad(TS_TYPE_TIMESTAMP, &o, 1700000000000000001LL, NULL, 0, 2, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "col_x"));
    assert_non_null(strstr(e.msg, "row 7"));
    assert_non_null(strstr(e.msg, "MICROS"));
    /* NANOS keeps it */
    o.time_unit = PQ_UNIT_NANOS;
    ts_err_clear(&e);
    assert_int_equal(write_bad(TS_TYPE_TIMESTAMP, &o, 1700000000000000001LL, NULL, 0, 2, &e), TS_OK);
    /* MILLIS refuses a microsecond */
    o.time_unit = PQ_UNIT_MILLIS;
    ts_err_clear(&e);
    assert_int_equal(write_bad(TS_TYPE_TIMESTAMP, &o, 1000, NULL, 0, 2, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "MILLIS"));
    /* floor on purpose: negative values floor toward -infinity */
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&s, "t2", TS_TYPE_TIMESTAMP, TS_ROLE_MEASURE, true), TS_OK);
    pq_writer_opts_default(&o);
    bool floor_cols[] = {true, false};
    o.time_floor = floor_cols;
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, &o, &w, &e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 4), TS_OK);
    int64_t in[] = {-1, 1999, -1001, -7258118400000000001LL /* < 1740 */};
    int64_t want[] = {-1, 1, -2, -7258118400000001LL};
    for (size_t r = 0; r < 4; r++) {
        ts_batch_set_i64(&b, 0, r, in[r]);
        ts_batch_set_i64(&b, 1, r, (int64_t)r * 1000);
    }
    b.nrows = 4;
    assert_int_equal(pq_writer_write(w, &b, &e), TS_OK);
    /* column t2 is not floored: a sub-µs value there is refused */
    ts_batch_reset(&b);
    ts_batch_set_i64(&b, 0, 0, 5);
    ts_batch_set_i64(&b, 1, 0, 5);
    b.nrows = 1;
    ts_err_clear(&e);
    assert_int_equal(pq_writer_write(w, &b, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "'t2'"));
    assert_non_null(strstr(e.msg, "row 4"));
    pq_writer_free(w);
    ts_output_close(out);
    /* the floored file reads back */
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    assert_int_equal(pq_writer_new(out, &s, &o, &w, &e), TS_OK);
    ts_batch_reset(&b);
    for (size_t r = 0; r < 4; r++) {
        ts_batch_set_i64(&b, 0, r, in[r]);
        ts_batch_set_null(&b, 1, r);
    }
    b.nrows = 4;
    ts_err_clear(&e);
    assert_int_equal(pq_writer_write(w, &b, &e), TS_OK);
    assert_int_equal(pq_writer_close(w, &e), TS_OK);
    size_t len;
    const uint8_t *d = ts_output_mem_data(out, &len);
    rb_file f;
    assert_true(rb_read(&f, d, len));
    for (size_t r = 0; r < 4; r++) assert_int_equal(f.cols[0].i[r], want[r]);
    const pq_statistics *st = &f.meta.row_groups[0].columns[0].meta.statistics;
    assert_int_equal((int64_t)rb_le64(st->min_value.ptr), want[3]);
    assert_int_equal((int64_t)rb_le64(st->max_value.ptr), 1);
    rb_free(&f);
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(&s);
}

static void test_usage_errors(void **state)
{
    (void)state;
    ts_schema s;
    ts_schema_init(&s);
    ts_error e;
    ts_err_clear(&e);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    pq_writer *w = NULL;
    assert_int_equal(pq_writer_new(out, &s, NULL, &w, &e), TS_ERR_USAGE);
    assert_int_equal(ts_schema_add(&s, "x", TS_TYPE_INT64, TS_ROLE_MEASURE, false), TS_OK);
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_LZ4;
    ts_err_clear(&e);
    assert_int_equal(pq_writer_new(out, &s, &o, &w, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "LZ4"));
    /* NULL in a required column */
    assert_int_equal(pq_writer_new(out, &s, NULL, &w, &e), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 3), TS_OK);
    ts_batch_set_i64(&b, 0, 0, 1);
    ts_batch_set_null(&b, 0, 1);
    ts_batch_set_i64(&b, 0, 2, 1);
    b.nrows = 3;
    ts_err_clear(&e);
    assert_int_equal(pq_writer_write(w, &b, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "row 1"));
    pq_writer_free(w);
    ts_output_close(out);
    /* an empty file is valid: no row groups */
    assert_int_equal(ts_output_mem(&out, &e), TS_OK);
    assert_int_equal(pq_writer_new(out, &s, NULL, &w, &e), TS_OK);
    assert_int_equal(pq_writer_close(w, &e), TS_OK);
    size_t len;
    const uint8_t *d = ts_output_mem_data(out, &len);
    rb_file f;
    assert_true(rb_read(&f, d, len));
    assert_int_equal(f.meta.nrow_groups, 0);
    assert_int_equal(f.meta.num_rows, 0);
    rb_free(&f);
    pq_writer_free(w);
    pq_writer_free(NULL);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_types_all_codecs),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_row_group_cutting),
        cmocka_unit_test(test_dictionary_fallback),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_utf8_rejected),
        cmocka_unit_test(test_timestamp_precision),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
