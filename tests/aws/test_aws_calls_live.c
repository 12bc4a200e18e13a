/* aws_json_call (awsJson1_0: Timestream Write; awsJson1_1: CloudWatch Logs)
 * and aws_query_call (IAM) against a live server (moto) named by
 * AWS_ENDPOINT_URL. Skips cleanly when none is set. Driven by
 * tests/aws/test_aws_calls.py; TSARCHIVE_TEST_AUTH_CHECKED=1 when the server
 * verifies signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws.h"
#include "aws/aws_query.h"
#include "core/ts_alloc.h"

static bool live;
static aws_config cfg;
static aws_client *client;

#define CHECK(st, e)                                                                        \
    do {                                                                                    \
        ts_status s_ = (st);                                                                \
        if (s_ != TS_OK) {                                                                  \
            char m_[2048];                                                                  \
            ts_err_format(&(e), m_, sizeof m_);                                             \
            printf("%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #st, ts_status_name(s_), m_); \
        }                                                                                   \
        assert_int_equal(s_, TS_OK);                                                        \
    } while (0)

static int group_setup(void **state)
{
    (void)state;
    if (!getenv("AWS_ENDPOINT_URL")) return 0;
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

static char *endpoint(const char *id)
{
    char *u;
    bool custom;
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_endpoint(&cfg, id, &u, &custom, &e), e);
    assert_true(custom);
    return u;
}

static void test_timestream_write_json_1_0(void **state)
{
    (void)state;
    if (!live) skip();
    char *ep = endpoint("TIMESTREAM_WRITE");
    const char *ct = "application/x-amz-json-1.0";
    ts_error e;
    ts_err_clear(&e);
    json_t *out = NULL;
    json_t *req = json_pack("{s:s}", "DatabaseName", "tsa_calls_db");
    CHECK(aws_json_call(client, ep, "timestream", "Timestream_20181101.CreateDatabase", ct, req,
                        &out, NULL, &e), e);
    json_decref(req);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "Database"),
                                                          "DatabaseName")),
                        "tsa_calls_db");
    json_decref(out);
    CHECK(aws_json_call(client, ep, "timestream", "Timestream_20181101.ListDatabases", ct, NULL,
                        &out, NULL, &e), e);
    json_t *dbs = json_object_get(out, "Databases");
    assert_true(json_array_size(dbs) >= 1);
    json_decref(out);
    char code[AWS_ERR_CODE_MAX];
    req = json_pack("{s:s}", "DatabaseName", "no_such_db");
    ts_status st = aws_json_call(client, ep, "timestream", "Timestream_20181101.DescribeDatabase",
                                 ct, req, &out, code, &e);
    json_decref(req);
    printf("message: %s\n", e.msg);
    assert_int_equal(st, TS_ERR_REMOTE);
    assert_string_equal(code, "ResourceNotFoundException");
    assert_non_null(strstr(e.msg, "timestream DescribeDatabase: ResourceNotFoundException"));
    assert_null(out);
    ts_free(ep);
}

static void test_logs_json_1_1(void **state)
{
    (void)state;
    if (!live) skip();
    char *ep = endpoint("CLOUDWATCH_LOGS");
    const char *ct = "application/x-amz-json-1.1";
    ts_error e;
    ts_err_clear(&e);
    json_t *out = NULL;
    json_t *req = json_pack("{s:s}", "logGroupName", "/aws/lambda/tsa-fn");
    CHECK(aws_json_call(client, ep, "logs", "Logs_20140328.CreateLogGroup", ct, req, &out, NULL,
                        &e), e);
    json_decref(out);
    json_t *q = json_pack("{s:s,s:i}", "logGroupNamePrefix", "/aws/lambda/", "limit", 50);
    CHECK(aws_json_call(client, ep, "logs", "Logs_20140328.DescribeLogGroups", ct, q, &out, NULL,
                        &e), e);
    json_t *groups = json_object_get(out, "logGroups");
    assert_int_equal(json_array_size(groups), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(groups, 0), "logGroupName")),
                        "/aws/lambda/tsa-fn");
    json_decref(out);
    CHECK(aws_json_call(client, ep, "logs", "Logs_20140328.DeleteLogGroup", ct, req, &out, NULL,
                        &e), e);
    json_decref(out);
    char code[AWS_ERR_CODE_MAX];
    assert_int_equal(aws_json_call(client, ep, "logs", "Logs_20140328.DeleteLogGroup", ct, req,
                                   &out, code, &e),
                     TS_ERR_REMOTE);
    assert_string_equal(code, "ResourceNotFoundException");
    json_decref(req);
    json_decref(q);
    ts_free(ep);
}

static void test_iam_query_protocol(void **state)
{
    (void)state;
    if (!live) skip();
    char *ep = endpoint("IAM");
    ts_error e;
    ts_err_clear(&e);
    const char *trust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"
                        "\"Action\":\"sts:AssumeRole\"}]}";
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "tsa-role-%d", i);
        aws_param ps[] = {{"RoleName", name}, {"AssumeRolePolicyDocument", trust},
                          {"Path", "/tsa/"}};
        aws_xml_node *doc;
        CHECK(aws_query_call(client, ep, "iam", "us-east-1", "CreateRole", "2010-05-08", ps, 3,
                             &doc, NULL, &e), e);
        const aws_xml_node *r = aws_query_result(doc, "CreateRole");
        assert_non_null(r);
        assert_string_equal(aws_xml_path_text(r, "Role/RoleName"), name);
        aws_xml_free(doc);
    }
    /* paging with Marker / IsTruncated, one role per page */
    int seen = 0;
    char marker[1024] = "";
    for (int page = 0; page < 10; page++) {
        aws_param ps[] = {{"PathPrefix", "/tsa/"}, {"MaxItems", "1"}, {"Marker", marker}};
        aws_xml_node *doc;
        CHECK(aws_query_call(client, ep, "iam", "us-east-1", "ListRoles", "2010-05-08", ps,
                             marker[0] ? 3 : 2, &doc, NULL, &e), e);
        const aws_xml_node *r = aws_query_result(doc, "ListRoles");
        for (const aws_xml_node *m = aws_xml_child(aws_xml_child(r, "Roles"), "member"); m;
             m = m->next)
            seen++;
        const char *tr = aws_xml_child_text(r, "IsTruncated");
        bool more = tr && strcmp(tr, "true") == 0;
        if (more) snprintf(marker, sizeof marker, "%s", aws_xml_child_text(r, "Marker"));
        aws_xml_free(doc);
        if (!more) break;
    }
    assert_int_equal(seen, 3);
    aws_param missing[] = {{"RoleName", "no-such-role"}};
    aws_xml_node *doc = NULL;
    char code[AWS_ERR_CODE_MAX];
    assert_int_equal(aws_query_call(client, ep, "iam", "us-east-1", "GetRole", "2010-05-08",
                                    missing, 1, &doc, code, &e),
                     TS_ERR_REMOTE);
    printf("message: %s\n", e.msg);
    assert_string_equal(code, "NoSuchEntity");
    assert_non_null(strstr(e.msg, "iam GetRole: NoSuchEntity"));
    assert_null(doc);
    ts_free(ep);
}

