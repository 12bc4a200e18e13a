/* Archive layout: calendar months (leap years, pre-1970, Dec→Jan, int64
 * ends), window splitting, partition file names, name and path checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_layout.h"
#include "core/ts_time.h"

static int64_t T(const char *s)
{
    int64_t ns = 0;
    assert_true(ts_time_parse(s, strlen(s), &ns));
    return ns;
}

static void test_days_in_month(void **state)
{
    (void)state;
    assert_int_equal(arc_days_in_month(2024, 2), 29);
    assert_int_equal(arc_days_in_month(2023, 2), 28);
    assert_int_equal(arc_days_in_month(2000, 2), 29);
    assert_int_equal(arc_days_in_month(1900, 2), 28);
    assert_int_equal(arc_days_in_month(1969, 12), 31);
    assert_int_equal(arc_days_in_month(2024, 4), 30);
    assert_int_equal(arc_days_in_month(2024, 13), 0);
}

static void test_month_of_and_window(void **state)
{
    (void)state;
    arc_month m = arc_month_of(T("2024-02-29T23:59:59.999999999Z"));
    assert_int_equal(m.year, 2024);
    assert_int_equal(m.month, 2);
    arc_window w = arc_month_window(m);
    assert_int_equal(w.lo, T("2024-02-01T00:00:00Z"));
    assert_int_equal(w.hi, T("2024-03-01T00:00:00Z") - 1);
    /* pre-1970: floor, not truncation */
    m = arc_month_of(-1);
    assert_int_equal(m.year, 1969);
    assert_int_equal(m.month, 12);
    w = arc_month_window(m);
    assert_int_equal(w.lo, T("1969-12-01T00:00:00Z"));
    assert_int_equal(w.hi, -1);
    m = arc_month_of(0);
    assert_int_equal(m.year, 1970);
    assert_int_equal(m.month, 1);
    /* Dec → Jan */
    arc_month n = arc_month_next((arc_month){2023, 12});
    assert_int_equal(n.year, 2024);
    assert_int_equal(n.month, 1);
    assert_true(arc_month_cmp((arc_month){2023, 12}, n) < 0);
    assert_int_equal(arc_month_cmp(n, (arc_month){2024, 1}), 0);
    /* the ends of the int64 range clamp */
    w = arc_month_window(arc_month_of(INT64_MAX));
    assert_int_equal(w.hi, INT64_MAX);
    assert_int_equal(w.lo, T("2262-04-01T00:00:00Z"));
    w = arc_month_window(arc_month_of(INT64_MIN));
    assert_int_equal(w.lo, INT64_MIN);
    assert_int_equal(w.hi, T("1677-10-01T00:00:00Z") - 1);
}

static void test_window_split(void **state)
{
    (void)state;
    arc_window w = arc_month_window((arc_month){2024, 1});
    arc_window l, r;
    assert_true(arc_window_split(w, &l, &r));
    /* a day boundary near the middle of January */
    assert_int_equal(l.lo, w.lo);
    assert_int_equal(r.hi, w.hi);
    assert_int_equal(l.hi + 1, r.lo);
    assert_int_equal(r.lo % TS_NS_PER_DAY, 0);
    assert_true(r.lo == T("2024-01-16T00:00:00Z") || r.lo == T("2024-01-17T00:00:00Z"));
    /* a one-day window splits at an hour */
    arc_window d = {T("2024-01-05T00:00:00Z"), T("2024-01-06T00:00:00Z") - 1};
    assert_true(arc_window_split(d, &l, &r));
    assert_int_equal(r.lo, T("2024-01-05T12:00:00Z"));
    /* tiny windows still split, single instants do not */
    arc_window tiny = {100, 103};
    assert_true(arc_window_split(tiny, &l, &r));
    assert_int_equal(l.lo, 100);
    assert_int_equal(l.hi, 101);
    assert_int_equal(r.lo, 102);
    assert_int_equal(r.hi, 103);
    arc_window one = {5, 5};
    assert_false(arc_window_split(one, &l, &r));
    /* before 1970 */
    arc_window pre = arc_month_window((arc_month){1969, 12});
    assert_true(arc_window_split(pre, &l, &r));
    assert_int_equal(l.hi + 1, r.lo);
    assert_int_equal(r.lo % TS_NS_PER_DAY, 0);
    /* the whole int64 range does not overflow */
    arc_window all = {INT64_MIN, INT64_MAX};
    assert_true(arc_window_split(all, &l, &r));
    assert_true(l.hi < r.lo);
}

static void test_partition_path(void **state)
{
    (void)state;
    char p[ARC_PATH_MAX];
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_partition_path("generation_data", (arc_month){2024, 1}, p, sizeof p, &e),
                     TS_OK);
    assert_string_equal(p, "generation_data/year=2024/month=01/generation_data_20240101_20240131.parquet");
    assert_int_equal(arc_partition_path("t", (arc_month){2024, 2}, p, sizeof p, &e), TS_OK);
    assert_string_equal(p, "t/year=2024/month=02/t_20240201_20240229.parquet");
    assert_int_equal(arc_partition_path("t", (arc_month){2023, 2}, p, sizeof p, &e), TS_OK);
    assert_string_equal(p, "t/year=2023/month=02/t_20230201_20230228.parquet");
    assert_int_equal(arc_partition_path("t", (arc_month){1969, 12}, p, sizeof p, &e), TS_OK);
    assert_string_equal(p, "t/year=1969/month=12/t_19691201_19691231.parquet");
    assert_int_equal(arc_partition_path("../x", (arc_month){2024, 1}, p, sizeof p, &e),
                     TS_ERR_USAGE);
    char small[20];
    ts_err_clear(&e);
    assert_int_equal(arc_partition_path("t", (arc_month){2024, 1}, small, sizeof small, &e),
                     TS_ERR_LIMIT);
}

static void test_names_and_paths(void **state)
{
    (void)state;
    assert_true(arc_name_ok("db_dev-1.x"));
    assert_false(arc_name_ok(""));
    assert_false(arc_name_ok("."));
    assert_false(arc_name_ok(".."));
    assert_false(arc_name_ok("_audit"));
    assert_false(arc_name_ok(".export_state.json"));
    assert_false(arc_name_ok("a/b"));
    assert_false(arc_name_ok("a b"));
    assert_false(arc_name_ok("a\\b"));
    assert_true(arc_relpath_ok("t/year=2024/month=01/t_20240101_20240131.parquet"));
    assert_false(arc_relpath_ok("/etc/passwd"));
    assert_false(arc_relpath_ok("t/../../x"));
    assert_false(arc_relpath_ok(".."));
    assert_false(arc_relpath_ok("t//x"));
    assert_false(arc_relpath_ok("t/./x"));
    assert_false(arc_relpath_ok("t/x/"));
    assert_false(arc_relpath_ok("t/x y"));
    assert_false(arc_relpath_ok("t/x\\..\\y"));
    assert_false(arc_relpath_ok("t/\xc3\xa9"));
    assert_false(arc_relpath_ok(""));
    char j[64];
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_join(j, sizeof j, &e, "timestream-archive/", "db", "x.json"), TS_OK);
    assert_string_equal(j, "timestream-archive/db/x.json");
    assert_int_equal(arc_join(j, sizeof j, &e, "", "db", NULL), TS_OK);
    assert_string_equal(j, "db");
    assert_int_equal(arc_join(j, 5, &e, "abc", "def", NULL), TS_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_in_month),
        cmocka_unit_test(test_month_of_and_window),
        cmocka_unit_test(test_window_split),
        cmocka_unit_test(test_partition_path),
        cmocka_unit_test(test_names_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
