/* Text streams: line splitting (CRLF kept for the formats, last line without
 * newline), the line cap, gzip/zstd round trips detected by magic (also
 * concatenated gzip members), truncated input, rewind; format registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <cmocka.h>

#include "double_repr_cases.h"
#include "fmt_test_util.h"

static void read_all_lines(fmt_text_in *in, char *out, size_t outsz)
{
    const char *l;
    size_t n;
    ts_error e;
    ts_err_clear(&e);
    size_t off = 0;
    out[0] = 0;
    for (;;) {
        assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_OK);
        if (!l) break;
        assert_int_equal(strlen(l), n);
        off += (size_t)snprintf(out + off, outsz - off, "%llu[%s]", (unsigned long long)fmt_text_in_lineno(in), l);
    }
}

static void test_lines(void **state)
{
    (void)state;
    fmt_text_in *in;
    ts_error e;
    const char *txt = "a\r\n\nbb\nlast";
    assert_int_equal(fmt_text_in_mem(txt, strlen(txt), "m", &in, &e), TS_OK);
    char out[256];
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a\r]2[]3[bb]4[last]");
    assert_int_equal(fmt_text_in_rewind(in, &e), TS_OK);
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a\r]2[]3[bb]4[last]");
    fmt_text_in_free(in);
}

static void test_line_cap(void **state)
{
    (void)state;
    fmt_text_in *in;
    ts_error e;
    ts_err_clear(&e);
    const char *txt = "short\n0123456789abc\n";
    assert_int_equal(fmt_text_in_mem(txt, strlen(txt), "cap.lp", &in, &e), TS_OK);
    fmt_text_in_set_max_line(in, 10);
    const char *l;
    size_t n;
    assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_OK);
    assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "cap.lp:2: line is longer than the 10-byte limit"));
    fmt_text_in_free(in);
}

/* Compresses text through the writer into memory. */
static uint8_t *compress_text(const char *txt, fmt_compress c, size_t *len)
{
    ts_output *mem;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(ts_output_mem(&mem, &e), TS_OK);
    fmt_text_out *t;
    assert_int_equal(fmt_text_out_new(mem, c, &t, &e), TS_OK);
    /* many small writes, bigger than one internal chunk */
    size_t n = strlen(txt);
    for (size_t i = 0; i < n; i += 7)
        assert_int_equal(fmt_text_out_write(t, txt + i, n - i < 7 ? n - i : 7, &e), TS_OK);
    assert_int_equal(fmt_text_out_finish(t, &e), TS_OK);
    const uint8_t *d = ts_output_mem_data(mem, len);
    uint8_t *copy = malloc(*len);
    memcpy(copy, d, *len);
    fmt_text_out_free(t);
    return copy;
}

static char *big_text(size_t lines)
{
    char *s = malloc(lines * 32 + 1);
    size_t off = 0;
    for (size_t i = 0; i < lines; i++) off += (size_t)snprintf(s + off, 32, "line %zu\n", i);
    return s;
}

static void check_round_trip(fmt_compress c, const uint8_t magic0)
{
    char *txt = big_text(100000);
    size_t n;
    uint8_t *z = compress_text(txt, c, &n);
    assert_int_equal(z[0], magic0);
    assert_true(n < strlen(txt) / 3);
    fmt_text_in *in;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(fmt_text_in_mem(z, n, "z", &in, &e), TS_OK);
    const char *l;
    size_t ln;
    size_t off = 0;
    for (;;) {
        assert_int_equal(fmt_text_in_line(in, &l, &ln, &e), TS_OK);
        if (!l) break;
        assert_memory_equal(l, txt + off, ln);
        off += ln + 1;
    }
    assert_int_equal(off, strlen(txt));
    /* truncated: a clear error, not a silent short read */
    fmt_text_in_free(in);
    assert_int_equal(fmt_text_in_mem(z, n - 9, "trunc", &in, &e), TS_OK);
    ts_status st;
    do st = fmt_text_in_line(in, &l, &ln, &e);
    while (st == TS_OK && l);
    assert_int_equal(st, TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "trunc"));
    fmt_text_in_free(in);
    free(z);
    free(txt);
}

static void test_gzip(void **state)
{
    (void)state;
    check_round_trip(FMT_COMP_GZIP, 0x1f);
}

static void test_zstd(void **state)
{
    (void)state;
    check_round_trip(FMT_COMP_ZSTD, 0x28);
}

static void test_gzip_members(void **state)
{
    (void)state;
    size_t n1, n2;
    uint8_t *a = compress_text("a\nb\n", FMT_COMP_GZIP, &n1);
    uint8_t *b = compress_text("c\n", FMT_COMP_GZIP, &n2);
    uint8_t *both = malloc(n1 + n2);
    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);
    fmt_text_in *in;
    ts_error e;
    assert_int_equal(fmt_text_in_mem(both, n1 + n2, "cat", &in, &e), TS_OK);
    char out[64];
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a]2[b]3[c]");
    fmt_text_in_free(in);
    free(a);
    free(b);
    free(both);
}

static void test_registry(void **state)
{
    (void)state;
    fmt_compress c;
    assert_int_equal(fmt_kind_from_path("x/y.csv.gz", &c), FMT_CSV);
    assert_int_equal(c, FMT_COMP_GZIP);
    assert_int_equal(fmt_kind_from_path("a.LP.zst", &c), FMT_LP);
    assert_int_equal(c, FMT_COMP_ZSTD);
    assert_int_equal(fmt_kind_from_path("a.ndjson", &c), FMT_JSONL);
    assert_int_equal(fmt_kind_from_path("a.parquet", &c), FMT_PARQUET);
    assert_int_equal(fmt_kind_from_path("a.txt", &c), FMT_NONE);
    assert_int_equal(fmt_kind_parse("line"), FMT_LP);
    assert_int_equal(fmt_kind_sniff((const uint8_t *)"PAR1xxxx", 8), FMT_PARQUET);
    assert_int_equal(fmt_kind_sniff((const uint8_t *)"  {\"a\":1}", 9), FMT_JSONL);
    char b[64];
    assert_int_equal(fmt_double(0.1, b, sizeof b), 3);
    assert_string_equal(b, "0.1");
    int64_t v;
    assert_true(fmt_parse_i64("-9223372036854775808", 20, &v) && v == INT64_MIN);
    assert_false(fmt_parse_i64("9223372036854775808", 19, &v));
    assert_false(fmt_parse_i64("1x", 2, &v));
}

/* fmt_double writes exactly what Python's repr() writes. */
static void test_double_text_matches_python_repr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
        double v;
        memcpy(&v, &double_cases[i].bits, sizeof v);
        char b[64];
        size_t n = fmt_double(v, b, sizeof b);
        if (strcmp(b, double_cases[i].repr) != 0)
            fprintf(stderr, "case %zu: want %s got %s\n", i, double_cases[i].repr, b);
        assert_string_equal(b, double_cases[i].repr);
        assert_int_equal(n, strlen(b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_line_cap),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_double_text_matches_python_repr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
