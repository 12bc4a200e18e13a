/* The plumbing the CSV and JSON Lines sources and sinks share
 * (fmt_text_base.c, fmt_schema_add_column): table names, option defaults,
 * role precedence, and opening with every allocation failing in turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt_test_util.h"
#include "formats/fmt_internal.h"

/* The table a source gets for an input name and --table (NULL: none). */
static void check_table(const char *input_name, const char *table_opt, const char *want)
{
    ts_error err;
    ts_err_clear(&err);
    fmt_text_in *in = NULL;
    assert_int_equal(fmt_text_in_mem("", 0, input_name, &in, &err), TS_OK);
    fmt_read_opts o, got;
    fmt_read_opts_init(&o);
    o.table = table_opt;
    char *table = NULL;
    assert_int_equal(fmt_source_opts(&o, in, &got, &table, &err), TS_OK);
    if (strcmp(table, want) != 0) fprintf(stderr, "%s: want table '%s', got '%s'\n", input_name, want, table);
    assert_string_equal(table, want);
    assert_ptr_equal(got.table, table); /* borrowed from the caller's copy */
    ts_free(table);
    fmt_text_in_free(in);
}

static void test_source_opts_table_and_defaults(void **state)
{
    (void)state;
    check_table("dir/energy.csv.gz", NULL, "energy");
    check_table("plain", NULL, "plain");
    check_table("standard input", NULL, "data");
    check_table(".hidden.csv", NULL, "data");
    check_table("dir/energy.csv", "chosen", "chosen");

    /* infer_rows: 0 means the default; a given count is kept; NULL options are the defaults */
    ts_error err;
    ts_err_clear(&err);
    fmt_text_in *in = NULL;
    assert_int_equal(fmt_text_in_mem("", 0, "x.csv", &in, &err), TS_OK);
    fmt_read_opts o, got;
    fmt_read_opts_init(&o);
    char *table = NULL;
    assert_int_equal(fmt_source_opts(NULL, in, &got, &table, &err), TS_OK);
    assert_int_equal(got.infer_rows, FMT_DEFAULT_INFER_ROWS);
    assert_int_equal(got.precision, TS_EPOCH_NS);
    ts_free(table);
    o.infer_rows = 7;
    o.batch_rows = 3;
    assert_int_equal(fmt_source_opts(&o, in, &got, &table, &err), TS_OK);
    assert_int_equal(got.infer_rows, 7);
    assert_int_equal(got.batch_rows, 3);
    ts_free(table);
    fmt_text_in_free(in);
}

typedef struct col_case {
    const char *name;
    ts_type type;
    bool is_time_col;
    ts_role want;
} col_case;

/* Adds the columns in order as the sources do and checks each role. */
static void check_roles(const char *spec_text, const col_case *cols, size_t n)
{
    ts_error err;
    ts_err_clear(&err);
    fmt_schema_spec spec = {0};
    if (spec_text) assert_int_equal(fmt_schema_spec_parse(spec_text, &spec, &err), TS_OK);
    bool time_taken = fmt_schema_spec_has_time(&spec);
    ts_schema s;
    ts_schema_init(&s);
    for (size_t i = 0; i < n; i++) {
        ts_status st = fmt_schema_add_column(&s, &spec, "column", cols[i].name, cols[i].type, cols[i].is_time_col,
                                             &time_taken, &err);
        if (st != TS_OK) fprintf(stderr, "column '%s': %s\n", cols[i].name, err.msg);
        assert_int_equal(st, TS_OK);
    }
    assert_int_equal(s.ncols, n);
    for (size_t i = 0; i < n; i++) {
        if (s.fields[i].role != cols[i].want)
            fprintf(stderr, "--schema %s, column '%s': want role %d, got %d\n", spec_text ? spec_text : "-",
                    cols[i].name, (int)cols[i].want, (int)s.fields[i].role);
        assert_int_equal(s.fields[i].role, cols[i].want);
        assert_int_equal(s.fields[i].type, cols[i].type);
        assert_int_equal(s.fields[i].nullable, cols[i].want != TS_ROLE_TIME);
    }
    ts_schema_free(&s);
    fmt_schema_spec_free(&spec);
}

