/* Cleanup of CloudWatch: the log groups of the deleted functions (and
 * /aws/lambda/${PROJECT}-${ENV}-timestream*), and the metric and composite
 * alarms whose name or dimensions name those functions, databases or tables. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "arc_cleanup_int.h"
#include "aws/aws_cloudwatch.h"
#include "aws/aws_logs.h"
#include "core/ts_alloc.h"

/* ---- log groups ---- */

static bool function_group(const arc_cl_run *r, const char *group, const char **fn)
{
    for (size_t i = 0; i < r->nfns; i++) {
        if (!r->fn_matched[i]) continue;
        char g[ARC_CL_NAME_BUF];
        snprintf(g, sizeof g, "/aws/lambda/%s", r->fns[i].name);
        if (strcmp(group, g) == 0 || (r->fns[i].log_group && strcmp(group, r->fns[i].log_group) == 0)) {
            *fn = r->fns[i].name;
            return true;
        }
    }
    return false;
}

static ts_status add_groups(arc_cl_run *r, const char *prefix, ts_error *err)
{
    aws_logs_group *g = NULL;
    size_t n = 0;
    TS_TRY(aws_logs_describe_log_groups(r->o->client, prefix, 0, &g, &n, NULL, err));
    char dflt[ARC_CL_NAME_BUF];
    snprintf(dflt, sizeof dflt, "/aws/lambda/%s-%s-timestream*", r->o->project, r->o->environment);
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < n; i++) {
        if (arc_cl_plan_find(r->p, ARC_CL_LOG_GROUP, g[i].name)) continue;
        const char *fn = NULL;
        bool byfn = function_group(r, g[i].name, &fn);
        bool m = arc_cl_name_matches(r->o, ARC_CL_LOG_GROUP, g[i].name,
                                     byfn || fnmatch(dflt, g[i].name, 0) == 0);
        if (!m) continue;
        char why[ARC_CL_NAME_BUF];
        if (byfn) snprintf(why, sizeof why, "log group of function %s", fn);
        else snprintf(why, sizeof why, "named like the project's Timestream functions' log groups");
        st = arc_cl_plan_add(r->p, ARC_CL_LOG_GROUP, ARC_CL_DELETE, g[i].name,
                             g[i].arn && *g[i].arn ? g[i].arn : NULL, fn, why,
                             json_pack("{s:I,s:I}", "stored_bytes", (json_int_t)g[i].stored_bytes,
                                       "retention_days", (json_int_t)g[i].retention_days),
                             NULL, err);
    }
    aws_logs_groups_free(g, n);
    return st;
}

static ts_status logs_inventory(arc_cl_run *r, ts_error *err)
{
    TS_TRY(add_groups(r, "/aws/lambda/", err));
    /* a function's LoggingConfig may name a group elsewhere */
    for (size_t i = 0; i < r->nfns; i++)
        if (r->fn_matched[i] && r->fns[i].log_group && strncmp(r->fns[i].log_group, "/aws/lambda/", 12) != 0)
            TS_TRY(add_groups(r, r->fns[i].log_group, err));
    return TS_OK;
}

const arc_cl_inventory_ops arc_cl_inv_logs = {.name = "CloudWatch Logs", .inventory = logs_inventory};

static ts_status del_group(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    return aws_logs_delete_log_group(r->o->client, it->name, &r->info, err);
}

const arc_cl_kind_ops arc_cl_k_log_group = {
    .kind = ARC_CL_LOG_GROUP, .name = "log-group", .service = ARC_CL_SVC_LOGS,
    .iam_action = "logs:DeleteLogGroup", .apply = del_group};

/* ---- alarms ---- */

/* What of ours the alarm names: a deleted function, a matched database or
 * table (by dimension, or by a token of its name). */
