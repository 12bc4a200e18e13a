/* tsarchive verify: proves an archive whole (manifests, checksums, full
 * decode, counts, times, schema, partitions) and, with --against, that it
 * matches the live system per table and month. Exit 0 only when all holds. */
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_compare.h"
#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "archive/arc_verify.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"
#include "core/ts_time.h"

static const cli_opt opts[] = {
    {.name = "database", .metavar = "NAME", .repeatable = true,
     .help = "verify only this database (repeatable; default: every database under the root)"},
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "quick", .help = "sizes and SHA-256 only (no Parquet decode)"},
    {.name = "jobs", .short_name = 'j', .metavar = "N", .help = "files checked in parallel (default 2)"},
    {.name = "json", .help = "print the report as one JSON object on stdout"},
    {.name = "against", .metavar = "SOURCE",
     .help = "also compare per table and month with the live system: timestream://REGION, "
             "influx://host:port?org=O&bucket=B (v2), influx1://[user:pass@]host:port/db (v1)"},
    {.name = "deep", .help = "with --against: also sum/min/max of every numeric measure"},
    {.name = "retention", .metavar = "7y",
     .help = "fail (exit 3) when any archive object could be deleted or overwritten before its "
             "export time + this many years (S3 Object Lock); without it the retention state is "
             "only reported (for 7 years)"},
    {0},
};

static void on_progress(void *user, const arc_verify_progress *p)
{
    cli_progress *pr = user;
    double s;
    if (!cli_progress_due(pr, p->files_done >= p->files_total, &s)) return;
    fprintf(pr->ctx->err, "verify: %llu/%llu files  %.1f/%.1f MB  %.1f MB/s",
            (unsigned long long)p->files_done, (unsigned long long)p->files_total,
            (double)p->bytes_done / 1e6, (double)p->bytes_total / 1e6,
            (double)p->bytes_done / s / 1e6);
    cli_progress_drawn(pr);
}

/* --against: a URL may carry a password or token: keep only the scheme and host part */
static json_t *redact_value(const char *opt, const char *v)
{
    if (strcmp(opt, "against") != 0) return NULL;
    char buf[512];
    const char *at = strchr(v, '@');
    const char *sch = strstr(v, "://");
    if (at && sch && at > sch) snprintf(buf, sizeof buf, "%.*s://***@%s", (int)(sch - v), v, at + 1);
    else snprintf(buf, sizeof buf, "%s", v);
    char *q = strchr(buf, '?');
    if (q) *q = '\0'; /* query strings may hold tokens */
    return json_string(buf);
}

static json_t *finding_json(const arc_finding *f)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "kind", arc_finding_kind_name(f->kind), "severity",
                          f->warning ? "warning" : "error", "message", f->message);
    if (f->database) json_object_set_new(o, "database", json_string(f->database));
    if (f->table) json_object_set_new(o, "table", json_string(f->table));
    if (f->file) json_object_set_new(o, "file", json_string(f->file));
    if (f->column) json_object_set_new(o, "column", json_string(f->column));
    if (f->row_group >= 0) json_object_set_new(o, "row_group", json_integer(f->row_group));
    if (f->page >= 0) json_object_set_new(o, "page", json_integer(f->page));
    if (f->offset >= 0) json_object_set_new(o, "offset", json_integer(f->offset));
    return o;
}

static json_t *time_json(uint64_t records, int64_t ns)
{
    if (!records) return json_null();
    char s[TS_TIME_STR_MAX];
    ts_time_format(ns, s);
    return json_string(s);
}

/* [{database, table, since, until}]: the tables --against compared only
 * inside their export window (export --since/--until). cmp may be NULL. */
static json_t *windows_json(const arc_compare_report *cmp)
{
    json_t *ws = json_array();
    for (size_t i = 0; cmp && i < cmp->nwindows; i++) {
        json_t *w = arc_time_window_json(&cmp->windows[i].window);
        json_object_set_new(w, "database", json_string(cmp->windows[i].database));
        json_object_set_new(w, "table", json_string(cmp->windows[i].table));
        json_array_append_new(ws, w);
    }
    return ws;
}

