/* Line protocol: parser (escaping, every field type, exact error columns),
 * the two-pass source (schemas, type conflicts, precision, skip mode) and
 * the sink (escaping, types, all-NULL rows, NaN, '_' rename, newlines). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt_test_util.h"

static lp_line L;

static void parse_ok(const char *s)
{
    bool empty;
    size_t col;
    ts_error e;
    ts_err_clear(&e);
    ts_status st = lp_parse_line(s, strlen(s), &L, &empty, &col, &e);
    if (st != TS_OK) fprintf(stderr, "parse of [%s] failed at col %zu: %s\n", s, col, e.msg);
    assert_int_equal(st, TS_OK);
    assert_false(empty);
}

static void parse_bad(const char *s, size_t want_col, const char *needle)
{
    bool empty;
    size_t col;
    ts_error e;
    ts_err_clear(&e);
    ts_status st = lp_parse_line(s, strlen(s), &L, &empty, &col, &e);
    if (st != TS_ERR_CORRUPT || col != want_col || !strstr(e.msg, needle))
        fprintf(stderr, "[%s]: want col %zu \"%s\", got st %d col %zu \"%s\"\n", s, want_col, needle,
                (int)st, col, e.msg);
    assert_int_equal(st, TS_ERR_CORRUPT);
    assert_int_equal(col, want_col);
    assert_non_null(strstr(e.msg, needle));
}

static void test_parse_escapes(void **state)
{
    (void)state;
    parse_ok("my\\ meas\\,x,t\\ k\\=1=v\\,a\\ l\\=ue f\\=k\\ 1=\"q\\\"uo\\\\te\\n\" 42");
    assert_string_equal(L.measurement, "my meas,x");
    assert_int_equal(L.ntags, 1);
    assert_string_equal(L.tags[0].key, "t k=1");
    assert_string_equal(L.tags[0].val, "v,a l=ue");
    assert_int_equal(L.nfields, 1);
    assert_string_equal(L.fields[0].key, "f=k 1");
    assert_int_equal(L.fields[0].type, LP_STRING);
    assert_string_equal(L.fields[0].val, "q\"uo\\te\\n"); /* \n is not an escape: literal */
    assert_true(L.has_time);
    assert_int_equal(L.time, 42);
    /* measurement: '=' needs no escape and "\=" stays literal; "\\" is one backslash */
    parse_ok("a=b\\=c\\\\d f=1");
    assert_string_equal(L.measurement, "a=b\\=c\\d");
    /* a lone backslash is literal; UTF-8 passes */
    parse_ok("m,k=C:\\dir,é=😀 f=1");
    assert_string_equal(L.tags[0].val, "C:\\dir");
    assert_string_equal(L.tags[1].key, "é");
    assert_string_equal(L.tags[1].val, "😀");
}

static void test_parse_types(void **state)
{
    (void)state;
    parse_ok("m f=1,i=-12i,u=18446744073709551615u,s=\"\",b1=t,b2=TRUE,b3=False,b4=f,e=-1.2e+78,d=.5,g=3. -5");
    assert_int_equal(L.nfields, 11);
    assert_int_equal(L.fields[0].type, LP_FLOAT);
    assert_true(L.fields[0].v.f == 1.0);
    assert_int_equal(L.fields[1].type, LP_INT);
    assert_int_equal(L.fields[1].v.i, -12);
    assert_int_equal(L.fields[2].type, LP_UINT);
    assert_true(L.fields[2].v.u == UINT64_MAX);
    assert_int_equal(L.fields[3].type, LP_STRING);
    assert_int_equal(L.fields[3].val_len, 0);
    assert_true(L.fields[4].type == LP_BOOL && L.fields[4].v.b);
    assert_true(L.fields[5].type == LP_BOOL && L.fields[5].v.b);
    assert_true(L.fields[6].type == LP_BOOL && !L.fields[6].v.b);
    assert_true(L.fields[7].type == LP_BOOL && !L.fields[7].v.b);
    assert_true(L.fields[8].v.f == -1.2e78);
    assert_true(L.fields[9].v.f == 0.5);
    assert_true(L.fields[10].v.f == 3.0);
    assert_int_equal(L.time, -5);
    parse_ok("m i=9223372036854775807i,j=-9223372036854775808i\r");
    assert_int_equal(L.fields[0].v.i, INT64_MAX);
    assert_int_equal(L.fields[1].v.i, INT64_MIN);
    assert_false(L.has_time);
    bool empty;
    size_t col;
    ts_error e;
    assert_int_equal(lp_parse_line("  # comment", 11, &L, &empty, &col, &e), TS_OK);
    assert_true(empty);
    assert_int_equal(lp_parse_line(" \r", 2, &L, &empty, &col, &e), TS_OK);
    assert_true(empty);
}

