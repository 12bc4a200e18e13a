/* Timestream administration for cleanup: DeleteTable/DeleteDatabase (Write
 * API) and scheduled queries (Query API), through aws_timestream.c's calls
 * so endpoint discovery and the cell cache exist once. */
#include "aws/aws_timestream_admin.h"
#include "aws/aws_timestream.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_time.h"

#define TSA_MAX_PAGES 100000

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
    aws_svc_info_clear(info);
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_ts_call(t->ts, write_api, op, body, out, code, err);
    if (st != TS_OK && code[0]) {
        aws_svc_info_set_error(info, code, err->msg, "timestream", op);
        if (aws_svc_code_is_not_found(code)) st = TS_ERR_NOT_FOUND;
    }
    return st;
}

static ts_status tsa_delete(aws_tsa *t, bool write_api, const char *op, json_t *body,
                            aws_svc_info *info, ts_error *err)
{
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *out = NULL;
    aws_svc_info local;
    ts_status st = tsa_call(t, write_api, op, body, &out, &local, err);
    json_decref(out);
    json_decref(body);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        aws_svc_info_clear(info);
        if (info) info->already_gone = true;
        return TS_OK;
    }
    if (info) *info = local;
    return st;
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
    *out = NULL;
    *n = 0;
    aws_svc_info_clear(info);
    aws_tsa_scheduled_query *arr = NULL;
    size_t cnt = 0, cap = 0;
    char *token = NULL;
    ts_status st = TS_OK;
    unsigned ps = page_size ? (page_size > 1000 ? 1000 : page_size) : 1000;
    for (int page = 0;; page++) {
        if (page >= TSA_MAX_PAGES) {
            st = ts_err_set(err, TS_ERR_LIMIT, "timestream ListScheduledQueries: more than %d pages",
                            TSA_MAX_PAGES);
            break;
        }
        json_t *body = json_pack("{s:I}", "MaxResults", (json_int_t)ps);
        if (!body || (token && json_object_set_new(body, "NextToken", json_string(token)))) {
            json_decref(body);
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        json_t *resp = NULL;
        aws_svc_info local;
        st = tsa_call(t, false, "ListScheduledQueries", body, &resp, &local, err);
        json_decref(body);
        if (st != TS_OK) {
            if (info) *info = local;
            if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE;
            break;
        }
        json_t *list = json_object_get(resp, "ScheduledQueries");
        if (list && !json_is_array(list))
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "timestream ListScheduledQueries: ScheduledQueries is not an array");
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            if (st != TS_OK) break;
            const char *arn = json_string_value(json_object_get(e, "Arn"));
            if (!arn || !*arn) {
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "timestream ListScheduledQueries: entry %zu has no Arn", i);
                break;
            }
            if ((st = ts_grow((void **)&arr, sizeof *arr, cnt, &cap, 16, err)) != TS_OK) break;
            aws_tsa_scheduled_query *q = &arr[cnt++];
            json_t *dest = json_object_get(json_object_get(e, "TargetDestination"),
                                           "TimestreamDestination");
            q->name = dup_str(e, "Name");
            q->arn = ts_strdup(arn);
            q->state = dup_str(e, "State");
            q->target_database = dup_str(dest, "DatabaseName");
            q->target_table = dup_str(dest, "TableName");
            if (!q->name || !q->arn || !q->state || !q->target_database || !q->target_table)
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        const char *next = json_string_value(json_object_get(resp, "NextToken"));
        char *nt = NULL;
        if (st == TS_OK && next && *next) {
            if (token && strcmp(token, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "timestream ListScheduledQueries: the same NextToken twice");
            else if (!(nt = ts_strdup(next)))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        json_decref(resp);
        ts_free(token);
        token = nt;
        if (st != TS_OK || !token) break;
    }
    ts_free(token);
    if (st != TS_OK) {
        aws_tsa_scheduled_queries_free(arr, cnt);
        return st;
    }
    *out = arr;
    *n = cnt;
    return TS_OK;
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
