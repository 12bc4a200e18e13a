/* Core: errors, buffers with caps, arena, batch, time parsing/formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_arena.h"
#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"
#include "core/ts_time.h"

static void test_error_first_message_wins(void **state)
{
    (void)state;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(ts_err_set(&e, TS_ERR_CORRUPT, "bad page %d", 3), TS_ERR_CORRUPT);
    assert_int_equal(ts_err_set(&e, TS_ERR_IO, "outer"), TS_ERR_CORRUPT);
    ts_err_context(&e, "column %s", "time");
    ts_err_context(&e, "file %s", "a.parquet");
    char out[256];
    ts_err_format(&e, out, sizeof out);
    assert_string_equal(out, "file a.parquet: column time: bad page 3");
}

static void test_buf_cap(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 10);
    assert_int_equal(ts_buf_append(&b, "0123456789", 10), TS_OK);
    assert_int_equal(ts_buf_append(&b, "x", 1), TS_ERR_LIMIT);
    assert_int_equal(ts_buf_nul(&b), TS_OK);
    assert_string_equal((char *)b.data, "0123456789");
    ts_buf_free(&b);
}

static void test_arena(void **state)
{
    (void)state;
    ts_arena a;
    ts_arena_init(&a, 64);
    char *s1 = ts_arena_strndup(&a, "hello", 5);
    char *big = ts_arena_alloc(&a, 1000);
    char *s2 = ts_arena_strndup(&a, "world", 5);
    assert_non_null(big);
    memset(big, 'x', 1000);
    assert_string_equal(s1, "hello");
    assert_string_equal(s2, "world");
    ts_arena_reset(&a);
    assert_non_null(ts_arena_alloc(&a, 10));
    ts_arena_free(&a);
}

static void test_alloc_accounting_and_failure(void **state)
{
    (void)state;
    size_t before = ts_alloc_current();
    void *p = ts_malloc(1000);
    assert_true(ts_alloc_current() == before + 1000);
    p = ts_realloc(p, 3000);
    assert_true(ts_alloc_current() == before + 3000);
    ts_free(p);
    assert_true(ts_alloc_current() == before);
    ts_alloc_fail_after(2);
    void *a = ts_malloc(8);
    void *b = ts_malloc(8);
    assert_non_null(a);
    assert_null(b);
    ts_free(a);
}

static void test_batch(void **state)
{
    (void)state;
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&s, "region", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&s, "mw", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_find(&s, "mw"), 2);
    assert_int_equal(ts_schema_find(&s, "nope"), -1);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 16), TS_OK);
    ts_batch_set_i64(&b, 0, 0, -5);
    assert_int_equal(ts_batch_set_str(&b, 1, 0, "north", 5), TS_OK);
    ts_batch_set_null(&b, 2, 0);
    b.nrows = 1;
    assert_true(ts_batch_valid(&b, 0, 0));
    assert_true(ts_batch_valid(&b, 1, 0));
    assert_false(ts_batch_valid(&b, 2, 0));
    assert_int_equal(b.cols[2].null_count, 1);
    assert_memory_equal(b.cols[1].v.str[0].ptr, "north", 5);
    ts_batch_reset(&b);
    assert_int_equal(b.nrows, 0);
    assert_false(ts_batch_valid(&b, 0, 0));
    ts_batch_free(&b);
    ts_schema_free(&s);
}

static void check_roundtrip(const char *text, int64_t ns)
{
    int64_t got = 0;
    assert_true(ts_time_parse(text, strlen(text), &got));
    assert_true(got == ns);
    char out[TS_TIME_STR_MAX];
    ts_time_format(ns, out);
    int64_t back = 0;
    assert_true(ts_time_parse(out, strlen(out), &back));
    assert_true(back == ns);
}

static void test_time(void **state)
{
    (void)state;
    check_roundtrip("1970-01-01T00:00:00Z", 0);
    check_roundtrip("1969-12-31T23:59:59.999999999Z", -1);
    check_roundtrip("2024-02-29 12:00:00.000000001", INT64_C(1709208000000000001));
    check_roundtrip("2024-01-01T01:00:00+01:00", INT64_C(1704067200000000000));
    check_roundtrip("2262-04-11T23:47:16.854775807Z", INT64_MAX);
    check_roundtrip("1677-09-21T00:12:43.145224192Z", INT64_MIN);
    char out[TS_TIME_STR_MAX];
    ts_time_format(INT64_C(1704067200123456789), out);
    assert_string_equal(out, "2024-01-01T00:00:00.123456789Z");
    ts_time_format_timestream(INT64_C(1704067200123456789), out);
    assert_string_equal(out, "2024-01-01 00:00:00.123456789");
    int64_t v;
    assert_false(ts_time_parse("2262-04-11T23:47:16.854775808Z", 30, &v));
    assert_false(ts_time_parse("2023-02-30T00:00:00Z", 20, &v));
    assert_false(ts_time_parse("2023-01-01T00:00:00.0000000001Z", 31, &v));
    assert_false(ts_time_parse("2023-01-01x", 11, &v));
    assert_true(ts_time_parse("2023-01-01", 10, &v));
    assert_int_equal(ts_time_to_epoch(-1, TS_EPOCH_US), -1);
    assert_int_equal(ts_time_to_epoch(1999, TS_EPOCH_US), 1);
    assert_true(ts_time_from_epoch(1700000000, TS_EPOCH_S, &v));
    assert_false(ts_time_from_epoch(INT64_MAX / 10, TS_EPOCH_S, &v));
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(ts_days_from_civil(-44, 3, 15), &y, &m, &d);
    assert_true(y == -44 && m == 3 && d == 15);
}


/* The atomic file output takes large page-aligned writes with O_DIRECT and
 * everything else buffered, switching back and forth (and staying buffered
 * where the file system refuses direct writes, as tmpfs may): whatever the
 * mix, the file holds exactly the bytes written, only after commit. */