static void test_wrong_secret_refused_without_leaking(void **state)
{
    (void)state;
    if (!live || !getenv("TSARCHIVE_TEST_AUTH_CHECKED")) skip();
    aws_config bad = cfg;
    bad.cred.secret_access_key = "WRONGsecretVALUEdoNotLeak";
    aws_client *c;
    ts_error e;
    ts_err_clear(&e);
    CHECK(aws_client_new(&bad, &c, &e), e);
    char *ep = endpoint("TIMESTREAM_WRITE");
    json_t *out = NULL;
    char code[AWS_ERR_CODE_MAX];
    ts_err_clear(&e);
    ts_status st = aws_json_call(c, ep, "timestream", "Timestream_20181101.ListDatabases",
                                 "application/x-amz-json-1.0", NULL, &out, code, &e);
    printf("message: %s (code %s)\n", e.msg, code);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_string_equal(code, "SignatureDoesNotMatch"); /* moto answers JSON calls in XML here */
    assert_null(strstr(e.msg, "WRONGsecret"));
    assert_null(strstr(e.msg, cfg.cred.secret_access_key));
    ts_free(ep);
    ep = endpoint("IAM");
    aws_xml_node *doc = NULL;
    ts_err_clear(&e);
    st = aws_query_call(c, ep, "iam", "us-east-1", "ListRoles", "2010-05-08", NULL, 0, &doc, code,
                        &e);
    printf("message: %s (code %s)\n", e.msg, code);
    assert_int_equal(st, TS_ERR_AUTH);
    assert_null(strstr(e.msg, "WRONGsecret"));
    ts_free(ep);
    aws_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timestream_write_json_1_0),
        cmocka_unit_test(test_logs_json_1_1),
        cmocka_unit_test(test_iam_query_protocol),
        cmocka_unit_test(test_wrong_secret_refused_without_leaking),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
