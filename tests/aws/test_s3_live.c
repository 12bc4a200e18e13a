/* S3 client and S3 archive storage against a live S3 implementation (moto,
 * s3rver) whose address comes from the environment (AWS_ENDPOINT_URL or
 * AWS_ENDPOINT_URL_S3). Skips cleanly when none is set. Driven by
 * tests/aws/test_s3_storage.py, which also sets:
 *   TSARCHIVE_TEST_BUCKET        bucket to use (created if missing)
 *   TSARCHIVE_TEST_PREFIX        key prefix for this run
 *   TSARCHIVE_TEST_FLAKY=1       the endpoint answers 503 + Retry-After first
 *   TSARCHIVE_TEST_OBJECT_LOCK=1 the server implements Object Lock (moto)
 *   TSARCHIVE_TEST_AUTH_CHECKED=1  the server verifies signatures
 *   TSARCHIVE_TEST_VERIFIER_QUIRKS=1  moto's signature verifier (5.2) refuses even boto3's
 *                                valid signatures for keys with '=' and for listings whose
 *                                prefix has '/': avoid both */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_storage.h"
#include "aws/aws_s3.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"

static bool live;
static aws_config cfg;
static aws_client *client;
static arc_storage *store;
static char bucket[64] = "tsa-live";
static char prefix[128] = "live";
static const char *eq_dir; /* "year=2024/month=01" or "year-2024/month-01" */
static bool quirks;       /* TSARCHIVE_TEST_VERIFIER_QUIRKS */

#define CHECK(st, e)                                                                   \
    do {                                                                               \
        ts_status s_ = (st);                                                           \
        if (s_ != TS_OK) {                                                             \
            char m_[2048];                                                             \
            ts_err_format(&(e), m_, sizeof m_);                                        \
            printf("%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #st, ts_status_name(s_), m_); \
        }                                                                              \
        assert_int_equal(s_, TS_OK);                                                   \
    } while (0)

static int group_setup(void **state)
{
    (void)state;
    if (!getenv("AWS_ENDPOINT_URL") && !getenv("AWS_ENDPOINT_URL_S3")) return 0;
    if (getenv("TSARCHIVE_TEST_BUCKET")) snprintf(bucket, sizeof bucket, "%s", getenv("TSARCHIVE_TEST_BUCKET"));
    if (getenv("TSARCHIVE_TEST_PREFIX")) snprintf(prefix, sizeof prefix, "%s", getenv("TSARCHIVE_TEST_PREFIX"));
    quirks = getenv("TSARCHIVE_TEST_VERIFIER_QUIRKS") != NULL;
    eq_dir = quirks ? "year-2024/month-01" : "year=2024/month=01";
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_config_load(&cfg, NULL, &e), e);
    CHECK(aws_client_new(&cfg, &client, &e), e);
    CHECK(s3_create_bucket(client, bucket, false, &e), e);
    CHECK(s3_head_bucket(client, bucket, &e), e);
    char root[256];
    snprintf(root, sizeof root, "s3://%s/%s", bucket, prefix);
    CHECK(arc_storage_open(root, client, &store, &e), e);
    live = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    arc_storage_free(store);
    aws_client_free(client);
    aws_config_free(&cfg);
    return 0;
}

static uint8_t pattern(uint64_t i) { return (uint8_t)((i * 31 + 7) % 251); }

static void test_small_put_with_equals_key(void **state)
{
    (void)state;
    if (!live) skip();
    char key[256];
    snprintf(key, sizeof key, "timestream-archive/db/t/%s/t_20240101_20240131.parquet", eq_dir);
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = pattern(i);
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    CHECK(arc_storage_create(store, key, &o, &e), e);
    CHECK(ts_output_write(o, data, 400, &e), e);
    CHECK(ts_output_write(o, data + 400, 600, &e), e);
    CHECK(ts_output_commit(o, &e), e);
    ts_output_close(o);
    arc_object_info info;
    CHECK(arc_storage_head(store, key, &info, &e), e);
    assert_int_equal(info.size, 1000);
    if (info.has_sha256) {
        uint8_t want[32];
        ts_sha256_once(data, sizeof data, want);
        assert_memory_equal(info.sha256, want, 32);
        printf("server keeps the SHA-256 checksum\n");
    }
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    CHECK(arc_storage_read_all(store, key, &b, 4096, &e), e);
    assert_int_equal(b.len, 1000);
    assert_memory_equal(b.data, data, 1000);
    ts_buf_clear(&b);
    CHECK(arc_storage_get_range(store, key, 990, 10, &b, &e), e);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, data + 990, 10);
    ts_buf_free(&b);
}

typedef struct listing {
    int n;
    char first[300], last[300];
    uint64_t total;
    int prefixes;
} listing;

static ts_status arc_collect(void *user, const char *key, uint64_t size, ts_error *err)
{
    (void)err;
    listing *l = user;
    if (l->n == 0) snprintf(l->first, sizeof l->first, "%s", key);
    if (l->n > 0 && strcmp(l->last, key) >= 0) {
        printf("listing out of order: %s after %s\n", key, l->last);
        return TS_ERR_INTERNAL;
    }
    snprintf(l->last, sizeof l->last, "%s", key);
    l->n++;
    l->total += size;
    return TS_OK;
}

static ts_status s3_collect(void *user, const char *key, uint64_t size, const char *etag,
                            ts_error *err)
{
    (void)etag;
    listing *l = user;
    if (size == UINT64_MAX) {
        l->prefixes++;
        return TS_OK;
    }
    return arc_collect(user, key, size, err);
}

static void test_listed_back_exactly(void **state)
{
    (void)state;
    if (!live || quirks) skip();
    char p[300], want[300];
    snprintf(p, sizeof p, "timestream-archive/db/t/%s/", eq_dir);
    snprintf(want, sizeof want, "%st_20240101_20240131.parquet", p);
    listing l = {0};
    ts_error e;
    ts_err_clear(&e);
    CHECK(arc_storage_list(store, p, arc_collect, &l, &e), e);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.first, want);
}

