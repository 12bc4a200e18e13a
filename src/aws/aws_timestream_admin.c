/* Timestream administration for cleanup: DeleteTable/DeleteDatabase (Write
 * API) and scheduled queries (Query API), through aws_timestream.c's calls
 * so endpoint discovery and the cell cache exist once. */
#include "aws/aws_timestream_admin.h"
#include "aws/aws_page.h"
#include "aws/aws_timestream.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_time.h"

struct aws_tsa {
    aws_ts *ts; /* endpoints, discovery and the cell cache live there */
};

ts_status aws_tsa_new(aws_client *c, aws_tsa **out, ts_error *err)
{
    *out = NULL;
    aws_tsa *t = ts_calloc(1, sizeof *t);
    if (!t) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = aws_ts_new(c, &t->ts, err);
    if (st != TS_OK) {
        ts_free(t);
        return st;
    }
    *out = t;
    return TS_OK;
}

void aws_tsa_free(aws_tsa *t)
{
    if (!t) return;
    aws_ts_free(t->ts);
    ts_free(t);
}

/* One operation; a service error fills info, not-found → TS_ERR_NOT_FOUND. */
static ts_status tsa_call(aws_tsa *t, bool write_api, const char *op, json_t *body,
                          json_t **out, aws_svc_info *info, ts_error *err)
{
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_ts_call(t->ts, write_api, op, body, out, code, err);
    return aws_svc_outcome(st, code, "timestream", op, info, err);
}

static ts_status tsa_delete(aws_tsa *t, bool write_api, const char *op, json_t *body,
                            aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *out = NULL;
    aws_svc_info local;
    ts_status st = tsa_call(t, write_api, op, body, &out, &local, err);
    json_decref(out);
    json_decref(body);
    return aws_svc_delete_outcome(st, &local, info, err);
}

ts_status aws_tsa_delete_table(aws_tsa *t, const char *database, const char *table,
                               aws_svc_info *info, ts_error *err)
{
    json_t *body = json_pack("{s:s,s:s}", "DatabaseName", database, "TableName", table);
    return tsa_delete(t, true, "DeleteTable", body, info, err);
}

ts_status aws_tsa_delete_database(aws_tsa *t, const char *database, aws_svc_info *info,
                                  ts_error *err)
{
    json_t *body = json_pack("{s:s}", "DatabaseName", database);
    return tsa_delete(t, true, "DeleteDatabase", body, info, err);
}

ts_status aws_tsa_delete_scheduled_query(aws_tsa *t, const char *arn, aws_svc_info *info,
                                         ts_error *err)
{
    json_t *body = json_pack("{s:s}", "ScheduledQueryArn", arn);
    return tsa_delete(t, false, "DeleteScheduledQuery", body, info, err);
}

static char *dup_str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return ts_strdup(v ? v : "");
}

/* ListScheduledQueries (Query API): MaxResults, NextToken. */
static ts_status sq_page_call(void *t, const char *op, const aws_page_req *rq, aws_page_ans *ans,
                              aws_svc_info *info, ts_error *err)
{
    return tsa_call(t, false, op, rq->body, &ans->json, info, err);
}

static const aws_page_style tsa_paging = {
    .service = "timestream", .proto = AWS_PAGE_JSON, .call = sq_page_call,
    .size_field = "MaxResults", .size_default = 1000, .size_max = 1000,
    .token_in = "NextToken", .token_out = "NextToken"};

static ts_status sq_item(void *vec, const json_t *e, ts_error *err)
{
    const char *arn = json_string_value(json_object_get(e, "Arn"));
    if (!arn || !*arn)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "timestream ListScheduledQueries: a scheduled query without Arn");
    aws_tsa_scheduled_query *q = aws_page_vec_push(vec, sizeof *q, err);
    if (!q) return TS_ERR_NOMEM;
    json_t *dest = json_object_get(json_object_get(e, "TargetDestination"),
                                   "TimestreamDestination");
    q->name = dup_str(e, "Name");
    q->arn = ts_strdup(arn);
    q->state = dup_str(e, "State");
    q->target_database = dup_str(dest, "DatabaseName");
    q->target_table = dup_str(dest, "TableName");
    if (!q->name || !q->arn || !q->state || !q->target_database || !q->target_table)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static const aws_page_desc list_scheduled = {&tsa_paging, "ListScheduledQueries",
                                             "ScheduledQueries", .json_item = sq_item};

void aws_tsa_scheduled_queries_free(aws_tsa_scheduled_query *q, size_t n)
{
    if (!q) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(q[i].name);
        ts_free(q[i].arn);
        ts_free(q[i].state);
        ts_free(q[i].target_database);
        ts_free(q[i].target_table);
    }
    ts_free(q);
}

ts_status aws_tsa_list_scheduled_queries(aws_tsa *t, unsigned page_size,
                                         aws_tsa_scheduled_query **out, size_t *n,
                                         aws_svc_info *info, ts_error *err)
{
    aws_page_vec v = {0};
    aws_page_run run = {.call_ctx = t, .page_size = page_size, .item_ctx = &v};
    ts_status st = aws_page_list(&list_scheduled, &run, info, err);
    if (st != TS_OK) aws_tsa_scheduled_queries_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

void aws_tsa_scheduled_query_detail_free(aws_tsa_scheduled_query_detail *d)
{
    if (!d) return;
    ts_free(d->name);
    ts_free(d->arn);
    ts_free(d->state);
    ts_free(d->query_string);
    ts_free(d->schedule_expression);
    ts_free(d->execution_role_arn);
    ts_free(d->target_database);
    ts_free(d->target_table);
    memset(d, 0, sizeof *d);
}

ts_status aws_tsa_describe_scheduled_query(aws_tsa *t, const char *arn,
                                           aws_tsa_scheduled_query_detail *out,
                                           aws_svc_info *info, ts_error *err)
{
    memset(out, 0, sizeof *out);
    json_t *body = json_pack("{s:s}", "ScheduledQueryArn", arn);
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *resp = NULL;
    ts_status st = tsa_call(t, false, "DescribeScheduledQuery", body, &resp, info, err);
    json_decref(body);
    if (st != TS_OK) {
        if (st == TS_ERR_NOT_FOUND && info) info->already_gone = true;
        return st;
    }
    json_t *sq = json_object_get(resp, "ScheduledQuery");
    if (!json_is_object(sq)) {
        json_decref(resp);
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "timestream DescribeScheduledQuery: no ScheduledQuery in the answer for %s",
                          arn);
    }
    json_t *tc = json_object_get(json_object_get(sq, "TargetConfiguration"),
                                 "TimestreamConfiguration");
    out->name = dup_str(sq, "Name");
    out->arn = dup_str(sq, "Arn");
    out->state = dup_str(sq, "State");
    out->query_string = dup_str(sq, "QueryString");
    out->schedule_expression = dup_str(json_object_get(sq, "ScheduleConfiguration"),
                                       "ScheduleExpression");
    out->execution_role_arn = dup_str(sq, "ScheduledQueryExecutionRoleArn");
    out->target_database = dup_str(tc, "DatabaseName");
    out->target_table = dup_str(tc, "TableName");
    json_decref(resp);
    if (!out->name || !out->arn || !out->state || !out->query_string ||
        !out->schedule_expression || !out->execution_role_arn || !out->target_database ||
        !out->target_table) {
        aws_tsa_scheduled_query_detail_free(out);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    return TS_OK;
}
