/* Writes a set of Parquet files covering every type, nulls, special
 * doubles, extreme timestamps, long/unicode strings, dictionary fallback,
 * several row groups and every codec, each with a FILE.expected.jsonl in the
 * canonical JSON Lines of docs/testing.md. Into $TS_PQ_OUT when set (for
 * tests/parquet/test_writer_interop.py, which reads them with DuckDB,
 * hyparquet and polars), else into a temporary directory removed afterwards;
 * either way each file is also read back by the strict test reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "core/ts_time.h"
#include "parquet/pq_writer.h"
#include "pq_readback.h"

static char out_dir[1024];
static bool keep_files;

/* ---------------- canonical JSON ---------------- */

static void json_str(FILE *f, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i];
        size_t len = 1;
        if (c >= 0xF0) {
            c = (c & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3F) << 12 | (uint32_t)(p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
            len = 4;
        } else if (c >= 0xE0) {
            c = (c & 0x0F) << 12 | (uint32_t)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            len = 3;
        } else if (c >= 0xC0) {
            c = (c & 0x1F) << 6 | (p[i + 1] & 0x3F);
            len = 2;
        }
        i += len;
        switch (c) {
        case '"': fputs("\\\"", f); continue;
        case '\\': fputs("\\\\", f); continue;
        case '\n': fputs("\\n", f); continue;
        case '\r': fputs("\\r", f); continue;
        case '\t': fputs("\\t", f); continue;
        case '\b': fputs("\\b", f); continue;
        case '\f': fputs("\\f", f); continue;
        default: break;
        }
        if (c >= 0x20 && c < 0x7F) {
            fputc((int)c, f);
        } else if (c < 0x10000) {
            fprintf(f, "\\u%04x", c);
        } else {
            c -= 0x10000;
            fprintf(f, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
        }
    }
    fputc('"', f);
}

/* Python repr(float). */
static void json_double(FILE *f, double v)
{
    if (isnan(v)) {
        fputs("\"NaN\"", f);
        return;
    }
    if (isinf(v)) {
        fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
        return;
    }
    char buf[64];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    /* buf: [-]d[.ddd]e[+-]XX */
    const char *s = buf;
    bool neg = *s == '-';
    if (neg) s++;
    char digits[32];
    size_t nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s != '.') digits[nd++] = *s;
    int e10 = (int)strtol(s + 1, NULL, 10);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    int decpt = e10 + 1;
    if (neg) fputc('-', f);
    if (decpt > 16 || decpt < -3) {
        fputc(digits[0], f);
        if (nd > 1) fprintf(f, ".%s", digits + 1);
        fprintf(f, "e%c%02d", e10 < 0 ? '-' : '+', abs(e10));
    } else if (decpt <= 0) {
        fputs("0.", f);
        for (int k = 0; k < -decpt; k++) fputc('0', f);
        fputs(digits, f);
    } else if ((size_t)decpt >= nd) {
        fputs(digits, f);
        for (size_t k = nd; k < (size_t)decpt; k++) fputc('0', f);
        fputs(".0", f);
    } else {
        fprintf(f, "%.*s.%s", decpt, digits, digits + decpt);
    }
}

