/* CloudWatch Logs log groups over awsJson1_1 (aws_json_call): paged
 * DescribeLogGroups by prefix, idempotent DeleteLogGroup. */
#include "aws/aws_logs.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"

#define LOGS_CT "application/x-amz-json-1.1"
#define LOGS_MAX_PAGES 100000

/* One call; on a service error fills info and maps not-found to
 * TS_ERR_NOT_FOUND. */
static ts_status logs_call(aws_client *c, const char *op, json_t *body, json_t **out,
                           aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    char *ep;
    TS_TRY(aws_endpoint(aws_client_config(c), "CLOUDWATCH_LOGS", &ep, NULL, err));
    char target[64];
    snprintf(target, sizeof target, "Logs_20140328.%s", op);
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_json_call(c, ep, "logs", target, LOGS_CT, body, out, code, err);
    ts_free(ep);
    if (st != TS_OK && code[0]) {
        aws_svc_info_set_error(info, code, err->msg, "logs", op);
        if (aws_svc_code_is_not_found(code)) st = TS_ERR_NOT_FOUND;
    }
    return st;
}

static int64_t int_member(const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (int64_t)json_real_value(v);
    return dflt;
}

void aws_logs_groups_free(aws_logs_group *g, size_t n)
{
    if (!g) return;
    for (size_t i = 0; i < n; i++) {
        ts_free(g[i].name);
        ts_free(g[i].arn);
    }
    ts_free(g);
}

ts_status aws_logs_describe_log_groups(aws_client *c, const char *prefix, unsigned page_size,
                                       aws_logs_group **out, size_t *n, aws_svc_info *info,
                                       ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_svc_info_clear(info);
    aws_logs_group *arr = NULL;
    size_t cnt = 0, cap = 0;
    char *token = NULL;
    ts_status st = TS_OK;
    unsigned limit = page_size ? (page_size > 50 ? 50 : page_size) : 50;
    for (int page = 0;; page++) {
        if (page >= LOGS_MAX_PAGES) {
            st = ts_err_set(err, TS_ERR_LIMIT, "logs DescribeLogGroups: more than %d pages",
                            LOGS_MAX_PAGES);
            break;
        }
        json_t *body = json_object();
        if (!body || json_object_set_new(body, "limit", json_integer(limit)) ||
            (prefix && *prefix &&
             json_object_set_new(body, "logGroupNamePrefix", json_string(prefix))) ||
            (token && json_object_set_new(body, "nextToken", json_string(token)))) {
            json_decref(body);
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        json_t *resp = NULL;
        aws_svc_info local;
        st = logs_call(c, "DescribeLogGroups", body, &resp, &local, err);
        json_decref(body);
        if (st != TS_OK) {
            if (info) *info = local;
            if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE;
            break;
        }
        json_t *groups = json_object_get(resp, "logGroups");
        if (groups && !json_is_array(groups))
            st = ts_err_set(err, TS_ERR_CORRUPT, "logs DescribeLogGroups: logGroups is not an array");
        size_t i;
        json_t *e;
        json_array_foreach(groups, i, e)
        {
            if (st != TS_OK) break;
            const char *name = json_string_value(json_object_get(e, "logGroupName"));
            if (!name || !*name) {
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "logs DescribeLogGroups: logGroups[%zu] has no logGroupName", i);
                break;
            }
            if ((st = ts_grow((void **)&arr, sizeof *arr, cnt, &cap, 16, err)) != TS_OK) break;
            aws_logs_group *g = &arr[cnt++];
            const char *arn = json_string_value(json_object_get(e, "arn"));
            g->name = ts_strdup(name);
            g->arn = ts_strdup(arn ? arn : "");
            g->stored_bytes = int_member(e, "storedBytes", -1);
            g->retention_days = int_member(e, "retentionInDays", 0);
            g->creation_ms = int_member(e, "creationTime", 0);
            if (!g->name || !g->arn) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        const char *next = json_string_value(json_object_get(resp, "nextToken"));
        char *nt = NULL;
        if (st == TS_OK && next && *next) {
            if (token && strcmp(token, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "logs DescribeLogGroups: the same nextToken twice");
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
        aws_logs_groups_free(arr, cnt);
        return st;
    }
    *out = arr;
    *n = cnt;
    return TS_OK;
}

ts_status aws_logs_delete_log_group(aws_client *c, const char *name, aws_svc_info *info,
                                    ts_error *err)
{
    json_t *body = json_pack("{s:s}", "logGroupName", name);
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *resp = NULL;
    aws_svc_info local;
    ts_status st = logs_call(c, "DeleteLogGroup", body, &resp, &local, err);
    json_decref(body);
    json_decref(resp);
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        aws_svc_info_clear(info);
        if (info) info->already_gone = true;
        return TS_OK;
    }
    if (info) *info = local;
    return st;
}
