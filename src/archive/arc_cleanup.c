/* Cleanup's plan and its drivers: the kind and inventory tables, name
 * matching, pacing, the inventory pass and the apply loop that keeps going
 * past failures and records every outcome. */
#include "arc_cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arc_cleanup_int.h"
#include "aws/aws.h"
#include "aws/aws_sts.h"
#include "aws/aws_timestream.h"
#include "aws/aws_timestream_admin.h"
#include "core/ts_alloc.h"
#include "core/ts_time.h"

/* In deletion order, indexed by arc_cl_kind. */
static const arc_cl_kind_ops *const kinds[ARC_CL_KIND_COUNT] = {
    [ARC_CL_EVENT_SOURCE_MAPPING] = &arc_cl_k_esm,
    [ARC_CL_FUNCTION] = &arc_cl_k_function,
    [ARC_CL_LAYER_VERSION] = &arc_cl_k_layer,
    [ARC_CL_LOG_GROUP] = &arc_cl_k_log_group,
    [ARC_CL_ALARM] = &arc_cl_k_alarm,
    [ARC_CL_ROLE_POLICY] = &arc_cl_k_role_policy,
    [ARC_CL_POLICY_ATTACHMENT] = &arc_cl_k_attachment,
    [ARC_CL_POLICY] = &arc_cl_k_policy,
    [ARC_CL_INSTANCE_PROFILE] = &arc_cl_k_instance_profile,
    [ARC_CL_ROLE] = &arc_cl_k_role,
    [ARC_CL_SCHEDULED_QUERY] = &arc_cl_k_scheduled_query,
    [ARC_CL_TABLE] = &arc_cl_k_table,
    [ARC_CL_DATABASE] = &arc_cl_k_database,
};

/* Listing order: Timestream and Lambda first, since log groups, alarms and
 * roles are matched through the functions, databases and tables found. */
static const arc_cl_inventory_ops *const inventories[] = {
    &arc_cl_inv_timestream, &arc_cl_inv_lambda, &arc_cl_inv_logs, &arc_cl_inv_alarms,
    &arc_cl_inv_iam,
};

const char *arc_cl_kind_name(arc_cl_kind k)
{
    return (unsigned)k < ARC_CL_KIND_COUNT ? kinds[k]->name : "?";
}

bool arc_cl_kind_parse(const char *s, arc_cl_kind *out)
{
    for (unsigned k = 0; k < ARC_CL_KIND_COUNT; k++)
        if (strcmp(s, kinds[k]->name) == 0) {
            *out = (arc_cl_kind)k;
            return true;
        }
    return false;
}

const char *arc_cl_action_name(arc_cl_action a)
{
    switch (a) {
    case ARC_CL_DELETE: return "delete";
    case ARC_CL_DETACH: return "detach";
    case ARC_CL_KEEP: return "keep";
    }
    return "?";
}

const char *arc_cl_outcome_name(arc_cl_outcome o)
{
    switch (o) {
    case ARC_CL_PLANNED: return "planned";
    case ARC_CL_DONE: return "done";
    case ARC_CL_ALREADY_GONE: return "already-gone";
    case ARC_CL_KEPT: return "kept";
    case ARC_CL_FAILED: return "failed";
    }
    return "?";
}

static const struct {
    const char *name;
    double rate; /* requests per second, from the services' published quotas */
} services[ARC_CL_SVC_COUNT] = {
    [ARC_CL_SVC_LAMBDA] = {"lambda", 10},        /* control plane: 15/s per account */
    [ARC_CL_SVC_IAM] = {"iam", 5},               /* IAM write APIs: a few per second */
    [ARC_CL_SVC_LOGS] = {"logs", 5},             /* DeleteLogGroup: 10/s */
    [ARC_CL_SVC_CLOUDWATCH] = {"cloudwatch", 3}, /* DeleteAlarms: 3/s */
    [ARC_CL_SVC_TIMESTREAM] = {"timestream", 1}, /* DeleteTable/DeleteDatabase: 1/s */
};

const char *arc_cl_service_name(arc_cl_service s)
{
    return (unsigned)s < ARC_CL_SVC_COUNT ? services[s].name : "?";
}

