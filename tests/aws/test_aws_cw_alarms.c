/* aws_cw_parse_alarms on DescribeAlarms results of the shapes moto cannot
 * produce (composite alarms, metric-math alarms), and its refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aws/aws_cloudwatch.h"
#include "aws/aws_query.h"

static const char both[] =
    "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
    "<DescribeAlarmsResult><MetricAlarms>"
    "<member><AlarmName>p-dev-timestream-loader-errors</AlarmName>"
    "<AlarmArn>arn:aws:cloudwatch:eu-west-2:1:alarm:p-dev-timestream-loader-errors</AlarmArn>"
    "<Namespace>AWS/Lambda</Namespace><MetricName>Errors</MetricName>"
    "<Dimensions><member><Name>FunctionName</Name><Value>p-dev-timestream-loader</Value></member>"
    "</Dimensions><StateValue>OK</StateValue></member>"
    "<member><AlarmName>math</AlarmName><Metrics>"
    "<member><Id>m1</Id><MetricStat><Metric><Namespace>AWS/Timestream</Namespace>"
    "<MetricName>UserErrors</MetricName><Dimensions>"
    "<member><Name>DatabaseName</Name><Value>p_dev_metrics</Value></member>"
    "<member><Name>TableName</Name><Value>t</Value></member></Dimensions></Metric></MetricStat>"
    "</member><member><Id>e1</Id><Expression>m1*2</Expression></member></Metrics>"
    "<StateValue>ALARM</StateValue></member></MetricAlarms>"
    "<CompositeAlarms><member><AlarmName>p-dev-composite</AlarmName>"
    "<AlarmArn>arn:aws:cloudwatch:eu-west-2:1:alarm:p-dev-composite</AlarmArn>"
    "<AlarmRule>ALARM(\"p-dev-timestream-loader-errors\") OR ALARM(math)</AlarmRule>"
    "<StateValue>INSUFFICIENT_DATA</StateValue></member></CompositeAlarms>"
    "<NextToken>tok-2</NextToken></DescribeAlarmsResult></DescribeAlarmsResponse>";

static void parse(const char *xml, aws_cw_alarm **arr, size_t *n, size_t *cap, const char **next,
                  ts_status want, aws_xml_node **doc)
{
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_xml_parse(xml, strlen(xml), doc, &e), TS_OK);
    ts_status st = aws_cw_parse_alarms(aws_query_result(*doc, "DescribeAlarms"), arr, n, cap, next,
                                       &e);
    if (st != want) printf("got %s: %s\n", ts_status_name(st), e.msg);
    assert_int_equal(st, want);
}

static void test_metric_math_and_composite(void **state)
{
    (void)state;
    aws_cw_alarm *a = NULL;
    size_t n = 0, cap = 0;
    const char *next;
    aws_xml_node *doc;
    parse(both, &a, &n, &cap, &next, TS_OK, &doc);
    assert_int_equal(n, 3);
    assert_string_equal(next, "tok-2");
    assert_int_equal(a[0].type, AWS_CW_METRIC_ALARM);
    assert_string_equal(a[0].name, "p-dev-timestream-loader-errors");
    assert_string_equal(a[0].namespace_, "AWS/Lambda");
    assert_string_equal(a[0].metric_name, "Errors");
    assert_int_equal(a[0].ndims, 1);
    assert_string_equal(a[0].dims[0].name, "FunctionName");
    assert_string_equal(a[0].dims[0].value, "p-dev-timestream-loader");
    assert_string_equal(a[0].state, "OK");
    assert_string_equal(a[0].alarm_rule, "");
    /* a metric-math alarm names its metrics' dimensions */
    assert_string_equal(a[1].name, "math");
    assert_string_equal(a[1].arn, "");
    assert_string_equal(a[1].namespace_, "");
    assert_int_equal(a[1].ndims, 2);
    assert_string_equal(a[1].dims[0].value, "p_dev_metrics");
    assert_string_equal(a[1].dims[1].name, "TableName");
    assert_int_equal(a[2].type, AWS_CW_COMPOSITE_ALARM);
    assert_string_equal(a[2].name, "p-dev-composite");
    assert_string_equal(a[2].alarm_rule, "ALARM(\"p-dev-timestream-loader-errors\") OR ALARM(math)");
    assert_string_equal(a[2].state, "INSUFFICIENT_DATA");
    assert_int_equal(a[2].ndims, 0);
    /* a second page appends */
    aws_xml_node *doc2;
    parse(both, &a, &n, &cap, &next, TS_OK, &doc2);
    assert_int_equal(n, 6);
    assert_string_equal(a[5].name, "p-dev-composite");
    aws_cw_alarms_free(a, n);
    aws_xml_free(doc);
    aws_xml_free(doc2);
}

static void test_empty_and_refusals(void **state)
{
    (void)state;
    aws_cw_alarm *a = NULL;
    size_t n = 0, cap = 0;
    const char *next = "x";
    aws_xml_node *doc;
    parse("<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms/><CompositeAlarms/>"
          "</DescribeAlarmsResult></DescribeAlarmsResponse>",
          &a, &n, &cap, &next, TS_OK, &doc);
    assert_int_equal(n, 0);
    assert_null(next);
    aws_xml_free(doc);
    parse("<DescribeAlarmsResponse><DescribeAlarmsResult><CompositeAlarms><member>"
          "<AlarmRule>TRUE</AlarmRule></member></CompositeAlarms></DescribeAlarmsResult>"
          "</DescribeAlarmsResponse>",
          &a, &n, &cap, &next, TS_ERR_CORRUPT, &doc);
    assert_int_equal(n, 0);
    aws_xml_free(doc);
    parse("<Other/>", &a, &n, &cap, &next, TS_ERR_CORRUPT, &doc);
    aws_xml_free(doc);
    aws_cw_alarms_free(a, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_math_and_composite),
        cmocka_unit_test(test_empty_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