static void print_report(cli_ctx *ctx, const arc_verify_report *rep, const arc_compare_report *cmp,
                         bool quick, bool json, const char *root, const char *prefix,
                         const char *against, bool ran, const ts_error *err, int rc, double secs,
                         const char *audit_name, json_t *retention)
{
    if (json) {
        json_t *fs = json_array();
        for (size_t i = 0; i < rep->nfindings; i++)
            json_array_append_new(fs, finding_json(&rep->findings[i]));
        json_t *ts = json_array();
        for (size_t i = 0; i < rep->ntables; i++) {
            const arc_verify_table *t = &rep->tables[i];
            json_array_append_new(
                ts, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:b}", "database", t->database,
                              "table", t->table, "files", (json_int_t)t->files, "files_ok",
                              (json_int_t)t->files_ok, "records", (json_int_t)t->records,
                              "bytes", (json_int_t)t->bytes, "errors", (json_int_t)t->errors,
                              "min_time", time_json(t->records, t->min_time), "max_time",
                              time_json(t->records, t->max_time), "ok", t->errors == 0));
        }
        json_t *j = json_pack(
            "{s:b,s:i,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o}", "ok",
            rc == CLI_EXIT_OK, "exit_code", rc, "root", root, "prefix", prefix, "mode",
            quick ? "quick" : "full", "databases", (json_int_t)rep->databases, "files",
            (json_int_t)rep->files, "files_checked", (json_int_t)rep->files_checked,
            "bytes_checked", (json_int_t)rep->bytes_checked, "rows_decoded",
            (json_int_t)rep->rows_decoded, "errors", (json_int_t)rep->errors, "warnings",
            (json_int_t)rep->warnings, "seconds", secs, "tables", ts, "findings", fs);
        if (against) {
            json_object_set_new(j, "against", json_string(against));
            json_t *ms = json_array();
            for (size_t i = 0; cmp && i < cmp->nmonths; i++)
                json_array_append_new(ms, arc_compare_month_json(&cmp->months[i]));
            json_object_set_new(j, "months", ms);
            json_object_set_new(j, "windows", windows_json(cmp));
        }
        if (!ran) cli_json_set_error(j, err);
        if (audit_name) json_object_set_new(j, "audit_log", json_string(audit_name));
        if (retention) json_object_set(j, "retention", retention);
        cli_print_json(ctx, j);
        return;
    }
    if (!ran) return; /* the error is printed by cli_fail */
    for (size_t i = 0; i < rep->nfindings; i++) {
        const arc_finding *f = &rep->findings[i];
        fprintf(ctx->out, "%s [%s] %s\n", f->warning ? "WARNING" : "DAMAGED",
                arc_finding_kind_name(f->kind), f->message);
    }
    for (size_t i = 0; i < rep->ntables; i++) {
        const arc_verify_table *t = &rep->tables[i];
        char a[TS_TIME_STR_MAX] = "-", b[TS_TIME_STR_MAX] = "-";
        if (t->records) {
            ts_time_format(t->min_time, a);
            ts_time_format(t->max_time, b);
        }
        fprintf(ctx->out, "%s %s.%s: %llu/%llu files ok, %llu records, %llu bytes, %s .. %s\n",
                t->errors ? "FAIL" : "ok  ", t->database, t->table,
                (unsigned long long)t->files_ok, (unsigned long long)t->files,
                (unsigned long long)t->records, (unsigned long long)t->bytes, a, b);
    }
    for (size_t i = 0; cmp && i < cmp->nmonths; i++) {
        const arc_compare_month *m = &cmp->months[i];
        if (m->match) continue;
        char line[2048];
        arc_compare_month_text(m, line, sizeof line);
        fprintf(ctx->out, "DIFFERS %s\n", line);
    }
    for (size_t i = 0; cmp && against && i < cmp->nwindows; i++) {
        char w[2 * TS_TIME_STR_MAX + 8];
        arc_time_window_text(&cmp->windows[i].window, w, sizeof w);
        fprintf(ctx->out, "against %s: %s.%s: compared within the export window %s (export "
                          "--since/--until); live rows outside it are not counted\n",
                against, cmp->windows[i].database, cmp->windows[i].table, w);
    }
    if (cmp && against)
        fprintf(ctx->out, "against %s: %zu table-months compared, %zu differ\n", against,
                cmp->nmonths, cmp->ndiffer);
    fprintf(ctx->out,
            "%s: %zu databases, %llu files (%llu bytes) checked%s, %zu errors, %zu warnings in "
            "%.1f s\n",
            rc == CLI_EXIT_OK ? "archive verified" : "ARCHIVE DAMAGED", rep->databases,
            (unsigned long long)rep->files_checked, (unsigned long long)rep->bytes_checked,
            quick ? " (quick: sizes and checksums)" : ", every page decoded", rep->errors,
            rep->warnings, secs);
}