static const char *alarm_names(const arc_cl_run *r, const aws_cw_alarm *a, char *why, size_t wsz)
{
    for (size_t i = 0; i < r->nfns; i++) {
        if (!r->fn_matched[i]) continue;
        const char *fn = r->fns[i].name;
        for (size_t d = 0; d < a->ndims; d++)
            if (strcmp(a->dims[d].name, "FunctionName") == 0 && strcmp(a->dims[d].value, fn) == 0) {
                snprintf(why, wsz, "its FunctionName dimension is %s", fn);
                return fn;
            }
        if (arc_cl_has_token(a->name, fn)) {
            snprintf(why, wsz, "its name names function %s", fn);
            return fn;
        }
    }
    for (size_t j = 0; j < r->p->n; j++) {
        const arc_cl_item *it = &r->p->items[j];
        if (it->kind != ARC_CL_DATABASE && it->kind != ARC_CL_TABLE) continue;
        bool table = it->kind == ARC_CL_TABLE;
        const char *tname = table ? it->name + strlen(it->parent) + 1 : it->name;
        const char *want = table ? "TableName" : "DatabaseName";
        bool hit = false, db_ok = true;
        for (size_t d = 0; d < a->ndims; d++) {
            if (strcmp(a->dims[d].name, want) == 0 && strcmp(a->dims[d].value, tname) == 0) hit = true;
            /* a table's alarm names its database too, when it has that dimension */
            if (table && strcmp(a->dims[d].name, "DatabaseName") == 0 &&
                strcmp(a->dims[d].value, it->parent) != 0)
                db_ok = false;
        }
        if (hit && db_ok) {
            snprintf(why, wsz, "its %s dimension names %s %s", want,
                     table ? "table" : "database", it->name);
            return it->name;
        }
        if (it->kind == ARC_CL_DATABASE && arc_cl_has_token(a->name, it->name)) {
            snprintf(why, wsz, "its name names database %s", it->name);
            return it->name;
        }
    }
    return NULL;
}

static ts_status alarms_inventory(arc_cl_run *r, ts_error *err)
{
    aws_cw_alarm *a = NULL;
    size_t n = 0;
    TS_TRY(aws_cw_describe_alarms(r->o->client, NULL, 0, &a, &n, NULL, err));
    bool *m = ts_calloc(n + 1, sizeof *m);
    char **why = ts_calloc(n + 1, sizeof *why);
    ts_status st = (m && why) ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == TS_OK && i < n; i++) {
        char w[ARC_CL_NAME_BUF] = "named by --match alarm";
        bool dflt = alarm_names(r, &a[i], w, sizeof w) != NULL;
        m[i] = arc_cl_name_matches(r->o, ARC_CL_ALARM, a[i].name, dflt);
        why[i] = ts_strdup(w);
    }
    /* a composite alarm whose rule names one of those goes too (and first:
     * the service refuses to delete an alarm a composite rule still names) */
    for (size_t i = 0; st == TS_OK && i < n; i++) {
        if (m[i] || a[i].type != AWS_CW_COMPOSITE_ALARM || !a[i].alarm_rule) continue;
        for (size_t k = 0; k < n && !m[i]; k++)
            if (m[k] && strstr(a[i].alarm_rule, a[k].name)) {
                m[i] = true;
                char w[ARC_CL_NAME_BUF];
                snprintf(w, sizeof w, "its rule names alarm %s", a[k].name);
                ts_free(why[i]);
                why[i] = ts_strdup(w);
            }
    }
    for (int pass = 0; pass < 2 && st == TS_OK; pass++)
        for (size_t i = 0; st == TS_OK && i < n; i++) {
            if (!m[i] || (a[i].type == AWS_CW_COMPOSITE_ALARM) != (pass == 0)) continue;
            json_t *dims = json_object();
            for (size_t d = 0; d < a[i].ndims; d++)
                json_object_set_new(dims, a[i].dims[d].name, json_string(a[i].dims[d].value));
            st = arc_cl_plan_add(
                r->p, ARC_CL_ALARM, ARC_CL_DELETE, a[i].name, a[i].arn && *a[i].arn ? a[i].arn : NULL,
                NULL, why[i],
                json_pack("{s:s,s:s,s:s,s:o}", "type",
                          a[i].type == AWS_CW_COMPOSITE_ALARM ? "composite" : "metric", "metric",
                          a[i].metric_name ? a[i].metric_name : "", "state",
                          a[i].state ? a[i].state : "", "dimensions", dims),
                NULL, err);
        }
    for (size_t i = 0; why && i < n; i++) ts_free(why[i]);
    ts_free(why);
    ts_free(m);
    aws_cw_alarms_free(a, n);
    return st;
}

const arc_cl_inventory_ops arc_cl_inv_alarms = {.name = "CloudWatch alarms",
                                               .inventory = alarms_inventory};

static ts_status del_alarm(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    const char *names[1] = {it->name};
    size_t missing = 0;
    ts_status st = aws_cw_delete_alarms(r->o->client, names, 1, &missing, &r->info, err);
    if (st == TS_OK && missing) r->info.already_gone = true;
    return st;
}

const arc_cl_kind_ops arc_cl_k_alarm = {.kind = ARC_CL_ALARM, .name = "alarm",
                                        .service = ARC_CL_SVC_CLOUDWATCH,
                                        .iam_action = "cloudwatch:DeleteAlarms", .apply = del_alarm};