static void json_int(FILE *f, int64_t v)
{
    if (v > -(INT64_C(1) << 53) && v < (INT64_C(1) << 53)) fprintf(f, "%lld", (long long)v);
    else fprintf(f, "\"%lld\"", (long long)v);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* RFC 3339 with 9 fraction digits from an exact value in `per_sec` units. */
static void json_time(FILE *f, int64_t v, int64_t per_sec)
{
    int64_t sec = floordiv(v, per_sec);
    int64_t frac = ((v % per_sec) + per_sec) % per_sec;
    int64_t ns = frac * (1000000000 / per_sec);
    int64_t days = floordiv(sec, 86400), sod = sec - days * 86400;
    int64_t y;
    unsigned mo, d;
    ts_civil_from_days(days, &y, &mo, &d);
    char ybuf[32];
    if (y >= 0 && y <= 9999) snprintf(ybuf, sizeof ybuf, "%04lld", (long long)y);
    else snprintf(ybuf, sizeof ybuf, "%c%06lld", y < 0 ? '-' : '+', (long long)(y < 0 ? -y : y));
    fprintf(f, "\"%s-%02u-%02uT%02d:%02d:%02d.%09lldZ\"", ybuf, mo, d, (int)(sod / 3600), (int)(sod / 60 % 60),
            (int)(sod % 60), (long long)ns);
}

/* ---------------- table specs ---------------- */

enum gen {
    G_TIME_STEP,     /* µs-aligned times from before 1970, steps of 1.234567 s */
    G_TIME_EXTREME,  /* int64 ns extremes and sub-unit digits */
    G_TIME_MS,       /* ms-aligned */
    G_REGION,        /* low cardinality strings incl. "" and unicode */
    G_NOTE,          /* distinct strings with escapes, some very long */
    G_INT,           /* ints incl. extremes */
    G_INT_LOW,       /* 0..4 */
    G_DOUBLE,        /* specials */
    G_DOUBLE_LOW,    /* few distinct */
    G_BOOL,
    G_FALLBACK,      /* low cardinality, then all distinct */
    G_NULL           /* always NULL */
};

typedef struct colspec {
    const char *name;
    ts_type type;
    bool nullable;
    enum gen gen;
} colspec;

typedef struct tablespec {
    const char *file;
    size_t rows;
    const colspec *cols;
    size_t ncols;
    pq_writer_opts o;
} tablespec;

static const char *const region_vals[] = {"north", "south", "", "z\xc3\xbcrich", "\xe6\x9d\xb1\xe4\xba\xac", "west"};
static const char *const special_strs[] = {
    "", "a\"b\\c", "line\nbreak\ttab\r", "\x01\x02 ctrl \x1f", "del\x7f", "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d" "\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "emoji \xf0\x9f\x98\x80" "!", "/slash/ and 'quote'"};
static const int64_t int_specials[] = {INT64_MIN, INT64_MAX, (INT64_C(1) << 53), -(INT64_C(1) << 53),
                                       (INT64_C(1) << 53) - 1, 0, -1, 1};
static const int64_t time_extremes[] = {INT64_MIN, INT64_MAX, -1, 0, 1, 999, -999, 1001,
                                        -86400000000000LL * 365 * 200 - 123456789, /* ~1770 */
                                        86400000000000LL * 365 * 250 + 987654321,  /* ~2219 */
                                        -1000, 1000000};

static double double_special(size_t r)
{
    static const double v[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1,
                               1e16, 1e-5, 123456.789, -2.5, 1e15, 0.0001, 2.2250738585072014e-308};
    size_t n = sizeof v / sizeof v[0];
    if (r % 3 == 0) return v[(r / 3) % n];
    return (double)((int64_t)(r * 2654435761u % 1000003) - 500000) / 7.0;
}

/* Fills row `k` of b with the value for file row r and appends its JSON. */
static void gen_value(ts_batch *b, size_t col, size_t k, size_t r, const colspec *cs, const pq_writer_opts *o,
                      FILE *js, char *scratch)
{
    bool null = cs->nullable && (cs->gen == G_NULL || r % 5 == 2);
    fputc(col ? ',' : '{', js);
    json_str(js, cs->name, strlen(cs->name));
    fputc(':', js);
    if (null) {
        ts_batch_set_null(b, col, k);
        fputs("null", js);
        return;
    }
    int64_t per_sec = o->time_unit == PQ_UNIT_NANOS ? 1000000000 : o->time_unit == PQ_UNIT_MILLIS ? 1000 : 1000000;
    int64_t div = 1000000000 / per_sec;
    switch (cs->gen) {
    case G_TIME_STEP: {
        int64_t us = -2000000 + (int64_t)r * 1234567;
        ts_batch_set_i64(b, col, k, us * 1000);
        json_time(js, us * 1000 / div, per_sec);
        break;
    }
    case G_TIME_EXTREME: {
        size_t n = sizeof time_extremes / sizeof time_extremes[0];
        int64_t ns = r < n ? time_extremes[r] : (int64_t)(r * UINT64_C(0x9E3779B97F4A7C15) >> 1) - INT64_MAX / 2;
        ts_batch_set_i64(b, col, k, ns);
        json_time(js, floordiv(ns, div), per_sec);
        break;
    }
    case G_TIME_MS: {
        int64_t ms = 1700000000000LL + (int64_t)r * 1001 - 5000000000000LL * (r % 2);
        ts_batch_set_i64(b, col, k, ms * 1000000);
        json_time(js, ms * 1000000 / div, per_sec);
        break;
    }
    case G_REGION: {
        const char *s = region_vals[r % 6];
        assert_int_equal(ts_batch_set_str(b, col, k, s, strlen(s)), TS_OK);
        json_str(js, s, strlen(s));
        break;
    }
    case G_NOTE: {
        size_t n;
        if (r % 500 == 7) {
            n = 10000 + r % 100;
            for (size_t i = 0; i < n; i++) scratch[i] = (char)('a' + (i * 7 + r) % 26);
        } else if (r % 10 == 1) {
            const char *s = special_strs[(r / 10) % (sizeof special_strs / sizeof special_strs[0])];
            n = (size_t)snprintf(scratch, 256, "%s#%zu", s, r);
        } else {
            n = (size_t)snprintf(scratch, 256, "note %zu \xc2\xb5", r);
        }
        assert_int_equal(ts_batch_set_str(b, col, k, scratch, n), TS_OK);
        json_str(js, scratch, n);
        break;
    }
    case G_INT: {
        size_t n = sizeof int_specials / sizeof int_specials[0];
        int64_t v = r % 4 == 0 ? int_specials[(r / 4) % n] : (int64_t)(r % 1000) - 500;
        ts_batch_set_i64(b, col, k, v);
        json_int(js, v);
        break;
    }
    case G_INT_LOW:
        ts_batch_set_i64(b, col, k, (int64_t)(r % 5));
        json_int(js, (int64_t)(r % 5));
        break;
    case G_DOUBLE: {
        double v = double_special(r);
        ts_batch_set_f64(b, col, k, v);
        json_double(js, v);
        break;
    }
    case G_DOUBLE_LOW: {
        double v = (double)(r % 4) * 0.5 - 0.75;
        ts_batch_set_f64(b, col, k, v);
        json_double(js, v);
        break;
    }
    case G_BOOL:
        ts_batch_set_bool(b, col, k, r % 3 == 1);
        fputs(r % 3 == 1 ? "true" : "false", js);
        break;
    case G_FALLBACK: {
        size_t n = r < 3000 ? (size_t)snprintf(scratch, 256, "lv%zu", r % 7)
                            : (size_t)snprintf(scratch, 256, "distinct value number %zu", r);
        assert_int_equal(ts_batch_set_str(b, col, k, scratch, n), TS_OK);
        json_str(js, scratch, n);
        break;
    }
    case G_NULL:
        fail();
    }
}

static void write_spec(const tablespec *t)
{
    char path[1200], jpath[1300];
    snprintf(path, sizeof path, "%s/%s", out_dir, t->file);
    snprintf(jpath, sizeof jpath, "%s.expected.jsonl", path);
    ts_schema s;
    ts_schema_init(&s);
    for (size_t c = 0; c < t->ncols; c++)
        assert_int_equal(ts_schema_add(&s, t->cols[c].name, t->cols[c].type, TS_ROLE_MEASURE, t->cols[c].nullable), TS_OK);
    ts_error e;
    ts_err_clear(&e);
    ts_output *out;
    assert_int_equal(ts_output_file_atomic(path, &out, &e), TS_OK);
    pq_writer *w;
    assert_int_equal(pq_writer_new(out, &s, &t->o, &w, &e), TS_OK);
    FILE *js = fopen(jpath, "w");
    assert_non_null(js);
    const size_t bs = 1000;
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, bs), TS_OK);
    char *scratch = ts_malloc(20000);
    for (size_t r = 0; r < t->rows;) {
        ts_batch_reset(&b);
        size_t k = 0;
        for (; k < bs && r < t->rows; k++, r++) {
            for (size_t c = 0; c < t->ncols; c++) gen_value(&b, c, k, r, &t->cols[c], &t->o, js, scratch);
            fputs("}\n", js);
        }
        b.nrows = k;
        ts_status st = pq_writer_write(w, &b, &e);
        if (st != TS_OK) fprintf(stderr, "%s: %s\n", t->file, e.msg);
        assert_int_equal(st, TS_OK);
    }
    assert_int_equal(pq_writer_close(w, &e), TS_OK);
    assert_int_equal(ts_output_commit(out, &e), TS_OK);
    ts_output_close(out);
    pq_writer_free(w);
    fclose(js);
    ts_free(scratch);
    ts_batch_free(&b);
    ts_schema_free(&s);
    /* strict read-back of what landed on disk */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = ts_malloc(len);
    assert_int_equal(fread(data, 1, len, f), len);
    fclose(f);
    rb_file rb;
    bool ok = rb_read(&rb, data, len);
    if (!ok) fprintf(stderr, "%s: %s\n", t->file, rb.why);
    assert_true(ok);
    assert_int_equal(rb.meta.num_rows, t->rows);
    rb_free(&rb);
    ts_free(data);
    fprintf(stderr, "wrote %s (%zu rows, %zu bytes)\n", t->file, t->rows, len);
}

