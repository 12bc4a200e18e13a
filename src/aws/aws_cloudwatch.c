/* CloudWatch metric and composite alarms over awsQuery (aws_svc_query_call):
 * DescribeAlarms (both types, aws_page_list) and a DeleteAlarms that deletes only
 * what exists, because the service's call is all-or-nothing. */
#include "aws/aws_cloudwatch.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_page.h"
#include "core/ts_alloc.h"

#define CW_BATCH 100

static const aws_svc_query cw_svc = {"CLOUDWATCH", "monitoring", "2010-08-01"};

static void alarm_clear(aws_cw_alarm *a)
{
    ts_free(a->name);
    ts_free(a->arn);
    ts_free(a->namespace_);
    ts_free(a->metric_name);
    for (size_t j = 0; j < a->ndims; j++) {
        ts_free(a->dims[j].name);
        ts_free(a->dims[j].value);
    }
    ts_free(a->dims);
    ts_free(a->alarm_rule);
    ts_free(a->state);
    memset(a, 0, sizeof *a);
}

void aws_cw_alarms_free(aws_cw_alarm *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) alarm_clear(&a[i]);
    ts_free(a);
}

static char *dup_text(const aws_xml_node *n, const char *name)
{
    const char *t = aws_xml_child_text(n, name);
    return ts_strdup(t ? t : "");
}

