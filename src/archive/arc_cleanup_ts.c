/* Cleanup of Timestream: the databases named ${PROJECT}_${ENV}_*, their
 * tables (each behind the archive interlock) and the scheduled queries that
 * read or write them; deleted scheduled queries → tables → databases. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "arc_cleanup_int.h"
#include "aws/aws_timestream.h"
#include "aws/aws_timestream_admin.h"
#include "core/ts_alloc.h"

static void ts_arn(arc_cl_run *r, char *out, size_t outsz, const char *db, const char *table)
{
    const char *acct = arc_cl_account(r);
    const char *region = r->o->aws && r->o->aws->region ? r->o->aws->region : "";
    if (table)
        snprintf(out, outsz, "arn:aws:timestream:%s:%s:database/%s/table/%s", region, acct, db, table);
    else
        snprintf(out, outsz, "arn:aws:timestream:%s:%s:database/%s", region, acct, db);
}

/* Whether a scheduled query's SQL names the database ("db" or db. or the
 * bare name as a token). */
static bool sql_names(const char *sql, const char *db)
{
    char q[ARC_CL_NAME_BUF];
    snprintf(q, sizeof q, "\"%s\"", db);
    return strstr(sql, q) || arc_cl_has_token(sql, db);
}

static ts_status inventory(arc_cl_run *r, ts_error *err)
{
    const arc_cl_opts *o = r->o;
    TS_TRY(arc_cl_open_ts(r, err));
    char **dbs = NULL;
    size_t ndbs = 0;
    TS_TRY(aws_ts_list_databases(r->ts, &dbs, &ndbs, err));
    /* P_E_* as export names them; also with the project's '-' as '_' (Timestream users
     * often spell "ons-data-platform" as "ons_data_platform" in database names) */
    char dflt[ARC_CL_NAME_BUF], dflt2[ARC_CL_NAME_BUF];
    snprintf(dflt, sizeof dflt, "%s_%s_*", o->project, o->environment);
    snprintf(dflt2, sizeof dflt2, "%s_%s_*", o->project, o->environment);
    for (size_t i = 0, pl = strlen(o->project); i < pl && dflt2[i]; i++)
        if (dflt2[i] == '-') dflt2[i] = '_';
    ts_status st = TS_OK;
    char arn[1024];
    size_t nmatched = 0;
    const char **matched = ts_calloc(ndbs + 1, sizeof *matched);
    if (!matched) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == TS_OK && i < ndbs; i++) {
        const char *db = dbs[i];
        bool d = fnmatch(dflt, db, 0) == 0 || fnmatch(dflt2, db, 0) == 0;
        if (!arc_cl_name_matches(o, ARC_CL_DATABASE, db, d)) continue;
        matched[nmatched++] = db;
        char **tables = NULL;
        size_t nt = 0;
        st = aws_ts_list_tables(r->ts, db, &tables, &nt, err);
        if (st != TS_OK) break;
        const char *left_out = NULL;
        for (size_t t = 0; st == TS_OK && t < nt; t++) {
            char full[ARC_CL_NAME_BUF];
            snprintf(full, sizeof full, "%s.%s", db, tables[t]);
            if (!arc_cl_name_matches(o, ARC_CL_TABLE, full, true)) {
                if (!left_out) left_out = tables[t];
                continue;
            }
            ts_arn(r, arn, sizeof arn, db, tables[t]);
            st = arc_cl_plan_add(r->p, ARC_CL_TABLE, ARC_CL_DELETE, full, arn, db,
                                 "table of a matching database", NULL, NULL, err);
        }
        arc_cl_item *dbi = NULL;
        ts_arn(r, arn, sizeof arn, db, NULL);
        if (st == TS_OK)
            st = arc_cl_plan_add(r->p, ARC_CL_DATABASE, ARC_CL_DELETE, db, arn, NULL,
                                 "named like the project's databases", NULL, &dbi, err);
        if (st == TS_OK) dbi->held = json_pack("{s:I}", "tables", (json_int_t)nt);
        if (st == TS_OK && left_out)
            arc_cl_item_keep(dbi, ARC_CL_KEEP_DEPENDENCY,
                             "its table %s is not in the plan (--match table)", left_out);
        aws_ts_names_free(tables, nt);
    }
    /* scheduled queries reading or writing a matched database */
    aws_tsa_scheduled_query *sq = NULL;
    size_t nsq = 0;
    if (st == TS_OK) st = arc_cl_open_tsa(r, err);
    if (st == TS_OK) st = aws_tsa_list_scheduled_queries(r->tsa, 0, &sq, &nsq, NULL, err);
    for (size_t i = 0; st == TS_OK && i < nsq; i++) {
        aws_tsa_scheduled_query_detail d;
        aws_svc_info info;
        aws_svc_info_clear(&info);
        ts_status ds = aws_tsa_describe_scheduled_query(r->tsa, sq[i].arn, &d, &info, err);
        if (ds == TS_ERR_NOT_FOUND || info.already_gone) {
            ts_err_clear(err);
            aws_tsa_scheduled_query_detail_free(&d);
            continue;
        }
        if (ds != TS_OK) {
            st = ds;
            aws_tsa_scheduled_query_detail_free(&d);
            break;
        }
        const char *uses = NULL;
        for (size_t k = 0; k < nmatched && !uses; k++)
            if (strcmp(d.target_database ? d.target_database : "", matched[k]) == 0 ||
                sql_names(d.query_string ? d.query_string : "", matched[k]))
                uses = matched[k];
        bool m = arc_cl_has_match(o, ARC_CL_SCHEDULED_QUERY)
                     ? arc_cl_name_matches(o, ARC_CL_SCHEDULED_QUERY, sq[i].name, false)
                     : uses != NULL;
        if (m) {
            char why[512];
            snprintf(why, sizeof why, "%s database %s", uses ? "reads or writes" : "named by --match;",
                     uses ? uses : "-");
            arc_cl_item *it = NULL;
            st = arc_cl_plan_add(r->p, ARC_CL_SCHEDULED_QUERY, ARC_CL_DELETE, sq[i].name, sq[i].arn,
                                 uses, uses ? why : "named by --match scheduled-query",
                                 json_pack("{s:s,s:s,s:s}", "query", d.query_string ? d.query_string : "",
                                           "schedule", d.schedule_expression ? d.schedule_expression : "",
                                           "state", d.state ? d.state : ""),
                                 &it, err);
        }
        aws_tsa_scheduled_query_detail_free(&d);
    }
    aws_tsa_scheduled_queries_free(sq, nsq);
    ts_free(matched);
    aws_ts_names_free(dbs, ndbs);
    return st;
}

