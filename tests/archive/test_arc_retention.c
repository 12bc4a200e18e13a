/* Retention pieces without a server: the retain-until date (rounding, leap
 * days), --years/--lock-mode/--storage-class parsing, the manifest's optional
 * object_lock round trip, and the lifecycle document --apply sends (other
 * rules kept element by element, escaping, its own rule replaced, not added
 * twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_manifest.h"
#include "archive/arc_retention.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"

static int64_t at(const char *s)
{
    int64_t ns;
    assert_true(ts_time_parse(s, strlen(s), &ns));
    return ns;
}

static void until_dates(void **state)
{
    (void)state;
    char iso[TS_TIME_STR_MAX];
    int64_t u;
    assert_true(arc_retention_until(at("2026-11-25T20:16:58Z"), 7, &u, iso));
    assert_string_equal(iso, "2033-11-25T20:16:58Z");
    assert_int_equal(u, at("2033-11-25T20:16:58Z"));
    /* a fraction rounds up to the next second (never a moment short) */
    assert_true(arc_retention_until(at("2026-11-25T20:16:58.000000001Z"), 7, &u, iso));
    assert_string_equal(iso, "2033-11-25T20:16:59Z");
    assert_true(arc_retention_until(at("2026-12-31T23:59:59.5Z"), 7, &u, iso));
    assert_string_equal(iso, "2034-01-01T00:00:00Z");
    /* 29 February into a common year → 1 March; into a leap year stays */
    assert_true(arc_retention_until(at("2024-02-29T12:00:00Z"), 7, &u, iso));
    assert_string_equal(iso, "2031-03-01T12:00:00Z");
    assert_true(arc_retention_until(at("2024-02-29T12:00:00Z"), 4, &u, iso));
    assert_string_equal(iso, "2028-02-29T12:00:00Z");
    assert_false(arc_retention_until(at("2026-01-01T00:00:00Z"), ARC_RET_MAX_YEARS + 1, &u, iso));
}

static void parsing(void **state)
{
    (void)state;
    int y = 0;
    assert_true(arc_retention_parse_years("7", &y));
    assert_int_equal(y, 7);
    assert_true(arc_retention_parse_years("7y", &y));
    assert_int_equal(y, 7);
    assert_true(arc_retention_parse_years("10Y", &y));
    assert_int_equal(y, 10);
    const char *bad[] = {"", "y", "0", "0y", "-7", "7yy", "7d", "7 y", "101", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (arc_retention_parse_years(bad[i], &y)) fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_string_equal(arc_retention_lock_mode("governance"), "GOVERNANCE");
    assert_string_equal(arc_retention_lock_mode("COMPLIANCE"), "COMPLIANCE");
    assert_null(arc_retention_lock_mode("legal"));
    assert_true(arc_retention_class_ok("GLACIER_IR"));
    assert_true(arc_retention_class_ok("DEEP_ARCHIVE"));
    assert_false(arc_retention_class_ok("STANDARD"));
    assert_false(arc_retention_class_ok("glacier_ir"));
    assert_int_equal(arc_retention_class_min_days("STANDARD_IA"), 30);
    assert_int_equal(arc_retention_class_min_days("GLACIER"), 0);
}

static const char *manifest_text(const char *lock)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"compression\":\"zstd\",\"database\":\"db\",\"export_id\":\"e\","
             "\"finished_at\":\"2026-01-01T00:00:01Z\",\"format_version\":1,%s"
             "\"source\":{\"database\":\"db\",\"endpoint\":null,\"kind\":\"file\",\"region\":null},"
             "\"started_at\":\"2026-01-01T00:00:00Z\",\"tables\":[],"
             "\"tool\":{\"build\":\"b\",\"name\":\"tsarchive\",\"version\":\"0\"},"
             "\"totals\":{\"bytes\":0,\"files\":0,\"records\":0,\"tables\":0}}",
             lock);
    return buf;
}

