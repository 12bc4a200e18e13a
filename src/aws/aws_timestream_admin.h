/* Amazon Timestream for LiveAnalytics administration for `tsarchive
 * cleanup`: DeleteTable/DeleteDatabase on the Write API and the scheduled
 * queries (List/Describe/Delete) on the Query API (awsJson1_0,
 * Timestream_20181101.<Op>, signing name "timestream"; endpoints
 * AWS_ENDPOINT_URL_TIMESTREAM_WRITE/_QUERY or AWS_ENDPOINT_URL used
 * directly, else discovered with DescribeEndpoints as aws_timestream.h
 * does). Listing databases/tables is in aws_timestream.h. */
#ifndef AWS_AWS_TIMESTREAM_ADMIN_H
#define AWS_AWS_TIMESTREAM_ADMIN_H

#include <stddef.h>

#include "aws/aws.h"
#include "aws/aws_svc.h"

typedef struct aws_tsa aws_tsa;

/* Borrows c (must outlive the handle; one thread). Endpoints are resolved
 * on first use. */
ts_status aws_tsa_new(aws_client *c, aws_tsa **out, ts_error *err);
void aws_tsa_free(aws_tsa *t);

/* DeleteTable (Write API): the table and all its data, irreversibly. The
 * service answers success or ResourceNotFoundException after its own
 * retries; a missing table/database → TS_OK with info->already_gone. The
 * service allows 1 Create/Update/Delete per second per account and region:
 * pacing is the caller's (throttling is retried here). IAM action
 * timestream:DeleteTable. */
ts_status aws_tsa_delete_table(aws_tsa *t, const char *database, const char *table,
                               aws_svc_info *info, ts_error *err);

/* DeleteDatabase (Write API). The service refuses while tables remain:
 * TS_ERR_REMOTE with info->code "ValidationException". Missing → TS_OK with
 * info->already_gone. IAM action timestream:DeleteDatabase. */
ts_status aws_tsa_delete_database(aws_tsa *t, const char *database, aws_svc_info *info,
                                  ts_error *err);

typedef struct aws_tsa_scheduled_query {
    char *name;  /* Name */
    char *arn;   /* Arn: what Describe/Delete take */
    char *state; /* State: ENABLED | DISABLED */
    char *target_database; /* TargetDestination.TimestreamDestination.DatabaseName ("" if none) */
    char *target_table;    /* ...TableName ("" if none) */
} aws_tsa_scheduled_query;

/* ListScheduledQueries (Query API), every page; page_size = MaxResults
 * (0 = 1000, the largest). Owned array freed with
 * aws_tsa_scheduled_queries_free; *n = 0 on failure. IAM action
 * timestream:ListScheduledQueries. */
ts_status aws_tsa_list_scheduled_queries(aws_tsa *t, unsigned page_size,
                                         aws_tsa_scheduled_query **out, size_t *n,
                                         aws_svc_info *info, ts_error *err);
void aws_tsa_scheduled_queries_free(aws_tsa_scheduled_query *q, size_t n);

/* DescribeScheduledQuery: what the planner needs to tell which databases a
 * scheduled query reads (query_string) and writes (target_*). */
typedef struct aws_tsa_scheduled_query_detail {
    char *name;
    char *arn;
    char *state;
    char *query_string;        /* QueryString (the SQL; "" if absent) */
    char *schedule_expression; /* ScheduleConfiguration.ScheduleExpression ("" if absent) */
    char *execution_role_arn;  /* ScheduledQueryExecutionRoleArn ("" if absent) */
    char *target_database;     /* TargetConfiguration.TimestreamConfiguration.DatabaseName */
    char *target_table;        /* ...TableName ("" if none) */
} aws_tsa_scheduled_query_detail;

/* *out is zeroed first; free with aws_tsa_scheduled_query_detail_free
 * (also after a failure). A missing query: TS_ERR_NOT_FOUND with
 * info->code "ResourceNotFoundException" and info->already_gone. IAM action
 * timestream:DescribeScheduledQuery. */
ts_status aws_tsa_describe_scheduled_query(aws_tsa *t, const char *arn,
                                           aws_tsa_scheduled_query_detail *out,
                                           aws_svc_info *info, ts_error *err);
void aws_tsa_scheduled_query_detail_free(aws_tsa_scheduled_query_detail *d);

/* DeleteScheduledQuery by ARN. Missing → TS_OK with info->already_gone.
 * IAM action timestream:DeleteScheduledQuery. */
ts_status aws_tsa_delete_scheduled_query(aws_tsa *t, const char *arn, aws_svc_info *info,
                                         ts_error *err);

#endif