const arc_cl_inventory_ops arc_cl_inv_timestream = {.name = "Timestream", .inventory = inventory};

static ts_status del_sq(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    TS_TRY(arc_cl_open_tsa(r, err));
    return aws_tsa_delete_scheduled_query(r->tsa, it->arn, &r->info, err);
}

static ts_status del_table(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    TS_TRY(arc_cl_open_tsa(r, err));
    bool ok = false;
    char why[1536];
    ts_status st = arc_cl_interlock_recheck(r, it, &ok, why, sizeof why, err);
    if (st != TS_OK) {
        char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
        ts_err_format(err, m, sizeof m);
        ts_err_clear(err);
        arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "cannot compare live counts at deletion: %s", m);
        return TS_OK;
    }
    if (!ok) {
        arc_cl_item_keep(it, ARC_CL_KEEP_INTERLOCK, "at deletion: %s", why);
        return TS_OK;
    }
    const char *dot = it->name + strlen(it->parent);
    return aws_tsa_delete_table(r->tsa, it->parent, dot[0] == '.' ? dot + 1 : it->name, &r->info, err);
}

static ts_status del_database(arc_cl_run *r, arc_cl_item *it, ts_error *err)
{
    TS_TRY(arc_cl_open_tsa(r, err));
    return aws_tsa_delete_database(r->tsa, it->name, &r->info, err);
}

const arc_cl_kind_ops arc_cl_k_scheduled_query = {
    .kind = ARC_CL_SCHEDULED_QUERY, .name = "scheduled-query", .service = ARC_CL_SVC_TIMESTREAM,
    .iam_action = "timestream:DeleteScheduledQuery", .apply = del_sq};
const arc_cl_kind_ops arc_cl_k_table = {.kind = ARC_CL_TABLE, .name = "table",
                                        .service = ARC_CL_SVC_TIMESTREAM,
                                        .iam_action = "timestream:DeleteTable", .apply = del_table};
const arc_cl_kind_ops arc_cl_k_database = {
    .kind = ARC_CL_DATABASE, .name = "database", .service = ARC_CL_SVC_TIMESTREAM,
    .iam_action = "timestream:DeleteDatabase", .apply = del_database};
