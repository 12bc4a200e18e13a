/* tsarchive cleanup: the ordered plan of what a retired Timestream stack
 * left behind (dry run by default), --apply with the archive interlock,
 * --check for what remains; every run in the hash-chained audit log. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_cleanup.h"
#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"
#include "core/ts_time.h"

#define DEFAULT_AUDIT_ROOT "./tsarchive-audit"

static const cli_opt opts[] = {
    {.name = "apply", .help = "delete what the plan says (default: dry run, nothing deleted)"},
    {.name = "check", .help = "list what still matches; exit 3 while anything is left"},
    {.name = "json", .help = "print the plan and outcomes as one JSON object"},
    {.name = "project", .metavar = "NAME", .help = "project name (default $PROJECT_NAME)"},
    {.name = "environment", .metavar = "ENV", .help = "environment (default $ENVIRONMENT)"},
    {.name = "region", .metavar = "REGION", .help = "AWS region (default $AWS_REGION)"},
    {.name = "match", .metavar = "KIND=GLOB", .repeatable = true,
     .help = "replace the default name rule of KIND (database, table [DB.TABLE], "
             "scheduled-query, function, layer-version, log-group, alarm, role)"},
    {.name = "archive", .metavar = "ROOT",
     .help = "the verified archive (directory or s3://bucket[/prefix]); tables are deleted only "
             "when it covers them; the audit log goes there"},
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "audit-to", .metavar = "ROOT",
     .help = "where the audit log goes without --archive (default ./tsarchive-audit)"},
    {.name = "force-unarchived", .metavar = "DB.TABLE", .repeatable = true,
     .help = "delete this table without the archive check (written to the audit log)"},
    {.name = "rate", .metavar = "SERVICE=N", .repeatable = true,
     .help = "delete calls per second for lambda, iam, logs, cloudwatch, timestream or all "
             "(defaults: the published rates 10, 5, 5, 3, 1)"},
    {.name = "jobs", .short_name = 'j', .metavar = "N",
     .help = "archive files verified in parallel (default 2)"},
    {.name = "archive-bucket", .metavar = "BUCKET",
     .help = "the guide's step 6.1 instead: remove the archive bucket (every version) once no "
             "object is within its retention or on legal hold; dry run without --apply"},
    {0},
};


typedef struct audit_ctx {
    cli_root *root; /* its audit log; none until opened */
    json_t *who;
    cli_ctx *ctx;
    bool write_failed;
} audit_ctx;

static void audit_flush(audit_ctx *ac)
{
    if (!ac->root->audit || ac->write_failed) return;
    ts_error e;
    ts_err_clear(&e);
    if (cli_root_audit_flush(ac->root, &e) != TS_OK) {
        cli_root_warn_write(ac->ctx, "cleanup", &e);
        ac->write_failed = true;
    }
}

static void audit_add(audit_ctx *ac, const char *event, json_t *fields)
{
    ts_error e;
    ts_err_clear(&e);
    cli_root_audit(ac->root, event, fields, false, &e);
}

/* One entry per deletion, written at once: a crash leaves the log current. */
static void on_item_done(void *user, const arc_cl_item *it)
{
    audit_ctx *ac = user;
    json_t *f = arc_cl_item_json(it);
    if (!f) return;
    if (ac->who) json_object_set(f, "who", ac->who);
    audit_add(ac, it->action == ARC_CL_DETACH ? "detach" : "delete", f);
    audit_flush(ac);
}

static void on_progress(void *user, const arc_cl_item *it)
{
    cli_ctx *ctx = user;
    if (!ctx->err_tty) return;
    fprintf(ctx->err, "cleanup: %s %s %s\n", it->action == ARC_CL_DETACH ? "detaching" : "deleting",
            arc_cl_kind_name(it->kind), it->name);
}

