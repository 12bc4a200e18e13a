/* tsarchive retention ROOT: shows whether the archive is kept for the
 * retention period (versioning, lifecycle, Object Lock per object) with a
 * verdict per rule, and with --apply makes what the account allows hold. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"

static const cli_opt opts[] = {
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "years", .metavar = "N", .help = "retention period in years: 7 (default) or 7y"},
    {.name = "apply", .help = "make the changes (default: dry run, print what would change)"},
    {.name = "storage-class", .metavar = "C",
     .help = "lifecycle transition target: GLACIER_IR (default), GLACIER, DEEP_ARCHIVE, "
             "STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING"},
    {.name = "transition-days", .metavar = "N", .help = "days before the transition (default 90)"},
    {.name = "lock-mode", .metavar = "M", .help = "Object Lock mode for --apply: governance (default) or compliance"},
    {.name = "json", .help = "print the assessment (and changes) as one JSON object"},
    {0},
};

static const char *verdict_text(arc_ret_verdict v)
{
    switch (v) {
    case ARC_RET_HOLDS: return "HOLDS";
    case ARC_RET_DOES_NOT_HOLD: return "DOES NOT HOLD";
    case ARC_RET_CANNOT_HOLD: return "CANNOT HOLD";
    }
    return "?";
}

static void print_lc_rule(FILE *f, const arc_ret_lc_rule *l)
{
    fprintf(f, "  rule '%s'%s: %s, prefix '%s'%s%s:", l->id, l->ours ? " (tsarchive)" : "",
            l->enabled ? "enabled" : "disabled", l->filter_prefix,
            l->other_filter ? " + tag/size filter" : "",
            l->covers_all ? "" : " (part of the archive only)");
    for (size_t k = 0; k < l->ntransitions; k++) {
        const arc_ret_transition *t = &l->transitions[k];
        if (t->days >= 0)
            fprintf(f, " %s to %s after %ld days;", t->noncurrent ? "noncurrent" : "current",
                    t->storage_class, t->days);
        else
            fprintf(f, " %s to %s on %s;", t->noncurrent ? "noncurrent" : "current",
                    t->storage_class, t->date);
    }
    if (l->expiration_days >= 0) fprintf(f, " current versions expire after %ld days;", l->expiration_days);
    if (l->expiration_date[0]) fprintf(f, " current versions expire on %s;", l->expiration_date);
    if (l->noncurrent_expiration_days >= 0)
        fprintf(f, " noncurrent versions expire after %ld days;", l->noncurrent_expiration_days);
    if (l->expiration_days < 0 && !l->expiration_date[0] && l->noncurrent_expiration_days < 0)
        fprintf(f, " no expiration;");
    if (l->abort_multipart_days >= 0)
        fprintf(f, " incomplete uploads aborted after %ld days", l->abort_multipart_days);
    fputc('\n', f);
}

static void print_text(FILE *f, const arc_retention *r)
{
    fprintf(f, "retention of %s%s (policy: keep %d years from export)\n", r->root, r->prefix,
            r->years);
    if (r->kind == ARC_RET_LOCAL) {
        fprintf(f, "retention: not enforceable (local directory)\n");
    } else {
        fprintf(f, "bucket %s: versioning %s%s; Object Lock %s", r->bucket,
                r->versioning[0] ? r->versioning : "never enabled", r->mfa_delete ? " (MFA delete)" : "",
                r->lock_enabled ? "enabled" : "not enabled");
        if (r->lock_enabled) {
            if (r->default_mode[0] && r->default_years >= 0)
                fprintf(f, " (default %s %ld years)", r->default_mode, r->default_years);
            else if (r->default_mode[0] && r->default_days >= 0)
                fprintf(f, " (default %s %ld days)", r->default_mode, r->default_days);
            else fprintf(f, " (no default retention)");
        }
        fputc('\n', f);
        if (r->unreadable[0]) fprintf(f, "could not read: %s\n", r->unreadable);
        fprintf(f, "lifecycle rules touching %s: %zu (%zu rule%s for other prefixes)\n",
                r->key_prefix, r->nlc, r->lc_other, r->lc_other == 1 ? "" : "s");
        for (size_t i = 0; i < r->nlc; i++) print_lc_rule(f, &r->lc[i]);
    }
    fprintf(f, "archive objects: %zu in %zu database%s (%zu held, %zu could be deleted before "
               "their time; %zu other objects not judged)\n",
            r->nobjects, r->databases, r->databases == 1 ? "" : "s", r->objects_held,
            r->kind == ARC_RET_LOCAL ? r->nobjects : r->objects_exposed, r->other_objects);
    for (size_t i = 0; i < r->nobjects; i++) {
        const arc_ret_object *o = &r->objects[i];
        char need[TS_TIME_STR_MAX] = "-";
        if (o->required_ns != INT64_MAX) arc_retention_until(o->export_ns, r->years, &(int64_t){0}, need);
        if (!o->present) {
            fprintf(f, "  MISSING  %s (listed by the manifest)\n", o->key);
            continue;
        }
        if (r->kind == ARC_RET_LOCAL) {
            fprintf(f, "  exposed  local file  needs %s  %s\n", need, o->key);
            continue;
        }
        char lock[96];
        if (o->lock_mode[0]) snprintf(lock, sizeof lock, "%s until %s", o->lock_mode, o->lock_until);
        else snprintf(lock, sizeof lock, "not locked");
        fprintf(f, "  %s  %-12s %s%s  needs %s  %s\n", o->held ? "held   " : "EXPOSED",
                o->storage_class, lock, o->legal_hold ? " + legal hold" : "", need, o->key);
    }
    fprintf(f, "rules:\n");
    for (int i = 0; i < ARC_RET_RULE_COUNT; i++) {
        const arc_ret_rule *ru = &r->rules[i];
        fprintf(f, "  %-13s %s%s: %s\n", verdict_text(ru->verdict), arc_ret_rule_name(ru->id),
                ru->required ? "" : " (not required for this bucket)", ru->why);
    }
}

typedef struct apply_ctx {
    cli_ctx *ctx;
    arc_audit *audit;
    bool json;
} apply_ctx;

static const char *change_kind(arc_ret_change_kind k)
{
    return k == ARC_RET_CH_VERSIONING ? "versioning" : k == ARC_RET_CH_LIFECYCLE ? "lifecycle" : "lock";
}

static void before_change(void *user, const arc_ret_change *c)
{
    apply_ctx *ac = user;
    if (!ac->json) {
        fprintf(ac->ctx->out, "applying: %s\n", c->what);
        fflush(ac->ctx->out);
    }
    json_t *f = json_pack("{s:s,s:s}", "change", change_kind(c->kind), "what", c->what);
    if (c->key) json_object_set_new(f, "key", json_string(c->key));
    if (c->mode) json_object_set_new(f, "mode", json_string(c->mode));
    if (c->until) json_object_set_new(f, "retain_until", json_string(c->until));
    ts_error ae;
    ts_err_clear(&ae);
    arc_audit_add(ac->audit, "retention-change", f, &ae);
}

static int exit_for(arc_ret_verdict v) { return v == ARC_RET_HOLDS ? CLI_EXIT_OK : CLI_EXIT_DAMAGED; }

static int run(const cli_args *a, cli_ctx *ctx)
{
    const cli_cmd *self = a->cmd;
    const char *root = a->pos[0];
    char prefix[ARC_PATH_MAX];
    if (!cli_get_prefix(a, ctx, true, prefix, sizeof prefix)) return CLI_EXIT_USAGE;
    int years = ARC_RET_DEFAULT_YEARS;
    if (cli_get(a, "years") && !arc_retention_parse_years(cli_get(a, "years"), &years))
        return cli_usage_error(ctx, self, "--years %s: a number of years from 1 to %d (7 or 7y)",
                               cli_get(a, "years"), ARC_RET_MAX_YEARS);
    arc_ret_apply_opts ao = {.storage_class = cli_get(a, "storage-class"), .transition_days = -1};
    if (ao.storage_class && !arc_retention_class_ok(ao.storage_class))
        return cli_usage_error(ctx, self,
                               "--storage-class %s: use GLACIER_IR, GLACIER, DEEP_ARCHIVE, "
                               "STANDARD_IA, ONEZONE_IA or INTELLIGENT_TIERING (as S3 names them)",
                               ao.storage_class);
    if (cli_get(a, "transition-days")) {
        char *end;
        long d = strtol(cli_get(a, "transition-days"), &end, 10);
        int min = arc_retention_class_min_days(ao.storage_class ? ao.storage_class
                                                                : ARC_RET_DEFAULT_CLASS);
        if (*end || !*cli_get(a, "transition-days") || d < min || d > 36500)
            return cli_usage_error(ctx, self, "--transition-days: a number from %d to 36500 for %s",
                                   min, ao.storage_class ? ao.storage_class : ARC_RET_DEFAULT_CLASS);
        ao.transition_days = (int)d;
    }
    if (cli_get(a, "lock-mode")) {
        ao.lock_mode = arc_retention_lock_mode(cli_get(a, "lock-mode"));
        if (!ao.lock_mode)
            return cli_usage_error(ctx, self, "--lock-mode %s: use governance or compliance",
                                   cli_get(a, "lock-mode"));
    }
    bool apply = cli_flag(a, "apply"), json = cli_flag(a, "json");

    ts_error err;
    ts_err_clear(&err);
    bool s3 = strncmp(root, "s3://", 5) == 0;
    if (!s3 && strstr(root, "://"))
        return cli_usage_error(ctx, self, "%s: ROOT is a directory or s3://bucket[/prefix]", root);
    cli_root rt;
    ts_status st = cli_root_open(&rt, root,
                                 &(cli_root_opts){.check = CLI_ROOT_CHECK_DIR, .command = "retention",
                                                  .audit_prefix = prefix},
                                 &err);
    if (st == TS_OK) {
        json_t *f = json_object();
        json_t *args = json_object();
        json_object_set_new(args, "years", json_integer(years));
        json_object_set_new(args, "apply", json_boolean(apply));
        if (ao.storage_class) json_object_set_new(args, "storage-class", json_string(ao.storage_class));
        if (ao.transition_days >= 0) json_object_set_new(args, "transition-days", json_integer(ao.transition_days));
        if (ao.lock_mode) json_object_set_new(args, "lock-mode", json_string(ao.lock_mode));
        json_object_set_new(f, "arguments", args);
        json_object_set_new(f, "root", json_string(root));
        if (s3) json_object_set_new(f, "identity", arc_audit_identity(&rt.cfg));
        cli_root_audit(&rt, "start", f, false, &err);
        cli_root_warn_chain(&rt, ctx, "retention", root, prefix);
    }
    arc_retention_opts ro = {.prefix = prefix, .years = years, .cancel = ctx->cancel};
    arc_retention r;
    arc_retention_init(&r);
    if (st == TS_OK) st = arc_retention_assess(rt.storage, rt.client, &ro, &r, &err);
    arc_ret_plan plan;
    memset(&plan, 0, sizeof plan);
    if (st == TS_OK) st = arc_retention_plan(&r, &ao, &plan, &err);
    arc_ret_verdict before = r.verdict;
    bool applied = false;
    if (st == TS_OK && !json) {
        print_text(ctx->out, &r);
        fprintf(ctx->out, "verdict: the %d-year policy %s%s\n", years, verdict_text(r.verdict),
                r.kind == ARC_RET_LOCAL ? " (not enforceable: local directory)" : "");
        for (size_t i = 0; i < plan.nnotes; i++) fprintf(ctx->out, "note: %s\n", plan.notes[i]);
        if (!apply) {
            if (plan.nchanges)
                fprintf(ctx->out, "changes --apply would make (%zu):\n", plan.nchanges);
            for (size_t i = 0; i < plan.nchanges; i++)
                fprintf(ctx->out, "  would: %s\n", plan.changes[i].what);
        }
    }
    if (st == TS_OK && apply) {
        if (!plan.nchanges) {
            if (!json)
                fprintf(ctx->out, "nothing to change: every setting --apply makes is already "
                                  "in place\n");
        } else {
            apply_ctx ac = {.ctx = ctx, .audit = rt.audit, .json = json};
            st = arc_retention_apply(rt.client, &r, &plan, before_change, &ac, &err);
            applied = true;
            if (st == TS_OK) {
                /* judge again from what S3 now says, not from what was sent */
                arc_retention_free(&r);
                st = arc_retention_assess(rt.storage, rt.client, &ro, &r, &err);
                if (st == TS_OK && !json)
                    fprintf(ctx->out, "after --apply: the %d-year policy %s\n", years,
                            verdict_text(r.verdict));
                if (st == TS_OK && !json)
                    for (int i = 0; i < ARC_RET_RULE_COUNT; i++)
                        if (r.rules[i].verdict != ARC_RET_HOLDS)
                            fprintf(ctx->out, "  %-13s %s: %s\n", verdict_text(r.rules[i].verdict),
                                    arc_ret_rule_name(r.rules[i].id), r.rules[i].why);
            }
        }
    }
    int rc = st != TS_OK ? cli_exit_for(st) : exit_for(r.verdict);
    if (rt.audit) {
        json_t *f = json_pack("{s:s,s:s,s:s,s:I,s:I,s:i}", "outcome",
                              st != TS_OK ? ts_status_name(st) : "ok", "verdict_before",
                              arc_ret_verdict_name(before), "verdict",
                              arc_ret_verdict_name(r.verdict), "changes_planned",
                              (json_int_t)plan.nchanges, "objects", (json_int_t)r.nobjects,
                              "exit_code", rc);
        size_t done = 0;
        for (size_t i = 0; i < plan.nchanges; i++) done += plan.changes[i].done;
        json_object_set_new(f, "changes_made", json_integer((json_int_t)done));
        ts_error ae;
        ts_err_clear(&ae);
        /* only where an archive is: a wrong ROOT gets no _audit folder */
        if (cli_root_audit_end(&rt, f, st != TS_OK ? &err : NULL, r.databases > 0, &ae) != TS_OK)
            cli_root_warn_write(ctx, "retention", &ae);
    }
    if (json) {
        json_t *j = st == TS_OK || r.root ? arc_retention_to_json(&r, true) : json_object();
        json_t *ch = json_array();
        for (size_t i = 0; i < plan.nchanges; i++) {
            const arc_ret_change *c = &plan.changes[i];
            json_t *co = json_pack("{s:s,s:s,s:b}", "change", change_kind(c->kind), "what",
                                   c->what, "done", c->done);
            if (c->key) json_object_set_new(co, "key", json_string(c->key));
            if (c->mode) json_object_set_new(co, "mode", json_string(c->mode));
            if (c->until) json_object_set_new(co, "retain_until", json_string(c->until));
            json_array_append_new(ch, co);
        }
        json_object_set_new(j, "changes", ch);
        json_t *notes = json_array();
        for (size_t i = 0; i < plan.nnotes; i++) json_array_append_new(notes, json_string(plan.notes[i]));
        json_object_set_new(j, "notes", notes);
        json_object_set_new(j, "apply", json_boolean(apply));
        json_object_set_new(j, "applied", json_boolean(applied));
        json_object_set_new(j, "verdict_before", json_string(arc_ret_verdict_name(before)));
        json_object_set_new(j, "exit_code", json_integer(rc));
        json_object_set_new(j, "ok", json_boolean(rc == CLI_EXIT_OK));
        if (st != TS_OK) cli_json_set_error(j, &err);
        if (rt.audit && r.databases)
            json_object_set_new(j, "audit_log", json_string(arc_audit_object_name(rt.audit)));
        cli_print_json(ctx, j);
    }
    if (st != TS_OK) rc = cli_fail(ctx, &err);
    else if (rc != CLI_EXIT_OK)
        fprintf(ctx->err, "%s retention: the %d-year policy %s (exit %d)\n", ctx->prog, years,
                r.verdict == ARC_RET_CANNOT_HOLD ? "cannot hold here" : "does not hold", rc);
    arc_ret_plan_free(&plan);
    arc_retention_free(&r);
    cli_root_close(&rt);
    return rc;
}

