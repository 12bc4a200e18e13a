/* Write batches: limits by lines and bytes, the line → archive row map,
 * slicing for bisection, and gzip bodies that round-trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "influx/influx.h"

static void fill(influx_batch *b, size_t n, size_t max_lines, size_t max_bytes, size_t *cut_at)
{
    ts_error e;
    ts_err_clear(&e);
    *cut_at = 0;
    for (size_t i = 0; i < n; i++) {
        char line[64];
        int len = snprintf(line, sizeof line, "m,t=a f=%zui %zu", i, 1000 + i);
        if (!influx_batch_fits(b, (size_t)len, max_lines, max_bytes)) {
            *cut_at = i;
            return;
        }
        influx_rowref r = {.file = 7, .row = 100 + i};
        assert_int_equal(influx_batch_add(b, line, (size_t)len, r, &e), TS_OK);
    }
}

static void test_limits_lines(void **state)
{
    (void)state;
    influx_batch b;
    influx_batch_init(&b);
    size_t cut;
    fill(&b, 100, 10, 0, &cut);
    assert_int_equal(cut, 10);
    assert_int_equal(b.nlines, 10);
    size_t len;
    const char *l = influx_batch_line(&b, 3, &len);
    assert_int_equal(len, strlen("m,t=a f=3i 1003"));
    assert_memory_equal(l, "m,t=a f=3i 1003", len);
    assert_int_equal(b.refs[3].file, 7);
    assert_int_equal(b.refs[3].row, 103);
    assert_int_equal(b.body.data[b.body.len - 1], '\n');
    influx_batch_free(&b);
}

static void test_limits_bytes(void **state)
{
    (void)state;
    influx_batch b;
    influx_batch_init(&b);
    size_t cut;
    /* each line "m,t=a f=Ni 100N" is 15 bytes + '\n' for N < 10 */
    fill(&b, 100, 0, 50, &cut);
    assert_int_equal(cut, 3);   /* 3 * 16 = 48 <= 50; a 4th would be 64 */
    assert_int_equal(b.body.len, 48);
    influx_batch_reset(&b);
    /* an empty batch takes an oversized line anyway (sent alone) */
    assert_true(influx_batch_fits(&b, 1000, 5, 10));
    influx_batch_free(&b);
}

static void test_slice(void **state)
{
    (void)state;
    influx_batch b, s;
    influx_batch_init(&b);
    influx_batch_init(&s);
    size_t cut;
    fill(&b, 20, 0, 0, &cut);
    b.seq = 42;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(influx_batch_slice(&b, 5, 9, &s, &e), TS_OK);
    assert_int_equal(s.nlines, 4);
    assert_int_equal(s.seq, 42);
    assert_int_equal(s.refs[0].row, 105);
    size_t len;
    const char *l = influx_batch_line(&s, 3, &len);
    assert_memory_equal(l, "m,t=a f=8i 1008", len);
    influx_batch_free(&b);
    influx_batch_free(&s);
}

static void test_gzip_round_trip(void **state)
{
    (void)state;
    influx_batch b;
    influx_batch_init(&b);
    size_t cut;
    fill(&b, 5000, 0, 0, &cut);
    ts_buf gz, back;
    ts_buf_init(&gz, (size_t)1 << 26);
    ts_buf_init(&back, (size_t)1 << 26);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(influx_gzip(b.body.data, b.body.len, 1, &gz, &e), TS_OK);
    assert_true(gz.len < b.body.len / 3);
    assert_int_equal(gz.data[0], 0x1f); /* gzip magic */
    assert_int_equal(gz.data[1], 0x8b);
    assert_int_equal(influx_gunzip(gz.data, gz.len, &back, &e), TS_OK);
    assert_int_equal(back.len, b.body.len);
    assert_memory_equal(back.data, b.body.data, b.body.len);
    /* empty body, and a corrupt stream is an error, not a crash */
    assert_int_equal(influx_gzip("", 0, 6, &gz, &e), TS_OK);
    assert_int_equal(influx_gunzip(gz.data, gz.len, &back, &e), TS_OK);
    assert_int_equal(back.len, 0);
    uint8_t junk[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff};
    ts_err_clear(&e);
    assert_int_not_equal(influx_gunzip(junk, sizeof junk, &back, &e), TS_OK);
    /* capped output */
    ts_buf small;
    ts_buf_init(&small, 100);
    ts_err_clear(&e);
    assert_int_equal(influx_gzip(b.body.data, b.body.len, 9, &gz, &e), TS_OK);
    assert_int_equal(influx_gunzip(gz.data, gz.len, &small, &e), TS_ERR_LIMIT);
    ts_buf_free(&small);
    ts_buf_free(&gz);
    ts_buf_free(&back);
    influx_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_lines),
        cmocka_unit_test(test_limits_bytes),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_gzip_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
