/* arc_compare_expected (restore's InfluxDB parity): with a fake live source,
 * the window asked for each expected month (clamped to since/until), exact
 * per-field counts, extra live fields, first/last time exact or — with
 * refused points — only within the archive's, and the report entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_compare.h"
#include "core/ts_alloc.h"

#define JAN_2024 1704067200000000000LL /* 2024-01-01T00:00:00Z */
#define FEB_2024 1706745600000000000LL

/* The live side: what the fake answers, and the windows it was asked for. */
typedef struct fake_live {
    arc_live base;
    uint64_t points, f1, f2, extra;
    int64_t min_time, max_time;
    int64_t lo[4], hi[4];
    size_t calls;
} fake_live;

static ts_status fake_window(arc_live *l, const char *db, const char *series, int64_t lo,
                             int64_t hi_excl, const char *const *measures, size_t nmeasures,
                             bool extra, arc_side_stats *out, ts_error *err)
{
    (void)db;
    (void)err;
    fake_live *f = (fake_live *)l;
    assert_string_equal(series, "cpu");
    assert_int_equal(nmeasures, 2);
    assert_string_equal(measures[0], "x_load");
    assert_string_equal(measures[1], "count");
    f->lo[f->calls] = lo;
    f->hi[f->calls] = hi_excl;
    f->calls++;
    out->records = f->points;
    out->min_time = f->min_time;
    out->max_time = f->max_time;
    out->measures[0].count = f->f1;
    out->measures[1].count = f->f2;
    if (extra && f->extra) {
        arc_measure_stats *m = ts_realloc(out->measures, 3 * sizeof *m);
        assert_non_null(m);
        out->measures = m;
        memset(&m[2], 0, sizeof m[2]);
        m[2].name = ts_strdup("bogus");
        m[2].count = f->extra;
        out->nmeasures = 3;
    }
    return TS_OK;
}

static void fake_free(arc_live *l) { (void)l; }

static const arc_live_ops fake_ops = {.scheme = "influx1", .free = fake_free, .window = fake_window};

/* One expected month of "cpu": 10 points, x_load 10 values, count 4. */
static bool run(fake_live *f, const arc_compare_opts *o, char *why, size_t whysz)
{
    arc_measure_stats ms[2] = {{.name = "x_load", .count = 10}, {.name = "count", .count = 4}};
    arc_expect x = {.database = "db", .series = "cpu", .month = {2024, 1},
                    .s = {.records = 10, .min_time = JAN_2024 + 5, .max_time = JAN_2024 + 500,
                          .nmeasures = 2, .measures = ms}};
    arc_compare_report rep;
    arc_compare_report_init(&rep);
    ts_error e;
    ts_err_clear(&e);
    f->base.ops = &fake_ops;
    assert_int_equal(arc_compare_expected(&f->base, o, &x, 1, &rep, &e), TS_OK);
    assert_int_equal(rep.nmonths, 1);
    const arc_compare_month *m = &rep.months[0];
    snprintf(why, whysz, "%s", m->why ? m->why : "");
    printf("match %d why \"%s\"\n", m->match, why);
    assert_string_equal(m->table, "cpu");
    assert_int_equal(m->archive.records, 10);
    bool match = m->match;
    assert_int_equal(rep.ndiffer, match ? 0 : 1);
    arc_compare_report_free(&rep);
    return match;
}

static fake_live same(void)
{
    return (fake_live){.points = 10, .f1 = 10, .f2 = 4, .min_time = JAN_2024 + 5,
                       .max_time = JAN_2024 + 500};
}

static void test_equal_month_and_window(void **state)
{
    (void)state;
    char why[512];
    fake_live f = same();
    arc_compare_opts o = {0};
    assert_true(run(&f, &o, why, sizeof why));
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.lo[0], JAN_2024);
    assert_int_equal(f.hi[0], FEB_2024);
    /* --since/--until clamp the month */
    f = same();
    o.has_since = o.has_until = true;
    o.since = JAN_2024 + 3;
    o.until = JAN_2024 + 1000;
    assert_true(run(&f, &o, why, sizeof why));
    assert_int_equal(f.lo[0], JAN_2024 + 3);
    assert_int_equal(f.hi[0], JAN_2024 + 1000);
}

static void test_differences(void **state)
{
    (void)state;
    char why[512];
    arc_compare_opts o = {0};
    fake_live f = same();
    f.points = f.f1 = 11; /* one point more live */
    assert_false(run(&f, &o, why, sizeof why));
    assert_non_null(strstr(why, "records differ (archive 10 as points, live 11)"));
    f = same();
    f.f2 = 3; /* same points, one value fewer in one field */
    assert_false(run(&f, &o, why, sizeof why));
    assert_non_null(strstr(why, "count: 4 values in the archive, 3 live"));
    /* a field only the live side has: a difference only when asked for */
    f = same();
    f.extra = 2;
    assert_true(run(&f, &o, why, sizeof why));
    o.extra_fields = true;
    assert_false(run(&f, &o, why, sizeof why));
    assert_non_null(strstr(why, "bogus: 2 values live, not in the archive"));
}

static void test_first_last_exact_or_within(void **state)
{
    (void)state;
    char why[512];
    arc_compare_opts o = {0};
    fake_live f = same();
    f.min_time += 1; /* the first point was refused */
    assert_false(run(&f, &o, why, sizeof why));
    assert_non_null(strstr(why, "first/last time differ"));
    o.range_within = true;
    assert_true(run(&f, &o, why, sizeof why));
    f = same();
    f.max_time += 1; /* later than anything the archive holds: never within */
    assert_false(run(&f, &o, why, sizeof why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_month_and_window),
        cmocka_unit_test(test_differences),
        cmocka_unit_test(test_first_last_exact_or_within),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
