/* arc_bucket_retire against a live S3 (moto), driven by
 * tests/archive/test_retention_retire.py, which prepares the buckets with
 * boto3 and checks afterwards what is left. Skips when run alone. Env:
 *   AWS_ENDPOINT_URL                     the moto server
 *   TSARCHIVE_TEST_RETIRE_HELD           bucket with locked / legal-hold versions
 *   TSARCHIVE_TEST_RETIRE_HELD_COUNT     how many of its versions are held
 *   TSARCHIVE_TEST_RETIRE_VERSIONS       how many versions it has
 *   TSARCHIVE_TEST_RETIRE_MAY_GO         the latest retain-until (YYYY-MM-DDTHH:MM:SSZ)
 *   TSARCHIVE_TEST_RETIRE_FREE           bucket with versions and delete markers, no locks
 *   TSARCHIVE_TEST_RETIRE_FREE_ENTRIES   its versions + delete markers
 *   TSARCHIVE_TEST_RETIRE_KEEP           a second unlocked bucket that must survive (the
 *                                        audit log cannot be written: nothing is deleted)
 *   TSARCHIVE_TEST_AUDIT_DIR             a directory for the audit log */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "archive/arc_audit.h"
#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "aws/aws_s3.h"
#include "core/ts_time.h"

static bool live;
static aws_config cfg;
static aws_client *client;