static const char *shown_outcome(const arc_cl_item *it, arc_cl_mode mode)
{
    if (it->action == ARC_CL_KEEP) return "keep";
    if (mode == ARC_CL_MODE_CHECK) return "left";
    switch (it->outcome) {
    case ARC_CL_PLANNED: return arc_cl_action_name(it->action);
    case ARC_CL_DONE: return it->action == ARC_CL_DETACH ? "detached" : "deleted";
    case ARC_CL_ALREADY_GONE: return "gone";
    case ARC_CL_KEPT: return "keep";
    case ARC_CL_FAILED: return "FAILED";
    }
    return "?";
}

static void print_table(cli_ctx *ctx, const arc_cl_plan *p, arc_cl_mode mode)
{
    size_t kw = 4, nw = 4;
    for (size_t i = 0; i < p->n; i++) {
        const arc_cl_item *it = &p->items[i];
        if (mode == ARC_CL_MODE_CHECK && it->keep == ARC_CL_KEEP_DEPENDENCY) continue;
        size_t k = strlen(arc_cl_kind_name(it->kind)), n = strlen(it->name);
        if (k > kw) kw = k;
        if (n > nw) nw = n;
    }
    if (nw > 60) nw = 60;
    fprintf(ctx->out, "%4s  %-*s  %-8s  %-*s  %s\n", "#", (int)kw, "KIND", "ACTION", (int)nw, "NAME",
            "WHY");
    size_t row = 0;
    for (size_t i = 0; i < p->n; i++) {
        const arc_cl_item *it = &p->items[i];
        if (mode == ARC_CL_MODE_CHECK && it->keep == ARC_CL_KEEP_DEPENDENCY) continue;
        char why[2048];
        snprintf(why, sizeof why, "%s%s%s%s", it->reason ? it->reason : "",
                 it->parent ? " [" : "", it->parent ? it->parent : "", it->parent ? "]" : "");
        fprintf(ctx->out, "%4zu  %-*s  %-8s  %-*s  %s\n", ++row, (int)kw,
                arc_cl_kind_name(it->kind), shown_outcome(it, mode), (int)nw, it->name, why);
    }
    bool any_fail = false;
    for (size_t i = 0; i < p->n; i++) {
        const arc_cl_item *it = &p->items[i];
        if (it->outcome != ARC_CL_FAILED) continue;
        if (!any_fail) fprintf(ctx->out, "\nFailures:\n");
        any_fail = true;
        fprintf(ctx->out, "  %s %s: %s%s%s%s%s\n", arc_cl_kind_name(it->kind), it->name,
                it->error ? it->error : "?", it->error_code && *it->error_code ? " [code " : "",
                it->error_code && *it->error_code ? it->error_code : "",
                it->error_code && *it->error_code ? "]" : "", "");
        if (it->denied_action)
            fprintf(ctx->out, "    denied IAM action: %s\n", it->denied_action);
    }
}

static ts_status count_object(void *user, const char *key, uint64_t size, ts_error *err)
{
    (void)key;
    (void)size;
    (void)err;
    (*(size_t *)user)++;
    return TS_OK;
}

static json_t *time_or_null(int64_t ns)
{
    if (!ns) return json_null();
    char t[TS_TIME_STR_MAX];
    ts_time_format(ns, t);
    return json_string(t);
}

/* --archive-bucket: arc_bucket_retire does the work and writes its plan to
 * the audit log before deleting; here only the report. */