static void manifest_object_lock(void **state)
{
    (void)state;
    arc_manifest m;
    ts_error e;
    ts_err_clear(&e);
    /* older manifests: no field, still valid, and written back without one */
    const char *old = manifest_text("");
    assert_int_equal(arc_manifest_parse(old, strlen(old), &m, &e), TS_OK);
    assert_null(m.lock_mode);
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    assert_int_equal(arc_manifest_to_json(&m, &b, &e), TS_OK);
    assert_int_equal(ts_buf_nul(&b), TS_OK);
    assert_null(strstr((const char *)b.data, "object_lock"));
    arc_manifest_free(&m);
    ts_buf_clear(&b);

    const char *with = manifest_text(
        "\"object_lock\":{\"mode\":\"GOVERNANCE\",\"retain_until\":\"2033-01-01T00:00:00Z\"},");
    assert_int_equal(arc_manifest_parse(with, strlen(with), &m, &e), TS_OK);
    assert_string_equal(m.lock_mode, "GOVERNANCE");
    assert_string_equal(m.lock_until, "2033-01-01T00:00:00Z");
    assert_int_equal(arc_manifest_to_json(&m, &b, &e), TS_OK);
    assert_int_equal(ts_buf_nul(&b), TS_OK);
    assert_non_null(strstr((const char *)b.data, "\"object_lock\": {\n    \"mode\": \"GOVERNANCE\",\n"
                                                 "    \"retain_until\": \"2033-01-01T00:00:00Z\"\n  }"));
    arc_manifest m2;
    assert_int_equal(arc_manifest_parse((const char *)b.data, b.len, &m2, &e), TS_OK);
    assert_string_equal(m2.lock_until, m.lock_until);
    arc_manifest_free(&m2);
    arc_manifest_free(&m);
    ts_buf_free(&b);

    const char *bad[] = {
        "\"object_lock\":{\"mode\":\"STRICT\",\"retain_until\":\"2033-01-01T00:00:00Z\"},",
        "\"object_lock\":{\"mode\":\"GOVERNANCE\",\"retain_until\":\"someday\"},",
        "\"object_lock\":{\"mode\":\"GOVERNANCE\"},",
        "\"object_lock\":\"GOVERNANCE\",",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *t = manifest_text(bad[i]);
        ts_err_clear(&e);
        assert_int_equal(arc_manifest_parse(t, strlen(t), &m, &e), TS_ERR_CORRUPT);
        assert_non_null(strstr(e.msg, "object_lock"));
    }
}

/* A hand-made S3 assessment: versioning on, one foreign rule for another
 * prefix (with a tag filter and an '&' to escape), one of ours without a
 * transition, no Object Lock. */
static void s3_assessment(arc_retention *r, const char *lifecycle)
{
    arc_retention_init(r);
    r->kind = ARC_RET_S3;
    r->years = 7;
    r->root = ts_strdup("s3://b/pre/");
    r->bucket = ts_strdup("b");
    r->prefix = ts_strdup("timestream-archive/");
    r->key_prefix = ts_strdup("pre/timestream-archive/");
    r->lifecycle_xml = lifecycle ? ts_strdup(lifecycle) : NULL;
    snprintf(r->versioning, sizeof r->versioning, "Enabled");
    r->rules[ARC_RET_RULE_VERSIONING].verdict = ARC_RET_HOLDS;
    r->rules[ARC_RET_RULE_TRANSITION].verdict = ARC_RET_DOES_NOT_HOLD;
    r->rules[ARC_RET_RULE_NO_EXPIRATION].verdict = ARC_RET_HOLDS;
    r->rules[ARC_RET_RULE_OBJECT_LOCK].verdict = ARC_RET_CANNOT_HOLD;
    r->rules[ARC_RET_RULE_OBJECT_LOCK].required = false;
}

#define FOREIGN                                                                            \
    "<Rule><ID>logs &amp; tmp</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key>"    \
    "<Value>v&lt;1</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>30" \
    "</Days></Expiration></Rule>"