/* Whether an archive object belongs to the databases verified (all when none named). */
static bool ret_in_scope(const arc_ret_object *o, const char *const *dbs, size_t ndbs)
{
    for (size_t i = 0; i < ndbs; i++)
        if (strcmp(o->database, dbs[i]) == 0) return true;
    return ndbs == 0;
}

/* The retention state beside the integrity result (text). */
static void print_retention(cli_ctx *ctx, const arc_retention *r, bool checked, const char *why_not,
                            const char *const *dbs, size_t ndbs)
{
    FILE *f = ctx->out;
    if (why_not) {
        fprintf(f, "retention: could not be read: %s\n", why_not);
        return;
    }
    if (r->kind == ARC_RET_LOCAL) {
        fprintf(f, "retention: not enforceable (local directory)\n");
        return;
    }
    size_t present = r->objects_held + r->objects_exposed;
    fprintf(f, "retention (%d years): %s; %zu of %zu archive objects locked until export time + "
               "%d years; versioning %s; Object Lock %s\n",
            r->years,
            r->verdict == ARC_RET_HOLDS ? "policy holds"
            : r->verdict == ARC_RET_DOES_NOT_HOLD ? "policy DOES NOT HOLD"
                                                  : "policy CANNOT HOLD",
            r->objects_held, present, r->years, r->versioning[0] ? r->versioning : "off",
            r->lock_enabled ? "enabled" : "not enabled");
    for (int i = 0; i < ARC_RET_RULE_COUNT; i++)
        if (r->rules[i].verdict != ARC_RET_HOLDS && r->rules[i].required)
            fprintf(f, "  %s: %s\n", arc_ret_rule_name(r->rules[i].id), r->rules[i].why);
    size_t shown = 0;
    for (size_t i = 0; checked && i < r->nobjects; i++) {
        const arc_ret_object *o = &r->objects[i];
        if (!o->present || o->held || !ret_in_scope(o, dbs, ndbs)) continue;
        if (++shown > 20) continue;
        char need[TS_TIME_STR_MAX];
        arc_retention_until(o->export_ns, r->years, &(int64_t){0}, need);
        fprintf(f, "EXPOSED [retention] %s: %s%s%s, needs a lock until %s\n", o->key,
                o->lock_mode[0] ? o->lock_mode : "not locked", o->lock_mode[0] ? " until " : "",
                o->lock_until, need);
    }
    if (shown > 20) fprintf(f, "EXPOSED [retention] ... and %zu more\n", shown - 20);
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    const cli_cmd *self = a->cmd;
    const char *root = a->pos[0];
    char prefix[ARC_PATH_MAX];
    if (!cli_get_prefix(a, ctx, true, prefix, sizeof prefix)) return CLI_EXIT_USAGE;
    uint64_t v = 2;
    if (!cli_get_range(a, "jobs", 1, 64, &v))
        return cli_usage_error(ctx, self, "--jobs: a number from 1 to 64");
    const char *against = cli_get(a, "against");
    bool deep = cli_flag(a, "deep");
    if (deep && !against) return cli_usage_error(ctx, self, "--deep needs --against SOURCE");
    bool json = cli_flag(a, "json");
    bool quick = cli_flag(a, "quick");
    int ret_years = 0;
    if (cli_get(a, "retention") && !arc_retention_parse_years(cli_get(a, "retention"), &ret_years))
        return cli_usage_error(ctx, self, "--retention %s: a number of years from 1 to %d (7y or 7)",
                               cli_get(a, "retention"), ARC_RET_MAX_YEARS);
    /* The decoder allocates and frees page-sized buffers all the time; with
     * glibc's defaults every large one is a fresh mmap whose pages fault in
     * again (a fifth of a full verify's time). Keep them on the heap. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);

    ts_error err;
    ts_err_clear(&err);
    bool ts_against = against && strncmp(against, "timestream://", 13) == 0;
    cli_root r;
    ts_status st = cli_root_open(&r, root,
                                 &(cli_root_opts){.need_aws = ts_against,
                                                  .region = ts_against && against[13] ? against + 13 : NULL,
                                                  .check = CLI_ROOT_CHECK_LOCAL_DIR,
                                                  .command = "verify", .audit_prefix = prefix},
                                 &err);
    bool need_aws = r.aws;
    if (st == TS_OK) {
        json_t *f = json_object();
        json_object_set_new(f, "arguments", cli_args_json(a, redact_value));
        json_object_set_new(f, "root", json_string(root));
        if (need_aws) {
            json_t *id = json_object();
            json_object_set_new(id, "credentials", json_string(r.cfg.cred_source ? r.cfg.cred_source : ""));
            json_object_set_new(id, "profile", json_string(r.cfg.profile ? r.cfg.profile : ""));
            json_object_set_new(id, "region", json_string(r.cfg.region ? r.cfg.region : ""));
            json_object_set_new(f, "identity", id);
        }
        /* flushed at the end, once it is known that ROOT holds an archive:
         * verifying a wrong path must not leave an _audit folder there */
        cli_root_audit(&r, "start", f, false, &err);
        cli_root_warn_chain(&r, ctx, "verify", root, prefix);
    }

    const char *const *dbs;
    size_t ndbs = cli_get_all(a, "database", &dbs);
    cli_progress ps;
    cli_progress_init(&ps, ctx, 200000000);
    arc_verify_opts o = {.root = root, .prefix = prefix, .aws = need_aws ? &r.cfg : NULL,
                         .databases = dbs, .ndatabases = ndbs, .quick = quick, .jobs = (int)v,
                         .progress = on_progress, .user = &ps, .cancel = ctx->cancel};
    arc_verify_report rep;
    arc_verify_report_init(&rep);
    arc_compare_report cmp;
    arc_compare_report_init(&cmp);
    if (st == TS_OK) st = arc_verify_run(r.storage, &o, &rep, &err);
    cli_progress_end(&ps, true);
    if (st == TS_OK && against) {
        arc_compare_opts co = {.root = root, .prefix = prefix, .against = against,
                               .aws = need_aws ? &r.cfg : NULL, .client = r.client,
                               .databases = dbs, .ndatabases = ndbs, .deep = deep,
                               .cancel = ctx->cancel};
        arc_compare_env_from_getenv(&co.env);
        st = arc_compare_run(r.storage, &co, &cmp, &rep, &err);
    }
    /* retention beside integrity: always reported, a failure only with --retention */
    arc_retention ret;
    arc_retention_init(&ret);
    bool ret_ok = false;
    char ret_err[CLI_ERR_TEXT_MAX] = "";
    if (st == TS_OK && rep.objects) {
        arc_retention_opts ro = {.prefix = prefix, .years = ret_years ? ret_years : ARC_RET_DEFAULT_YEARS,
                                 .cancel = ctx->cancel};
        ts_error re;
        ts_err_clear(&re);
        ts_status rs = arc_retention_assess(r.storage, r.client, &ro, &ret, &re);
        ret_ok = rs == TS_OK;
        if (!ret_ok) {
            ts_err_format(&re, ret_err, sizeof ret_err);
            if (ret_years) { /* asked for: could not check */
                err = re;
                st = rs;
            }
        }
    }
    size_t exposed = 0; /* of the databases verified */
    for (size_t i = 0; ret_ok && i < ret.nobjects; i++)
        if (ret.objects[i].present && !ret.objects[i].held && ret_in_scope(&ret.objects[i], dbs, ndbs))
            exposed++;
    double secs = (double)(ts_mono_ns() - ps.t0) / 1e9;
    int rc = st != TS_OK ? cli_exit_unchecked(st)
             : rep.errors || (ret_years && exposed) ? CLI_EXIT_DAMAGED
                                                    : CLI_EXIT_OK;
    if (r.audit) {
        json_t *f = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "outcome",
                              st != TS_OK ? ts_status_name(st) : rep.errors ? "damaged" : "ok",
                              "databases", (json_int_t)rep.databases, "files_checked",
                              (json_int_t)rep.files_checked, "bytes_checked",
                              (json_int_t)rep.bytes_checked, "rows_decoded",
                              (json_int_t)rep.rows_decoded, "errors", (json_int_t)rep.errors,
                              "warnings", (json_int_t)rep.warnings, "exit_code", rc);
        json_t *kinds = json_object();
        for (size_t i = 0; i < rep.nfindings; i++) {
            const char *k = arc_finding_kind_name(rep.findings[i].kind);
            json_t *c = json_object_get(kinds, k);
            json_object_set_new(kinds, k, json_integer(c ? json_integer_value(c) + 1 : 1));
        }
        json_object_set_new(f, "findings", kinds);
        if (against)
            json_object_set_new(f, "table_months_differing", json_integer((json_int_t)cmp.ndiffer));
        if (against && cmp.nwindows) json_object_set_new(f, "windows", windows_json(&cmp));
        if (ret_ok) {
            json_object_set_new(f, "retention_verdict", json_string(arc_ret_verdict_name(ret.verdict)));
            json_object_set_new(f, "retention_exposed", json_integer((json_int_t)exposed));
        }
        ts_error ae;
        ts_err_clear(&ae);
        if (cli_root_audit_end(&r, f, st != TS_OK ? &err : NULL, rep.objects > 0, &ae) != TS_OK)
            cli_root_warn_write(ctx, "verify", &ae);
    }
    const char *shown_against = NULL;
    char against_safe[512];
    if (against) {
        json_t *aj = cli_args_json(a, redact_value);
        snprintf(against_safe, sizeof against_safe, "%s",
                 json_string_value(json_object_get(aj, "against")));
        json_decref(aj);
        shown_against = against_safe;
    }
    json_t *rj = NULL;
    if (json && (ret_ok || ret_err[0])) {
        rj = ret_ok ? arc_retention_to_json(&ret, ret_years > 0) : json_object();
        if (!ret_ok) json_object_set_new(rj, "error", json_string(ret_err));
        json_object_set_new(rj, "checked", json_boolean(ret_years > 0));
        json_object_set_new(rj, "exposed", json_integer((json_int_t)exposed));
    }
    print_report(ctx, &rep, &cmp, quick, json, root, prefix, shown_against, st == TS_OK, &err, rc,
                 secs, r.audit && rep.objects ? arc_audit_object_name(r.audit) : NULL, rj);
    json_decref(rj);
    if (!json && (ret_ok || ret_err[0]))
        print_retention(ctx, &ret, ret_years > 0, ret_ok ? NULL : ret_err, dbs, ndbs);
    if (st != TS_OK) {
        char m[CLI_ERR_TEXT_MAX];
        ts_err_format(&err, m, sizeof m);
        fprintf(ctx->err, "%s verify: %s: %s\n", ctx->prog,
                st == TS_ERR_CANCELLED ? "interrupted" : "could not check the archive", m);
    } else if (rep.errors) {
        fprintf(ctx->err, "%s verify: %zu problem%s found (exit %d)\n", ctx->prog, rep.errors,
                rep.errors == 1 ? "" : "s", rc);
    }
    if (st == TS_OK && ret_years && exposed)
        fprintf(ctx->err, "%s verify: %zu archive object%s could be deleted or overwritten before "
                          "export time + %d years (exit %d)\n",
                ctx->prog, exposed, exposed == 1 ? "" : "s", ret_years, rc);
    arc_retention_free(&ret);
    arc_compare_report_free(&cmp);
    arc_verify_report_free(&rep);
    cli_root_close(&r);
    return rc;
}