static void test_multipart_put_ranges_and_input(void **state)
{
    (void)state;
    if (!live) skip();
    const uint64_t size = ((uint64_t)12 << 20) + 123;
    const char *key = "mp/big.parquet";
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    CHECK(arc_storage_create(store, key, &o, &e), e);
    size_t chunk = (1u << 20) - 3;
    uint8_t *buf = ts_malloc(chunk);
    assert_non_null(buf);
    ts_sha256 *h = ts_sha256_new();
    size_t peak_before = ts_alloc_current();
    size_t peak = 0;
    for (uint64_t off = 0; off < size;) {
        size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
        for (size_t i = 0; i < n; i++) buf[i] = pattern(off + i);
        ts_sha256_update(h, buf, n);
        CHECK(ts_output_write(o, buf, n, &e), e);
        if (ts_alloc_current() > peak) peak = ts_alloc_current();
        off += n;
    }
    CHECK(ts_output_commit(o, &e), e);
    ts_output_close(o);
    /* memory is bounded by one part (plus HTTP buffers), not by the object */
    printf("extra memory while uploading: %zu bytes (part size %zu)\n", peak - peak_before,
           cfg.s3_part_size);
    assert_true(peak - peak_before < cfg.s3_part_size + ((size_t)2 << 20));
    uint8_t want[32];
    ts_sha256_final(h, want);
    ts_sha256_free(h);

    arc_object_info info;
    CHECK(arc_storage_head(store, key, &info, &e), e);
    assert_int_equal(info.size, size);
    assert_false(info.has_sha256); /* a multipart checksum is not the file's SHA-256 */

    /* a range across the first part boundary */
    ts_buf b;
    ts_buf_init(&b, (size_t)64 << 20);
    uint64_t boundary = cfg.s3_part_size;
    CHECK(arc_storage_get_range(store, key, boundary - 10, 20, &b, &e), e);
    assert_int_equal(b.len, 20);
    for (size_t i = 0; i < 20; i++) assert_int_equal(b.data[i], pattern(boundary - 10 + i));
    ts_buf_clear(&b);
    CHECK(arc_storage_read_all(store, key, &b, (size_t)64 << 20, &e), e);
    assert_int_equal(b.len, size);
    uint8_t got[32];
    ts_sha256_once(b.data, b.len, got);
    assert_memory_equal(got, want, 32);
    ts_buf_free(&b);

    /* random access as the Parquet reader does it: footer length, footer,
     * then a large column chunk */
    ts_input *in;
    CHECK(arc_storage_open_input(store, key, &in, &e), e);
    assert_int_equal(in->size, size);
    uint8_t tail[8];
    CHECK(ts_input_read_at(in, size - 8, tail, 8, &e), e);
    for (size_t i = 0; i < 8; i++) assert_int_equal(tail[i], pattern(size - 8 + i));
    uint8_t foot[4000];
    CHECK(ts_input_read_at(in, size - 8 - sizeof foot, foot, sizeof foot, &e), e);
    for (size_t i = 0; i < sizeof foot; i++) assert_int_equal(foot[i], pattern(size - 8 - sizeof foot + i));
    size_t big = (size_t)3 << 20;
    uint8_t *chunkbuf = ts_malloc(big);
    CHECK(ts_input_read_at(in, 1000, chunkbuf, big, &e), e);
    for (size_t i = 0; i < big; i += 4099) assert_int_equal(chunkbuf[i], pattern(1000 + i));
    uint8_t small[100];
    CHECK(ts_input_read_at(in, 7, small, sizeof small, &e), e);
    for (size_t i = 0; i < sizeof small; i++) assert_int_equal(small[i], pattern(7 + i));
    ts_err_clear(&e);
    assert_int_equal(ts_input_read_at(in, size - 4, small, 8, &e), TS_ERR_CORRUPT);
    ts_free(chunkbuf);
    ts_input_close(in);
    ts_free(buf);

    /* streamed into an output */
    ts_output *mo;
    CHECK(ts_output_mem(&mo, &e), e);
    CHECK(arc_storage_get_to(store, key, mo, &e), e);
    size_t ml;
    const uint8_t *md = ts_output_mem_data(mo, &ml);
    assert_int_equal(ml, size);
    ts_sha256_once(md, ml, got);
    assert_memory_equal(got, want, 32);
    ts_output_close(mo);
}