static void test_schema_add_column_roles(void **state)
{
    (void)state;
    /* --schema's roles win (also over the chosen time column); then defaults */
    const col_case given[] = {
        {"t2", TS_TYPE_TIMESTAMP, false, TS_ROLE_TIME},
        {"d", TS_TYPE_STRING, true, TS_ROLE_MEASURE},
        {"t3", TS_TYPE_TIMESTAMP, false, TS_ROLE_MEASURE}, /* time is taken */
        {"measure_name", TS_TYPE_STRING, false, TS_ROLE_MEASURE_NAME},
        {"name", TS_TYPE_STRING, false, TS_ROLE_DIMENSION},
        {"v", TS_TYPE_DOUBLE, false, TS_ROLE_MEASURE},
    };
    check_roles("t2:timestamp:time,d:string:measure", given, sizeof given / sizeof given[0]);
    /* no --schema: the first timestamp is the time, later ones are measures */
    const col_case first[] = {
        {"v", TS_TYPE_INT64, false, TS_ROLE_MEASURE},
        {"t", TS_TYPE_TIMESTAMP, false, TS_ROLE_TIME},
        {"t9", TS_TYPE_TIMESTAMP, false, TS_ROLE_MEASURE},
        {"b", TS_TYPE_BOOL, false, TS_ROLE_MEASURE},
    };
    check_roles(NULL, first, sizeof first / sizeof first[0]);
    /* the column the source picked as time */
    const col_case picked[] = {
        {"x", TS_TYPE_STRING, false, TS_ROLE_DIMENSION},
        {"when", TS_TYPE_TIMESTAMP, true, TS_ROLE_TIME},
    };
    check_roles("x:string", picked, sizeof picked / sizeof picked[0]);

    /* a time role on a non-timestamp names the column as the format calls it */
    ts_error err;
    ts_err_clear(&err);
    fmt_schema_spec spec;
    assert_int_equal(fmt_schema_spec_parse("n:int64:time", &spec, &err), TS_OK);
    ts_schema s;
    ts_schema_init(&s);
    bool time_taken = true;
    ts_status st = fmt_schema_add_column(&s, &spec, "key", "n", TS_TYPE_INT64, false, &time_taken, &err);
    if (st != TS_ERR_USAGE || strcmp(err.msg, "key 'n' has role time but type int64") != 0)
        fprintf(stderr, "got %d: %s\n", (int)st, err.msg);
    assert_int_equal(st, TS_ERR_USAGE);
    assert_string_equal(err.msg, "key 'n' has role time but type int64");
    assert_int_equal(s.ncols, 0);
    ts_schema_free(&s);
    fmt_schema_spec_free(&spec);
}

/* Opens a source and a sink of kind k with the nth allocation failing:
 * either works, or fails with a message having freed all it took (the
 * input and the output included). Returns true when both opened. */
static bool open_with_failure(fmt_kind k, const char *text, long n)
{
    size_t before = ts_alloc_current();
    ts_error err;
    ts_err_clear(&err);
    fmt_text_in *in = NULL;
    ts_source *src = NULL;
    ts_sink *dst = NULL;
    ts_output *mem = NULL;
    fmt_text_out *t = NULL;
    ts_alloc_fail_after(n);
    ts_status st = fmt_text_in_mem(text, strlen(text), "x.txt", &in, &err);
    if (st == TS_OK) st = conv_open_source(k, in, NULL, &src, &err);
    if (st == TS_OK) st = ts_output_mem(&mem, &err);
    if (st == TS_OK) st = fmt_text_out_new(mem, FMT_COMP_NONE, &t, &err);
    if (st == TS_OK) st = conv_open_sink(k, t, NULL, &dst, &err);
    ts_alloc_fail_after(0);
    /* (the CSV reader reports a buffer it cannot grow as a record too long) */
    if (st != TS_OK && err.code == TS_OK) fprintf(stderr, "allocation %ld: status %d without a message\n", n, (int)st);
    if (st != TS_OK) assert_int_equal(err.code, st);
    ts_sink_close(dst);
    ts_source_close(src);
    if (ts_alloc_current() != before)
        fprintf(stderr, "allocation %ld failing: %zu bytes left allocated\n", n, ts_alloc_current() - before);
    assert_int_equal(ts_alloc_current(), before);
    return st == TS_OK;
}

static void test_open_without_memory(void **state)
{
    (void)state;
    const struct {
        fmt_kind k;
        const char *text;
    } cases[] = {
        {FMT_CSV, "time,name,v\n2024-01-01T00:00:00Z,a,1\n"},
        {FMT_JSONL, "{\"time\":\"2024-01-01T00:00:00Z\",\"name\":\"a\",\"v\":1}\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long n = 1;
        while (!open_with_failure(cases[i].k, cases[i].text, n)) {
            n++;
            assert_true(n < 10000);
        }
        assert_true(n > 1); /* some allocation did fail on the way */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_opts_table_and_defaults),
        cmocka_unit_test(test_schema_add_column_roles),
        cmocka_unit_test(test_open_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
