/* XML tree (expat) and service error parsing: S3 XML, Query XML, JSON
 * __type sanitising, status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws.h"
#include "aws/aws_xml.h"
#include "core/ts_alloc.h"

static void test_list_result_tree(void **state)
{
    (void)state;
    const char *x =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>b</Name><IsTruncated>true</IsTruncated>"
        "<Contents><Key>a/year=2024/x&amp;y.parquet</Key><Size>12</Size><ETag>&quot;e1&quot;</ETag></Contents>"
        "<Contents><Key>b</Key><Size>0</Size></Contents>"
        "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";
    aws_xml_node *root;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_xml_parse(x, strlen(x), &root, &e), TS_OK);
    assert_string_equal(root->name, "ListBucketResult");
    assert_string_equal(aws_xml_child_text(root, "IsTruncated"), "true");
    assert_string_equal(aws_xml_child_text(root, "NextContinuationToken"), "tok/+=");
    aws_xml_node *c = aws_xml_child(root, "Contents");
    assert_string_equal(aws_xml_child_text(c, "Key"), "a/year=2024/x&y.parquet");
    assert_string_equal(aws_xml_child_text(c, "ETag"), "\"e1\"");
    assert_string_equal(aws_xml_child_text(c->next, "Key"), "b");
    assert_string_equal(aws_xml_path_text(root, "Contents/Size"), "12");
    assert_null(aws_xml_path_text(root, "Contents/Nope"));
    aws_xml_free(root);
}

static void test_bad_and_hostile_xml(void **state)
{
    (void)state;
    aws_xml_node *root;
    ts_error e;
    ts_err_clear(&e);
    const char *bad = "<a><b></a>";
    assert_int_equal(aws_xml_parse(bad, strlen(bad), &root, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "line 1"));
    ts_err_clear(&e);
    assert_int_equal(aws_xml_parse("", 0, &root, &e), TS_ERR_CORRUPT);
    /* deeper than the cap */
    char deep[AWS_XML_MAX_DEPTH * 8 + 64];
    size_t n = 0;
    for (int i = 0; i < AWS_XML_MAX_DEPTH + 2; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
    ts_err_clear(&e);
    assert_int_equal(aws_xml_parse(deep, n, &root, &e), TS_ERR_LIMIT);
    /* billion laughs: expat refuses to amplify */
    const char *lol = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
                      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
                      "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
                      "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
                      "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]><l>&h;</l>";
    ts_err_clear(&e);
    ts_status st = aws_xml_parse(lol, strlen(lol), &root, &e);
    /* either refused, or the text stayed within the 1 MiB per-element cap */
    assert_true(st != TS_OK);
}

static http_response mk(long status, const char *body)
{
    http_response r;
    memset(&r, 0, sizeof r);
    ts_buf_init(&r.body, 1 << 20);
    r.status = status;
    if (body) ts_buf_append_str(&r.body, body);
    return r;
}

static void test_error_parse(void **state)
{
    (void)state;
    char code[AWS_ERR_CODE_MAX], msg[256];
    http_response r = mk(400, "{\"__type\":\"com.amazonaws.timestream.v20181101#ThrottlingException\","
                              "\"message\":\"Rate exceeded\"}");
    aws_error_parse(&r, AWS_PROTO_JSON, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "ThrottlingException");
    assert_string_equal(msg, "Rate exceeded");
    http_response_free(&r);

    r = mk(400, "{\"__type\":\"com.amazon.coral.validate#ValidationException:http://internal\","
                "\"Message\":\"1 validation error\\ndetected\"}");
    aws_error_parse(&r, AWS_PROTO_JSON, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "ValidationException");
    assert_string_equal(msg, "1 validation error detected"); /* control chars flattened */
    http_response_free(&r);

    r = mk(403, "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                "<RequestId>x</RequestId></Error>");
    aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "AccessDenied");
    assert_string_equal(msg, "Access Denied");
    assert_int_equal(aws_error_status(r.status, code), TS_ERR_AUTH);
    http_response_free(&r);

    r = mk(404, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender"
                "</Type><Code>NoSuchEntity</Code><Message>Role r not found</Message></Error></ErrorResponse>");
    aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "NoSuchEntity");
    assert_int_equal(aws_error_status(r.status, code), TS_ERR_NOT_FOUND);
    http_response_free(&r);

    /* HEAD: no body, the status speaks */
    r = mk(404, NULL);
    aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
    assert_string_equal(code, "NotFound");
    assert_string_equal(msg, "HTTP 404");
    http_response_free(&r);

    assert_int_equal(aws_error_status(400, "UnrecognizedClientException"), TS_ERR_AUTH);
    assert_int_equal(aws_error_status(403, "InvalidSignatureException"), TS_ERR_AUTH);
    assert_int_equal(aws_error_status(400, "ValidationException"), TS_ERR_REMOTE);
    char s[16];
    aws_error_code_sanitise("aws.protocoljson#Bad\"<Code>", s, sizeof s);
    assert_string_equal(s, "BadCode");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_result_tree),
        cmocka_unit_test(test_bad_and_hostile_xml),
        cmocka_unit_test(test_error_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