static void test_parse_errors_have_columns(void **state)
{
    (void)state;
    parse_bad("m", 2, "missing fields");
    parse_bad(",t=1 f=1", 1, "missing measurement");
    parse_bad("m,t= f=1", 5, "empty value");
    parse_bad("m,=v f=1", 3, "empty tag key");
    parse_bad("m,t f=1", 4, "has no '=value'");
    parse_bad("m f", 4, "has no '=value'");
    parse_bad("m f=", 5, "empty value");
    parse_bad("m f=abc", 5, "invalid value of field 'f'");
    parse_bad("m f=1,g=12x", 9, "invalid value of field 'g'");
    parse_bad("m f=9223372036854775808i", 5, "invalid integer");
    parse_bad("m f=-1u", 5, "invalid unsigned");
    parse_bad("m f=\"abc", 5, "unterminated string");
    parse_bad("m f=1 12a", 7, "invalid timestamp");
    parse_bad("m f=1 12 junk", 10, "unexpected text");
    parse_bad("m f=1,f=2", 7, "duplicate field key 'f'");
    parse_bad("m,a=1,a=2 f=1", 7, "duplicate tag key 'a'");
    parse_bad("m f=1e999", 5, "out of the float range");
    parse_bad("m f=NaN", 5, "invalid value");
    parse_bad("m f=+1", 5, "invalid value");
    parse_bad("m f=\"x\"y", 8, "expected ',' or ' '");
}

static void test_source_schema_and_order(void **state)
{
    (void)state;
    const char *in = "cpu,z=1,a=2 u=1.5,c=2i 10\n"
                     "mem,h=x used=3u 11\n"
                     "cpu,m=q b=true 12\n";
    fmt_write_opts wo = {0};
    conv_result r = conv(FMT_LP, "in.lp", in, NULL, FMT_JSONL, &wo);
    /* Per measurement: time, tags sorted, fields sorted; rows grouped. */
    assert_conv_out(r,
                    "{\"time\":\"1970-01-01T00:00:00.000000010Z\",\"a\":\"2\",\"m\":null,\"z\":\"1\",\"b\":null,\"c\":2,\"u\":1.5}\n"
                    "{\"time\":\"1970-01-01T00:00:00.000000012Z\",\"a\":null,\"m\":\"q\",\"z\":null,\"b\":true,\"c\":null,\"u\":null}\n"
                    "{\"time\":\"1970-01-01T00:00:00.000000011Z\",\"h\":\"x\",\"used\":3}\n");
    assert_int_equal(r.in.rows, 3);
    conv_free(&r);
}

