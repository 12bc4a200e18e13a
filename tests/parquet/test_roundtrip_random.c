/* Round-trip property test: random schemas, values and writer options
 * (NULLs, empty/long/multi-byte strings, extreme timestamps, NaN/inf/-0.0,
 * INT64 extremes, tiny row-group/page/dictionary limits) written by our
 * writer, read by our reader, every cell identical; the same rows split into
 * different batches give byte-identical files. Seeded: TS_PROP_SEED replays,
 * TS_PROP_ITERS sets the number of iterations, TS_PROP_ITER=N runs only N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "parquet/pq_reader.h"
#include "parquet/pq_writer.h"

#define MAX_COLS 8
#define MAX_ROWS 20000
#define LONG_STR 65536

static uint64_t g_seed;
static unsigned g_iter;

/* What the iterations exercised, printed at the end. */
static struct {
    uint64_t rows, files, row_groups, multi_rg_files, projected, dict, bytes;
    size_t max_rg;
} g_cov;

/* ---- PRNG (splitmix64) ---- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
    uint64_t z = (rnd_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* True with probability pct/100. */
static bool chance(unsigned pct)
{
    return rnd_below(100) < pct;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    return *end ? dflt : (uint64_t)v;
}

/* ---- expected data, kept apart from any batch ---- */

typedef struct str_ref {
    size_t off, len; /* into col_data.bytes */
} str_ref;

typedef struct col_data {
    ts_type type;
    bool nullable;
    bool *valid;
    int64_t *i64;
    double *f64;
    uint8_t *b8;
    str_ref *str;
    char *bytes;
    size_t nbytes, capbytes;
} col_data;

typedef struct table {
    ts_schema schema;
    size_t nrows;
    col_data cols[MAX_COLS];
} table;

static size_t str_append(col_data *c, const char *p, size_t n)
{
    if (c->nbytes + n > c->capbytes) {
        size_t cap = c->capbytes ? c->capbytes : 4096;
        while (cap < c->nbytes + n) cap *= 2;
        c->bytes = ts_realloc(c->bytes, cap);
        assert_non_null(c->bytes);
        c->capbytes = cap;
    }
    if (n) memcpy(c->bytes + c->nbytes, p, n);
    size_t off = c->nbytes;
    c->nbytes += n;
    return off;
}