static void test_object_lock(void **state)
{
    (void)state;
    if (!live || !getenv("TSARCHIVE_TEST_OBJECT_LOCK")) skip();
    const char *lb = "tsa-locked";
    ts_error e;
    ts_err_clear(&e);
    CHECK(s3_create_bucket(client, lb, true, &e), e);
    char root[128];
    snprintf(root, sizeof root, "s3://%s/%s", lb, prefix);
    arc_storage *ls;
    CHECK(arc_storage_open(root, client, &ls, &e), e);
    CHECK(arc_storage_set_object_lock(ls, "COMPLIANCE", "2033-01-01T00:00:00Z", &e), e);
    const char *keys[] = {"lock/small.parquet", "lock/big.parquet"};
    size_t sizes[] = {100, cfg.s3_part_size + 100};
    uint8_t *buf = ts_calloc(1, sizes[1]);
    assert_non_null(buf);
    for (int i = 0; i < 2; i++) {
        ts_output *o;
        CHECK(arc_storage_create(ls, keys[i], &o, &e), e);
        CHECK(ts_output_write(o, buf, sizes[i], &e), e);
        CHECK(ts_output_commit(o, &e), e);
        ts_output_close(o);
        arc_object_info info;
        CHECK(arc_storage_head(ls, keys[i], &info, &e), e);
        printf("%s: lock %s until %s\n", keys[i], info.lock_mode, info.lock_until);
        assert_string_equal(info.lock_mode, "COMPLIANCE");
        assert_non_null(strstr(info.lock_until, "2033-01-01"));
        assert_int_equal(info.size, sizes[i]);
    }
    ts_free(buf);
    arc_storage_free(ls);
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    if (!live) skip();
    ts_error e;
    ts_err_clear(&e);
    size_t n = cfg.s3_part_size + 4096; /* forces a multipart upload with one part sent */
    uint8_t *buf = ts_calloc(1, n);
    assert_non_null(buf);
    ts_output *o;
    CHECK(arc_storage_create(store, "aborted/big.bin", &o, &e), e);
    CHECK(ts_output_write(o, buf, n, &e), e);
    ts_output_abort(o);
    ts_output_close(o);
    CHECK(arc_storage_create(store, "aborted/small.bin", &o, &e), e);
    CHECK(ts_output_write(o, buf, 10, &e), e);
    ts_output_close(o); /* close without commit = abort */
    ts_free(buf);
    if (!quirks) {
        listing l = {0};
        CHECK(arc_storage_list(store, "aborted/", arc_collect, &l, &e), e);
        assert_int_equal(l.n, 0);
    }
    arc_object_info info;
    ts_err_clear(&e);
    assert_int_equal(arc_storage_head(store, "aborted/big.bin", &info, &e), TS_ERR_NOT_FOUND);
}

static void test_list_paging_and_delimiter(void **state)
{
    (void)state;
    if (!live || quirks) skip();
    ts_error e;
    ts_err_clear(&e);
    char key[300];
    for (int i = 0; i < 23; i++) {
        snprintf(key, sizeof key, "%s/page/%s/k%02d", prefix, i % 2 ? "odd" : "even", i);
        CHECK(s3_put_object(client, bucket, key, (const uint8_t *)"x", 1, NULL, NULL, &e), e);
    }
    char p[200];
    snprintf(p, sizeof p, "%s/page/", prefix);
    listing l = {0};
    CHECK(s3_list_objects(client, bucket, p, NULL, 5, s3_collect, &l, &e), e);
    assert_int_equal(l.n, 23);
    assert_int_equal(l.total, 23);
    listing d = {0};
    CHECK(s3_list_objects(client, bucket, p, "/", 1, s3_collect, &d, &e), e);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.prefixes, 2);
    listing a = {0};
    CHECK(arc_storage_list(store, "page/odd/", arc_collect, &a, &e), e);
    assert_int_equal(a.n, 11);
    assert_string_equal(a.first, "page/odd/k01");
    assert_string_equal(a.last, "page/odd/k21");
}

