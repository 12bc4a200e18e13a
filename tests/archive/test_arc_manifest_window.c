/* Manifest: a table's optional export "window" (export --since/--until) —
 * absent for an unbounded table (old manifests read, bytes unchanged),
 * written and read back exactly when bounded (either side may be open),
 * rejected when malformed or when a file lies outside it; and the rule that
 * widens it to an earlier window whose files stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_manifest.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define JAN20 INT64_C(1705708800000000000) /* 2024-01-20T00:00:00Z */
#define FEB01 INT64_C(1706745600000000000) /* 2024-02-01T00:00:00Z */
#define APR15 INT64_C(1713139200000000000) /* 2024-04-15T00:00:00Z */

static void build(arc_manifest *m)
{
    arc_manifest_init(m);
    assert_int_equal(arc_set_str(&m->tool_version, "0.1.0"), TS_OK);
    assert_int_equal(arc_set_str(&m->export_id, "e1"), TS_OK);
    m->started_at = 1700000000000000000;
    m->finished_at = 1700000001000000001;
    assert_int_equal(arc_set_str(&m->source_kind, "timestream"), TS_OK);
    assert_int_equal(arc_set_str(&m->source_database, "db"), TS_OK);
    assert_int_equal(arc_set_str(&m->database, "db"), TS_OK);
    assert_int_equal(arc_set_str(&m->compression, "zstd"), TS_OK);
    arc_table *t;
    assert_int_equal(arc_manifest_add_table(m, "cpu", &t), TS_OK);
    assert_int_equal(arc_table_add_column(t, "time", ARC_ROLE_TIME, "TIMESTAMP", TS_TYPE_TIMESTAMP), TS_OK);
    assert_int_equal(arc_table_add_column(t, "v", ARC_ROLE_MEASURE, "DOUBLE", TS_TYPE_DOUBLE), TS_OK);
    arc_file f = {.path = "cpu/year=2024/month=01/cpu_20240101_20240131.parquet", .records = 5,
                  .min_time = JAN20, .max_time = FEB01 - 1, .size = 100};
    memcpy(f.sha256, SHA_A, 65);
    assert_int_equal(arc_table_put_file(t, &f), TS_OK);
}

static char *to_text(const arc_manifest *m)
{
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_manifest_to_json(m, &b, &e), TS_OK);
    assert_int_equal(ts_buf_nul(&b), TS_OK);
    size_t n;
    return (char *)ts_buf_detach(&b, &n);
}

static ts_status parse(const char *text, arc_manifest *m, ts_error *e)
{
    ts_err_clear(e);
    return arc_manifest_parse(text, strlen(text), m, e);
}

static void test_unbounded_has_no_field(void **state)
{
    (void)state;
    arc_manifest a, b;
    build(&a);
    char *ta = to_text(&a);
    assert_null(strstr(ta, "window")); /* byte-stable for unfiltered exports */
    ts_error e;
    assert_int_equal(parse(ta, &b, &e), TS_OK);
    assert_false(arc_time_window_bounded(&b.tables[0].window));
    char *tb = to_text(&b);
    assert_string_equal(ta, tb);
    ts_free(ta);
    ts_free(tb);
    arc_manifest_free(&a);
    arc_manifest_free(&b);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        bool hs, hu;
        const char *needle;
    } cases[] = {
        {true, true, "\"since\": \"2024-01-20T00:00:00.000000000Z\",\n        \"until\": \"2024-04-15T00:00:00.000000000Z\""},
        {true, false, "\"until\": null"},
        {false, true, "\"since\": null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arc_manifest a, b;
        build(&a);
        a.tables[0].window = (arc_time_window){.has_since = cases[i].hs, .has_until = cases[i].hu,
                                               .since = cases[i].hs ? JAN20 : 0,
                                               .until = cases[i].hu ? APR15 : 0};
        char *ta = to_text(&a);
        if (!strstr(ta, cases[i].needle)) fprintf(stderr, "case %zu:\n%s\n", i, ta);
        assert_non_null(strstr(ta, cases[i].needle));
        ts_error e;
        assert_int_equal(parse(ta, &b, &e), TS_OK);
        const arc_time_window *w = &b.tables[0].window;
        assert_int_equal(w->has_since, cases[i].hs);
        assert_int_equal(w->has_until, cases[i].hu);
        assert_int_equal(w->since, cases[i].hs ? JAN20 : 0);
        assert_int_equal(w->until, cases[i].hu ? APR15 : 0);
        char *tb = to_text(&b);
        assert_string_equal(ta, tb);
        char txt[128];
        arc_time_window_text(w, txt, sizeof txt);
        assert_string_equal(txt, i == 0   ? "2024-01-20T00:00:00.000000000Z .. 2024-04-15T00:00:00.000000000Z"
                                 : i == 1 ? "2024-01-20T00:00:00.000000000Z .. +inf"
                                          : "-inf .. 2024-04-15T00:00:00.000000000Z");
        ts_free(ta);
        ts_free(tb);
        arc_manifest_free(&a);
        arc_manifest_free(&b);
    }
}

