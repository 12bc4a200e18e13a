/* aws_error_fail, the one error report of the awsJson and awsQuery clients:
 * code and message from the body, the IAM permission to ask for when denied,
 * what to check when authentication fails (the region named or not), the
 * status mapping and the copied code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws.h"
#include "core/ts_buf.h"

static aws_config cfg;
static aws_client *cl;

static int setup(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRETTEST", 1);
    setenv("AWS_REGION", "eu-west-3", 1);
    unsetenv("AWS_PROFILE");
    ts_error e;
    ts_err_clear(&e);
    if (aws_config_load(&cfg, NULL, &e) != TS_OK || aws_client_new(&cfg, &cl, &e) != TS_OK) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aws_client_free(cl);
    aws_config_free(&cfg);
    return 0;
}

static ts_status fail_with(long status, aws_protocol proto, const char *body, const char *region,
                           char *code, ts_error *e)
{
    http_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    ts_buf_init(&r.body, 1 << 16);
    assert_int_equal(ts_buf_append(&r.body, body, strlen(body)), TS_OK);
    ts_err_clear(e);
    ts_status st = aws_error_fail(cl, &r, proto, "timestream", "Query", region, code, e);
    printf("%d: %s\n", (int)st, e->msg);
    ts_buf_free(&r.body);
    return st;
}

static void test_denied_names_the_permission(void **state)
{
    (void)state;
    ts_error e;
    char code[AWS_ERR_CODE_MAX];
    assert_int_equal(fail_with(400, AWS_PROTO_JSON,
                               "{\"__type\":\"com.amazonaws#AccessDeniedException\","
                               "\"message\":\"not allowed\"}",
                               "eu-west-3", code, &e),
                     TS_ERR_AUTH);
    assert_string_equal(code, "AccessDeniedException");
    assert_non_null(strstr(e.msg, "timestream Query: AccessDeniedException: not allowed"));
    assert_non_null(strstr(e.msg, "needs the IAM permission timestream:Query"));
}

static void test_auth_failure_region_named_or_not(void **state)
{
    (void)state;
    ts_error e;
    const char *json = "{\"__type\":\"UnrecognizedClientException\",\"message\":\"bad token\"}";
    assert_int_equal(fail_with(400, AWS_PROTO_JSON, json, "eu-west-3", NULL, &e), TS_ERR_AUTH);
    assert_non_null(strstr(e.msg, "the region eu-west-3 and the system clock"));
    const char *xml = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code>"
                      "<Message>bad id</Message></Error></ErrorResponse>";
    assert_int_equal(fail_with(403, AWS_PROTO_XML, xml, NULL, NULL, &e), TS_ERR_AUTH);
    assert_non_null(strstr(e.msg, "timestream Query: InvalidClientTokenId: bad id"));
    assert_non_null(strstr(e.msg, "the region and the system clock"));
}

static void test_not_found_left_to_the_caller(void **state)
{
    (void)state;
    ts_error e;
    char code[AWS_ERR_CODE_MAX];
    assert_int_equal(fail_with(400, AWS_PROTO_JSON,
                               "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no table\"}",
                               "eu-west-3", code, &e),
                     TS_ERR_REMOTE);
    assert_string_equal(code, "ResourceNotFoundException");
    assert_string_equal(e.msg, "timestream Query: ResourceNotFoundException: no table");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_denied_names_the_permission),
        cmocka_unit_test(test_auth_failure_region_named_or_not),
        cmocka_unit_test(test_not_found_left_to_the_caller),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