static int retire_bucket(cli_ctx *ctx, const char *bucket, bool apply, bool json,
                         aws_client *client, audit_ctx *ac)
{
    arc_retire_opts ro = {.bucket = bucket, .dry_run = !apply, .audit = ac->root->audit,
                          .audit_storage = ac->root->audit_store,
                          .audit_prefix = ac->root->audit_prefix,
                          .cancel = ctx->cancel};
    arc_retire_result res;
    memset(&res, 0, sizeof res);
    ts_error err;
    ts_err_clear(&err);
    ts_status st = arc_bucket_retire(client, &ro, &res, &err);
    int rc = st == TS_OK ? CLI_EXIT_OK : st == TS_ERR_REFUSED ? CLI_EXIT_REFUSED : cli_exit_for(st);
    char emsg[CLI_ERR_TEXT_MAX] = "";
    if (st != TS_OK) ts_err_format(&err, emsg, sizeof emsg);
    char may[TS_TIME_STR_MAX] = "";
    if (res.may_go_ns) ts_time_format(res.may_go_ns, may);
    if (json) {
        json_t *held = json_array();
        for (size_t i = 0; i < res.nheld_v; i++) {
            const arc_retire_version *v = &res.held_v[i];
            json_array_append_new(held, json_pack("{s:s,s:s,s:s,s:s,s:b}", "key", v->key,
                                                  "version_id", v->version_id ? v->version_id : "",
                                                  "lock_mode", v->lock_mode, "lock_until",
                                                  v->lock_until, "legal_hold", v->legal_hold));
        }
        json_t *j = json_pack("{s:b,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:b,s:o,s:I,s:b}", "ok", rc == 0,
                              "exit_code", rc, "mode", apply ? "apply" : "dry-run", "bucket", bucket,
                              "versions", (json_int_t)res.versions, "delete_markers",
                              (json_int_t)res.delete_markers, "bytes", (json_int_t)res.bytes,
                              "held", (json_int_t)res.held, "may_go", time_or_null(res.may_go_ns),
                              "legal_hold", res.legal_hold, "held_versions", held, "deleted",
                              (json_int_t)res.deleted, "bucket_deleted", res.bucket_deleted);
        if (*emsg) json_object_set_new(j, "error", json_string(emsg));
        cli_print_json(ctx, j);
    } else if (st == TS_OK || st == TS_ERR_REFUSED) {
        fprintf(ctx->out, "archive bucket s3://%s: %zu object versions, %zu delete markers, %llu bytes\n",
                bucket, res.versions, res.delete_markers, (unsigned long long)res.bytes);
        for (size_t i = 0; i < res.nheld_v; i++) {
            const arc_retire_version *v = &res.held_v[i];
            fprintf(ctx->out, "  held: %s (version %s)%s%s%s\n", v->key,
                    v->version_id ? v->version_id : "null", v->lock_until[0] ? " locked until " : "",
                    v->lock_until, v->legal_hold ? " on legal hold" : "");
        }
        if (st == TS_ERR_REFUSED)
            fprintf(ctx->out, "REFUSED: %zu version%s still held%s%s%s\n", res.held,
                    res.held == 1 ? " is" : "s are", may[0] ? "; the bucket may go after " : "", may,
                    res.legal_hold ? " (and a legal hold has no end date: lift it first)" : "");
        else if (!apply)
            fprintf(ctx->out, "nothing is held: --apply deletes every version and the bucket. Nothing "
                              "was deleted.\n");
        else
            fprintf(ctx->out, "deleted %zu versions and delete markers%s\n", res.deleted,
                    res.bucket_deleted ? " and the bucket" : "");
    }
    if (st != TS_OK && st != TS_ERR_REFUSED)
        fprintf(ctx->err, "%s cleanup: --archive-bucket %s: %s\n", ctx->prog, bucket, emsg);
    else if (st == TS_ERR_REFUSED)
        fprintf(ctx->err, "%s cleanup: %s (exit %d)\n", ctx->prog, emsg, rc);
    if (ac->root->audit) {
        json_t *f = json_pack("{s:s,s:s,s:I,s:I,s:I,s:b,s:i}", "outcome",
                              st == TS_OK ? "ok" : st == TS_ERR_REFUSED ? "refused" : "error",
                              "bucket", bucket, "versions", (json_int_t)res.versions, "held",
                              (json_int_t)res.held, "deleted", (json_int_t)res.deleted,
                              "bucket_deleted", res.bucket_deleted, "exit_code", rc);
        if (*emsg) json_object_set_new(f, "error", json_string(emsg));
        audit_add(ac, "end", f);
        audit_flush(ac);
    }
    arc_retire_result_free(&res);
    return rc;
}