const cli_cmd cmd_verify = {
    .name = "verify",
    .summary = "Prove an archive whole (checksums, full decode, counts) and, with --against, "
               "that it matches the live system.",
    .usage = "[options] ROOT",
    .description =
        "ROOT is a directory or s3://bucket[/prefix]; the archive is ROOT/timestream-archive/.\n"
        "Checks every database's export_metadata.json (format 1, safe paths, totals), that every\n"
        "listed file exists with its size and SHA-256, that no unlisted Parquet file exists, and\n"
        "(unless --quick) decodes every page of every file (CRCs) to compare row counts, min/max\n"
        "time (time_ns when present), schema, tsarchive.columns and partition months.\n"
        "--against SOURCE compares per table and month the live record count and min/max time\n"
        "(--deep: sum/min/max of every numeric measure) with the archive's; for a table exported\n"
        "with --since/--until only inside the window its manifest records (the report says so).\n"
        "The retention state (versioning, Object Lock per object; 'not enforceable' for a local\n"
        "directory) is reported beside the result; --retention 7y makes it a check.\n"
        "Exit 0: everything holds. 3: the archive is damaged or differs from the live system, or\n"
        "(--retention) an archive object could be deleted or overwritten before its export time\n"
        "+ the period (every finding is listed, --json gives each a machine-readable kind). 4: could not\n"
        "check (root or database not found, unreachable, no credentials). 130: interrupted.",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
