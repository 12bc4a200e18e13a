/* Timestream Query pages → batches: every scalar type, NULL, exact ns
 * TIMESTAMPs (incl. before 1970), time_ns, and clear refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws_timestream.h"
#include "core/ts_time.h"

static const char *PAGE =
    "{\"QueryId\":\"q1\",\"NextToken\":\"tok2\","
    "\"ColumnInfo\":["
    "{\"Name\":\"time\",\"Type\":{\"ScalarType\":\"TIMESTAMP\"}},"
    "{\"Name\":\"host\",\"Type\":{\"ScalarType\":\"VARCHAR\"}},"
    "{\"Name\":\"measure_name\",\"Type\":{\"ScalarType\":\"VARCHAR\"}},"
    "{\"Name\":\"d\",\"Type\":{\"ScalarType\":\"DOUBLE\"}},"
    "{\"Name\":\"b\",\"Type\":{\"ScalarType\":\"BIGINT\"}},"
    "{\"Name\":\"i\",\"Type\":{\"ScalarType\":\"INTEGER\"}},"
    "{\"Name\":\"ok\",\"Type\":{\"ScalarType\":\"BOOLEAN\"}},"
    "{\"Name\":\"ts\",\"Type\":{\"ScalarType\":\"TIMESTAMP\"}},"
    "{\"Name\":\"day\",\"Type\":{\"ScalarType\":\"DATE\"}}],"
    "\"Rows\":["
    "{\"Data\":[{\"ScalarValue\":\"2024-01-31 23:59:59.123456789\"},{\"ScalarValue\":\"h1\"},"
    "{\"ScalarValue\":\"m\"},{\"ScalarValue\":\"0.66\"},{\"ScalarValue\":\"-9223372036854775808\"},"
    "{\"ScalarValue\":\"42\"},{\"ScalarValue\":\"true\"},"
    "{\"ScalarValue\":\"1969-12-31 23:59:59.999999999\"},{\"ScalarValue\":\"2024-01-31\"}]},"
    "{\"Data\":[{\"ScalarValue\":\"1677-09-21 00:12:43.145224192\"},{\"NullValue\":true},"
    "{\"ScalarValue\":\"m\"},{\"NullValue\":true},{\"NullValue\":true},{\"NullValue\":true},"
    "{\"ScalarValue\":\"false\"},{\"NullValue\":true},{\"NullValue\":true}]},"
    "{\"Data\":[{\"ScalarValue\":\"2262-04-11 23:47:16.854775807\"},{\"ScalarValue\":\"h\\u00e9\\\"x\"},"
    "{\"ScalarValue\":\"m\"},{\"ScalarValue\":\"NaN\"},{\"ScalarValue\":\"9223372036854775807\"},"
    "{\"ScalarValue\":\"-2147483648\"},{\"NullValue\":true},"
    "{\"ScalarValue\":\"2024-02-29 00:00:00.000000000\"},{\"ScalarValue\":\"1970-01-01\"}]}]}";

static void schema_for(ts_schema *s)
{
    ts_schema_init(s);
    assert_int_equal(ts_schema_add(s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(s, "time_ns", TS_TYPE_INT64, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(s, "host", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "measure_name", TS_TYPE_STRING, TS_ROLE_MEASURE_NAME, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "d", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "b", TS_TYPE_INT64, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "i", TS_TYPE_INT64, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "ok", TS_TYPE_BOOL, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "ts", TS_TYPE_TIMESTAMP, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_schema_add(s, "day", TS_TYPE_STRING, TS_ROLE_MEASURE, true), TS_OK);
}

static const long MAP[9] = {0, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_every_type(void **state)
{
    (void)state;
    aws_ts_page p;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse(PAGE, strlen(PAGE), &p, &e), TS_OK);
    assert_int_equal(p.ncols, 9);
    assert_int_equal(p.nrows, 3);
    assert_string_equal(p.next_token, "tok2");
    assert_int_equal(p.types[5], AWS_TS_INTEGER);
    ts_schema s;
    schema_for(&s);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 2), TS_OK);
    size_t row = 0;
    /* capacity 2: the page continues in a second batch */
    assert_int_equal(aws_ts_page_append(&p, &row, &b, MAP, 0, 1, &e), TS_OK);
    assert_int_equal(row, 2);
    assert_int_equal(b.nrows, 2);
    assert_int_equal(b.cols[0].v.i64[0], 1706745599123456789);
    assert_int_equal(b.cols[1].v.i64[0], 1706745599123456789);
    assert_true(ts_batch_valid(&b, 2, 0));
    assert_int_equal(b.cols[2].v.str[0].len, 2);
    assert_memory_equal(b.cols[2].v.str[0].ptr, "h1", 2);
    assert_true(b.cols[4].v.f64[0] == 0.66);
    assert_int_equal(b.cols[5].v.i64[0], INT64_MIN);
    assert_int_equal(b.cols[6].v.i64[0], 42);
    assert_int_equal(b.cols[7].v.b8[0], 1);
    assert_int_equal(b.cols[8].v.i64[0], -1);
    assert_memory_equal(b.cols[9].v.str[0].ptr, "2024-01-31", 10);
    /* row 1: NULLs, and the earliest instant Timestream can hold */
    assert_int_equal(b.cols[0].v.i64[1], INT64_MIN); /* 1677-09-21 00:12:43.145224192 */
    for (int c = 2; c <= 9; c++)
        if (c != 3 && c != 7) assert_false(ts_batch_valid(&b, (size_t)c, 1));
    assert_int_equal(b.cols[7].v.b8[1], 0);
    ts_batch_reset(&b);
    assert_int_equal(aws_ts_page_append(&p, &row, &b, MAP, 0, 1, &e), TS_OK);
    assert_int_equal(row, 3);
    assert_int_equal(b.nrows, 1);
    assert_int_equal(b.cols[0].v.i64[0], INT64_MAX);
    assert_memory_equal(b.cols[2].v.str[0].ptr, "h\xc3\xa9\"x", 5);
    assert_true(isnan(b.cols[4].v.f64[0]));
    assert_int_equal(b.cols[5].v.i64[0], INT64_MAX);
    assert_int_equal(b.cols[6].v.i64[0], INT32_MIN);
    assert_false(ts_batch_valid(&b, 7, 0));
    ts_batch_free(&b);
    ts_schema_free(&s);
    aws_ts_page_free(&p);
}

