/* Fuzz target: the CloudWatch DescribeAlarms result walker (metric, metric-
 * math and composite alarms) and the denied-action reader of aws_svc must
 * never crash, leak or over-allocate on any response. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/aws_cloudwatch.h"
#include "aws/aws_svc.h"
#include "aws/aws_xml.h"
#include "core/ts_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    aws_xml_node *root = NULL;
    ts_error e;
    ts_err_clear(&e);
    if (aws_xml_parse((const char *)data, size, &root, &e) == TS_OK) {
        aws_cw_alarm *arr = NULL;
        size_t n = 0, cap = 0;
        const char *next = NULL;
        (void)aws_cw_parse_alarms(aws_xml_child(root, "DescribeAlarmsResult"), &arr, &n, &cap, &next,
                                  &e);
        aws_cw_alarms_free(arr, n);
        aws_xml_free(root);
    }
    /* the message of an AccessDenied answer, as text */
    char *msg = ts_malloc(size + 1);
    if (msg) {
        memcpy(msg, data, size);
        msg[size] = '\0';
        aws_svc_info info;
        aws_svc_info_set_error(&info, "AccessDenied", msg, "monitoring", "DeleteAlarms");
        aws_svc_info_set_error(&info, "AccessDeniedException", msg, "lambda", "DeleteFunction");
        ts_free(msg);
    }
    return 0;
}