bool arc_cl_service_parse(const char *s, arc_cl_service *out)
{
    for (unsigned i = 0; i < ARC_CL_SVC_COUNT; i++)
        if (strcmp(s, services[i].name) == 0) {
            *out = (arc_cl_service)i;
            return true;
        }
    return false;
}

double arc_cl_default_rate(arc_cl_service s)
{
    return (unsigned)s < ARC_CL_SVC_COUNT ? services[s].rate : 1;
}

/* ---- the plan ---- */

void arc_cl_plan_init(arc_cl_plan *p)
{
    memset(p, 0, sizeof *p);
}

static void item_free(arc_cl_item *it)
{
    ts_free(it->name);
    ts_free(it->arn);
    ts_free(it->parent);
    ts_free(it->reason);
    ts_free(it->aux);
    ts_free(it->error);
    ts_free(it->error_code);
    ts_free(it->denied_action);
    json_decref(it->held);
}

void arc_cl_plan_free(arc_cl_plan *p)
{
    for (size_t i = 0; i < p->n; i++) item_free(&p->items[i]);
    ts_free(p->items);
    json_decref(p->forced);
    memset(p, 0, sizeof *p);
}

static char *dup_or_null(const char *s)
{
    return s ? ts_strdup(s) : NULL;
}

ts_status arc_cl_plan_add(arc_cl_plan *p, arc_cl_kind kind, arc_cl_action action,
                          const char *name, const char *arn, const char *parent,
                          const char *reason, json_t *held, arc_cl_item **out, ts_error *err)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 32;
        arc_cl_item *ni = ts_realloc(p->items, nc * sizeof *ni);
        if (!ni) {
            json_decref(held);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory building the cleanup plan");
        }
        p->items = ni;
        p->cap = nc;
    }
    arc_cl_item *it = &p->items[p->n];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->action = action;
    it->name = ts_strdup(name);
    it->arn = dup_or_null(arn);
    it->parent = dup_or_null(parent);
    it->reason = dup_or_null(reason);
    it->held = held;
    it->outcome = action == ARC_CL_KEEP ? ARC_CL_KEPT : ARC_CL_PLANNED;
    if (!it->name || (arn && !it->arn) || (parent && !it->parent) || (reason && !it->reason)) {
        item_free(it);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory building the cleanup plan");
    }
    p->n++;
    if (out) *out = it;
    return TS_OK;
}

void arc_cl_item_keep(arc_cl_item *it, arc_cl_keep why, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    it->action = ARC_CL_KEEP;
    it->keep = why;
    it->outcome = ARC_CL_KEPT;
    char *r = ts_strdup(buf);
    if (r) {
        ts_free(it->reason);
        it->reason = r;
    }
}

arc_cl_item *arc_cl_plan_find(arc_cl_plan *p, arc_cl_kind kind, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].kind == kind && strcmp(p->items[i].name, name) == 0) return &p->items[i];
    return NULL;
}

void arc_cl_plan_sort(arc_cl_plan *p)
{
    /* insertion sort: stable, and plans are small (hundreds of items) */
    for (size_t i = 1; i < p->n; i++) {
        arc_cl_item t = p->items[i];
        size_t j = i;
        while (j > 0 && p->items[j - 1].kind > t.kind) {
            p->items[j] = p->items[j - 1];
            j--;
        }
        p->items[j] = t;
    }
}

json_t *arc_cl_item_json(const arc_cl_item *it)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "kind", json_string(arc_cl_kind_name(it->kind)));
    json_object_set_new(o, "name", json_string(it->name));
    json_object_set_new(o, "action", json_string(arc_cl_action_name(it->action)));
    json_object_set_new(o, "outcome", json_string(arc_cl_outcome_name(it->outcome)));
    if (it->arn) json_object_set_new(o, "arn", json_string(it->arn));
    if (it->parent) json_object_set_new(o, "parent", json_string(it->parent));
    if (it->reason) json_object_set_new(o, "reason", json_string(it->reason));
    if (it->keep != ARC_CL_KEEP_NONE)
        json_object_set_new(o, "kept_for",
                            json_string(it->keep == ARC_CL_KEEP_INTERLOCK ? "interlock" : "dependency"));
    if (it->held) json_object_set(o, "held", it->held);
    if (it->when_ns) {
        char s[TS_TIME_STR_MAX];
        ts_time_format(it->when_ns, s);
        json_object_set_new(o, "when", json_string(s));
    }
    if (it->error) {
        json_t *e = json_pack("{s:s}", "message", it->error);
        if (it->error_code && *it->error_code) json_object_set_new(e, "code", json_string(it->error_code));
        if (it->denied_action) json_object_set_new(e, "denied_action", json_string(it->denied_action));
        json_object_set_new(o, "error", e);
    }
    return o;
}

