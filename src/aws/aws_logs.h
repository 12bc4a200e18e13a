/* Amazon CloudWatch Logs (awsJson1_1, X-Amz-Target Logs_20140328.<Op>,
 * signing name "logs", endpoint id CLOUDWATCH_LOGS): log groups by prefix
 * and their deletion, for `tsarchive cleanup`. */
#ifndef AWS_AWS_LOGS_H
#define AWS_AWS_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "aws/aws.h"
#include "aws/aws_svc.h"

typedef struct aws_logs_group {
    char *name;             /* logGroupName */
    char *arn;              /* arn ("...:log-group:NAME:*"; "" if absent) */
    int64_t stored_bytes;   /* storedBytes (-1 if absent) */
    int64_t retention_days; /* retentionInDays (0 = never expire / absent) */
    int64_t creation_ms;    /* creationTime, epoch ms (0 if absent) */
} aws_logs_group;

/* DescribeLogGroups with logGroupNamePrefix = prefix (NULL or "" = every
 * group), every page (nextToken); page_size = limit (0 = 50, the largest).
 * Owned array freed with aws_logs_groups_free; *n = 0 on failure. info as
 * in aws_svc.h. IAM action logs:DescribeLogGroups. */
ts_status aws_logs_describe_log_groups(aws_client *c, const char *prefix, unsigned page_size,
                                       aws_logs_group **out, size_t *n, aws_svc_info *info,
                                       ts_error *err);
void aws_logs_groups_free(aws_logs_group *g, size_t n);

/* DeleteLogGroup: deletes the group and every event in it, permanently.
 * ResourceNotFoundException → TS_OK with info->already_gone. IAM action
 * logs:DeleteLogGroup. */
ts_status aws_logs_delete_log_group(aws_client *c, const char *name, aws_svc_info *info,
                                    ts_error *err);

#endif
