/* CSV: RFC 4180 quoting, CRLF, embedded newlines, NULL vs empty string,
 * --schema syntax, type inference and its failure, time formats, writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt_test_util.h"

static void test_quoting_crlf_newlines(void **state)
{
    (void)state;
    const char *in = "time,\"na,me\",v\r\n"
                     "2024-01-01T00:00:00Z,\"a,b\",1\r\n"
                     "2024-01-01T00:00:01Z,\"two\r\nlines \"\"q\"\"\",2\r\n"
                     "\r\n"
                     "2024-01-01T00:00:02Z,plain,3";
    conv_result r = conv(FMT_CSV, "q.csv", in, NULL, FMT_JSONL, NULL);
    assert_conv_out(r, "{\"time\":\"2024-01-01T00:00:00.000000000Z\",\"na,me\":\"a,b\",\"v\":1}\n"
                       "{\"time\":\"2024-01-01T00:00:01.000000000Z\",\"na,me\":\"two\\r\\nlines \\\"q\\\"\",\"v\":2}\n"
                       "{\"time\":\"2024-01-01T00:00:02.000000000Z\",\"na,me\":\"plain\",\"v\":3}\n");
    conv_free(&r);
    /* and the writer quotes what needs it, with "" for an empty string */
    r = conv(FMT_CSV, "q.csv", in, NULL, FMT_CSV, NULL);
    assert_conv_out(r, "time,\"na,me\",v\n"
                       "2024-01-01T00:00:00.000000000Z,\"a,b\",1\n"
                       "2024-01-01T00:00:01.000000000Z,\"two\r\nlines \"\"q\"\"\",2\n"
                       "2024-01-01T00:00:02.000000000Z,plain,3\n");
    conv_free(&r);
}