#define CHECK(st, e)                                                                   \
    do {                                                                               \
        ts_status s_ = (st);                                                           \
        if (s_ != TS_OK) {                                                             \
            char m_[2048];                                                             \
            ts_err_format(&(e), m_, sizeof m_);                                        \
            printf("%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #st, ts_status_name(s_), m_); \
        }                                                                              \
        assert_int_equal(s_, TS_OK);                                                   \
    } while (0)

static const char *env(const char *k)
{
    const char *v = getenv(k);
    return v ? v : "";
}

static int group_setup(void **state)
{
    (void)state;
    if (!getenv("AWS_ENDPOINT_URL") || !getenv("TSARCHIVE_TEST_RETIRE_HELD")) return 0;
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_config_load(&cfg, NULL, &e), e);
    CHECK(aws_client_new(&cfg, &client, &e), e);
    live = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    aws_client_free(client);
    aws_config_free(&cfg);
    return 0;
}

/* An audit run log on a local directory storage. */
static void open_audit(const char *dir, arc_storage **st, arc_audit **a)
{
    ts_error e;
    ts_err_clear(&e);
    CHECK(arc_storage_open(dir, NULL, st, &e), e);
    bool ok = true;
    CHECK(arc_audit_open(*st, ARC_DEFAULT_PREFIX, "cleanup", "0123456789abcdef0123456789abcdef",
                         a, &ok, &e),
          e);
}

static void refuses_inside_retention(void **state)
{
    (void)state;
    if (!live) skip();
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/held", env("TSARCHIVE_TEST_AUDIT_DIR"));
    arc_storage *as;
    arc_audit *a;
    open_audit(dir, &as, &a);
    arc_retire_opts o = {.bucket = env("TSARCHIVE_TEST_RETIRE_HELD"), .audit = a,
                         .audit_storage = as, .audit_prefix = ARC_DEFAULT_PREFIX, .max_listed = 2};
    arc_retire_result res;
    ts_error e;
    ts_err_clear(&e);
    ts_status st = arc_bucket_retire(client, &o, &res, &e);
    char msg[2048];
    ts_err_format(&e, msg, sizeof msg);
    printf("refusal: %s\n", msg);
    assert_int_equal(st, TS_ERR_REFUSED);
    assert_int_equal(res.held, strtoul(env("TSARCHIVE_TEST_RETIRE_HELD_COUNT"), NULL, 10));
    assert_int_equal(res.versions, strtoul(env("TSARCHIVE_TEST_RETIRE_VERSIONS"), NULL, 10));
    assert_int_equal(res.nheld_v, 2); /* the first max_listed */
    assert_true(res.legal_hold);
    assert_int_equal(res.deleted, 0);
    assert_false(res.bucket_deleted);
    char may[TS_TIME_STR_MAX];
    int64_t want;
    assert_true(ts_time_parse(env("TSARCHIVE_TEST_RETIRE_MAY_GO"),
                              strlen(env("TSARCHIVE_TEST_RETIRE_MAY_GO")), &want));
    assert_int_equal(res.may_go_ns, want);
    snprintf(may, sizeof may, "the bucket may go after %s", env("TSARCHIVE_TEST_RETIRE_MAY_GO"));
    assert_non_null(strstr(msg, may));
    assert_non_null(strstr(msg, res.held_v[0].key));
    assert_non_null(strstr(msg, "legal hold"));
    /* nothing was written: the refusal comes before the audit record */
    assert_int_equal(arc_audit_entries(a), 0);
    arc_retire_result_free(&res);
    arc_audit_free(a);
    arc_storage_free(as);
}

static void audit_in_the_bucket_refused(void **state)
{
    (void)state;
    if (!live) skip();
    char url[256];
    snprintf(url, sizeof url, "s3://%s/logs", env("TSARCHIVE_TEST_RETIRE_FREE"));
    arc_storage *as;
    ts_error e;
    ts_err_clear(&e);
    CHECK(arc_storage_open(url, client, &as, &e), e);
    arc_audit *a;
    CHECK(arc_audit_new("cleanup", "0123456789abcdef0123456789abcdef", ts_now_ns(),
                        ARC_AUDIT_GENESIS, 0, &a, &e),
          e);
    arc_retire_opts o = {.bucket = env("TSARCHIVE_TEST_RETIRE_FREE"), .audit = a,
                         .audit_storage = as, .audit_prefix = ARC_DEFAULT_PREFIX};
    arc_retire_result res;
    assert_int_equal(arc_bucket_retire(client, &o, &res, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "cannot go into that bucket"));
    arc_retire_result_free(&res);
    arc_audit_free(a);
    arc_storage_free(as);
}

static void audit_unwritable_deletes_nothing(void **state)
{
    (void)state;
    if (!live) skip();
    /* the directory is created on the first write; a regular file in its
     * way makes that write fail */
    char dir[1200], blocker[1200];
    snprintf(blocker, sizeof blocker, "%s/later", env("TSARCHIVE_TEST_AUDIT_DIR"));
    snprintf(dir, sizeof dir, "%s/audit", blocker);
    arc_storage *as;
    ts_error e;
    ts_err_clear(&e);
    CHECK(arc_storage_open(dir, NULL, &as, &e), e);
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    arc_audit *a;
    CHECK(arc_audit_new("cleanup", "0123456789abcdef0123456789abcdef", ts_now_ns(),
                        ARC_AUDIT_GENESIS, 0, &a, &e),
          e);
    arc_retire_opts o = {.bucket = env("TSARCHIVE_TEST_RETIRE_KEEP"), .audit = a,
                         .audit_storage = as, .audit_prefix = ARC_DEFAULT_PREFIX};
    arc_retire_result res;
    ts_status st = arc_bucket_retire(client, &o, &res, &e);
    char msg[2048];
    ts_err_format(&e, msg, sizeof msg);
    printf("unwritable audit: %s\n", msg);
    assert_int_not_equal(st, TS_OK);
    assert_non_null(strstr(msg, "audit log"));
    assert_int_equal(res.deleted, 0);
    assert_false(res.bucket_deleted);
    arc_retire_result_free(&res);
    arc_audit_free(a);
    arc_storage_free(as);
}

static void dry_run_then_retire(void **state)
{
    (void)state;
    if (!live) skip();
    const char *b = env("TSARCHIVE_TEST_RETIRE_FREE");
    size_t entries = strtoul(env("TSARCHIVE_TEST_RETIRE_FREE_ENTRIES"), NULL, 10);
    arc_retire_opts d = {.bucket = b, .dry_run = true};
    arc_retire_result res;
    ts_error e;
    ts_err_clear(&e);
    CHECK(arc_bucket_retire(client, &d, &res, &e), e);
    assert_int_equal(res.versions + res.delete_markers, entries);
    assert_true(res.delete_markers > 0);
    assert_int_equal(res.held, 0);
    assert_int_equal(res.deleted, 0);
    arc_retire_result_free(&res);

    char dir[1200];
    snprintf(dir, sizeof dir, "%s/free", env("TSARCHIVE_TEST_AUDIT_DIR"));
    arc_storage *as;
    arc_audit *a;
    open_audit(dir, &as, &a);
    arc_retire_opts o = {.bucket = b, .audit = a, .audit_storage = as,
                         .audit_prefix = ARC_DEFAULT_PREFIX};
    CHECK(arc_bucket_retire(client, &o, &res, &e), e);
    assert_int_equal(res.deleted, entries);
    assert_true(res.bucket_deleted);
    assert_int_equal(arc_audit_entries(a), 2); /* the plan (first), the outcome */
    size_t len;
    const char *text = arc_audit_text(a, &len);
    const char *plan = strstr(text, "\"plan-retire-bucket\"");
    const char *done = strstr(text, "\"retire-bucket\"");
    assert_non_null(plan);
    assert_non_null(done);
    assert_true(plan < done);
    printf("audit object: %s\n", arc_audit_object_name(a));
    arc_retire_result_free(&res);
    arc_audit_free(a);
    arc_storage_free(as);
    /* gone */
    assert_int_equal(s3_head_bucket(client, b, &e), TS_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_inside_retention),
        cmocka_unit_test(audit_in_the_bucket_refused),
        cmocka_unit_test(audit_unwritable_deletes_nothing),
        cmocka_unit_test(dry_run_then_retire),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