static const colspec all_types_cols[] = {
    {"time", TS_TYPE_TIMESTAMP, false, G_TIME_STEP}, {"region", TS_TYPE_STRING, true, G_REGION},
    {"plant_id", TS_TYPE_INT64, true, G_INT},         {"generation_mw", TS_TYPE_DOUBLE, true, G_DOUBLE},
    {"online", TS_TYPE_BOOL, true, G_BOOL},           {"note", TS_TYPE_STRING, true, G_NOTE},
    {"req_int", TS_TYPE_INT64, false, G_INT_LOW},     {"req_double", TS_TYPE_DOUBLE, false, G_DOUBLE_LOW},
    {"req_bool", TS_TYPE_BOOL, false, G_BOOL},        {"req_str", TS_TYPE_STRING, false, G_REGION},
};
static const colspec time_cols[] = {
    {"time", TS_TYPE_TIMESTAMP, false, G_TIME_EXTREME}, {"t_opt", TS_TYPE_TIMESTAMP, true, G_TIME_EXTREME},
    {"v", TS_TYPE_INT64, false, G_INT_LOW}};
static const colspec time_ms_cols[] = {{"time", TS_TYPE_TIMESTAMP, false, G_TIME_MS}, {"v", TS_TYPE_DOUBLE, true, G_DOUBLE}};
static const colspec fallback_cols[] = {
    {"s", TS_TYPE_STRING, true, G_FALLBACK}, {"d", TS_TYPE_DOUBLE, true, G_DOUBLE_LOW}, {"i", TS_TYPE_INT64, false, G_INT_LOW}};