/* The bounded manifest's text with `from` replaced by `to` must be refused,
 * the message naming `needle`. */
static void expect_rejected(const char *from, const char *to, const char *needle)
{
    arc_manifest a, b;
    build(&a);
    a.tables[0].window = (arc_time_window){.has_since = true, .has_until = true, .since = JAN20,
                                           .until = APR15};
    char *t = to_text(&a);
    char *at = strstr(t, from);
    if (!at) fprintf(stderr, "no %s in\n%s\n", from, t);
    assert_non_null(at);
    char buf[8192];
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - t), t, to, at + strlen(from));
    ts_error e;
    ts_status st = parse(buf, &b, &e);
    if (st != TS_ERR_CORRUPT || !strstr(e.msg, needle))
        fprintf(stderr, "status %d, message: %s (wanted %s)\n", st, e.msg, needle);
    assert_int_equal(st, TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, needle));
    ts_free(t);
    arc_manifest_free(&a);
}

static void test_rejects(void **state)
{
    (void)state;
    expect_rejected("\"window\": {", "\"window\": [], \"x\": {", "\"window\" must be an object");
    expect_rejected("\"since\": \"2024-01-20T00:00:00.000000000Z\"", "\"since\": \"yesterday\"",
                    "\"since\" must be an RFC 3339 time");
    expect_rejected("\"until\": \"2024-04-15T00:00:00.000000000Z\"",
                    "\"until\": \"2024-01-20T00:00:00Z\"", "since is not before until");
    /* the file holds a row before the window */
    expect_rejected("\"since\": \"2024-01-20T00:00:00.000000000Z\"",
                    "\"since\": \"2024-01-20T00:00:00.000000001Z\"", "outside the table's window");
    /* until is exclusive: a row at it is outside */
    expect_rejected("\"until\": \"2024-04-15T00:00:00.000000000Z\"",
                    "\"until\": \"2024-01-31T23:59:59.999999999Z\"", "outside the table's window");
}

static void test_set_window_hull(void **state)
{
    (void)state;
    arc_table t, prev;
    memset(&t, 0, sizeof t);
    memset(&prev, 0, sizeof prev);
    arc_time_window all = {0};
    arc_time_window feb_apr = {.has_since = true, .has_until = true, .since = FEB01, .until = APR15};
    /* no earlier files: the window read */
    arc_table_set_window(&t, NULL, &feb_apr);
    assert_true(t.window.has_since && t.window.has_until);
    assert_int_equal(t.window.since, FEB01);
    assert_int_equal(t.window.until, APR15);
    /* an unfiltered export: no window */
    arc_table_set_window(&t, NULL, &all);
    assert_false(arc_time_window_bounded(&t.window));
    arc_table_set_window(&t, NULL, NULL);
    assert_false(arc_time_window_bounded(&t.window));
    /* earlier whole table (no window) whose files stay: still the whole table */
    arc_table_set_window(&t, &prev, &feb_apr);
    assert_false(arc_time_window_bounded(&t.window));
    /* earlier [Jan20, Feb01): the hull [Jan20, Apr15) */
    prev.window = (arc_time_window){.has_since = true, .has_until = true, .since = JAN20, .until = FEB01};
    arc_table_set_window(&t, &prev, &feb_apr);
    assert_true(t.window.has_since && t.window.has_until);
    assert_int_equal(t.window.since, JAN20);
    assert_int_equal(t.window.until, APR15);
    /* earlier open-ended [Jan20, +inf): stays open-ended */
    prev.window = (arc_time_window){.has_since = true, .since = JAN20};
    arc_table_set_window(&t, &prev, &feb_apr);
    assert_true(t.window.has_since);
    assert_false(t.window.has_until);
    assert_int_equal(t.window.since, JAN20);
    /* an unfiltered export after a windowed one: the window disappears */
    arc_table_set_window(&t, &prev, &all);
    assert_false(arc_time_window_bounded(&t.window));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unbounded_has_no_field),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_set_window_hull),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
