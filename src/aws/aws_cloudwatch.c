/* CloudWatch metric and composite alarms over awsQuery (aws_query_call):
 * DescribeAlarms (both types, paged) and a DeleteAlarms that deletes only
 * what exists, because the service's call is all-or-nothing. */
#include "aws/aws_cloudwatch.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_query.h"
#include "core/ts_alloc.h"

#define CW_VERSION "2010-08-01"
#define CW_MAX_PAGES 100000
#define CW_BATCH 100

static ts_status cw_call(aws_client *c, const char *action, const aws_param *params,
                         size_t nparams, aws_xml_node **doc, aws_svc_info *info, ts_error *err)
{
    aws_svc_info_clear(info);
    char *ep;
    TS_TRY(aws_endpoint(aws_client_config(c), "CLOUDWATCH", &ep, NULL, err));
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_query_call(c, ep, "monitoring", NULL, action, CW_VERSION, params, nparams,
                                  doc, code, err);
    ts_free(ep);
    if (st != TS_OK && code[0]) {
        aws_svc_info_set_error(info, code, err->msg, "monitoring", action);
        if (aws_svc_code_is_not_found(code)) st = TS_ERR_NOT_FOUND;
    }
    return st;
}

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

/* DescribeAlarms of both types, by prefix or by names (at most 100). */
static ts_status describe(aws_client *c, const char *prefix, const char *const *names,
                          size_t nnames, unsigned page_size, aws_cw_alarm **out, size_t *n,
                          aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    *n = 0;
    aws_svc_info_clear(info);
    if (nnames > CW_BATCH) return ts_err_set(err, TS_ERR_INTERNAL, "cloudwatch: too many names");
    aws_param *ps = ts_calloc(nnames + 6, sizeof *ps);
    char (*keys)[32] = nnames ? ts_calloc(nnames, sizeof *keys) : NULL;
    if (!ps || (nnames && !keys)) {
        ts_free(ps);
        ts_free(keys);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    char maxrec[16];
    snprintf(maxrec, sizeof maxrec, "%u", page_size ? (page_size > 100 ? 100 : page_size) : 100);
    size_t base = 0;
    ps[base++] = (aws_param){"AlarmTypes.member.1", "MetricAlarm"};
    ps[base++] = (aws_param){"AlarmTypes.member.2", "CompositeAlarm"};
    ps[base++] = (aws_param){"MaxRecords", maxrec};
    if (prefix && *prefix) ps[base++] = (aws_param){"AlarmNamePrefix", prefix};
    for (size_t i = 0; i < nnames; i++) {
        snprintf(keys[i], sizeof keys[i], "AlarmNames.member.%zu", i + 1);
        ps[base++] = (aws_param){keys[i], names[i]};
    }
    aws_cw_alarm *arr = NULL;
    size_t cnt = 0, cap = 0;
    char *token = NULL;
    ts_status st = TS_OK;
    for (int page = 0;; page++) {
        if (page >= CW_MAX_PAGES) {
            st = ts_err_set(err, TS_ERR_LIMIT, "cloudwatch DescribeAlarms: more than %d pages",
                            CW_MAX_PAGES);
            break;
        }
        size_t np = base;
        if (token) ps[np++] = (aws_param){"NextToken", token};
        aws_xml_node *doc = NULL;
        aws_svc_info local;
        st = cw_call(c, "DescribeAlarms", ps, np, &doc, &local, err);
        if (st != TS_OK) {
            if (info) *info = local;
            if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE;
            break;
        }
        const char *next = NULL;
        st = aws_cw_parse_alarms(aws_query_result(doc, "DescribeAlarms"), &arr, &cnt, &cap, &next,
                                 err);
        char *nt = NULL;
        if (st == TS_OK && next) {
            if (token && strcmp(token, next) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "cloudwatch DescribeAlarms: the same NextToken twice");
            else if (!(nt = ts_strdup(next)))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        aws_xml_free(doc);
        ts_free(token);
        token = nt;
        if (st != TS_OK || !token) break;
    }
    ts_free(token);
    ts_free(ps);
    ts_free(keys);
    if (st != TS_OK) {
        aws_cw_alarms_free(arr, cnt);
        return st;
    }
    order_by_type(arr, cnt);
    *out = arr;
    *n = cnt;
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
        st = cw_call(c, "DeleteAlarms", ps, np, &doc, info, err);
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