static void check_direct_mix(const char *base)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tsa-direct-XXXXXX", base);
    if (!mkdtemp(dir)) return; /* no such file system here */
    char path[4200];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    const size_t MB = (size_t)1 << 20;
    uint8_t *buf;
    assert_int_equal(posix_memalign((void **)&buf, 4096, 3 * MB), 0);
    for (size_t i = 0; i < 3 * MB; i++) buf[i] = (uint8_t)(i * 131 + i / 4099);
    /* aligned 1 MiB, aligned 2 MiB, 100 unaligned bytes, then an aligned
     * buffer at an unaligned offset, then 1 MiB from an unaligned address */
    const struct { size_t off, len; } w[] = {{0, MB}, {0, 2 * MB}, {5, 100}, {0, MB}, {1, MB}};
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    assert_int_equal(ts_output_file_atomic(path, &o, &e), TS_OK);
    size_t total = 0;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        assert_int_equal(ts_output_write(o, buf + w[i].off, w[i].len, &e), TS_OK);
        total += w[i].len;
    }
    assert_int_equal(o->written, total);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(ts_output_commit(o, &e), TS_OK);
    ts_output_close(o);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *got = malloc(total + 1);
    assert_int_equal(fread(got, 1, total + 1, f), total);
    fclose(f);
    size_t at = 0;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        assert_memory_equal(got + at, buf + w[i].off, w[i].len);
        at += w[i].len;
    }
    free(got);
    free(buf);
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* no temp file left behind */
}

static void test_file_output_direct_and_buffered(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    check_direct_mix(t && *t ? t : "/tmp");
    check_direct_mix("/dev/shm");
}

static void test_sha256_crc(void **state)
{
    (void)state;
    uint8_t d[TS_SHA256_LEN];
    char hex[TS_SHA256_HEX_LEN];
    ts_sha256_once("abc", 3, d);
    ts_hex(d, sizeof d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ts_sha256 *h = ts_sha256_new();
    ts_sha256_update(h, "a", 1);
    ts_sha256_update(h, "bc", 2);
    uint8_t d2[TS_SHA256_LEN];
    ts_sha256_final(h, d2);
    ts_sha256_free(h);
    assert_memory_equal(d, d2, sizeof d);
    assert_true(ts_crc32(0, "123456789", 9) == 0xCBF43926u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_first_message_wins),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_alloc_accounting_and_failure),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_sha256_crc),
        cmocka_unit_test(test_file_output_direct_and_buffered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
