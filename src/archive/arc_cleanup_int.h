/* Inside cleanup: the run context shared by the inventories and the
 * per-kind delete steps, the const tables that list them, and the
 * interlock. Not for use outside src/archive/arc_cleanup*.c. */
#ifndef ARC_CLEANUP_INT_H
#define ARC_CLEANUP_INT_H

#include "archive/arc_cleanup.h"
#include "aws/aws_lambda.h"
#include "aws/aws_svc.h"

#define ARC_CL_NAME_BUF 1024

typedef struct aws_ts aws_ts;
typedef struct aws_tsa aws_tsa;
typedef struct arc_cl_interlock arc_cl_interlock;

typedef struct arc_cl_run {
    const arc_cl_opts *o;
    arc_cl_plan *p;
    aws_ts *ts;   /* Timestream Query/Write listing (lazily opened) */
    aws_tsa *tsa; /* Timestream admin: deletes, scheduled queries (lazily opened) */
    /* every function of the account/region: layers, log groups and alarms
     * are matched through them; fn_matched[i] for those in the plan */
    aws_lambda_function *fns;
    bool *fn_matched;
    size_t nfns;
    char account[32]; /* from STS, for ARNs the listings do not give */
    arc_cl_interlock *il;
    int64_t next_call[ARC_CL_SVC_COUNT]; /* monotonic ns: pacing */
    aws_svc_info info;                   /* the last call's outcome (code, denied action, gone) */
} arc_cl_run;

/* Steps of one resource kind: how it is deleted, on which service, and the
 * IAM action named when that call is denied. */
typedef struct arc_cl_kind_ops {
    arc_cl_kind kind;
    const char *name;
    arc_cl_service service;
    const char *iam_action; /* "lambda:DeleteFunction" */
    /* Deletes (or detaches) it; r->info says whether it was already gone
     * and, on failure, the service's code and the denied IAM action. */
    ts_status (*apply)(arc_cl_run *r, arc_cl_item *it, ts_error *err);
} arc_cl_kind_ops;

/* One listing pass over a service, adding items of one or more kinds. */
typedef struct arc_cl_inventory_ops {
    const char *name;
    ts_status (*inventory)(arc_cl_run *r, ts_error *err);
} arc_cl_inventory_ops;

extern const arc_cl_inventory_ops arc_cl_inv_timestream, arc_cl_inv_lambda, arc_cl_inv_logs,
    arc_cl_inv_alarms, arc_cl_inv_iam;
extern const arc_cl_kind_ops arc_cl_k_esm, arc_cl_k_function, arc_cl_k_layer, arc_cl_k_log_group,
    arc_cl_k_alarm, arc_cl_k_role_policy, arc_cl_k_attachment, arc_cl_k_policy,
    arc_cl_k_instance_profile, arc_cl_k_role, arc_cl_k_scheduled_query, arc_cl_k_table,
    arc_cl_k_database;

/* Waits for the service's next slot (published rate or the option). */
void arc_cl_pace(arc_cl_run *r, arc_cl_service s);
ts_status arc_cl_open_ts(arc_cl_run *r, ts_error *err);
ts_status arc_cl_open_tsa(arc_cl_run *r, ts_error *err);
/* The account id (STS), once; "" when it cannot be had. */
const char *arc_cl_account(arc_cl_run *r);

/* ---- the interlock (arc_cleanup_interlock.c) ---- */

/* Verifies the archive once for every planned table (checksums and full
 * decode by arc_verify_run), compares live counts, and marks tables (and
 * their databases) kept where it does not hold. */
ts_status arc_cl_interlock_prepare(arc_cl_run *r, ts_error *err);
/* Right before DeleteTable: the live count and time range against the
 * archive's again. TS_OK and *ok; the reason in `why` when not. */
ts_status arc_cl_interlock_recheck(arc_cl_run *r, arc_cl_item *table, bool *ok, char *why,
                                   size_t whysz, ts_error *err);
void arc_cl_interlock_free(arc_cl_interlock *il);
bool arc_cl_is_forced(const arc_cl_opts *o, const char *db_table);

#endif