static void test_source_precision_and_default_time(void **state)
{
    (void)state;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.precision = TS_EPOCH_MS;
    conv_result r = conv(FMT_LP, "p.lp", "m f=1 1700000000123\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,f\n2023-11-14T22:13:20.123000000Z,1.0\n");
    conv_free(&r);
    ro.precision = TS_EPOCH_S;
    r = conv(FMT_LP, "p.lp", "m f=1 9223372036854775807\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "overflows");
    assert_non_null(strstr(r.msg, "p.lp:1:1"));
    conv_free(&r);
    fmt_read_opts_init(&ro);
    r = conv(FMT_LP, "p.lp", "m f=1\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "no timestamp");
    conv_free(&r);
    ro.has_default_time = true;
    ro.default_time = 5;
    r = conv(FMT_LP, "p.lp", "m f=1\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,f\n1970-01-01T00:00:00.000000005Z,1.0\n");
    conv_free(&r);
}

static void test_source_errors_name_lines(void **state)
{
    (void)state;
    conv_result r = conv(FMT_LP, "t.lp", "m f=1 1\n\n# c\nm f=2i 2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "t.lp:4:3");
    assert_non_null(strstr(r.msg, "field 'f' of measurement 'm' is integer here but float on line 1"));
    conv_free(&r);
    r = conv(FMT_LP, "t.lp", "m,k=1 f=1 1\nm k=2 2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "'k' is a field here but a tag on line 1");
    conv_free(&r);
    r = conv(FMT_LP, "t.lp", "m f=1 1\nm f=9223372036854775808u 2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "t.lp:2:3");
    assert_non_null(strstr(r.msg, "above the int64 maximum"));
    conv_free(&r);
    r = conv(FMT_LP, "t.lp", "m f=1 1\nm f=1,g=oops 2\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "t.lp:2:9: invalid value of field 'g'");
    conv_free(&r);
    r = conv(FMT_LP, "t.lp", "m time=1 1\n", NULL, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "'time' cannot be a field key");
    conv_free(&r);
}

static void test_source_skip_bad_lines(void **state)
{
    (void)state;
    ts_output *rej;
    ts_error e;
    assert_int_equal(ts_output_mem(&rej, &e), TS_OK);
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.skip_bad_lines = true;
    ro.reject = rej;
    conv_result r = conv(FMT_LP, "s.lp",
                         "m f=1 1\nm f=x 2\nm f=2i 3\nm,k=v f=3,g=\"new\" 4\ngarbage\n", &ro, FMT_CSV, NULL);
    /* the conflicting line is rejected as a whole: it adds no column */
    assert_conv_out(r, "time,k,f,g\n"
                       "1970-01-01T00:00:00.000000001Z,,1.0,\n"
                       "1970-01-01T00:00:00.000000004Z,v,3.0,new\n");
    assert_int_equal(r.in.bad_lines, 3);
    assert_int_equal(r.in.rows, 2);
    size_t n;
    const uint8_t *d = ts_output_mem_data(rej, &n);
    assert_int_equal(n, strlen("m f=x 2\nm f=2i 3\ngarbage\n"));
    assert_memory_equal(d, "m f=x 2\nm f=2i 3\ngarbage\n", n);
    ts_output_close(rej);
    conv_free(&r);
}

static void test_source_table_filter(void **state)
{
    (void)state;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.table = "b";
    conv_result r = conv(FMT_LP, "f.lp", "a x=1 1\nb y=2 2\na x=3 3\n", &ro, FMT_CSV, NULL);
    assert_conv_out(r, "time,y\n1970-01-01T00:00:00.000000002Z,2.0\n");
    conv_free(&r);
    ro.table = "zz";
    r = conv(FMT_LP, "f.lp", "a x=1 1\nb y=2 2\n", &ro, FMT_CSV, NULL);
    assert_conv_fails(r, TS_ERR_NOT_FOUND, "f.lp has no measurement 'zz' (it has 'a', 'b')");
    conv_free(&r);
}

static void test_many_measurements_and_small_batches(void **state)
{
    (void)state;
    /* More measurements than one second-pass round holds, batches of 2 rows. */
    char *in = malloc(64 * 1024);
    size_t off = 0;
    for (int i = 0; i < 300; i++)
        off += (size_t)snprintf(in + off, 64 * 1024 - off, "m%02d v=%di %d\n", i % 20, i, i);
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.batch_rows = 2;
    conv_result r = conv(FMT_LP, "many.lp", in, &ro, FMT_LP, NULL);
    assert_int_equal(r.st, TS_OK);
    assert_int_equal(r.in.rows, 300);
    assert_int_equal(r.sink.rows, 300);
    /* every input line comes out once, rows of one measurement in input order */
    for (int i = 0; i < 300; i++) {
        char want[64];
        snprintf(want, sizeof want, "m%02d v=%di %d\n", i % 20, i, i);
        assert_non_null(strstr(r.out, want));
        if (i >= 20) {
            char prev[64];
            snprintf(prev, sizeof prev, "m%02d v=%di %d\n", i % 20, i - 20, i - 20);
            assert_true(strstr(r.out, prev) < strstr(r.out, want));
        }
    }
    conv_free(&r);
    free(in);
}

/* Sink: escaping round trip through our own reader. */
static void test_sink_escaping_round_trip(void **state)
{
    (void)state;
    const char *csv = "time,tag k=1,_id,v\\,f x\n"
                      "1970-01-01T00:00:00.000000001Z,\"a b,c=d\\,\\\\,x\\\",x,_t,\"q\"\"uo\\te\\\"\"\"\n";
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.schema = "time:timestamp,tag k=1:string:dimension,_id:string:dimension,v\\:string:dimension,f x:string:measure";
    fmt_write_opts wo = {.measurement = "my meas,_x"};
    conv_result r = conv(FMT_CSV, "e.csv", csv, &ro, FMT_LP, &wo);
    assert_conv_out(r, "my\\ meas\\,_x,tag\\ k\\=1=a\\ b\\,c\\=d\\\\\\,\\\\\\\\\\,x\\\\,v\\\\=_t,x_id=x f\\ x=\"q\\\"uo\\\\te\\\\\\\"\" 1\n");
    /* read it back: values come back exactly, names renamed by the '_' rule */
    conv_result back = conv(FMT_LP, "back.lp", r.out, NULL, FMT_JSONL, NULL);
    assert_conv_out(back, "{\"time\":\"1970-01-01T00:00:00.000000001Z\",\"tag k=1\":\"a b,c=d\\\\,\\\\\\\\,x\\\\\",\"v\\\\\":\"_t\",\"x_id\":\"x\",\"f x\":\"q\\\"uo\\\\te\\\\\\\"\"}\n");
    conv_free(&r);
    conv_free(&back);
}

static void test_sink_types_and_counts(void **state)
{
    (void)state;
    const char *jl = "{\"time\":\"2024-01-01T00:00:00.000000001Z\",\"d\":\"x\",\"f\":0.1,\"i\":-7,\"b\":false,\"s\":\"hi\",\"ts\":\"2024-01-01T00:00:00.5Z\"}\n"
                     "{\"time\":\"2024-01-01T00:00:00.000000002Z\",\"d\":\"\",\"f\":null,\"i\":null,\"b\":null,\"s\":null,\"ts\":null}\n"
                     "{\"time\":\"2024-01-01T00:00:00.000000003Z\",\"d\":null,\"f\":1e300,\"i\":9223372036854775807,\"b\":true,\"s\":\"\",\"ts\":null}\n";
    fmt_write_opts wo = {0};
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.schema = "s:string:measure";
    conv_result r = conv(FMT_JSONL, "t.jsonl", jl, &ro, FMT_LP, &wo);
    assert_conv_out(r, "t,d=x f=0.1,i=-7i,b=false,s=\"hi\",ts=1704067200500000000i 1704067200000000001\n"
                       "t f=1e+300,i=9223372036854775807i,b=true,s=\"\" 1704067200000000003\n");
    assert_int_equal(r.sink.all_null_rows, 1);
    assert_int_equal(r.sink.rows, 2);
    conv_free(&r);
}

static void test_sink_doubles_round_trip_exactly(void **state)
{
    (void)state;
    const double vals[] = {0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -0.0, 123456789012345678.0,
                           2.2250738585072014e-308, 0.30000000000000004};
    char jl[4096];
    size_t off = 0;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        off += (size_t)snprintf(jl + off, sizeof jl - off, "{\"time\":\"1970-01-01T00:00:%02zuZ\",\"v\":%.17e}\n", i, vals[i]);
    conv_result lp = conv(FMT_JSONL, "d.jsonl", jl, NULL, FMT_LP, NULL);
    assert_int_equal(lp.st, TS_OK);
    conv_result back = conv(FMT_LP, "d.lp", lp.out, NULL, FMT_JSONL, NULL);
    assert_int_equal(back.st, TS_OK);
    const char *p = back.out;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        p = strstr(p, "\"v\":");
        assert_non_null(p);
        double got = strtod(p + 4, NULL);
        if (memcmp(&got, &vals[i], sizeof got) != 0)
            fprintf(stderr, "value %zu: want %.17g got %.17g (lp: %s)\n", i, vals[i], got, lp.out);
        assert_memory_equal(&got, &vals[i], sizeof got);
        p++;
    }
    assert_non_null(strstr(lp.out, "v=0.1 "));
    assert_non_null(strstr(lp.out, "v=-0.0 "));
    conv_free(&lp);
    conv_free(&back);
}

static void test_sink_bad_rows(void **state)
{
    (void)state;
    const char *jl = "{\"time\":\"1970-01-01T00:00:01Z\",\"v\":1.0,\"tag\":\"ok\"}\n"
                     "{\"time\":\"1970-01-01T00:00:02Z\",\"v\":\"NaN\",\"tag\":\"ok\"}\n"
                     "{\"time\":\"1970-01-01T00:00:03Z\",\"v\":2.0,\"tag\":\"two\\nlines\"}\n"
                     "{\"time\":\"1970-01-01T00:00:04Z\",\"v\":\"-Infinity\",\"tag\":\"x\"}\n";
    conv_result r = conv(FMT_JSONL, "b.jsonl", jl, NULL, FMT_LP, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "row 2 (table 'b', time 1970-01-01T00:00:02.000000000Z): NaN or infinite");
    conv_free(&r);
    fmt_write_opts wo = {.skip_bad_rows = true};
    r = conv(FMT_JSONL, "b.jsonl", jl, NULL, FMT_LP, &wo);
    assert_conv_out(r, "b,tag=ok v=1.0 1000000000\n");
    assert_int_equal(r.sink.bad_rows, 3);
    conv_free(&r);
    r = conv(FMT_JSONL, "b.jsonl", jl + strlen("{\"time\":\"1970-01-01T00:00:01Z\",\"v\":1.0,\"tag\":\"ok\"}\n{\"time\":\"1970-01-01T00:00:02Z\",\"v\":\"NaN\",\"tag\":\"ok\"}\n"), NULL, FMT_LP, NULL);
    assert_conv_fails(r, TS_ERR_CORRUPT, "a newline in the value of tag 'tag'");
    conv_free(&r);
}

/* Rows are formatted in place in the output's blocks; one that does not fit
 * the room left (over 64 KiB) is written again through a line buffer. Rows
 * of every size, long ones with escapes, and a bad row after a long value
 * (skipped and counted once) come out exactly, in order. */
static void test_sink_long_rows(void **state)
{
    (void)state;
    const size_t lens[] = {3, 70000, (size_t)2 << 20, 10, 65530, 65536, 200000, 1, (size_t)1 << 20, 5};
    const size_t nl = sizeof lens / sizeof lens[0];
    size_t cap = 200000;
    for (size_t i = 0; i < nl; i++) cap += 3 * (2 * lens[i] + 128);
    char *jl = malloc(cap), *want = malloc(cap), *wantj = malloc(cap);
    size_t jo = 0, wo = 0, jw = 0;
    for (size_t rep = 0; rep < 3; rep++) {
        for (size_t i = 0; i < nl; i++) {
            size_t t = rep * nl + i + 1;
            size_t row0 = jo;
            jo += (size_t)snprintf(jl + jo, cap - jo, "{\"time\":\"1970-01-01T00:00:%02zuZ\",\"k\":\"v%zu\",\"s\":\"", t, i);
            wo += (size_t)snprintf(want + wo, cap - wo, "big,k=v%zu s=\"", i);
            for (size_t j = 0; j < lens[i]; j++) {
                bool q = j % 1000 == 999;
                if (q) {
                    memcpy(jl + jo, "\\\"", 2);
                    jo += 2;
                    memcpy(want + wo, "\\\"", 2);
                    wo += 2;
                } else {
                    jl[jo++] = want[wo++] = (char)('a' + j % 26);
                }
            }
            jo += (size_t)snprintf(jl + jo, cap - jo, "\"}\n");
            wo += (size_t)snprintf(want + wo, cap - wo, "\" %zu000000000\n", t);
            /* JSON Lines out: the same row with the time written in full */
            jw += (size_t)snprintf(wantj + jw, cap - jw, "{\"time\":\"1970-01-01T00:00:%02zu.000000000Z\"", t);
            const char *rest = strstr(jl + row0, "Z\",") + 2;
            memcpy(wantj + jw, rest, (size_t)(jl + jo - rest));
            jw += (size_t)(jl + jo - rest);
        }
        if (rep == 0) {
            /* a long tag value on a row that is bad only in a later field */
            jo += (size_t)snprintf(jl + jo, cap - jo, "{\"time\":\"1970-01-01T00:00:59Z\",\"k\":\"");
            for (size_t j = 0; j < 100000; j++) jl[jo++] = 'x';
            jo += (size_t)snprintf(jl + jo, cap - jo, "\",\"s\":\"a\\nb\"}\n");
            jw += (size_t)snprintf(wantj + jw, cap - jw, "{\"time\":\"1970-01-01T00:00:59.000000000Z\",\"k\":\"");
            memset(wantj + jw, 'x', 100000);
            jw += 100000;
            jw += (size_t)snprintf(wantj + jw, cap - jw, "\",\"s\":\"a\\nb\"}\n");
        }
    }
    jl[jo] = want[wo] = wantj[jw] = 0;
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.schema = "s:string:measure";
    fmt_write_opts o = {.skip_bad_rows = true};
    conv_result r = conv(FMT_JSONL, "big.jsonl", jl, &ro, FMT_LP, &o);
    if (r.st != TS_OK) fprintf(stderr, "convert failed: %s\n", r.msg);
    assert_int_equal(r.st, TS_OK);
    assert_int_equal(r.sink.bad_rows, 1);
    assert_int_equal(r.sink.rows, 3 * nl);
    assert_int_equal(strlen(r.out), wo);
    assert_memory_equal(r.out, want, wo);
    conv_free(&r);
    /* the CSV and JSON Lines sinks take the same in-place path: through CSV and back */
    conv_result j = conv(FMT_JSONL, "big.jsonl", jl, &ro, FMT_JSONL, NULL);
    assert_int_equal(j.st, TS_OK);
    assert_int_equal(j.sink.rows, 3 * nl + 1);
    assert_int_equal(strlen(j.out), jw);
    assert_memory_equal(j.out, wantj, jw);
    fmt_read_opts cro;
    fmt_read_opts_init(&cro);
    cro.schema = "time:timestamp,k:string,s:string:measure";
    conv_result c = conv(FMT_JSONL, "big.jsonl", jl, &ro, FMT_CSV, NULL);
    assert_int_equal(c.st, TS_OK);
    conv_result back = conv(FMT_CSV, "big.csv", c.out, &cro, FMT_JSONL, NULL);
    if (back.st != TS_OK) fprintf(stderr, "csv back failed: %s\n", back.msg);
    assert_int_equal(back.st, TS_OK);
    assert_int_equal(strlen(back.out), jw);
    assert_memory_equal(back.out, wantj, jw);
    conv_free(&j);
    conv_free(&c);
    conv_free(&back);
    free(jl);
    free(want);
    free(wantj);
}

static void test_sink_measurement_column(void **state)
{
    (void)state;
    const char *csv = "time,measure_name,region,v\n"
                      "2024-01-01T00:00:00Z,_power,n,1.5\n"
                      "2024-01-01T00:00:00Z,temp,n,20\n";
    fmt_write_opts wo = {.measurement_column = "measure_name"};
    conv_result r = conv(FMT_CSV, "m.csv", csv, NULL, FMT_LP, &wo);
    assert_conv_out(r, "x_power,region=n v=1.5 1704067200000000000\ntemp,region=n v=20.0 1704067200000000000\n");
    conv_free(&r);
    /* default: measure_name is a tag, the table the measurement */
    r = conv(FMT_CSV, "m.csv", csv, NULL, FMT_LP, NULL);
    assert_conv_out(r, "m,measure_name=_power,region=n v=1.5 1704067200000000000\n"
                       "m,measure_name=temp,region=n v=20.0 1704067200000000000\n");
    conv_free(&r);
}

static void test_sink_rename_collision(void **state)
{
    (void)state;
    fmt_write_opts hash = {.measurement = "#not a comment"};
    conv_result h = conv(FMT_CSV, "c.csv", "time,v\n2024-01-01T00:00:00Z,1\n", NULL, FMT_LP, &hash);
    assert_conv_fails(h, TS_ERR_USAGE, "starts with '#'");
    conv_free(&h);
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    conv_result r = conv(FMT_CSV, "c.csv", "time,_a,x_a\n2024-01-01T00:00:00Z,1,2\n", &ro, FMT_LP, NULL);
    assert_conv_fails(r, TS_ERR_USAGE, "columns '_a' and 'x_a' both become key 'x_a'");
    conv_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_escapes),
        cmocka_unit_test(test_parse_types),
        cmocka_unit_test(test_parse_errors_have_columns),
        cmocka_unit_test(test_source_schema_and_order),
        cmocka_unit_test(test_source_precision_and_default_time),
        cmocka_unit_test(test_source_errors_name_lines),
        cmocka_unit_test(test_source_skip_bad_lines),
        cmocka_unit_test(test_source_table_filter),
        cmocka_unit_test(test_many_measurements_and_small_batches),
        cmocka_unit_test(test_sink_escaping_round_trip),
        cmocka_unit_test(test_sink_types_and_counts),
        cmocka_unit_test(test_sink_doubles_round_trip_exactly),
        cmocka_unit_test(test_sink_bad_rows),
        cmocka_unit_test(test_sink_long_rows),
        cmocka_unit_test(test_sink_measurement_column),
        cmocka_unit_test(test_sink_rename_collision),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lp_line_free(&L);
    return rc;
}