static bool parse_rate(const char *v, double rate[ARC_CL_SVC_COUNT])
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v) return false;
    char svc[32];
    size_t l = (size_t)(eq - v);
    if (l >= sizeof svc) return false;
    memcpy(svc, v, l);
    svc[l] = '\0';
    char *end;
    double r = strtod(eq + 1, &end);
    if (*end || !(r > 0) || r > 1e6) return false;
    if (strcmp(svc, "all") == 0) {
        for (unsigned i = 0; i < ARC_CL_SVC_COUNT; i++) rate[i] = r;
        return true;
    }
    arc_cl_service s;
    if (!arc_cl_service_parse(svc, &s)) return false;
    rate[s] = r;
    return true;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    const cli_cmd *self = a->cmd;
    bool apply = cli_flag(a, "apply"), check = cli_flag(a, "check"), json = cli_flag(a, "json");
    if (apply && check) return cli_usage_error(ctx, self, "--apply and --check exclude each other");
    arc_cl_mode mode = apply ? ARC_CL_MODE_APPLY : check ? ARC_CL_MODE_CHECK : ARC_CL_MODE_DRY_RUN;
    const char *project = cli_get(a, "project");
    const char *envname = cli_get(a, "environment");
    if (!project) project = getenv("PROJECT_NAME");
    if (!envname) envname = getenv("ENVIRONMENT");
    if (cli_get(a, "archive-bucket")) {
        if (!project) project = "";
        if (!envname) envname = "";
    } else if (!project || !*project || !envname || !*envname)
        return cli_usage_error(ctx, self,
                               "the project and environment name what to clean up: set PROJECT_NAME "
                               "and ENVIRONMENT, or give --project and --environment");
    /* --match KIND=GLOB */
    const char *const *mv;
    size_t nm = cli_get_all(a, "match", &mv);
    arc_cl_match matches[CLI_MAX_VALUES];
    char kinds_buf[CLI_MAX_VALUES][48];
    for (size_t i = 0; i < nm; i++) {
        const char *eq = strchr(mv[i], '=');
        size_t kl = eq ? (size_t)(eq - mv[i]) : 0;
        if (!eq || !kl || kl >= sizeof kinds_buf[i] || !eq[1])
            return cli_usage_error(ctx, self, "--match %s: expected KIND=GLOB", mv[i]);
        memcpy(kinds_buf[i], mv[i], kl);
        kinds_buf[i][kl] = '\0';
        const char *kn = strcmp(kinds_buf[i], "layer") == 0 ? "layer-version" : kinds_buf[i];
        if (!arc_cl_kind_parse(kn, &matches[i].kind))
            return cli_usage_error(ctx, self, "--match %s: unknown kind '%s'", mv[i], kinds_buf[i]);
        matches[i].glob = eq + 1;
    }
    arc_cl_opts o;
    memset(&o, 0, sizeof o);
    const char *const *rv;
    size_t nr = cli_get_all(a, "rate", &rv);
    for (size_t i = 0; i < nr; i++)
        if (!parse_rate(rv[i], o.rate))
            return cli_usage_error(ctx, self,
                                   "--rate %s: expected SERVICE=N (N > 0 calls per second; SERVICE "
                                   "lambda, iam, logs, cloudwatch, timestream or all)", rv[i]);
    const char *const *fv;
    size_t nf = cli_get_all(a, "force-unarchived", &fv);
    for (size_t i = 0; i < nf; i++)
        if (!strchr(fv[i], '.'))
            return cli_usage_error(ctx, self, "--force-unarchived %s: expected DB.TABLE", fv[i]);
    uint64_t jobs = 2;
    if (!cli_get_range(a, "jobs", 1, 64, &jobs))
        return cli_usage_error(ctx, self, "--jobs: a number from 1 to 64");
    char prefix[ARC_PATH_MAX];
    if (!cli_get_prefix(a, ctx, true, prefix, sizeof prefix)) return CLI_EXIT_USAGE;
    const char *archive_root = cli_get(a, "archive");
    const char *audit_root = archive_root ? archive_root : cli_get(a, "audit-to");
    if (!audit_root) audit_root = DEFAULT_AUDIT_ROOT;
    if (archive_root && cli_get(a, "audit-to"))
        return cli_usage_error(ctx, self, "--audit-to: the audit log goes to the --archive ROOT");
    const char *retire = cli_get(a, "archive-bucket");
    if (retire && (check || archive_root || nm || nf))
        return cli_usage_error(ctx, self,
                               "--archive-bucket stands alone (with --apply, --json, --audit-to): "
                               "the audit log must be written outside the bucket");

    ts_error err;
    ts_err_clear(&err);
    cli_root r;
    audit_ctx ac = {.root = &r, .ctx = ctx};
    ts_status st = cli_root_open(&r, archive_root,
                                 &(cli_root_opts){.need_aws = true, .region = cli_get(a, "region")},
                                 &err);
    if (st == TS_OK && r.storage) {
        /* a mistyped --archive would keep every table and leave an audit log in a stray place:
         * say so instead */
        size_t nobj = 0;
        st = arc_storage_list(r.storage, prefix, count_object, &nobj, &err);
        if (st == TS_ERR_NOT_FOUND || (st == TS_OK && nobj == 0))
            st = ts_err_set(&err, TS_ERR_NOT_FOUND, "--archive %s: no archive there (nothing under %s)",
                            archive_root, prefix);
    }
    if (st == TS_OK)
        st = cli_root_audit_open(&r, "cleanup", prefix, r.storage ? NULL : audit_root, &err);
    if (st == TS_OK) {
        json_t *id = arc_audit_identity(&r.cfg);
        json_t *arn = id ? json_object_get(id, "arn") : NULL;
        ac.who = arn ? json_incref(arn) : json_string(r.cfg.cred_source ? r.cfg.cred_source : "");
        json_t *f = json_pack("{s:o,s:s,s:s,s:s,s:s,s:o}", "arguments", cli_args_json(a, NULL), "mode",
                              apply ? "apply" : check ? "check" : "dry-run", "project", project,
                              "environment", envname, "region", r.cfg.region ? r.cfg.region : "",
                              "identity", id ? id : json_object());
        if (archive_root) json_object_set_new(f, "archive", json_string(archive_root));
        if (nf) {
            json_t *fa = json_array();
            for (size_t i = 0; i < nf; i++) json_array_append_new(fa, json_string(fv[i]));
            json_object_set_new(f, "force_unarchived", fa);
        }
        audit_add(&ac, "start", f);
        cli_root_warn_chain(&r, ctx, "cleanup", audit_root, "");
    }

    if (retire && st == TS_OK) {
        int rrc = retire_bucket(ctx, retire, apply, json, r.client, &ac);
        json_decref(ac.who);
        cli_root_close(&r);
        return rrc;
    }
    o.project = project;
    o.environment = envname;
    o.matches = matches;
    o.nmatches = nm;
    o.mode = mode;
    o.archive_root = archive_root;
    o.archive_prefix = prefix;
    o.archive = r.storage;
    o.aws = &r.cfg;
    o.client = r.client;
    o.force_unarchived = fv;
    o.nforce = nf;
    o.verify_jobs = (int)jobs;
    o.cancel = ctx->cancel;
    o.progress = on_progress;
    o.user = ctx;
    arc_cl_plan plan;
    arc_cl_plan_init(&plan);
    bool planned = false;
    if (st == TS_OK) {
        st = arc_cl_inventory(&o, &plan, &err);
        planned = st == TS_OK;
    }
    if (planned) {
        json_t *items = json_array();
        for (size_t i = 0; i < plan.n; i++) {
            const arc_cl_item *it = &plan.items[i];
            json_t *j = json_pack("{s:s,s:s,s:s}", "kind", arc_cl_kind_name(it->kind), "name",
                                  it->name, "action", arc_cl_action_name(it->action));
            if (it->arn) json_object_set_new(j, "arn", json_string(it->arn));
            if (it->parent) json_object_set_new(j, "parent", json_string(it->parent));
            if (it->reason) json_object_set_new(j, "reason", json_string(it->reason));
            json_array_append_new(items, j);
        }
        audit_add(&ac, "plan", json_pack("{s:o}", "items", items));
        if (nf && plan.forced && json_array_size(plan.forced))
            audit_add(&ac, "force-unarchived",
                      json_pack("{s:O,s:s}", "tables", plan.forced, "note",
                                "deleted without the archive interlock, as asked"));
        audit_flush(&ac);
    }
    if (planned && mode == ARC_CL_MODE_APPLY) st = arc_cl_apply(&o, &plan, on_item_done, &ac, &err);
    arc_cl_plan_summarise(&plan);
    size_t remaining = arc_cl_remaining(&plan);

    int rc;
    if (!planned) rc = cli_exit_unchecked(st);
    else if (st == TS_ERR_CANCELLED) rc = CLI_EXIT_INTERRUPTED;
    else if (mode == ARC_CL_MODE_CHECK) rc = remaining ? CLI_EXIT_DAMAGED : CLI_EXIT_OK;
    else if (mode == ARC_CL_MODE_APPLY && plan.failed) rc = CLI_EXIT_ERROR;
    else if (mode == ARC_CL_MODE_APPLY && plan.interlock_kept) rc = CLI_EXIT_REFUSED;
    else rc = CLI_EXIT_OK;

    char emsg[CLI_ERR_TEXT_MAX] = "";
    if (st != TS_OK) ts_err_format(&err, emsg, sizeof emsg);
    if (r.audit) {
        json_t *f = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "outcome",
                              !planned ? "error" : rc == 0 ? "ok" : "incomplete", "items",
                              (json_int_t)plan.n, "deleted", (json_int_t)plan.deleted,
                              "already_gone", (json_int_t)plan.already_gone, "kept",
                              (json_int_t)plan.kept, "kept_by_interlock",
                              (json_int_t)plan.interlock_kept, "failed", (json_int_t)plan.failed,
                              "exit_code", rc);
        if (mode == ARC_CL_MODE_CHECK) json_object_set_new(f, "remaining", json_integer((json_int_t)remaining));
        if (*emsg) json_object_set_new(f, "error", json_string(emsg));
        audit_add(&ac, "end", f);
        audit_flush(&ac);
    }

    if (json) {
        json_t *items = json_array();
        for (size_t i = 0; i < plan.n; i++) {
            if (mode == ARC_CL_MODE_CHECK && plan.items[i].keep == ARC_CL_KEEP_DEPENDENCY) continue;
            json_array_append_new(items, arc_cl_item_json(&plan.items[i]));
        }
        json_t *j = json_pack(
            "{s:b,s:i,s:s,s:s,s:s,s:s,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "ok", rc == 0,
            "exit_code", rc, "mode", apply ? "apply" : check ? "check" : "dry-run", "project",
            project, "environment", envname, "region", r.cfg.region ? r.cfg.region : "", "items", items,
            "summary", "items", (json_int_t)plan.n, "planned", (json_int_t)plan.planned, "deleted",
            (json_int_t)plan.deleted, "already_gone", (json_int_t)plan.already_gone, "kept",
            (json_int_t)plan.kept, "kept_by_interlock", (json_int_t)plan.interlock_kept, "failed",
            (json_int_t)plan.failed);
        if (mode == ARC_CL_MODE_CHECK) json_object_set_new(j, "remaining", json_integer((json_int_t)remaining));
        if (r.audit && !ac.write_failed) {
            char where[ARC_PATH_MAX * 2];
            snprintf(where, sizeof where, "%s/%s%s/%s", audit_root, prefix, ARC_AUDIT_DIR,
                     arc_audit_object_name(r.audit));
            json_object_set_new(j, "audit_log", json_string(where));
        }
        if (*emsg) json_object_set_new(j, "error", json_string(emsg));
        cli_print_json(ctx, j);
    } else if (planned) {
        const char *what = mode == ARC_CL_MODE_APPLY ? "cleanup" : mode == ARC_CL_MODE_CHECK ? "cleanup check" : "cleanup plan (dry run)";
        fprintf(ctx->out, "%s for project %s, environment %s, region %s:\n", what, project, envname,
                r.cfg.region ? r.cfg.region : "?");
        if (!plan.n) fprintf(ctx->out, "  nothing matches\n");
        else print_table(ctx, &plan, mode);
        if (mode == ARC_CL_MODE_DRY_RUN)
            fprintf(ctx->out, "\n%zu to delete or detach, %zu kept (%zu by the interlock). Nothing was "
                              "deleted: run with --apply.\n",
                    plan.planned, plan.kept, plan.interlock_kept);
        else if (mode == ARC_CL_MODE_APPLY)
            fprintf(ctx->out, "\n%zu deleted or detached, %zu already gone, %zu kept (%zu by the "
                              "interlock), %zu failed.\n",
                    plan.deleted, plan.already_gone, plan.kept, plan.interlock_kept, plan.failed);
        else
            fprintf(ctx->out, "\n%zu matching resource%s left.\n", remaining, remaining == 1 ? "" : "s");
    }
    if (st != TS_OK)
        fprintf(ctx->err, "%s cleanup: %s: %s\n", ctx->prog,
                st == TS_ERR_CANCELLED ? "interrupted" : planned ? "error" : "could not make the plan",
                emsg);
    else if (rc == CLI_EXIT_REFUSED)
        fprintf(ctx->err, "%s cleanup: %zu table%s and database%s kept by the archive interlock "
                          "(exit %d)\n", ctx->prog, plan.interlock_kept, plan.interlock_kept == 1 ? "" : "s",
                plan.interlock_kept == 1 ? "" : "s", rc);
    else if (rc == CLI_EXIT_ERROR)
        fprintf(ctx->err, "%s cleanup: %zu deletion%s failed (exit %d)\n", ctx->prog, plan.failed,
                plan.failed == 1 ? "" : "s", rc);

    arc_cl_plan_free(&plan);
    json_decref(ac.who);
    cli_root_close(&r);
    return rc;
}

const cli_cmd cmd_cleanup = {
    .name = "cleanup",
    .summary = "Plan, check and (with --apply) delete what a retired Timestream stack left "
               "behind; tables only when the archive covers them.",
    .usage = "[--apply | --check] [options]",
    .description =
        "Finds, by the naming of PROJECT_NAME, ENVIRONMENT and AWS_REGION: Timestream databases\n"
        "${PROJECT_NAME}_${ENVIRONMENT}_* with their tables and the scheduled queries using them;\n"
        "Lambda functions ${PROJECT_NAME}-${ENVIRONMENT}*timestream* with their event source\n"
        "mappings, and the layers only they use; their log groups; alarms naming any of these;\n"
        "IAM roles named with timestream, the project and the environment, with their policies\n"
        "and instance profiles. Prints the plan in deletion order; nothing is deleted without\n"
        "--apply. A table is deleted only when --archive ROOT verifies for it (checksums, full\n"
        "decode) and its live count and time range equal the archive's right before deletion.\n"
        "Exit 0: done (dry run: plan printed; --check: nothing left). 1: a deletion failed (all\n"
        "are listed). 3: --check found resources left. 4: could not list (credentials,\n"
        "network). 6: the interlock kept a table. 2: bad command line. 130: interrupted.",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
