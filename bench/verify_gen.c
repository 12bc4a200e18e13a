/* Benchmark fixture for bench/verify.sh: writes an archive (format 1) of
 * about SIZE_MB with the library's own Parquet writer and manifest code —
 * one table, one file per month, the archive's column profile and
 * tsarchive.columns — so that `tsarchive verify` finds it whole.
 *   verify_gen OUTROOT SIZE_MB [MONTHS]
 * Data: 1-second-ish metrics of 64 hosts in 4 regions, two noisy doubles,
 * a counter and a flag; deterministic (xorshift, fixed seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_layout.h"
#include "archive/arc_manifest.h"
#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"
#include "core/ts_time.h"
#include "parquet/pq_writer.h"

#define BATCH 65536
#define BYTES_PER_ROW 18.8 /* measured: what ZSTD leaves of one row */

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int die(const char *what, const ts_error *e)
{
    char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
    ts_err_format(e, m, sizeof m);
    fprintf(stderr, "verify_gen: %s: %s\n", what, m);
    return 1;
}

static const char *const kv_json =
    "{\"columns\":[{\"name\":\"time\",\"role\":\"time\",\"timestream_type\":\"TIMESTAMP\"},"
    "{\"name\":\"host\",\"role\":\"dimension\",\"timestream_type\":\"VARCHAR\"},"
    "{\"name\":\"region\",\"role\":\"dimension\",\"timestream_type\":\"VARCHAR\"},"
    "{\"name\":\"measure_name\",\"role\":\"measure_name\",\"timestream_type\":\"VARCHAR\"},"
    "{\"name\":\"cpu\",\"role\":\"measure\",\"timestream_type\":\"DOUBLE\"},"
    "{\"name\":\"mem\",\"role\":\"measure\",\"timestream_type\":\"DOUBLE\"},"
    "{\"name\":\"reqs\",\"role\":\"measure\",\"timestream_type\":\"BIGINT\"},"
    "{\"name\":\"ok\",\"role\":\"measure\",\"timestream_type\":\"BOOLEAN\"}],"
    "\"format_version\":1}";

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: verify_gen OUTROOT SIZE_MB [MONTHS]\n");
        return 2;
    }
    const char *root = argv[1];
    double mb = strtod(argv[2], NULL);
    int months = argc > 3 ? atoi(argv[3]) : 12; /* NOLINT: a bench tool's argument */
    if (mb <= 0 || months < 1 || months > 240) return 2;
    uint64_t total_rows = (uint64_t)(mb * 1e6 / BYTES_PER_ROW);
    uint64_t per_month = total_rows / (uint64_t)months + 1;
    const char *db = "benchdb", *table = "metrics";
    ts_error e;
    ts_err_clear(&e);
    ts_schema s;
    ts_schema_init(&s);
    ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false);
    ts_schema_add(&s, "host", TS_TYPE_STRING, TS_ROLE_DIMENSION, true);
    ts_schema_add(&s, "region", TS_TYPE_STRING, TS_ROLE_DIMENSION, true);
    ts_schema_add(&s, "measure_name", TS_TYPE_STRING, TS_ROLE_MEASURE_NAME, true);
    ts_schema_add(&s, "cpu", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true);
    ts_schema_add(&s, "mem", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true);
    ts_schema_add(&s, "reqs", TS_TYPE_INT64, TS_ROLE_MEASURE, true);
    ts_schema_add(&s, "ok", TS_TYPE_BOOL, TS_ROLE_MEASURE, true);

    arc_manifest m;
    arc_manifest_init(&m);
    m.format_version = ARC_FORMAT_VERSION;
    arc_set_str(&m.tool_version, "bench");
    arc_set_str(&m.export_id, "bench");
    arc_set_str(&m.source_kind, "bench");
    arc_set_str(&m.source_database, db);
    arc_set_str(&m.database, db);
    arc_set_str(&m.compression, "zstd");
    m.started_at = m.finished_at = ts_now_ns();
    arc_table *t;
    arc_manifest_add_table(&m, table, &t);
    arc_set_str(&t->time_unit, "us");
    t->time_ns = false;
    static const char *const st_names[8] = {"TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR",
                                            "DOUBLE", "DOUBLE", "BIGINT", "BOOLEAN"};
    arc_table_add_column(t, "time", ARC_ROLE_TIME, st_names[0], TS_TYPE_TIMESTAMP);
    arc_table_add_column(t, "host", ARC_ROLE_DIMENSION, st_names[1], TS_TYPE_STRING);
    arc_table_add_column(t, "region", ARC_ROLE_DIMENSION, st_names[2], TS_TYPE_STRING);
    arc_table_add_column(t, "measure_name", ARC_ROLE_MEASURE_NAME, st_names[3], TS_TYPE_STRING);
    arc_table_add_column(t, "cpu", ARC_ROLE_MEASURE, st_names[4], TS_TYPE_DOUBLE);
    arc_table_add_column(t, "mem", ARC_ROLE_MEASURE, st_names[5], TS_TYPE_DOUBLE);
    arc_table_add_column(t, "reqs", ARC_ROLE_MEASURE, st_names[6], TS_TYPE_INT64);
    arc_table_add_column(t, "ok", ARC_ROLE_MEASURE, st_names[7], TS_TYPE_BOOL);

    char hosts[64][16];
    for (int i = 0; i < 64; i++) snprintf(hosts[i], sizeof hosts[i], "host-%02d", i);
    static const char *const regions[4] = {"eu-north-1", "eu-west-1", "us-east-1", "ap-south-1"};
    ts_batch b;
    if (ts_batch_init(&b, &s, BATCH) != TS_OK) return 1;
    arc_month mo = {2023, 1};
    uint8_t *buf = ts_malloc(1 << 20);
    for (int k = 0; k < months; k++, mo = arc_month_next(mo)) {
        char rel[ARC_PATH_MAX], key[ARC_PATH_MAX * 2];
        if (arc_partition_path(table, mo, rel, sizeof rel, &e) != TS_OK) return die("path", &e);
        snprintf(key, sizeof key, "%s/timestream-archive/%s/%s", root, db, rel);
        char dir[sizeof key];
        snprintf(dir, sizeof dir, "%s", key);
        *strrchr(dir, '/') = '\0';
        if (ts_mkdirs(dir, &e) != TS_OK) return die("mkdir", &e);
        ts_output *out;
        if (ts_output_file_atomic(key, &out, &e) != TS_OK) return die("create", &e);
        pq_writer_opts po;
        pq_writer_opts_default(&po);
        pq_kv kv = {.key = "tsarchive.columns", .value = kv_json};
        po.kv = &kv;
        po.nkv = 1;
        po.created_by = "tsarchive bench fixture";
        pq_writer *w;
        if (pq_writer_new(out, &s, &po, &w, &e) != TS_OK) return die("writer", &e);
        arc_window win = arc_month_window(mo);
        int64_t span = (win.hi - win.lo) / 1000; /* µs */
        int64_t step = span / (int64_t)per_month;
        if (step < 1) step = 1;
        int64_t mn = 0, mx = 0;
        for (uint64_t r = 0; r < per_month;) {
            ts_batch_reset(&b);
            size_t n = 0;
            for (; n < BATCH && r < per_month; n++, r++) {
                int64_t tns = win.lo + (int64_t)r * step * 1000;
                uint64_t x = next_rand();
                ts_batch_set_i64(&b, 0, n, tns);
                ts_batch_set_str_ref(&b, 1, n, hosts[r % 64], strlen(hosts[r % 64]));
                ts_batch_set_str_ref(&b, 2, n, regions[(r / 64) % 4], strlen(regions[(r / 64) % 4]));
                ts_batch_set_str_ref(&b, 3, n, "metrics", 7);
                ts_batch_set_f64(&b, 4, n, (double)(x & 0xFFFFFFF) / 2684354.55);
                ts_batch_set_f64(&b, 5, n, (double)((x >> 28) & 0xFFFFF) / 1048.575);
                if ((x >> 50) % 10 == 0) ts_batch_set_null(&b, 6, n);
                else ts_batch_set_i64(&b, 6, n, (int64_t)((x >> 40) & 0x3FF));
                ts_batch_set_bool(&b, 7, n, (x >> 60) != 0);
                if (r == 0) mn = tns;
                mx = tns;
            }
            b.nrows = n;
            if (pq_writer_write(w, &b, &e) != TS_OK) return die("write", &e);
        }
        if (pq_writer_close(w, &e) != TS_OK || ts_output_commit(out, &e) != TS_OK)
            return die("close", &e);
        pq_writer_free(w);
        ts_output_close(out);
        /* size and SHA-256 of what landed */
        ts_input *in;
        if (ts_input_file(key, &in, &e) != TS_OK) return die("reopen", &e);
        ts_sha256 *h = ts_sha256_new();
        for (uint64_t off = 0; off < in->size;) {
            size_t c = in->size - off > (1 << 20) ? (1 << 20) : (size_t)(in->size - off);
            if (ts_input_read_at(in, off, buf, c, &e) != TS_OK) return die("read", &e);
            ts_sha256_update(h, buf, c);
            off += c;
        }
        uint8_t d[TS_SHA256_LEN];
        ts_sha256_final(h, d);
        ts_sha256_free(h);
        arc_file f = {.path = rel, .records = per_month, .min_time = mn, .max_time = mx,
                      .size = in->size};
        ts_hex(d, TS_SHA256_LEN, f.sha256);
        ts_input_close(in);
        arc_table_put_file(t, &f);
        fprintf(stderr, "verify_gen: %s (%llu rows, %.1f MB)\n", rel,
                (unsigned long long)per_month, (double)f.size / 1e6);
    }
    ts_buf j;
    ts_buf_init(&j, TS_MAX_MANIFEST);
    if (arc_manifest_to_json(&m, &j, &e) != TS_OK) return die("manifest", &e);
    char mp[4096];
    snprintf(mp, sizeof mp, "%s/timestream-archive/%s/%s", root, db, ARC_MANIFEST_NAME);
    ts_output *out;
    if (ts_output_file_atomic(mp, &out, &e) != TS_OK || ts_output_write(out, j.data, j.len, &e) != TS_OK ||
        ts_output_commit(out, &e) != TS_OK)
        return die("manifest write", &e);
    ts_output_close(out);
    ts_buf_free(&j);
    ts_free(buf);
    ts_batch_free(&b);
    ts_schema_free(&s);
    arc_manifest_free(&m);
    return 0;
}
