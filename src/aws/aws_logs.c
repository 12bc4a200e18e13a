/* CloudWatch Logs log groups over awsJson1_1 (aws_json_call):
 * DescribeLogGroups by prefix (aws_page_list), idempotent DeleteLogGroup. */
#include "aws/aws_logs.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_page.h"
#include "core/ts_alloc.h"

#define LOGS_CT "application/x-amz-json-1.1"

/* One call; on a service error fills info and maps not-found to
 * TS_ERR_NOT_FOUND. */
static ts_status logs_call(aws_client *c, const char *op, json_t *body, json_t **out,
                           aws_svc_info *info, ts_error *err)
{
    char *ep = NULL;
    char target[64], code[AWS_ERR_CODE_MAX] = "";
    snprintf(target, sizeof target, "Logs_20140328.%s", op);
    ts_status st = aws_endpoint(aws_client_config(c), "CLOUDWATCH_LOGS", &ep, NULL, err);
    if (st == TS_OK) st = aws_json_call(c, ep, "logs", target, LOGS_CT, body, out, code, err);
    ts_free(ep);
    return aws_svc_outcome(st, code, "logs", op, info, err);
}

static ts_status logs_page_call(void *c, const char *op, const aws_page_req *rq,
                                aws_page_ans *ans, aws_svc_info *info, ts_error *err)
{
    return logs_call(c, op, rq->body, &ans->json, info, err);
}

static const aws_page_style logs_paging = {
    .service = "logs", .proto = AWS_PAGE_JSON, .call = logs_page_call,
    .size_field = "limit", .size_default = 50, .size_max = 50,
    .token_in = "nextToken", .token_out = "nextToken"};

static int64_t int_member(const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) return json_integer_value(v);
    if (json_is_real(v)) return (int64_t)json_real_value(v);
    return dflt;
}

static ts_status group_item(void *vec, const json_t *e, ts_error *err)
{
    const char *name = json_string_value(json_object_get(e, "logGroupName"));
    if (!name || !*name)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "logs DescribeLogGroups: a log group without logGroupName");
    aws_logs_group *g = aws_page_vec_push(vec, sizeof *g, err);
    if (!g) return TS_ERR_NOMEM;
    const char *arn = json_string_value(json_object_get(e, "arn"));
    g->name = ts_strdup(name);
    g->arn = ts_strdup(arn ? arn : "");
    g->stored_bytes = int_member(e, "storedBytes", -1);
    g->retention_days = int_member(e, "retentionInDays", 0);
    g->creation_ms = int_member(e, "creationTime", 0);
    if (!g->name || !g->arn) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static const aws_page_desc describe_groups = {&logs_paging, "DescribeLogGroups", "logGroups",
                                              .json_item = group_item};

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
    aws_svc_info_clear(info);
    bool by_prefix = prefix && *prefix;
    json_t *base = by_prefix ? json_pack("{s:s}", "logGroupNamePrefix", prefix) : NULL;
    aws_page_vec v = {0};
    aws_page_run run = {.call_ctx = c, .base.body = base, .page_size = page_size, .item_ctx = &v};
    ts_status st = by_prefix && !base ? ts_err_set(err, TS_ERR_NOMEM, "out of memory")
                                      : aws_page_list(&describe_groups, &run, info, err);
    json_decref(base);
    if (st != TS_OK) aws_logs_groups_free(v.items, v.n);
    *out = st == TS_OK ? v.items : NULL;
    *n = st == TS_OK ? v.n : 0;
    return st;
}

ts_status aws_logs_delete_log_group(aws_client *c, const char *name, aws_svc_info *info,
                                    ts_error *err)
{
    aws_svc_info_clear(info);
    json_t *body = json_pack("{s:s}", "logGroupName", name);
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_t *resp = NULL;
    aws_svc_info local;
    ts_status st = logs_call(c, "DeleteLogGroup", body, &resp, &local, err);
    json_decref(body);
    json_decref(resp);
    return aws_svc_delete_outcome(st, &local, info, err);
}
