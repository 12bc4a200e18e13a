/* arc_verify on a small archive written here with the library's writer and
 * manifest code: intact → no finding; then damage of each kind → the
 * finding's kind, file and location; "could not check" statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "arc_test_util.h"

#include "archive/arc_layout.h"
#include "archive/arc_manifest.h"
#include "archive/arc_storage.h"
#include "archive/arc_verify.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"
#include "parquet/pq_writer.h"

static char dir[256];

static const char *const kv_json =
    "{\"columns\":[{\"name\":\"time\",\"role\":\"time\",\"timestream_type\":\"TIMESTAMP\"},"
    "{\"name\":\"host\",\"role\":\"dimension\",\"timestream_type\":\"VARCHAR\"},"
    "{\"name\":\"v\",\"role\":\"measure\",\"timestream_type\":\"DOUBLE\"}],\"format_version\":1}";

#define ROWS 3000
#define T0 INT64_C(1704067200000000000) /* 2024-01-01 */

static void file_path(const char *rel, char *out, size_t n)
{
    snprintf(out, n, "%s/timestream-archive/db/%s", dir, rel);
}

/* Writes db.t with two months (Jan, Feb 2024), ROWS rows each, and its manifest. */
static void write_archive(void)
{
    ts_error e;
    ts_err_clear(&e);
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&s, "host", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "v", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true), TS_OK);
    arc_manifest m;
    arc_manifest_init(&m);
    m.format_version = 1;
    arc_set_str(&m.tool_version, "test");
    arc_set_str(&m.export_id, "x");
    arc_set_str(&m.source_kind, "file");
    arc_set_str(&m.database, "db");
    arc_set_str(&m.compression, "zstd");
    arc_table *t;
    assert_int_equal(arc_manifest_add_table(&m, "t", &t), TS_OK);
    arc_set_str(&t->time_unit, "us");
    arc_table_add_column(t, "time", ARC_ROLE_TIME, "TIMESTAMP", TS_TYPE_TIMESTAMP);
    arc_table_add_column(t, "host", ARC_ROLE_DIMENSION, "VARCHAR", TS_TYPE_STRING);
    arc_table_add_column(t, "v", ARC_ROLE_MEASURE, "DOUBLE", TS_TYPE_DOUBLE);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, ROWS), TS_OK);
    arc_month mo = {2024, 1};
    for (int k = 0; k < 2; k++, mo = arc_month_next(mo)) {
        char rel[ARC_PATH_MAX], path[1024], d[1024];
        assert_int_equal(arc_partition_path("t", mo, rel, sizeof rel, &e), TS_OK);
        file_path(rel, path, sizeof path);
        snprintf(d, sizeof d, "%s", path);
        *strrchr(d, '/') = '\0';
        assert_int_equal(ts_mkdirs(d, &e), TS_OK);
        ts_output *out;
        assert_int_equal(ts_output_file_atomic(path, &out, &e), TS_OK);
        pq_writer_opts po;
        pq_writer_opts_default(&po);
        po.page_bytes = 4096; /* several pages per column */
        pq_kv kv = {.key = "tsarchive.columns", .value = kv_json};
        po.kv = &kv;
        po.nkv = 1;
        pq_writer *w;
        assert_int_equal(pq_writer_new(out, &s, &po, &w, &e), TS_OK);
        ts_batch_reset(&b);
        int64_t base = arc_month_window(mo).lo;
        for (size_t i = 0; i < ROWS; i++) {
            ts_batch_set_i64(&b, 0, i, base + (int64_t)i * 60000000000);
            char h[8];
            snprintf(h, sizeof h, "h%zu", i % 7);
            assert_int_equal(ts_batch_set_str(&b, 1, i, h, strlen(h)), TS_OK);
            if (i % 5) ts_batch_set_f64(&b, 2, i, (double)i * 1.5);
            else ts_batch_set_null(&b, 2, i);
        }
        b.nrows = ROWS;
        assert_int_equal(pq_writer_write(w, &b, &e), TS_OK);
        assert_int_equal(pq_writer_close(w, &e), TS_OK);
        assert_int_equal(ts_output_commit(out, &e), TS_OK);
        pq_writer_free(w);
        ts_output_close(out);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        uint8_t dg[TS_SHA256_LEN];
        ts_sha256_once(buf, n, dg);
        arc_file af = {.path = rel, .records = ROWS, .min_time = base,
                       .max_time = base + (int64_t)(ROWS - 1) * 60000000000, .size = n};
        ts_hex(dg, TS_SHA256_LEN, af.sha256);
        assert_int_equal(arc_table_put_file(t, &af), TS_OK);
    }
    ts_buf j;
    ts_buf_init(&j, TS_MAX_MANIFEST);
    assert_int_equal(arc_manifest_to_json(&m, &j, &e), TS_OK);
    char mp[1024];
    file_path(ARC_MANIFEST_NAME, mp, sizeof mp);
    FILE *f = fopen(mp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(j.data, 1, j.len, f), j.len);
    fclose(f);
    ts_buf_free(&j);
    ts_batch_free(&b);
    ts_schema_free(&s);
    arc_manifest_free(&m);
}

static int setup(void **state)
{
    (void)state;
    arc_test_mkdtemp(dir, sizeof dir, "verify");
    write_archive();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arc_test_rmtree(dir);
    return 0;
}