void arc_cl_plan_summarise(arc_cl_plan *p)
{
    p->deleted = p->already_gone = p->kept = p->failed = p->interlock_kept = p->planned = 0;
    for (size_t i = 0; i < p->n; i++) {
        const arc_cl_item *it = &p->items[i];
        switch (it->outcome) {
        case ARC_CL_PLANNED: p->planned++; break;
        case ARC_CL_DONE: p->deleted++; break;
        case ARC_CL_ALREADY_GONE: p->already_gone++; break;
        case ARC_CL_KEPT:
            p->kept++;
            if (it->keep == ARC_CL_KEEP_INTERLOCK) p->interlock_kept++;
            break;
        case ARC_CL_FAILED: p->failed++; break;
        }
    }
}

size_t arc_cl_remaining(const arc_cl_plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].keep != ARC_CL_KEEP_DEPENDENCY) n++;
    return n;
}

/* ---- matching ---- */

bool arc_cl_has_token(const char *name, const char *word)
{
    size_t wl = strlen(word);
    if (!wl) return false;
    for (const char *s = name; (s = strstr(s, word)) != NULL; s++) {
        bool left = s == name || !isalnum((unsigned char)s[-1]);
        bool right = !isalnum((unsigned char)s[wl]);
        if (left && right) return true;
    }
    return false;
}

bool arc_cl_has_match(const arc_cl_opts *o, arc_cl_kind kind)
{
    for (size_t i = 0; i < o->nmatches; i++)
        if (o->matches[i].kind == kind) return true;
    return false;
}

bool arc_cl_name_matches(const arc_cl_opts *o, arc_cl_kind kind, const char *name, bool dflt)
{
    if (!arc_cl_has_match(o, kind)) return dflt;
    for (size_t i = 0; i < o->nmatches; i++)
        if (o->matches[i].kind == kind && fnmatch(o->matches[i].glob, name, 0) == 0) return true;
    return false;
}

bool arc_cl_is_forced(const arc_cl_opts *o, const char *db_table)
{
    for (size_t i = 0; i < o->nforce; i++)
        if (strcmp(o->force_unarchived[i], db_table) == 0) return true;
    return false;
}

/* ---- pacing ---- */

void arc_cl_pace(arc_cl_run *r, arc_cl_service s)
{
    double rate = r->o->rate[s] > 0 ? r->o->rate[s] : services[s].rate;
    int64_t gap = (int64_t)(1e9 / rate);
    int64_t now = ts_mono_ns();
    if (r->next_call[s] > now) {
        int64_t wait = r->next_call[s] - now;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000), .tv_nsec = (long)(wait % 1000000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            if (r->o->cancel && *r->o->cancel) break;
        }
        now = ts_mono_ns();
    }
    r->next_call[s] = now + gap;
}

ts_status arc_cl_open_ts(arc_cl_run *r, ts_error *err)
{
    if (r->ts) return TS_OK;
    return aws_ts_new(r->o->client, &r->ts, err);
}

ts_status arc_cl_open_tsa(arc_cl_run *r, ts_error *err)
{
    if (r->tsa) return TS_OK;
    return aws_tsa_new(r->o->client, &r->tsa, err);
}

const char *arc_cl_account(arc_cl_run *r)
{
    if (!r->account[0]) {
        aws_identity id;
        ts_error e;
        ts_err_clear(&e);
        memset(&id, 0, sizeof id);
        if (aws_sts_caller_identity(r->o->client, &id, &e) == TS_OK)
            snprintf(r->account, sizeof r->account, "%s", id.account);
        else
            snprintf(r->account, sizeof r->account, "-"); /* asked once */
    }
    return strcmp(r->account, "-") == 0 ? "" : r->account;
}