const cli_cmd cmd_retention = {
    .name = "retention",
    .summary = "Show (and with --apply make) the archive's retention: versioning, lifecycle, "
               "Object Lock per object.",
    .usage = "[options] ROOT",
    .description =
        "ROOT is a directory or s3://bucket[/prefix]; the archive is ROOT/timestream-archive/.\n"
        "Reads the bucket's versioning, Object Lock configuration and the lifecycle rules that\n"
        "touch the archive prefix, and HEADs every archive object (each manifest and every file\n"
        "it lists) for its storage class, lock mode, retain-until date and legal hold. Each rule\n"
        "of the policy (keep --years from the export time in the manifest) gets a verdict:\n"
        "holds, does not hold (--apply or the hint fixes it) or cannot hold (with why).\n"
        "A local directory is reported as not enforceable, never as holding.\n"
        "--apply turns versioning on, adds (or replaces its own) lifecycle rule for the prefix\n"
        "transitioning to --storage-class after --transition-days, with no expiration, keeping\n"
        "every other rule, and, where the bucket has Object Lock, locks each archive object\n"
        "(--lock-mode) until its export time + the period. It never shortens a lock or changes\n"
        "another rule, prints each change before making it; a second --apply changes nothing.\n"
        "Exit 0: the policy holds. 3: it does not hold or cannot hold here (local directory,\n"
        "settings unreadable); the verdict says which. 4: could not read (no archive, bucket,\n"
        "network, credentials). 2: bad command line.",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
