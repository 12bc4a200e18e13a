/* Amazon CloudWatch alarms (awsQuery, Version 2010-08-01, signing name
 * "monitoring", endpoint id CLOUDWATCH): metric and composite alarms and
 * their deletion, for `tsarchive cleanup`. */
#ifndef AWS_AWS_CLOUDWATCH_H
#define AWS_AWS_CLOUDWATCH_H

#include <stddef.h>

#include "aws/aws.h"
#include "aws/aws_svc.h"
#include "aws/aws_xml.h"

typedef enum aws_cw_alarm_type { AWS_CW_METRIC_ALARM, AWS_CW_COMPOSITE_ALARM } aws_cw_alarm_type;

typedef struct aws_cw_dimension {
    char *name;  /* "FunctionName", "DatabaseName", "TableName", ... */
    char *value;
} aws_cw_dimension;

typedef struct aws_cw_alarm {
    char *name;               /* AlarmName */
    char *arn;                /* AlarmArn ("" if absent) */
    aws_cw_alarm_type type;
    char *namespace_;         /* metric alarms: Namespace ("" if none: metric-math alarms) */
    char *metric_name;        /* metric alarms: MetricName ("" if none) */
    aws_cw_dimension *dims;   /* metric alarms: Dimensions, plus those of every
                                 Metrics[].MetricStat.Metric of a metric-math alarm */
    size_t ndims;
    char *alarm_rule;         /* composite alarms: AlarmRule ("" for metric alarms) */
    char *state;              /* StateValue: OK, ALARM, INSUFFICIENT_DATA ("" if absent) */
} aws_cw_alarm;

/* DescribeAlarms with AlarmTypes MetricAlarm AND CompositeAlarm (without
 * them the service answers metric alarms only), name_prefix NULL = all,
 * every page (NextToken); page_size = MaxRecords (0 = 100, the largest).
 * Metric alarms first, then composite ones, each in service order. Owned
 * array freed with aws_cw_alarms_free; *n = 0 on failure. info as in
 * aws_svc.h. IAM action cloudwatch:DescribeAlarms. */
ts_status aws_cw_describe_alarms(aws_client *c, const char *name_prefix, unsigned page_size,
                                 aws_cw_alarm **out, size_t *n, aws_svc_info *info,
                                 ts_error *err);
void aws_cw_alarms_free(aws_cw_alarm *a, size_t n);

/* Appends the alarms of one DescribeAlarms result element
 * (<DescribeAlarmsResult>) to *arr (n/cap as a growable array) and returns
 * its NextToken text (borrowed from result) in *next_token (NULL = last
 * page). Exposed for the unit tests and the fuzzer; TS_ERR_CORRUPT for an
 * alarm without AlarmName. */
ts_status aws_cw_parse_alarms(const aws_xml_node *result, aws_cw_alarm **arr, size_t *n,
                              size_t *cap, const char **next_token, ts_error *err);

/* DeleteAlarms for names[0..n): sent in calls of at most 100 names (pass a
 * composite alarm alone: the service takes at most one per call, and
 * composite alarms before the metric alarms their rules name). Because
 * the service deletes nothing of a call when one name does not exist, the
 * names are first looked up (DescribeAlarms AlarmNames) and only the
 * existing ones are deleted; names already gone are counted in *missing
 * (optional) and set info->already_gone. Afterwards the names are described
 * again: any still present → TS_ERR_REMOTE naming it. IAM actions
 * cloudwatch:DescribeAlarms and cloudwatch:DeleteAlarms. */
ts_status aws_cw_delete_alarms(aws_client *c, const char *const *names, size_t n, size_t *missing,
                               aws_svc_info *info, ts_error *err);

#endif
