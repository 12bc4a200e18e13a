/* Cleanup's plan without a server: kind names and order, stable sorting into
 * deletion order, keep reasons, --match globs replacing the default rules,
 * the word test behind the role rule, summaries and --check's count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_cleanup.h"

static void test_kind_names(void **state)
{
    (void)state;
    static const char *order[] = {"event-source-mapping", "function", "layer-version", "log-group",
                                  "alarm", "role-policy", "policy-attachment", "policy",
                                  "instance-profile", "role", "scheduled-query", "table", "database"};
    assert_int_equal(sizeof order / sizeof order[0], ARC_CL_KIND_COUNT);
    for (unsigned k = 0; k < ARC_CL_KIND_COUNT; k++) {
        assert_string_equal(arc_cl_kind_name((arc_cl_kind)k), order[k]);
        arc_cl_kind back;
        assert_true(arc_cl_kind_parse(order[k], &back));
        assert_int_equal(back, k);
    }
    arc_cl_kind x;
    assert_false(arc_cl_kind_parse("bucket", &x));
    arc_cl_service s;
    assert_true(arc_cl_service_parse("timestream", &s));
    assert_int_equal(s, ARC_CL_SVC_TIMESTREAM);
    assert_true(arc_cl_default_rate(ARC_CL_SVC_TIMESTREAM) <= 1.0);
    assert_false(arc_cl_service_parse("s3", &s));
}

static void test_sort_and_keep(void **state)
{
    (void)state;
    arc_cl_plan p;
    arc_cl_plan_init(&p);
    ts_error e;
    ts_err_clear(&e);
    arc_cl_item *it;
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_DATABASE, ARC_CL_DELETE, "db", NULL, NULL, "r", NULL, NULL, &e), TS_OK);
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_ROLE, ARC_CL_DELETE, "role-a", "arn:a", NULL, NULL, NULL, NULL, &e), TS_OK);
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_TABLE, ARC_CL_DELETE, "db.t1", NULL, "db", NULL, NULL, NULL, &e), TS_OK);
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_FUNCTION, ARC_CL_DELETE, "f", NULL, NULL, NULL, json_pack("{s:i}", "x", 1), NULL, &e), TS_OK);
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_TABLE, ARC_CL_DELETE, "db.t0", NULL, "db", NULL, NULL, &it, &e), TS_OK);
    assert_int_equal(arc_cl_plan_add(&p, ARC_CL_EVENT_SOURCE_MAPPING, ARC_CL_DELETE, "uuid", NULL, "f", NULL, NULL, NULL, &e), TS_OK);
    arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "not archived (%d)", 7);
    arc_cl_plan_sort(&p);
    const char *want[] = {"uuid", "f", "role-a", "db.t1", "db.t0", "db"};
    assert_int_equal(p.n, 6);
    for (size_t i = 0; i < p.n; i++) assert_string_equal(p.items[i].name, want[i]);
    arc_cl_item *t0 = arc_cl_plan_find(&p, ARC_CL_TABLE, "db.t0");
    assert_non_null(t0);
    assert_int_equal(t0->action, ARC_CL_KEEP);
    assert_int_equal(t0->outcome, ARC_CL_KEPT);
    assert_string_equal(t0->reason, "not archived (7)");
    assert_null(arc_cl_plan_find(&p, ARC_CL_ROLE, "db.t0"));
    arc_cl_item *f = arc_cl_plan_find(&p, ARC_CL_FUNCTION, "f");
    f->outcome = ARC_CL_DONE;
    arc_cl_plan_find(&p, ARC_CL_ROLE, "role-a")->outcome = ARC_CL_FAILED;
    arc_cl_plan_find(&p, ARC_CL_EVENT_SOURCE_MAPPING, "uuid")->outcome = ARC_CL_ALREADY_GONE;
    arc_cl_plan_summarise(&p);
    assert_int_equal(p.deleted, 1);
    assert_int_equal(p.failed, 1);
    assert_int_equal(p.already_gone, 1);
    assert_int_equal(p.kept, 1);
    assert_int_equal(p.interlock_kept, 1);
    assert_int_equal(p.planned, 2);
    json_t *j = arc_cl_item_json(t0);
    assert_string_equal(json_string_value(json_object_get(j, "kept_for")), "interlock");
    assert_string_equal(json_string_value(json_object_get(j, "parent")), "db");
    json_decref(j);
    /* a dependency keep is not "left over" for --check */
    arc_cl_item_keep(f, ARC_CL_KEEP_DEPENDENCY, "used");
    assert_int_equal(arc_cl_remaining(&p), 5);
    arc_cl_plan_free(&p);
    arc_cl_plan_free(&p); /* twice is fine */
}

static void test_matching(void **state)
{
    (void)state;
    assert_true(arc_cl_has_token("ons-data-platform-dev-timestream-role", "dev"));
    assert_true(arc_cl_has_token("ons-data-platform-dev-timestream-role", "ons-data-platform"));
    assert_false(arc_cl_has_token("ons-data-platform-development-timestream", "dev"));
    assert_false(arc_cl_has_token("ons-data-platform-prod-timestream", "dev"));
    assert_true(arc_cl_has_token("timestream_dev", "dev"));
    assert_false(arc_cl_has_token("x", ""));
    arc_cl_match m[] = {{ARC_CL_FUNCTION, "legacy-*"}, {ARC_CL_FUNCTION, "*-loader"}};
    arc_cl_opts o;
    memset(&o, 0, sizeof o);
    assert_true(arc_cl_name_matches(&o, ARC_CL_FUNCTION, "anything", true));
    assert_false(arc_cl_name_matches(&o, ARC_CL_FUNCTION, "anything", false));
    o.matches = m;
    o.nmatches = 2;
    assert_true(arc_cl_has_match(&o, ARC_CL_FUNCTION));
    assert_false(arc_cl_has_match(&o, ARC_CL_ROLE));
    assert_true(arc_cl_name_matches(&o, ARC_CL_FUNCTION, "legacy-x", false));
    assert_true(arc_cl_name_matches(&o, ARC_CL_FUNCTION, "a-loader", false));
    assert_false(arc_cl_name_matches(&o, ARC_CL_FUNCTION, "anything", true)); /* the glob replaces the rule */
    assert_true(arc_cl_name_matches(&o, ARC_CL_ROLE, "r", true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_sort_and_keep),
        cmocka_unit_test(test_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