/* Valid UTF-8 pieces of 1..4 bytes, including U+0000 and U+10FFFF. */
static const char *const pieces[] = {
    "a", "Z", "0", " ", "\t", "\"", "\\", ",", "\n", "\xc3\xa9", "\xc2\x80", "\xdf\xbf",
    "\xe2\x82\xac", "\xe6\x97\xa5", "\xef\xbf\xbd", "\xed\x9f\xbf", "\xee\x80\x80",
    "\xf0\x9f\x98\x80", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

/* Appends random valid UTF-8 of about `len` bytes (never more). */
static void gen_utf8(col_data *c, size_t len)
{
    char buf[256];
    size_t n = 0, total = 0;
    while (total < len) {
        const char *p;
        size_t pl;
        if (chance(3)) {
            p = "";
            pl = 1; /* U+0000 */
        } else {
            p = pieces[rnd_below(NPIECES)];
            pl = strlen(p);
        }
        if (total + pl > len) {
            p = "x";
            pl = 1;
        }
        if (n + pl > sizeof buf) {
            str_append(c, buf, n);
            n = 0;
        }
        memcpy(buf + n, p, pl);
        n += pl;
        total += pl;
    }
    str_append(c, buf, n);
}

static size_t gen_len(void)
{
    unsigned k = (unsigned)rnd_below(1000);
    if (k < 100) return 0;
    if (k < 900) return 1 + rnd_below(24);
    if (k < 997) return 25 + rnd_below(1000);
    return LONG_STR - rnd_below(64); /* long: up to 64 KiB (rare: they dominate the runtime) */
}

static int64_t unit_ns(pq_time_unit u)
{
    return u == PQ_UNIT_MILLIS ? 1000000 : u == PQ_UNIT_MICROS ? 1000 : 1;
}

/* A timestamp that is a multiple of `m` ns (exact in the file's unit). */
static int64_t gen_ts(int64_t m, int64_t *seq)
{
    static const int64_t picks[] = {
        INT64_MIN, INT64_MAX, 0, -1, 1,
        INT64_C(-9223372036854775807) + 1,       /* year 1677 */
        INT64_C(-1000000000),                     /* 1969-12-31T23:59:59 */
        INT64_C(-86400000000000) * 365 * 100,    /* ~1870 */
        INT64_C(7258118400000000000),             /* 2200-01-01 */
        INT64_C(7258118400000000001),
        INT64_C(9000000000000000000),             /* 2255 */
        INT64_C(1704067200000000000),             /* 2024-01-01 */
    };
    int64_t v;
    unsigned k = (unsigned)rnd_below(100);
    if (k < 15) v = picks[rnd_below(sizeof picks / sizeof picks[0])];
    else if (k < 45) v = (int64_t)rnd();
    else if (k < 55) v = -(int64_t)(rnd() >> 2); /* before 1970 */
    else if (k < 65) v = INT64_C(7258118400000000000) + (int64_t)(rnd() % UINT64_C(1900000000000000000));
    else {
        *seq += (int64_t)rnd_below(120000000000);
        v = *seq;
    }
    v = v / m * m; /* truncation keeps it inside int64 and a multiple of m */
    return v;
}

static double bits_to_f64(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t f64_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static double gen_f64(const double *low, bool lowcard)
{
    static const uint64_t picks[] = {
        UINT64_C(0x7FF8000000000000), /* NaN */
        UINT64_C(0xFFF8000000000000), /* -NaN */
        UINT64_C(0x7FF0000000000001), /* signalling NaN */
        UINT64_C(0x7FF8DEADBEEF0001), /* NaN with a payload */
        UINT64_C(0x7FF0000000000000), /* +inf */
        UINT64_C(0xFFF0000000000000), /* -inf */
        UINT64_C(0x8000000000000000), /* -0.0 */
        UINT64_C(0x0000000000000000), /* 0.0 */
        UINT64_C(0x0000000000000001), /* smallest subnormal */
        UINT64_C(0x800FFFFFFFFFFFFF), /* negative largest subnormal */
        UINT64_C(0x0010000000000000), /* DBL_MIN */
        UINT64_C(0x7FEFFFFFFFFFFFFF), /* DBL_MAX */
        UINT64_C(0xFFEFFFFFFFFFFFFF), /* -DBL_MAX */
        UINT64_C(0x3FF0000000000000), /* 1.0 */
    };
    if (lowcard) return low[rnd_below(3)];
    unsigned k = (unsigned)rnd_below(100);
    if (k < 25) return bits_to_f64(picks[rnd_below(sizeof picks / sizeof picks[0])]);
    if (k < 60) {
        uint64_t b = rnd();
        if (((b >> 52) & 0x7FF) == 0x7FF) b &= ~(UINT64_C(1) << 62); /* no NaN payloads */
        return bits_to_f64(b);
    }
    return (double)(int64_t)(rnd() % 2000001) / 1000.0 - 1000.0;
}

static int64_t gen_i64(const int64_t *low, bool lowcard)
{
    static const int64_t picks[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1, INT64_MAX - 1};
    if (lowcard) return low[rnd_below(3)];
    unsigned k = (unsigned)rnd_below(100);
    if (k < 25) return picks[rnd_below(sizeof picks / sizeof picks[0])];
    if (k < 70) return (int64_t)rnd();
    return (int64_t)rnd_below(2000) - 1000;
}

static void gen_table(table *t, size_t nrows, pq_time_unit unit)
{
    memset(t, 0, sizeof *t);
    ts_schema_init(&t->schema);
    t->nrows = nrows;
    size_t ncols = 1 + rnd_below(MAX_COLS);
    bool time_done = false;
    int64_t m = unit_ns(unit);
    for (size_t c = 0; c < ncols; c++) {
        col_data *cd = &t->cols[c];
        cd->type = (ts_type)rnd_below(5);
        cd->nullable = chance(50);
        ts_role role = TS_ROLE_MEASURE;
        char name[64];
        if (chance(20)) snprintf(name, sizeof name, "k\xc3\xb8l_%zu", c);
        else snprintf(name, sizeof name, "c%zu", c);
        if (cd->type == TS_TYPE_STRING) role = TS_ROLE_DIMENSION;
        if (cd->type == TS_TYPE_TIMESTAMP && !time_done) {
            time_done = true;
            if (chance(50)) {
                role = TS_ROLE_TIME;
                snprintf(name, sizeof name, "time");
            }
        }
        assert_int_equal(ts_schema_add(&t->schema, name, cd->type, role, cd->nullable), TS_OK);

        size_t cap = nrows ? nrows : 1;
        cd->valid = ts_calloc(cap, sizeof *cd->valid);
        assert_non_null(cd->valid);
        unsigned null_pct = 0;
        if (cd->nullable) {
            unsigned k = (unsigned)rnd_below(10);
            null_pct = k < 1 ? 100 : k < 3 ? 0 : k < 4 ? 95 : 20;
        }
        bool lowcard = chance(30);
        int64_t low_i[3];
        double low_d[3];
        str_ref low_s[3];
        int64_t seq = (int64_t)(rnd() >> 3) - INT64_C(576460752303423488);
        switch (cd->type) {
        case TS_TYPE_TIMESTAMP:
        case TS_TYPE_INT64:
            cd->i64 = ts_calloc(cap, sizeof *cd->i64);
            assert_non_null(cd->i64);
            for (int k = 0; k < 3; k++) low_i[k] = gen_i64(NULL, false) / m * m;
            break;
        case TS_TYPE_DOUBLE:
            cd->f64 = ts_calloc(cap, sizeof *cd->f64);
            assert_non_null(cd->f64);
            for (int k = 0; k < 3; k++) low_d[k] = gen_f64(NULL, false);
            break;
        case TS_TYPE_BOOL:
            cd->b8 = ts_calloc(cap, 1);
            assert_non_null(cd->b8);
            break;
        case TS_TYPE_STRING:
            cd->str = ts_calloc(cap, sizeof *cd->str);
            assert_non_null(cd->str);
            for (int k = 0; k < 3; k++) {
                low_s[k].off = cd->nbytes;
                gen_utf8(cd, k == 0 ? 0 : gen_len());
                low_s[k].len = cd->nbytes - low_s[k].off;
            }
            break;
        }
        unsigned bool_true_pct = (unsigned)rnd_below(101);
        for (size_t r = 0; r < nrows; r++) {
            if (null_pct && chance(null_pct)) continue; /* valid[r] stays false */
            cd->valid[r] = true;
            switch (cd->type) {
            case TS_TYPE_TIMESTAMP:
                cd->i64[r] = lowcard ? low_i[rnd_below(3)] : gen_ts(m, &seq);
                break;
            case TS_TYPE_INT64:
                cd->i64[r] = gen_i64(low_i, lowcard);
                break;
            case TS_TYPE_DOUBLE:
                cd->f64[r] = gen_f64(low_d, lowcard);
                break;
            case TS_TYPE_BOOL:
                cd->b8[r] = chance(bool_true_pct);
                break;
            case TS_TYPE_STRING:
                if (lowcard) {
                    cd->str[r] = low_s[rnd_below(3)];
                } else {
                    /* all distinct: the row number makes each value unique */
                    char pre[32];
                    int pl = snprintf(pre, sizeof pre, "%zu:", r);
                    cd->str[r].off = str_append(cd, pre, (size_t)pl);
                    gen_utf8(cd, gen_len());
                    cd->str[r].len = cd->nbytes - cd->str[r].off;
                }
                break;
            }
        }
    }
}

/* Bytes of string cell r; "" when the column holds no bytes at all (bytes NULL). */
static const char *str_ptr(const col_data *cd, size_t r)
{
    return cd->bytes ? cd->bytes + cd->str[r].off : "";
}

static void free_table(table *t)
{
    for (size_t c = 0; c < t->schema.ncols; c++) {
        col_data *cd = &t->cols[c];
        ts_free(cd->valid);
        ts_free(cd->i64);
        ts_free(cd->f64);
        ts_free(cd->b8);
        ts_free(cd->str);
        ts_free(cd->bytes);
    }
    ts_schema_free(&t->schema);
}

/* ---- write / read ---- */

/* Writes the table in random batch splits; returns the file (ts_malloc'd). */
static uint8_t *write_table(const table *t, const pq_writer_opts *wo, size_t max_batch, size_t *len)
{
    ts_error err;
    ts_err_clear(&err);
    ts_output *out;
    assert_int_equal(ts_output_mem(&out, &err), TS_OK);
    pq_writer *w;
    ts_status st = pq_writer_new(out, &t->schema, wo, &w, &err);
    if (st != TS_OK) print_error("seed %llu iter %u: pq_writer_new: %s\n", (unsigned long long)g_seed, g_iter, err.msg);
    assert_int_equal(st, TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &t->schema, max_batch), TS_OK);
    size_t row = 0;
    while (row < t->nrows) {
        size_t n = 1 + rnd_below(max_batch);
        if (n > t->nrows - row) n = t->nrows - row;
        ts_batch_reset(&b);
        for (size_t c = 0; c < t->schema.ncols; c++) {
            const col_data *cd = &t->cols[c];
            for (size_t k = 0; k < n; k++) {
                size_t r = row + k;
                if (!cd->valid[r]) {
                    ts_batch_set_null(&b, c, k);
                    continue;
                }
                switch (cd->type) {
                case TS_TYPE_TIMESTAMP:
                case TS_TYPE_INT64: ts_batch_set_i64(&b, c, k, cd->i64[r]); break;
                case TS_TYPE_DOUBLE: ts_batch_set_f64(&b, c, k, cd->f64[r]); break;
                case TS_TYPE_BOOL: ts_batch_set_bool(&b, c, k, cd->b8[r]); break;
                case TS_TYPE_STRING:
                    ts_batch_set_str_ref(&b, c, k, str_ptr(cd, r), cd->str[r].len);
                    break;
                }
            }
        }
        b.nrows = n;
        st = pq_writer_write(w, &b, &err);
        if (st != TS_OK)
            print_error("seed %llu iter %u: write rows %zu..%zu: %s\n", (unsigned long long)g_seed, g_iter,
                        row, row + n, err.msg);
        assert_int_equal(st, TS_OK);
        row += n;
    }
    /* an empty batch now and then must change nothing */
    if (chance(20)) {
        ts_batch_reset(&b);
        assert_int_equal(pq_writer_write(w, &b, &err), TS_OK);
    }
    st = pq_writer_close(w, &err);
    if (st != TS_OK) print_error("seed %llu iter %u: close: %s\n", (unsigned long long)g_seed, g_iter, err.msg);
    assert_int_equal(st, TS_OK);
    assert_true(pq_writer_rows(w) == t->nrows);
    pq_writer_free(w);
    ts_batch_free(&b);
    const uint8_t *data = ts_output_mem_data(out, len);
    uint8_t *copy = ts_malloc(*len);
    assert_non_null(copy);
    memcpy(copy, data, *len);
    ts_output_close(out);
    return copy;
}

static void fail_cell(size_t c, size_t r, const char *what)
{
    print_error("seed %llu iter %u: column %zu row %zu: %s\n", (unsigned long long)g_seed, g_iter, c, r, what);
    fail();
}

/* Cell (gc, i) of the read batch against expected column c, row r. */
static void check_cell(const table *t, const ts_batch *got, size_t gc, size_t c, size_t i, size_t r)
{
    const col_data *cd = &t->cols[c];
    char msg[256];
    bool gv = ts_batch_valid(got, gc, i);
    if (gv != cd->valid[r]) {
        snprintf(msg, sizeof msg, "validity got %d want %d", (int)gv, (int)cd->valid[r]);
        fail_cell(c, r, msg);
    }
    if (!gv) return;
    switch (cd->type) {
    case TS_TYPE_TIMESTAMP:
    case TS_TYPE_INT64:
        if (got->cols[gc].v.i64[i] != cd->i64[r]) {
            snprintf(msg, sizeof msg, "got %lld want %lld", (long long)got->cols[gc].v.i64[i],
                     (long long)cd->i64[r]);
            fail_cell(c, r, msg);
        }
        break;
    case TS_TYPE_DOUBLE: {
        uint64_t g = f64_bits(got->cols[gc].v.f64[i]), w = f64_bits(cd->f64[r]);
        if (g != w) {
            snprintf(msg, sizeof msg, "got %a (0x%016llx) want %a (0x%016llx)", got->cols[gc].v.f64[i],
                     (unsigned long long)g, cd->f64[r], (unsigned long long)w);
            fail_cell(c, r, msg);
        }
        break;
    }
    case TS_TYPE_BOOL:
        if (got->cols[gc].v.b8[i] != cd->b8[r]) {
            snprintf(msg, sizeof msg, "got %u want %u", got->cols[gc].v.b8[i], cd->b8[r]);
            fail_cell(c, r, msg);
        }
        break;
    case TS_TYPE_STRING: {
        ts_str g = got->cols[gc].v.str[i];
        const char *wp = str_ptr(cd, r);
        size_t wl = cd->str[r].len;
        if (g.len != wl || (wl && memcmp(g.ptr, wp, wl) != 0)) {
            snprintf(msg, sizeof msg, "got %zu bytes \"%.*s\" want %zu bytes \"%.*s\"", g.len,
                     (int)(g.len < 60 ? g.len : 60), g.ptr, wl, (int)(wl < 60 ? wl : 60), wp);
            fail_cell(c, r, msg);
        }
        break;
    }
    }
}

static void read_and_check(const table *t, const uint8_t *data, size_t len, const pq_writer_opts *wo)
{
    ts_error err;
    ts_err_clear(&err);
    ts_input *in;
    assert_int_equal(ts_input_mem(data, len, "random.parquet", &in, &err), TS_OK);
    pq_reader_opts ro;
    pq_reader_opts_default(&ro);
    static const size_t rb[] = {1, 7, 1000, 4096, 65536};
    ro.batch_rows = rb[rnd_below(5)];
    if (ro.batch_rows == 1 && t->nrows > 3000) ro.batch_rows = 333;
    if (chance(30)) ro.batch_rows = 1 + rnd_below(65536);
    /* sometimes read a random subset of the columns in a random order */
    const char *names[MAX_COLS];
    size_t map[MAX_COLS], ncols = t->schema.ncols;
    for (size_t c = 0; c < ncols; c++) map[c] = c;
    if (chance(25)) {
        for (size_t c = ncols; c > 1; c--) {
            size_t j = rnd_below(c), x = map[c - 1];
            map[c - 1] = map[j];
            map[j] = x;
        }
        ncols = 1 + rnd_below(ncols);
        for (size_t c = 0; c < ncols; c++) names[c] = t->schema.fields[map[c]].name;
        ro.columns = names;
        ro.ncolumns = ncols;
        g_cov.projected++;
    }
    pq_reader *r;
    ts_status st = pq_reader_open(in, &ro, &r, &err);
    if (st != TS_OK) print_error("seed %llu iter %u: open: %s: %s\n", (unsigned long long)g_seed, g_iter, err.ctx, err.msg);
    assert_int_equal(st, TS_OK);
    const ts_schema *rs = pq_reader_schema(r);
    assert_int_equal(rs->ncols, ncols);
    for (size_t c = 0; c < rs->ncols; c++) {
        assert_string_equal(rs->fields[c].name, t->schema.fields[map[c]].name);
        assert_int_equal(rs->fields[c].type, t->schema.fields[map[c]].type);
        assert_int_equal(rs->fields[c].nullable, t->schema.fields[map[c]].nullable);
        if (t->schema.fields[map[c]].type == TS_TYPE_TIMESTAMP)
            assert_int_equal(pq_reader_column(r, c)->unit_ns, unit_ns(wo->time_unit));
    }
    size_t row = 0;
    for (;;) {
        const ts_batch *got;
        st = pq_reader_next(r, &got, &err);
        if (st != TS_OK)
            print_error("seed %llu iter %u: read at row %zu: %s: %s\n", (unsigned long long)g_seed, g_iter, row,
                        err.ctx, err.msg);
        assert_int_equal(st, TS_OK);
        if (!got) break;
        assert_true(got->nrows >= 1 && got->nrows <= ro.batch_rows);
        if (row + got->nrows > t->nrows) {
            print_error("seed %llu iter %u: %zu rows read, file should hold %zu\n", (unsigned long long)g_seed,
                        g_iter, row + got->nrows, t->nrows);
            fail();
        }
        for (size_t c = 0; c < rs->ncols; c++)
            for (size_t i = 0; i < got->nrows; i++) check_cell(t, got, c, map[c], i, row + i);
        row += got->nrows;
    }
    if (row != t->nrows)
        print_error("seed %llu iter %u: read %zu rows, wrote %zu\n", (unsigned long long)g_seed, g_iter, row, t->nrows);
    assert_int_equal(row, t->nrows);
    assert_true(pq_reader_rows_read(r) == t->nrows);
    assert_true(pq_reader_footer_rows(r) == (int64_t)t->nrows);
    assert_true(pq_reader_row_group_rows(r) == (int64_t)t->nrows);
    assert_true(pq_reader_warnings(r) == 0);
    size_t nrg = pq_reader_meta(r)->nrow_groups;
    g_cov.rows += t->nrows;
    g_cov.files++;
    g_cov.bytes += len;
    g_cov.row_groups += nrg;
    if (nrg > 1) g_cov.multi_rg_files++;
    if (nrg > g_cov.max_rg) g_cov.max_rg = nrg;
    if (wo->dictionary) g_cov.dict++;
    pq_reader_free(r);
    ts_input_close(in);
}

static size_t pick_batch(size_t nrows)
{
    static const size_t sizes[] = {1, 3, 7, 100, 1000, 4096, MAX_ROWS};
    size_t b = sizes[rnd_below(sizeof sizes / sizeof sizes[0])];
    if (b < 100 && nrows > 4000) b = 100 + rnd_below(900); /* keep the call count sane */
    return b;
}

static void one_iteration(void)
{
    pq_writer_opts wo;
    pq_writer_opts_default(&wo);
    static const pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    wo.codec = codecs[rnd_below(4)];
    unsigned u = (unsigned)rnd_below(10);
    wo.time_unit = u < 6 ? PQ_UNIT_NANOS : u < 8 ? PQ_UNIT_MICROS : PQ_UNIT_MILLIS;
    wo.row_group_rows = chance(20) ? 0 : 200 + rnd_below(8000);
    wo.row_group_bytes = chance(30) ? 0 : 16384 + rnd_below(1 << 20);
    wo.page_bytes = chance(20) ? 0 : 256 + rnd_below(64 << 10);
    wo.dictionary = chance(70);
    unsigned d = (unsigned)rnd_below(4);
    wo.dict_max_bytes = d == 0 ? 0 : d == 1 ? 1 + rnd_below(64) : d == 2 ? 64 + rnd_below(4096) : 70000;

    size_t nrows;
    unsigned k = (unsigned)rnd_below(10);
    if (k == 0) nrows = 0;
    else if (k < 5) nrows = 1 + rnd_below(300);
    else nrows = 1 + rnd_below(MAX_ROWS);

    table t;
    gen_table(&t, nrows, wo.time_unit);
    size_t len1, len2;
    uint8_t *f1 = write_table(&t, &wo, pick_batch(nrows), &len1);
    read_and_check(&t, f1, len1, &wo);
    uint8_t *f2 = write_table(&t, &wo, pick_batch(nrows), &len2);
    if (len1 != len2 || memcmp(f1, f2, len1) != 0) {
        size_t at = 0;
        while (at < len1 && at < len2 && f1[at] == f2[at]) at++;
        print_error("seed %llu iter %u: two writes of the same rows differ: %zu vs %zu bytes, first at %zu\n",
                    (unsigned long long)g_seed, g_iter, len1, len2, at);
        fail();
    }
    ts_free(f1);
    ts_free(f2);
    free_table(&t);
}

static void test_random_roundtrip(void **state)
{
    (void)state;
    g_seed = env_u64("TS_PROP_SEED", UINT64_C(0x7473617263686976));
    unsigned iters = (unsigned)env_u64("TS_PROP_ITERS", 150);
    /* TS_PROP_ITER=N runs only iteration N (as printed on a failure) */
    unsigned only = (unsigned)env_u64("TS_PROP_ITER", 0xFFFFFFFFu);
    for (g_iter = 0; g_iter < iters; g_iter++) {
        /* each iteration has its own stream so one can be replayed alone */
        rnd_state = g_seed ^ ((uint64_t)g_iter * UINT64_C(0xD1B54A32D192ED03));
        if (only != 0xFFFFFFFFu && g_iter != only) continue;
        one_iteration();
    }
    print_message("%llu rows in %llu files (%llu bytes), %llu row groups (max %zu in one file, %llu files "
                  "with several), %llu with dictionary, %llu read with a projection\n",
                  (unsigned long long)g_cov.rows, (unsigned long long)g_cov.files, (unsigned long long)g_cov.bytes,
                  (unsigned long long)g_cov.row_groups, g_cov.max_rg, (unsigned long long)g_cov.multi_rg_files,
                  (unsigned long long)g_cov.dict, (unsigned long long)g_cov.projected);
    if (only != 0xFFFFFFFFu) print_message("seed %llu: iteration %u passed\n", (unsigned long long)g_seed, only);
    else print_message("seed %llu: %u iterations passed\n", (unsigned long long)g_seed, iters);
}

/* Invalid UTF-8 must be refused (TS_ERR_CORRUPT), dictionary on or off. */
static void test_invalid_utf8_refused(void **state)
{
    (void)state;
    static const struct {
        const char *p;
        size_t n;
    } bad[] = {
        {"\xc3\x28", 2},         /* bad continuation */
        {"\xc0\xaf", 2},         /* overlong */
        {"\xe0\x80\xaf", 3},     /* overlong 3-byte */
        {"\xed\xa0\x80", 3},     /* surrogate */
        {"\xf4\x90\x80\x80", 4}, /* past U+10FFFF */
        {"ok\xe2\x82", 4},       /* truncated */
        {"\xff", 1},
        {"\x80", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int dict = 0; dict < 2; dict++) {
            ts_error err;
            ts_err_clear(&err);
            ts_schema s;
            ts_schema_init(&s);
            assert_int_equal(ts_schema_add(&s, "s", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
            ts_output *out;
            assert_int_equal(ts_output_mem(&out, &err), TS_OK);
            pq_writer_opts wo;
            pq_writer_opts_default(&wo);
            wo.dictionary = dict;
            pq_writer *w;
            assert_int_equal(pq_writer_new(out, &s, &wo, &w, &err), TS_OK);
            ts_batch b;
            assert_int_equal(ts_batch_init(&b, &s, 3), TS_OK);
            ts_batch_set_str_ref(&b, 0, 0, "fine", 4);
            ts_batch_set_null(&b, 0, 1);
            ts_batch_set_str_ref(&b, 0, 2, bad[i].p, bad[i].n);
            b.nrows = 3;
            ts_status st = pq_writer_write(w, &b, &err);
            if (st == TS_OK) st = pq_writer_close(w, &err);
            if (st != TS_ERR_CORRUPT) print_error("case %zu dict %d: status %d (%s)\n", i, dict, (int)st, err.msg);
            assert_int_equal(st, TS_ERR_CORRUPT);
            assert_non_null(strstr(err.msg, "row 2"));
            assert_non_null(strstr(err.msg, "UTF-8"));
            /* the writer stays failed */
            assert_int_not_equal(pq_writer_write(w, &b, &err), TS_OK);
            pq_writer_free(w);
            ts_batch_free(&b);
            ts_output_close(out);
            ts_schema_free(&s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_roundtrip),
        cmocka_unit_test(test_invalid_utf8_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