static void expect_append_error(const char *value, const char *type, ts_type bt, ts_status code,
                                const char *needle)
{
    char page[1024];
    snprintf(page, sizeof page,
             "{\"ColumnInfo\":[{\"Name\":\"v\",\"Type\":{\"ScalarType\":\"%s\"}}],"
             "\"Rows\":[{\"Data\":[%s]}]}",
             type, value);
    aws_ts_page p;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse(page, strlen(page), &p, &e), TS_OK);
    ts_schema s;
    ts_schema_init(&s);
    assert_int_equal(ts_schema_add(&s, "v", bt, TS_ROLE_MEASURE, true), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &s, 4), TS_OK);
    size_t row = 0;
    long map[1] = {0};
    ts_status st = aws_ts_page_append(&p, &row, &b, map, -1, -1, &e);
    if (st != code || !strstr(e.msg, needle))
        fprintf(stderr, "%s %s: got %s: %s\n", type, value, ts_status_name(st), e.msg);
    assert_int_equal(st, code);
    assert_non_null(strstr(e.msg, needle));
    ts_batch_free(&b);
    ts_schema_free(&s);
    aws_ts_page_free(&p);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_append_error("{\"ScalarValue\":\"12x\"}", "BIGINT", TS_TYPE_INT64, TS_ERR_CORRUPT, "not an integer");
    expect_append_error("{\"ScalarValue\":\"9223372036854775808\"}", "BIGINT", TS_TYPE_INT64, TS_ERR_CORRUPT, "not an integer");
    expect_append_error("{\"ScalarValue\":\"\"}", "BIGINT", TS_TYPE_INT64, TS_ERR_CORRUPT, "not an integer");
    expect_append_error("{\"ScalarValue\":\"2147483648\"}", "INTEGER", TS_TYPE_INT64, TS_ERR_CORRUPT, "out of range");
    expect_append_error("{\"ScalarValue\":\"0x10\"}", "DOUBLE", TS_TYPE_DOUBLE, TS_ERR_CORRUPT, "not a number");
    expect_append_error("{\"ScalarValue\":\"yes\"}", "BOOLEAN", TS_TYPE_BOOL, TS_ERR_CORRUPT, "true/false");
    expect_append_error("{\"ScalarValue\":\"2024-13-01 00:00:00\"}", "TIMESTAMP", TS_TYPE_TIMESTAMP, TS_ERR_CORRUPT, "not a time");
    expect_append_error("{\"ScalarValue\":\"2262-04-11 23:47:16.854775808\"}", "TIMESTAMP", TS_TYPE_TIMESTAMP, TS_ERR_CORRUPT, "not a time");
    expect_append_error("{\"ScalarValue\":1}", "BIGINT", TS_TYPE_INT64, TS_ERR_CORRUPT, "neither");
    expect_append_error("{\"ArrayValue\":[]}", "BIGINT", TS_TYPE_INT64, TS_ERR_UNSUPPORTED, "non-scalar");
    expect_append_error("{\"ScalarValue\":\"1\"}", "BIGINT", TS_TYPE_DOUBLE, TS_ERR_MISMATCH, "arrived as BIGINT");
    expect_append_error("{\"ScalarValue\":\"1\"}, {\"ScalarValue\":\"2\"}", "BIGINT", TS_TYPE_INT64, TS_ERR_CORRUPT, "2 values for 1 columns");
}