static void lifecycle_merge(void **state)
{
    (void)state;
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LifecycleConfiguration "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" FOREIGN
        "<Rule><ID>tsarchive-retention:pre/timestream-archive/</ID><Filter><Prefix>pre/"
        "timestream-archive/</Prefix></Filter><Status>Disabled</Status></Rule>"
        "</LifecycleConfiguration>";
    arc_retention r;
    s3_assessment(&r, doc);
    arc_ret_plan p;
    ts_error e;
    ts_err_clear(&e);
    arc_ret_apply_opts o = {.storage_class = "DEEP_ARCHIVE", .transition_days = 180};
    assert_int_equal(arc_retention_plan(&r, &o, &p, &e), TS_OK);
    assert_int_equal(p.nchanges, 1);
    assert_int_equal(p.changes[0].kind, ARC_RET_CH_LIFECYCLE);
    const char *want =
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" FOREIGN
        "<Rule><ID>tsarchive-retention:pre/timestream-archive/</ID><Filter><Prefix>pre/"
        "timestream-archive/</Prefix></Filter><Status>Enabled</Status><Transition><Days>180"
        "</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition>"
        "<NoncurrentVersionTransition><NoncurrentDays>180</NoncurrentDays><StorageClass>"
        "DEEP_ARCHIVE</StorageClass></NoncurrentVersionTransition>"
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>";
    if (strcmp(p.lifecycle_xml, want) != 0)
        fail_msg("lifecycle document\n got: %s\nwant: %s", p.lifecycle_xml, want);
    /* the object-lock rule cannot be applied: said as a note */
    assert_int_equal(p.nnotes, 1);
    assert_non_null(strstr(p.notes[0], "object lock: "));
    arc_ret_plan_free(&p);

    /* bad options are refused before anything is planned */
    arc_ret_apply_opts bad1 = {.storage_class = "STANDARD", .transition_days = -1};
    assert_int_equal(arc_retention_plan(&r, &bad1, &p, &e), TS_ERR_USAGE);
    arc_ret_apply_opts bad2 = {.storage_class = "ONEZONE_IA", .transition_days = 29};
    assert_int_equal(arc_retention_plan(&r, &bad2, &p, &e), TS_ERR_USAGE);
    arc_ret_apply_opts bad3 = {.lock_mode = "forever", .transition_days = -1};
    assert_int_equal(arc_retention_plan(&r, &bad3, &p, &e), TS_ERR_USAGE);

    /* everything holding: an empty plan */
    r.rules[ARC_RET_RULE_TRANSITION].verdict = ARC_RET_HOLDS;
    r.lock_enabled = true;
    r.rules[ARC_RET_RULE_OBJECT_LOCK].verdict = ARC_RET_HOLDS;
    assert_int_equal(arc_retention_plan(&r, NULL, &p, &e), TS_OK);
    assert_int_equal(p.nchanges + p.nnotes, 0);
    assert_null(p.lifecycle_xml);
    arc_ret_plan_free(&p);
    arc_retention_free(&r);

    /* no configuration at all: just ours */
    s3_assessment(&r, NULL);
    assert_int_equal(arc_retention_plan(&r, NULL, &p, &e), TS_OK);
    assert_non_null(strstr(p.lifecycle_xml, "<Days>90</Days><StorageClass>GLACIER_IR"));
    assert_null(strstr(p.lifecycle_xml, "Expiration"));
    arc_ret_plan_free(&p);
    arc_retention_free(&r);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(arc_ret_verdict_name(ARC_RET_HOLDS), "holds");
    assert_string_equal(arc_ret_verdict_name(ARC_RET_DOES_NOT_HOLD), "does_not_hold");
    assert_string_equal(arc_ret_verdict_name(ARC_RET_CANNOT_HOLD), "cannot_hold");
    assert_string_equal(arc_ret_rule_name(ARC_RET_RULE_OBJECT_LOCK), "object-lock");
    arc_retention r;
    arc_retention_init(&r);
    json_t *j = arc_retention_to_json(&r, true);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "cannot_hold");
    assert_int_equal(json_array_size(json_object_get(j, "rules")), ARC_RET_RULE_COUNT);
    json_decref(j);
    arc_retention_free(&r);
    arc_retention_free(NULL);
    arc_ret_plan_free(NULL);
    arc_retire_result_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(until_dates),      cmocka_unit_test(parsing),
        cmocka_unit_test(manifest_object_lock), cmocka_unit_test(lifecycle_merge),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