static void run_free(arc_cl_run *r)
{
    aws_ts_free(r->ts);
    aws_tsa_free(r->tsa);
    aws_lambda_functions_free(r->fns, r->nfns);
    ts_free(r->fn_matched);
    arc_cl_interlock_free(r->il);
}

/* ---- drivers ---- */

ts_status arc_cl_inventory(const arc_cl_opts *o, arc_cl_plan *p, ts_error *err)
{
    arc_cl_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.p = p;
    if (!p->forced) p->forced = json_array();
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < sizeof inventories / sizeof inventories[0]; i++) {
        if (o->cancel && *o->cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        st = inventories[i]->inventory(&r, err);
        if (st != TS_OK) ts_err_context(err, "listing %s", inventories[i]->name);
    }
    arc_cl_plan_sort(p);
    if (st == TS_OK && o->mode != ARC_CL_MODE_CHECK) st = arc_cl_interlock_prepare(&r, err);
    arc_cl_plan_summarise(p);
    run_free(&r);
    return st;
}

static void record_failure(arc_cl_item *it, const arc_cl_kind_ops *k, const aws_svc_info *info,
                           ts_status st, const ts_error *e)
{
    char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
    ts_err_format(e, m, sizeof m);
    it->outcome = ARC_CL_FAILED;
    ts_free(it->error);
    it->error = ts_strdup(m);
    ts_free(it->error_code);
    it->error_code = ts_strdup(info->code);
    ts_free(it->denied_action);
    it->denied_action = NULL;
    if (info->action[0])
        it->denied_action = ts_strdup(info->action);
    else if (st == TS_ERR_AUTH && k->iam_action)
        it->denied_action = ts_strdup(k->iam_action);
}

ts_status arc_cl_apply(const arc_cl_opts *o, arc_cl_plan *p,
                       void (*audit_cb)(void *user, const arc_cl_item *it), void *audit_user,
                       ts_error *err)
{
    arc_cl_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.p = p;
    ts_status ret = TS_OK;
    for (size_t i = 0; i < p->n; i++) {
        arc_cl_item *it = &p->items[i];
        if (o->cancel && *o->cancel) {
            ret = ts_err_set(err, TS_ERR_CANCELLED, "interrupted before %s %s",
                             arc_cl_kind_name(it->kind), it->name);
            break;
        }
        if (it->action == ARC_CL_KEEP) continue;
        if (o->progress) o->progress(o->user, it);
        const arc_cl_kind_ops *k = kinds[it->kind];
        ts_error e;
        ts_err_clear(&e);
        aws_svc_info_clear(&r.info);
        arc_cl_pace(&r, k->service);
        ts_status st = k->apply(&r, it, &e);
        it->when_ns = ts_now_ns();
        if (it->action == ARC_CL_KEEP) {
            /* the step itself decided to keep it (the interlock at deletion time) */
        } else if (st == TS_OK) {
            it->outcome = r.info.already_gone ? ARC_CL_ALREADY_GONE : ARC_CL_DONE;
        } else if (st == TS_ERR_NOT_FOUND) {
            it->outcome = ARC_CL_ALREADY_GONE;
        } else {
            record_failure(it, k, &r.info, st, &e);
        }
        /* a table that stays keeps its database */
        if (it->kind == ARC_CL_TABLE && (it->outcome == ARC_CL_FAILED || it->outcome == ARC_CL_KEPT)) {
            arc_cl_item *db = it->parent ? arc_cl_plan_find(p, ARC_CL_DATABASE, it->parent) : NULL;
            if (db && db->action != ARC_CL_KEEP)
                arc_cl_item_keep(db, it->outcome == ARC_CL_KEPT ? it->keep : ARC_CL_KEEP_DEPENDENCY,
                                 "its table %s stays (%s)", it->name,
                                 it->outcome == ARC_CL_KEPT ? "kept by the interlock" : "its deletion failed");
        }
        if (audit_cb) audit_cb(audit_user, it);
    }
    arc_cl_plan_summarise(p);
    run_free(&r);
    return ret;
}
