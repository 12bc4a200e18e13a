/* JSON Lines: the writer's exact text (key order, times, NULLs, numbers,
 * NaN/Infinity, escapes), the reader's inference, --schema, table key and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt_test_util.h"

static void test_writer_text(void **state)
{
    (void)state;
    const char *lp = "m,tag=a\\ b i=-9223372036854775808i,f=1,g=0.1,s=\"q\\\"\\\\\tctl\",b=true -1\n";
    conv_result r = conv(FMT_LP, "w.lp", lp, NULL, FMT_JSONL, NULL);
    assert_conv_out(r, "{\"time\":\"1969-12-31T23:59:59.999999999Z\",\"tag\":\"a b\",\"b\":true,\"f\":1.0,"
                       "\"g\":0.1,\"i\":-9223372036854775808,\"s\":\"q\\\"\\\\\\tctl\"}\n");
    conv_free(&r);
}

static void test_reader_inference_and_round_trip(void **state)
{
    (void)state;
    const char *in = "{\"time\":\"2024-01-01T00:00:00.000000001Z\",\"region\":\"n\",\"v\":1,\"d\":2.5,\"ok\":true,\"at\":\"2024-01-02 03:04:05\"}\n"
                     "\n"
                     "{\"region\":null,\"time\":\"2024-01-01T00:00:00.000000002Z\",\"v\":-3,\"d\":\"Infinity\",\"ok\":false}\n";
    conv_result r = conv(FMT_JSONL, "r.jsonl", in, NULL, FMT_JSONL, NULL);
    assert_conv_out(r, "{\"time\":\"2024-01-01T00:00:00.000000001Z\",\"region\":\"n\",\"v\":1,\"d\":2.5,\"ok\":true,\"at\":\"2024-01-02T03:04:05.000000000Z\"}\n"
                       "{\"time\":\"2024-01-01T00:00:00.000000002Z\",\"region\":null,\"v\":-3,\"d\":\"Infinity\",\"ok\":false,\"at\":null}\n");
    /* reading our own output gives the same text */
    conv_result again = conv(FMT_JSONL, "r2.jsonl", r.out, NULL, FMT_JSONL, NULL);
    assert_conv_out(again, r.out);
    conv_free(&again);
    conv_free(&r);
}

static void test_reader_errors(void **state)
{
    (void)state;
    conv_result r = conv(FMT_JSONL, "e.jsonl", "{\"time\":\"2024-01-01T00:00:00Z\",\"v\":1}\n{\"v\":2,}\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "e.jsonl:2:");
    assert_non_null(strstr(r.msg, "invalid JSON"));
    conv_free(&r);
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.infer_rows = 1;
    r = conv(FMT_JSONL, "e.jsonl", "{\"time\":\"2024-01-01T00:00:00Z\",\"v\":1}\n{\"time\":\"2024-01-01T00:00:00Z\",\"w\":2}\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "e.jsonl:2: key 'w' did not appear in the first 1 rows");
    conv_free(&r);
    r = conv(FMT_JSONL, "e.jsonl", "{\"time\":\"2024-01-01T00:00:00Z\",\"v\":1}\n{\"time\":\"2024-01-01T00:00:00Z\",\"v\":1.5}\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "e.jsonl:2: key 'v': 1.5 is not int64 (type inferred from the first rows; pass --schema)");
    conv_free(&r);
    r = conv(FMT_JSONL, "e.jsonl", "{\"time\":\"2024-01-01T00:00:00Z\",\"v\":1}\n{\"time\":\"2024-01-01T00:00:00Z\",\"v\":\"x\"}\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "key 'v' mixes value types");
    conv_free(&r);
    r = conv(FMT_JSONL, "e.jsonl", "[1,2]\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "no rows to take keys from");
    conv_free(&r);
    r = conv(FMT_JSONL, "e.jsonl", "{\"time\":1700000000}\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "--time-format");
    conv_free(&r);
    ro.time_format = FMT_TIME_EPOCH_S;
    r = conv(FMT_JSONL, "e.jsonl", "{\"time\":1700000000,\"v\":1}\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n2023-11-14T22:13:20.000000000Z,1\n");
    conv_free(&r);
}

static void test_table_key(void **state)
{
    (void)state;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.table_key = "_measurement";
    const char *in = "{\"_measurement\":\"cpu\",\"time\":\"1970-01-01T00:00:00.000000001Z\",\"v\":1.5}\n"
                     "{\"_measurement\":\"cpu\",\"time\":\"1970-01-01T00:00:00.000000002Z\",\"v\":2.5}\n"
                     "{\"_measurement\":\"mem\",\"time\":\"1970-01-01T00:00:00.000000003Z\",\"v\":3.5}\n";
    conv_result r = conv(FMT_JSONL, "k.jsonl", in, &ro, FMT_LP, NULL);
    assert_conv_out(r, "cpu v=1.5 1\ncpu v=2.5 2\nmem v=3.5 3\n");
    conv_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_text),
        cmocka_unit_test(test_reader_inference_and_round_trip),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_table_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