static void test_delete_and_not_found_messages(void **state)
{
    (void)state;
    if (!live) skip();
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    CHECK(arc_storage_create(store, "del/me.txt", &o, &e), e);
    CHECK(ts_output_write(o, "bye", 3, &e), e);
    CHECK(ts_output_commit(o, &e), e);
    ts_output_close(o);
    CHECK(arc_storage_delete(store, "del/me.txt", &e), e);
    CHECK(arc_storage_delete(store, "del/me.txt", &e), e); /* already gone: fine */
    arc_object_info info;
    assert_int_equal(arc_storage_head(store, "del/me.txt", &info, &e), TS_ERR_NOT_FOUND);
    ts_err_clear(&e);
    ts_buf b;
    ts_buf_init(&b, 1024);
    assert_int_equal(arc_storage_read_all(store, "del/me.txt", &b, 1024, &e), TS_ERR_NOT_FOUND);
    printf("message: %s\n", e.msg);
    char want[300];
    snprintf(want, sizeof want, "s3://%s/%s/del/me.txt: NoSuchKey", bucket, prefix);
    assert_non_null(strstr(e.msg, want));
    ts_buf_free(&b);
    ts_err_clear(&e);
    assert_int_equal(s3_head_bucket(client, "tsa-no-such-bucket-x", &e), TS_ERR_NOT_FOUND);
}

static void test_retries_honour_retry_after(void **state)
{
    (void)state;
    if (!live || !getenv("TSARCHIVE_TEST_FLAKY")) skip();
    /* tests/aws/test_s3_storage.py puts a fault-injecting proxy in front of
     * the server; each refused request must be retried, after the
     * Retry-After it was given. */
    uint64_t before = aws_client_retries(client);
    int64_t t0 = ts_mono_ns();
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    CHECK(arc_storage_create(store, "flaky/obj.txt", &o, &e), e);
    CHECK(ts_output_write(o, "ok", 2, &e), e);
    CHECK(ts_output_commit(o, &e), e);
    ts_output_close(o);
    int64_t ms = (ts_mono_ns() - t0) / 1000000;
    uint64_t retries = aws_client_retries(client) - before;
    printf("retries during put: %llu in %lld ms (total %llu)\n", (unsigned long long)retries,
           (long long)ms, (unsigned long long)aws_client_retries(client));
    /* the proxy refuses the first three requests for flaky/ keys: two 503
     * with Retry-After: 1, then a dropped connection */
    assert_true(retries >= 3);
    assert_true(ms >= 1900);
    ts_buf b;
    ts_buf_init(&b, 1024);
    CHECK(arc_storage_read_all(store, "flaky/obj.txt", &b, 1024, &e), e);
    assert_int_equal(b.len, 2);
    ts_buf_free(&b);
}

static void test_wrong_secret_refused_without_leaking(void **state)
{
    (void)state;
    if (!live || !getenv("TSARCHIVE_TEST_AUTH_CHECKED")) skip();
    aws_config bad = cfg;
    bad.cred.secret_access_key = "WRONGsecretVALUEdoNotLeak";
    aws_client *c;
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_client_new(&bad, &c, &e), e);
    ts_err_clear(&e);
    ts_status st = s3_put_object(c, bucket, "auth/x", (const uint8_t *)"x", 1, NULL, NULL, &e);
    char m[2048];
    ts_err_format(&e, m, sizeof m);
    printf("message: %s\n", m);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_non_null(strstr(m, "SignatureDoesNotMatch"));
    assert_null(strstr(m, "WRONGsecret"));
    assert_null(strstr(m, cfg.cred.secret_access_key));
    aws_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_put_with_equals_key),
        cmocka_unit_test(test_listed_back_exactly),
        cmocka_unit_test(test_multipart_put_ranges_and_input),
        cmocka_unit_test(test_object_lock),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_list_paging_and_delimiter),
        cmocka_unit_test(test_delete_and_not_found_messages),
        cmocka_unit_test(test_retries_honour_retry_after),
        cmocka_unit_test(test_wrong_secret_refused_without_leaking),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