static ts_status run(arc_verify_report *rep, bool quick, int jobs)
{
    ts_error e;
    ts_err_clear(&e);
    arc_storage *s;
    assert_int_equal(arc_storage_open(dir, NULL, &s, &e), TS_OK);
    arc_verify_opts o = {.root = dir, .prefix = "timestream-archive/", .quick = quick, .jobs = jobs};
    arc_verify_report_init(rep);
    ts_status st = arc_verify_run(s, &o, rep, &e);
    arc_storage_free(s);
    for (size_t i = 0; i < rep->nfindings; i++)
        fprintf(stderr, "  finding %s: %s\n", arc_finding_kind_name(rep->findings[i].kind),
                rep->findings[i].message);
    return st;
}

static const arc_finding *find(const arc_verify_report *r, arc_finding_kind k)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].kind == k) return &r->findings[i];
    return NULL;
}

static void flip(const char *rel, long off)
{
    char p[1024];
    file_path(rel, p, sizeof p);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    if (off < 0) {
        fseek(f, 0, SEEK_END);
        off += ftell(f);
    }
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
}

static const char *JAN = "t/year=2024/month=01/t_20240101_20240131.parquet";
static const char *FEB = "t/year=2024/month=02/t_20240201_20240229.parquet";

static void test_intact(void **state)
{
    (void)state;
    arc_verify_report r;
    for (int jobs = 1; jobs <= 3; jobs++) {
        assert_int_equal(run(&r, false, jobs), TS_OK);
        assert_int_equal(r.nfindings, 0);
        assert_int_equal(r.files_checked, 2);
        assert_int_equal(r.rows_decoded, 2 * ROWS);
        assert_int_equal(r.ntables, 1);
        assert_int_equal(r.tables[0].files_ok, 2);
        assert_int_equal(r.tables[0].records, 2 * ROWS);
        arc_verify_report_free(&r);
    }
}

static void test_page_flip_located(void **state)
{
    (void)state;
    flip(FEB, 300); /* inside the first column's data pages */
    arc_verify_report r;
    assert_int_equal(run(&r, false, 2), TS_OK);
    assert_non_null(find(&r, ARC_F_CHECKSUM_MISMATCH));
    const arc_finding *d = find(&r, ARC_F_DECODE_ERROR);
    assert_non_null(d);
    assert_non_null(strstr(d->file, FEB));
    assert_non_null(d->column);
    assert_true(d->row_group == 0);
    assert_true(d->page >= 0);
    assert_int_equal(r.tables[0].files_ok, 1);
    assert_true(r.errors >= 2);
    arc_verify_report_free(&r);
    /* quick: the checksum only */
    assert_int_equal(run(&r, true, 1), TS_OK);
    assert_int_equal(r.nfindings, 1);
    assert_int_equal(r.findings[0].kind, ARC_F_CHECKSUM_MISMATCH);
    arc_verify_report_free(&r);
}

static void test_footer_magic(void **state)
{
    (void)state;
    flip(JAN, -1);
    arc_verify_report r;
    assert_int_equal(run(&r, false, 1), TS_OK);
    assert_non_null(find(&r, ARC_F_DECODE_ERROR));
    assert_non_null(strstr(find(&r, ARC_F_DECODE_ERROR)->message, "magic"));
    arc_verify_report_free(&r);
}

static void test_missing_and_unlisted(void **state)
{
    (void)state;
    char a[1024], b[1024];
    file_path(JAN, a, sizeof a);
    file_path("t/year=2024/month=01/stray.parquet", b, sizeof b);
    assert_int_equal(rename(a, b), 0);
    arc_verify_report r;
    assert_int_equal(run(&r, false, 1), TS_OK);
    assert_int_equal(r.errors, 2);
    assert_non_null(find(&r, ARC_F_MISSING_FILE));
    assert_non_null(strstr(find(&r, ARC_F_UNLISTED_FILE)->file, "stray.parquet"));
    assert_false(find(&r, ARC_F_UNLISTED_FILE)->warning);
    arc_verify_report_free(&r);
}

static void test_not_found(void **state)
{
    (void)state;
    ts_error e;
    ts_err_clear(&e);
    arc_storage *s;
    assert_int_equal(arc_storage_open(dir, NULL, &s, &e), TS_OK);
    const char *dbs[] = {"nope"};
    arc_verify_opts o = {.root = dir, .prefix = "timestream-archive/", .databases = dbs,
                         .ndatabases = 1};
    arc_verify_report r;
    arc_verify_report_init(&r);
    assert_int_equal(arc_verify_run(s, &o, &r, &e), TS_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "nope"));
    arc_verify_report_free(&r);
    o.ndatabases = 0;
    o.prefix = "elsewhere/";
    ts_err_clear(&e);
    arc_verify_report_init(&r);
    assert_int_equal(arc_verify_run(s, &o, &r, &e), TS_ERR_NOT_FOUND);
    assert_int_equal(r.objects, 0);
    arc_verify_report_free(&r);
    arc_storage_free(s);
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = 0; k < ARC_F_KIND_COUNT; k++) {
        const char *n = arc_finding_kind_name((arc_finding_kind)k);
        assert_non_null(n);
        assert_string_not_equal(n, "unknown");
        for (int j = 0; j < k; j++) assert_string_not_equal(n, arc_finding_kind_name((arc_finding_kind)j));
    }
    assert_string_equal(arc_finding_kind_name(ARC_F_KIND_COUNT), "unknown");
    assert_true(arc_verify_status_fatal(TS_ERR_NETWORK));
    assert_true(arc_verify_status_fatal(TS_ERR_AUTH));
    assert_false(arc_verify_status_fatal(TS_ERR_CORRUPT));
    assert_false(arc_verify_status_fatal(TS_ERR_NOT_FOUND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_flip_located, setup, teardown),
        cmocka_unit_test_setup_teardown(test_footer_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_unlisted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