static void test_page_shapes(void **state)
{
    (void)state;
    aws_ts_page p;
    ts_error e;
    ts_err_clear(&e);
    /* an empty page with a token is normal */
    const char *empty = "{\"QueryId\":\"q\",\"NextToken\":\"t\",\"Rows\":[]}";
    assert_int_equal(aws_ts_page_parse(empty, strlen(empty), &p, &e), TS_OK);
    assert_int_equal(p.nrows, 0);
    assert_int_equal(p.ncols, 0);
    assert_string_equal(p.next_token, "t");
    aws_ts_page_free(&p);
    /* last page: no token */
    const char *last = "{\"Rows\":[],\"ColumnInfo\":[]}";
    assert_int_equal(aws_ts_page_parse(last, strlen(last), &p, &e), TS_OK);
    assert_null(p.next_token);
    aws_ts_page_free(&p);
    /* arrays, rows and time series are refused, naming the column */
    const char *arr = "{\"ColumnInfo\":[{\"Name\":\"vals\",\"Type\":{\"ArrayColumnInfo\":{\"Type\":{\"ScalarType\":\"DOUBLE\"}}}}],\"Rows\":[]}";
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse(arr, strlen(arr), &p, &e), TS_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "\"vals\" has a array type"));
    const char *tsv = "{\"ColumnInfo\":[{\"Name\":\"series\",\"Type\":{\"TimeSeriesMeasureValueColumnInfo\":{}}}],\"Rows\":[]}";
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse(tsv, strlen(tsv), &p, &e), TS_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "\"series\" has a timeseries type"));
    const char *rows_no_ci = "{\"Rows\":[{\"Data\":[]}]}";
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse(rows_no_ci, strlen(rows_no_ci), &p, &e), TS_ERR_CORRUPT);
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse("[1]", 3, &p, &e), TS_ERR_CORRUPT);
    ts_err_clear(&e);
    assert_int_equal(aws_ts_page_parse("{\"Rows\":", 8, &p, &e), TS_ERR_CORRUPT);
}

static void test_scalar_names(void **state)
{
    (void)state;
    aws_ts_scalar t;
    assert_true(aws_ts_scalar_parse("varchar", &t));
    assert_int_equal(t, AWS_TS_VARCHAR);
    assert_true(aws_ts_scalar_parse("INTERVAL_DAY_TO_SECOND", &t));
    assert_int_equal(aws_ts_scalar_type(t), TS_TYPE_STRING);
    assert_false(aws_ts_scalar_parse("JSON", &t));
    assert_string_equal(aws_ts_scalar_name(AWS_TS_BIGINT), "BIGINT");
    char q[64];
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_ts_quote_ident("a\"b", q, sizeof q, &e), TS_OK);
    assert_string_equal(q, "\"a\"\"b\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_page_shapes),
        cmocka_unit_test(test_scalar_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