/* Appends the <member><Name/><Value/></member> of a <Dimensions> list. */
static ts_status add_dims(aws_cw_alarm *a, size_t *cap, const aws_xml_node *dims, ts_error *err)
{
    for (const aws_xml_node *m = dims ? dims->first : NULL; m; m = m->next) {
        if (strcmp(m->name, "member") != 0) continue;
        TS_TRY(ts_grow((void **)&a->dims, sizeof *a->dims, a->ndims, cap, 4, err));
        aws_cw_dimension *d = &a->dims[a->ndims++];
        d->name = dup_text(m, "Name");
        d->value = dup_text(m, "Value");
        if (!d->name || !d->value) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    return TS_OK;
}

static ts_status parse_alarm(const aws_xml_node *m, aws_cw_alarm_type type, aws_cw_alarm *a,
                             ts_error *err)
{
    a->type = type;
    const char *name = aws_xml_child_text(m, "AlarmName");
    if (!name || !*name)
        return ts_err_set(err, TS_ERR_CORRUPT, "cloudwatch DescribeAlarms: a %s alarm without AlarmName",
                          type == AWS_CW_METRIC_ALARM ? "metric" : "composite");
    a->name = ts_strdup(name);
    a->arn = dup_text(m, "AlarmArn");
    a->state = dup_text(m, "StateValue");
    a->namespace_ = dup_text(m, "Namespace");
    a->metric_name = dup_text(m, "MetricName");
    a->alarm_rule = type == AWS_CW_COMPOSITE_ALARM ? dup_text(m, "AlarmRule") : ts_strdup("");
    if (!a->name || !a->arn || !a->state || !a->namespace_ || !a->metric_name || !a->alarm_rule)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (type == AWS_CW_METRIC_ALARM) {
        size_t cap = 0;
        TS_TRY(add_dims(a, &cap, aws_xml_child(m, "Dimensions"), err));
        /* metric-math alarms name their metrics under Metrics[].MetricStat.Metric */
        const aws_xml_node *metrics = aws_xml_child(m, "Metrics");
        for (const aws_xml_node *q = metrics ? metrics->first : NULL; q; q = q->next) {
            if (strcmp(q->name, "member") != 0) continue;
            const aws_xml_node *metric = aws_xml_child(aws_xml_child(q, "MetricStat"), "Metric");
            if (metric) TS_TRY(add_dims(a, &cap, aws_xml_child(metric, "Dimensions"), err));
        }
    }
    return TS_OK;
}

ts_status aws_cw_parse_alarms(const aws_xml_node *result, aws_cw_alarm **arr, size_t *n,
                              size_t *cap, const char **next_token, ts_error *err)
{
    *next_token = NULL;
    if (!result) return ts_err_set(err, TS_ERR_CORRUPT, "cloudwatch DescribeAlarms: no result");
    static const char *const lists[2] = {"MetricAlarms", "CompositeAlarms"};
    for (int k = 0; k < 2; k++) {
        const aws_xml_node *l = aws_xml_child(result, lists[k]);
        for (const aws_xml_node *m = l ? l->first : NULL; m; m = m->next) {
            if (strcmp(m->name, "member") != 0) continue;
            TS_TRY(ts_grow((void **)arr, sizeof **arr, *n, cap, 16, err));
            aws_cw_alarm *a = &(*arr)[*n];
            memset(a, 0, sizeof *a);
            ts_status st = parse_alarm(m, k == 0 ? AWS_CW_METRIC_ALARM : AWS_CW_COMPOSITE_ALARM, a,
                                       err);
            if (st != TS_OK) {
                alarm_clear(a);
                return st;
            }
            (*n)++;
        }
    }
    const char *t = aws_xml_child_text(result, "NextToken");
    if (t && *t) *next_token = t;
    return TS_OK;
}

/* Metric alarms before composite ones, each group in service order. */
static void order_by_type(aws_cw_alarm *a, size_t n)
{
    /* stable partition by insertion: pages interleave the two kinds */
    for (size_t i = 1; i < n; i++) {
        if (a[i].type != AWS_CW_METRIC_ALARM) continue;
        size_t j = i;
        while (j > 0 && a[j - 1].type == AWS_CW_COMPOSITE_ALARM) {
            aws_cw_alarm t = a[j - 1];
            a[j - 1] = a[j];
            a[j] = t;
            j--;
        }
    }
}

static ts_status cw_page_call(void *c, const char *op, const aws_page_req *rq, aws_page_ans *ans,
                             aws_svc_info *info, ts_error *err)
{
    return aws_svc_query_call(c, &cw_svc, NULL, op, rq->params, rq->nparams, &ans->xml, info, err);
}

static const aws_page_style cw_paging = {
    .service = "cloudwatch", .proto = AWS_PAGE_QUERY, .call = cw_page_call,
    .size_field = "MaxRecords", .size_default = 100, .size_max = 100,
    .token_in = "NextToken", .token_out = "NextToken"};

typedef struct alarms_ctx {
    aws_cw_alarm *arr;
    size_t n, cap;
} alarms_ctx;

/* both lists of one page's result */
static ts_status alarms_result(void *vctx, const aws_xml_node *r, ts_error *err)
{
    alarms_ctx *x = vctx;
    const char *next; /* the pager follows NextToken itself */
    return aws_cw_parse_alarms(r, &x->arr, &x->n, &x->cap, &next, err);
}

static const aws_page_desc describe_alarms = {&cw_paging, "DescribeAlarms", NULL,
                                              .xml_item = alarms_result};

/* DescribeAlarms of both types, by prefix or by names (at most 100). */
static ts_status describe(aws_client *c, const char *prefix, const char *const *names,
                          size_t nnames, unsigned page_size, aws_cw_alarm **out, size_t *n,
                          aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_svc_info_clear(info);
    if (nnames > CW_BATCH) return ts_err_set(err, TS_ERR_INTERNAL, "cloudwatch: too many names");
    aws_param *ps = ts_calloc(nnames + 3, sizeof *ps);
    char (*keys)[32] = nnames ? ts_calloc(nnames, sizeof *keys) : NULL;
    if (!ps || (nnames && !keys)) {
        ts_free(ps);
        ts_free(keys);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    size_t np = 0;
    ps[np++] = (aws_param){"AlarmTypes.member.1", "MetricAlarm"};
    ps[np++] = (aws_param){"AlarmTypes.member.2", "CompositeAlarm"};
    if (prefix && *prefix) ps[np++] = (aws_param){"AlarmNamePrefix", prefix};
    for (size_t i = 0; i < nnames; i++) {
        snprintf(keys[i], sizeof keys[i], "AlarmNames.member.%zu", i + 1);
        ps[np++] = (aws_param){keys[i], names[i]};
    }
    alarms_ctx x = {0};
    aws_page_run run = {.call_ctx = c, .base = {.params = ps, .nparams = np},
                        .page_size = page_size, .item_ctx = &x};
    ts_status st = aws_page_list(&describe_alarms, &run, info, err);
    ts_free(ps);
    ts_free(keys);
    if (st != TS_OK) {
        aws_cw_alarms_free(x.arr, x.n);
        return st;
    }
    order_by_type(x.arr, x.n);
    *out = x.arr;
    *n = x.n;
    return TS_OK;
}

ts_status aws_cw_describe_alarms(aws_client *c, const char *name_prefix, unsigned page_size,
                                 aws_cw_alarm **out, size_t *n, aws_svc_info *info,
                                 ts_error *err)
{
    return describe(c, name_prefix, NULL, 0, page_size, out, n, info, err);
}

static bool found(const aws_cw_alarm *a, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0) return true;
    return false;
}

/* One batch of at most CW_BATCH names. */
static ts_status delete_batch(aws_client *c, const char *const *names, size_t n, size_t *missing,
                              aws_svc_info *info, ts_error *err)
{
    aws_cw_alarm *have = NULL;
    size_t nhave = 0;
    TS_TRY(describe(c, NULL, names, n, 0, &have, &nhave, info, err));
    aws_param *ps = ts_calloc(n ? n : 1, sizeof *ps);
    char (*keys)[32] = ts_calloc(n ? n : 1, sizeof *keys);
    if (!ps || !keys) {
        ts_free(ps);
        ts_free(keys);
        aws_cw_alarms_free(have, nhave);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (!found(have, nhave, names[i])) {
            (*missing)++;
            continue;
        }
        snprintf(keys[np], sizeof keys[np], "AlarmNames.member.%zu", np + 1);
        ps[np] = (aws_param){keys[np], names[i]};
        np++;
    }
    aws_cw_alarms_free(have, nhave);
    ts_status st = TS_OK;
    if (np) {
        aws_xml_node *doc = NULL;
        st = aws_svc_query_call(c, &cw_svc, NULL, "DeleteAlarms", ps, np, &doc, info, err);
        aws_xml_free(doc);
        if (st == TS_ERR_NOT_FOUND) {
            /* one vanished between the look-up and the delete: nothing of
             * this call was deleted; the caller's re-check names what is left */
            st = TS_ERR_REMOTE;
        }
    }
    ts_free(ps);
    ts_free(keys);
    if (st != TS_OK) return st;
    /* the call is all-or-nothing and may answer success regardless: check */
    if (np) {
        TS_TRY(describe(c, NULL, names, n, 0, &have, &nhave, info, err));
        if (nhave) {
            st = ts_err_set(err, TS_ERR_REMOTE,
                            "monitoring DeleteAlarms: alarm '%s' still exists after the delete "
                            "(%zu of %zu left)",
                            have[0].name, nhave, np);
            if (info) snprintf(info->code, sizeof info->code, "%s", "AlarmStillPresent");
        }
        aws_cw_alarms_free(have, nhave);
    }
    return st;
}

ts_status aws_cw_delete_alarms(aws_client *c, const char *const *names, size_t n, size_t *missing,
                               aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    size_t miss = 0;
    ts_status st = TS_OK;
    for (size_t off = 0; off < n && st == TS_OK; off += CW_BATCH) {
        size_t k = n - off < CW_BATCH ? n - off : CW_BATCH;
        st = delete_batch(c, names + off, k, &miss, info, err);
    }
    if (missing) *missing = miss;
    if (st == TS_OK && info) {
        aws_svc_info_clear(info);
        info->already_gone = miss > 0;
    }
    return st;
}