static void test_byte_order_mark(void **state)
{
    (void)state;
    conv_result r = conv(FMT_CSV, "bom.csv", "\xEF\xBB\xBFtime,v\n2024-01-01T00:00:00Z,1\n", NULL, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n2024-01-01T00:00:00.000000000Z,1\n");
    conv_free(&r);
}

static void test_null_vs_empty(void **state)
{
    (void)state;
    const char *in = "time,s,n\n2024-01-01T00:00:00Z,,\n2024-01-01T00:00:01Z,\"\",\"\"\n2024-01-01T00:00:02Z,x,5\n";
    conv_result r = conv(FMT_CSV, "n.csv", in, NULL, FMT_JSONL, NULL);
    assert_conv_out(r, "{\"time\":\"2024-01-01T00:00:00.000000000Z\",\"s\":null,\"n\":null}\n"
                       "{\"time\":\"2024-01-01T00:00:01.000000000Z\",\"s\":\"\",\"n\":null}\n"
                       "{\"time\":\"2024-01-01T00:00:02.000000000Z\",\"s\":\"x\",\"n\":5}\n");
    conv_free(&r);
    r = conv(FMT_CSV, "n.csv", in, NULL, FMT_CSV, NULL);
    assert_conv_out(r, "time,s,n\n2024-01-01T00:00:00.000000000Z,,\n2024-01-01T00:00:01.000000000Z,\"\",\n"
                       "2024-01-01T00:00:02.000000000Z,x,5\n");
    conv_free(&r);
}

static void test_inference(void **state)
{
    (void)state;
    const char *in = "time,region,plant_id,mw,online,seen,label\n"
                     "2024-01-01 00:00:00.123456789,n,1,1.5,true,2024-01-01T00:00:00Z,7\n"
                     "2024-01-01T00:00:01+01:00,s,-2,2,FALSE,,x\n"
                     "2024-01-01,,3,-3e-5,,2024-02-01 10:00:00,\n";
    conv_result r = conv(FMT_CSV, "energy.csv", in, NULL, FMT_LP, NULL);
    /* region/label strings → tags; the second timestamp column is a measure */
    /* fields keep the column order; tags are sorted by key */
    assert_conv_out(r, "energy,label=7,region=n plant_id=1i,mw=1.5,online=true,seen=1704067200000000000i 1704067200123456789\n"
                       "energy,label=x,region=s plant_id=-2i,mw=2.0,online=false 1704063601000000000\n"
                       "energy plant_id=3i,mw=-3e-05,seen=1706781600000000000i 1704067200000000000\n");
    assert_int_equal(r.sink.bad_rows, 0);
    conv_free(&r);
}

static void test_inference_failure_names_line(void **state)
{
    (void)state;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.infer_rows = 2;
    const char *in = "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,2\n2024-01-01T00:00:02Z,2.5\n";
    conv_result r = conv(FMT_CSV, "inf.csv", in, &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "inf.csv:4: column 'v' was inferred as int64 from the first 2 rows, but '2.5' is not; pass --schema v:TYPE");
    conv_free(&r);
    ro.schema = "v:double";
    r = conv(FMT_CSV, "inf.csv", in, &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n2024-01-01T00:00:00.000000000Z,1.0\n2024-01-01T00:00:01.000000000Z,2.0\n"
                       "2024-01-01T00:00:02.000000000Z,2.5\n");
    conv_free(&r);
    ro.schema = "v:bool";
    r = conv(FMT_CSV, "inf.csv", in, &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "inf.csv:2: column 'v': '1' is not a bool");
    conv_free(&r);
}

static void test_schema_roles_and_time_formats(void **state)
{
    (void)state;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.schema = "ts:timestamp:time,plant:int64:dimension,measure_name:string,v:double";
    ro.time_format = FMT_TIME_EPOCH_MS;
    const char *in = "plant,ts,measure_name,v\n7,1700000000123,gen,5\n8,-1,gen,6\n";
    fmt_write_opts wo = {.measurement = "m"};
    conv_result r = conv(FMT_CSV, "r.csv", in, &ro, FMT_LP, &wo);
    assert_conv_out(r, "m,measure_name=gen,plant=7 v=5.0 1700000000123000000\n"
                       "m,measure_name=gen,plant=8 v=6.0 -1000000\n");
    conv_free(&r);
    /* a "time" column of epoch numbers without --time-format is refused with advice */
    r = conv(FMT_CSV, "r.csv", "time,v\n1700000000,1\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "pass --time-format s|ms|us|ns");
    conv_free(&r);
    fmt_read_opts_init(&ro);
    ro.time_format = FMT_TIME_EPOCH_S;
    r = conv(FMT_CSV, "r.csv", "time,v\n1700000000,1\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n2023-11-14T22:13:20.000000000Z,1\n");
    conv_free(&r);
}

static void test_schema_spec_syntax(void **state)
{
    (void)state;
    fmt_schema_spec sp;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(fmt_schema_spec_parse("time:timestamp,measure_value::double:double,r:string:measure", &sp, &e), TS_OK);
    assert_int_equal(sp.n, 3);
    assert_string_equal(sp.e[1].name, "measure_value::double");
    assert_int_equal(sp.e[1].type, TS_TYPE_DOUBLE);
    assert_false(sp.e[1].has_role);
    assert_true(sp.e[2].has_role);
    assert_int_equal(sp.e[2].role, TS_ROLE_MEASURE);
    fmt_schema_spec_free(&sp);
    ts_err_clear(&e);
    assert_int_equal(fmt_schema_spec_parse("a:blob", &sp, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "unknown type 'blob'"));
    ts_err_clear(&e);
    assert_int_equal(fmt_schema_spec_parse("a", &sp, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(fmt_schema_spec_parse("a:int64,a:double", &sp, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "listed twice"));
    conv_result r;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.schema = "nope:double";
    r = conv(FMT_CSV, "s.csv", "time,v\n2024-01-01T00:00:00Z,1\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_USAGE, "--schema names column 'nope', which the CSV header lacks");
    conv_free(&r);
}

static void test_malformed(void **state)
{
    (void)state;
    conv_result r = conv(FMT_CSV, "m.csv", "time,v\n2024-01-01T00:00:00Z,\"open\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "m.csv:2:22: quoted field is never closed");
    conv_free(&r);
    r = conv(FMT_CSV, "m.csv", "time,v\n2024-01-01T00:00:00Z,\"a\"b\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "m.csv:2:25: unexpected character after a closing quote");
    conv_free(&r);
    r = conv(FMT_CSV, "m.csv", "time,v\n2024-01-01T00:00:00Z,1,2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "m.csv:2: the record has 3 fields but the header has 2");
    conv_free(&r);
    r = conv(FMT_CSV, "m.csv", "time,time\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "column 'time' appears twice");
    conv_free(&r);
    r = conv(FMT_CSV, "m.csv", "", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "needs a header");
    conv_free(&r);
    /* skip mode: counted and reported */
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.skip_bad_lines = true;
    ro.schema = "v:int64";
    r = conv(FMT_CSV, "m.csv", "time,v\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,x\nbad\n2024-01-01T00:00:02Z,3\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n2024-01-01T00:00:00.000000000Z,1\n2024-01-01T00:00:02.000000000Z,3\n");
    assert_int_equal(r.in.bad_lines, 2);
    conv_free(&r);
}

static void test_writer_special_doubles_and_multi_table(void **state)
{
    (void)state;
    conv_result r = conv(FMT_JSONL, "d.jsonl",
                         "{\"time\":\"1970-01-01T00:00:00Z\",\"v\":\"NaN\"}\n{\"time\":\"1970-01-01T00:00:00Z\",\"v\":\"-Infinity\"}\n"
                         "{\"time\":\"1970-01-01T00:00:00Z\",\"v\":0.1}\n",
                         NULL, FMT_CSV, NULL);
    assert_conv_out(r, "time,v\n1970-01-01T00:00:00.000000000Z,NaN\n1970-01-01T00:00:00.000000000Z,-Infinity\n"
                       "1970-01-01T00:00:00.000000000Z,0.1\n");
    conv_free(&r);
    r = conv(FMT_LP, "two.lp", "a x=1 1\nb x=1 2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_USAGE, "several tables ('a' and 'b')");
    conv_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_crlf_newlines),
        cmocka_unit_test(test_null_vs_empty),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_inference_failure_names_line),
        cmocka_unit_test(test_schema_roles_and_time_formats),
        cmocka_unit_test(test_schema_spec_syntax),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_writer_special_doubles_and_multi_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