static const colspec null_cols[] = {
    {"t", TS_TYPE_TIMESTAMP, true, G_NULL}, {"s", TS_TYPE_STRING, true, G_NULL}, {"i", TS_TYPE_INT64, true, G_NULL},
    {"d", TS_TYPE_DOUBLE, true, G_NULL},    {"b", TS_TYPE_BOOL, true, G_NULL},   {"k", TS_TYPE_INT64, false, G_INT_LOW}};

#define N(a) (sizeof a / sizeof a[0])

static void test_write_files(void **state)
{
    (void)state;
    pq_writer_opts base;
    pq_writer_opts_default(&base);
    base.created_by = "tsarchive version 0.1.0 (build test)";
    static const pq_kv kv[] = {{"tsarchive.test", "writer interop"}};
    base.kv = kv;
    base.nkv = 1;
    tablespec specs[16];
    size_t ns = 0;
    const pq_codec codecs[] = {PQ_CODEC_ZSTD, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_UNCOMPRESSED};
    const char *cnames[] = {"zstd", "snappy", "gzip", "none"};
    static char names[8][64];
    for (size_t i = 0; i < 4; i++) {
        snprintf(names[i], sizeof names[i], "all_types_%s.parquet", cnames[i]);
        tablespec t = {names[i], 3000, all_types_cols, N(all_types_cols), base};
        t.o.codec = codecs[i];
        t.o.row_group_rows = 1200;
        t.o.page_bytes = 16 * 1024;
        specs[ns++] = t;
    }
    tablespec t;
    t = (tablespec){"time_nanos.parquet", 3000, time_cols, N(time_cols), base};
    t.o.time_unit = PQ_UNIT_NANOS;
    specs[ns++] = t;
    t = (tablespec){"time_micros_floor.parquet", 3000, time_cols, N(time_cols), base};
    t.o.time_floor_all = true;
    specs[ns++] = t;
    t = (tablespec){"time_millis.parquet", 3000, time_ms_cols, N(time_ms_cols), base};
    t.o.time_unit = PQ_UNIT_MILLIS;
    t.o.codec = PQ_CODEC_SNAPPY;
    specs[ns++] = t;
    t = (tablespec){"dict_fallback.parquet", 8000, fallback_cols, N(fallback_cols), base};
    t.o.dict_max_bytes = 8 * 1024;
    t.o.page_bytes = 4 * 1024;
    specs[ns++] = t;
    t = (tablespec){"no_dictionary.parquet", 4000, all_types_cols, N(all_types_cols), base};
    t.o.dictionary = false;
    t.o.codec = PQ_CODEC_GZIP;
    specs[ns++] = t;
    t = (tablespec){"all_null.parquet", 3000, null_cols, N(null_cols), base};
    specs[ns++] = t;
    t = (tablespec){"empty.parquet", 0, all_types_cols, N(all_types_cols), base};
    specs[ns++] = t;
    t = (tablespec){"many_row_groups.parquet", 12000, all_types_cols, N(all_types_cols), base};
    t.o.row_group_rows = 2000;
    specs[ns++] = t;
    for (size_t i = 0; i < ns; i++) write_spec(&specs[i]);
}

static int setup(void **state)
{
    (void)state;
    const char *env = getenv("TS_PQ_OUT");
    if (env && *env) {
        snprintf(out_dir, sizeof out_dir, "%s", env);
        keep_files = true;
        ts_error e;
        ts_err_clear(&e);
        return ts_mkdirs(out_dir, &e) == TS_OK ? 0 : -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out_dir, sizeof out_dir, "%s/tsarchive-pqw-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(out_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (keep_files) return 0;
    DIR *d = opendir(out_dir);
    if (d) {
        struct dirent *de;
        char p[2400];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", out_dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(out_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
