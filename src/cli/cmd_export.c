/* tsarchive export: Timestream → archive format 1 (Parquet per table-month +
 * export_metadata.json per database), resumable, with an audit log. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/arc_audit.h"
#include "archive/arc_export.h"
#include "archive/arc_layout.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "aws/aws_s3.h"
#include "cli.h"
#include "cli_root.h"
#include "core/ts_time.h"
#include "formats/fmt.h"
#include "influx/influx.h"

static const cli_opt opts[] = {
    {.name = "from", .metavar = "SRC", .help = "timestream://REGION (REGION may be empty: AWS_REGION), influx://HOST:PORT?org=O&bucket=B, influx1://[USER:PASS@]HOST:PORT/DB, or a .lp/.csv/.parquet file (.gz/.zst for text) with one --database NAME"},
    {.name = "to", .metavar = "ROOT", .help = "archive root: a directory or s3://bucket[/prefix] "
                                              "(default s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive)"},
    {.name = "database", .metavar = "NAME", .repeatable = true,
     .help = "export only this database (default: every database, or those named "
             "${PROJECT_NAME}_${ENVIRONMENT}_* when both are set)"},
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "codec", .metavar = "C", .help = "zstd (default), snappy, gzip or none"},
    {.name = "time-unit", .metavar = "U", .help = "us (default: MICROS + time_ns where needed), ns (TIMESTAMP(NANOS)) or ms (refused where digits would be lost)"},
    {.name = "jobs", .short_name = 'j', .metavar = "N", .help = "table-months exported in parallel (default 1)"},
    {.name = "max-rows-per-query", .metavar = "N", .help = "split a month's query into smaller time windows above N rows (default 5M)"},
    {.name = "batch-rows", .metavar = "N", .help = "rows per batch (default 8192)"},
    {.name = "json", .help = "print a JSON summary on stdout"},
    {.name = "retain", .metavar = "7y", .help = "s3:// only: lock every object written (S3 Object Lock) until export time + this many years; the bucket must have Object Lock"},
    {.name = "lock-mode", .metavar = "M", .help = "with --retain: governance (default) or compliance"},
    {.name = "precision", .metavar = "P", .help = "--from FILE.lp: timestamps in ns (default), us, ms or s"},
    {.name = "schema", .metavar = "S", .help = "--from FILE.csv: column types name:type[:role],... (docs/formats.md)"},
    {.name = "time-format", .metavar = "T", .help = "--from FILE.csv: time column as rfc3339 (default), s, ms, us or ns"},
    {.name = "table", .metavar = "GLOB", .repeatable = true, .help = "--from timestream: or influx: only tables/measurements matching GLOB (shell glob; in every database)"},
    {.name = "since", .metavar = "TIME", .help = "--from timestream: or influx: only rows at or after TIME (RFC 3339 or a date)"},
    {.name = "until", .metavar = "TIME", .help = "--from timestream: or influx: only rows before TIME"},
    {.name = "dry-run", .help = "--from timestream: or influx: show the tables, months and the source's counts; write nothing"},
    {.name = "chunk-size", .metavar = "N", .help = "--from influx: rows per /query chunk (default 10000)"},
    {0},
};

static void on_progress(void *user, const arc_export_progress *p)
{
    cli_progress *pr = user;
    double s;
    if (!cli_progress_due(pr, p->partitions_done >= p->partitions_total, &s)) return;
    fprintf(pr->ctx->err, "%llu/%llu table-months (%llu unchanged)  %llu rows  %.0f rows/s  %.1f MB/s",
            (unsigned long long)p->partitions_done, (unsigned long long)p->partitions_total,
            (unsigned long long)p->partitions_skipped, (unsigned long long)p->rows,
            (double)p->rows / s, (double)p->bytes / s / 1e6);
    cli_progress_drawn(pr);
}

/* Test hook (TSARCHIVE_TEST_HOLD_AFTER_PLAN=FILE): after a database's counts
 * are taken, create FILE.planned and wait while FILE exists (max 120 s), so a
 * test can change the table between counting and reading. */
static void on_after_plan(void *user, const char *db)
{
    (void)user;
    (void)db;
    const char *hold = getenv("TSARCHIVE_TEST_HOLD_AFTER_PLAN");
    if (!hold || !*hold) return;
    char flag[4096];
    snprintf(flag, sizeof flag, "%s.planned", hold);
    FILE *f = fopen(flag, "w");
    if (f) fclose(f);
    for (int i = 0; i < 2400 && access(hold, F_OK) == 0; i++) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
}

/* A URL without the password of "user:pass@host" (audit log, messages). */
static json_t *url_json(const char *url)
{
    const char *s = strstr(url, "://");
    const char *at = s ? strchr(s + 3, '@') : NULL;
    const char *slash = s ? strchr(s + 3, '/') : NULL;
    if (!at || (slash && slash < at)) return json_string(url);
    const char *colon = memchr(s + 3, ':', (size_t)(at - (s + 3)));
    if (!colon) return json_string(url);
    char buf[4096];
    snprintf(buf, sizeof buf, "%.*s:***%s", (int)(colon - url), url, at);
    return json_string(buf);
}

static json_t *redact_value(const char *opt, const char *v)
{
    return strcmp(opt, "from") == 0 ? url_json(v) : NULL;
}

/* A resumed export keeps files written by an earlier run, locked from that
 * run's time; the manifest's export time is this run's, so extend their locks
 * (never shortening one) to export time + the period. */
static ts_status extend_kept_locks(cli_ctx *ctx, arc_storage *storage, aws_client *client,
                                   const char *prefix, int years, const char *mode,
                                   const arc_export_result *res, ts_error *err)
{
    arc_retention_opts ro = {.prefix = prefix, .years = years, .cancel = ctx->cancel};
    arc_retention r;
    arc_ret_plan plan;
    memset(&plan, 0, sizeof plan);
    arc_ret_apply_opts ao = {.lock_mode = mode, .transition_days = -1};
    ts_status st = arc_retention_assess(storage, client, &ro, &r, err);
    if (st == TS_OK) st = arc_retention_plan(&r, &ao, &plan, err);
    size_t n = 0;
    for (size_t i = 0; st == TS_OK && i < plan.nchanges; i++) {
        arc_ret_change *c = &plan.changes[i];
        bool mine = false;
        for (size_t k = 0; c->kind == ARC_RET_CH_LOCK && k < res->ntables_v && !mine; k++) {
            char dbdir[ARC_PATH_MAX];
            snprintf(dbdir, sizeof dbdir, "%s%s/", prefix, res->tables_v[k].database);
            mine = strncmp(c->key, dbdir, strlen(dbdir)) == 0;
        }
        if (mine) n++;
        else c->done = true; /* not this export's: leave it to `tsarchive retention` */
    }
    if (st == TS_OK && n) {
        fprintf(ctx->err, "tsarchive export: extending the lock of %zu object%s kept from an "
                          "earlier run\n", n, n == 1 ? "" : "s");
        st = arc_retention_apply(client, &r, &plan, NULL, NULL, err);
    }
    arc_ret_plan_free(&plan);
    arc_retention_free(&r);
    return st;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    const cli_cmd *self = a->cmd;
    const char *from = cli_get(a, "from");
    if (!from) return cli_usage_error(ctx, self, "--from is required (timestream://REGION)");
    const char *region = NULL;
    bool file_src = false, influx_src = false;
    if (strncmp(from, "influx", 6) == 0 && strstr(from, "://")) {
        influx_src = true;
    } else if (strncmp(from, "timestream://", 13) == 0) {
        region = from + 13;
        if (!*region) region = NULL;
        if (region && strchr(region, '/'))
            return cli_usage_error(ctx, self, "--from %s: expected timestream://REGION", from);
    } else if (strstr(from, "://")) {
        ts_error e;
        ts_err_clear(&e);
        ts_err_set(&e, TS_ERR_UNSUPPORTED,
                   "--from %s: export reads timestream://REGION, influx://…, influx1://… or a "
                   ".lp/.csv/.parquet file (optionally .gz/.zst)",
                   from);
        return cli_fail(ctx, &e);
    } else {
        file_src = true;
    }
    const char *project = getenv("PROJECT_NAME"), *env = getenv("ENVIRONMENT");
    bool have_pe = project && *project && env && *env;
    char def_root[512], def_prefix[512];
    const char *root = cli_get(a, "to");
    if (!root) {
        if (!have_pe)
            return cli_usage_error(ctx, self, "--to ROOT is required (or set PROJECT_NAME and "
                                              "ENVIRONMENT for the default bucket)");
        snprintf(def_root, sizeof def_root, "s3://%s-%s-timestream-archive", project, env);
        root = def_root;
    }
    char prefix[ARC_PATH_MAX];
    if (!cli_get_prefix(a, ctx, true, prefix, sizeof prefix)) return CLI_EXIT_USAGE;

    arc_export_opts o = {.root = root, .prefix = prefix, .cancel = ctx->cancel};
    o.codec = cli_get(a, "codec");
    const char *tu = cli_get(a, "time-unit");
    if (!tu || strcmp(tu, "us") == 0) o.time_unit = ARC_TIME_US;
    else if (strcmp(tu, "ns") == 0) o.time_unit = ARC_TIME_NS;
    else if (strcmp(tu, "ms") == 0) o.time_unit = ARC_TIME_MS;
    else return cli_usage_error(ctx, self, "--time-unit %s: use us, ns or ms", tu);
    uint64_t jobs = 0, max_rows = 0, batch_rows = 0, chunk_size = 0; /* 0: the default */
    if (!cli_get_range(a, "jobs", 1, 64, &jobs))
        return cli_usage_error(ctx, self, "--jobs: a number from 1 to 64");
    if (!cli_get_range(a, "max-rows-per-query", 1, UINT64_MAX, &max_rows))
        return cli_usage_error(ctx, self, "--max-rows-per-query: a positive number");
    if (!cli_get_range(a, "batch-rows", 1, 1000000, &batch_rows))
        return cli_usage_error(ctx, self, "--batch-rows: 1..1000000");
    o.jobs = (int)jobs;
    o.max_rows_per_query = max_rows;
    o.batch_rows = (size_t)batch_rows;
    const char *const *dbs;
    o.ndatabases = cli_get_all(a, "database", &dbs);
    o.databases = dbs;
    ts_epoch_unit precision = TS_EPOCH_NS;
    fmt_time_format time_format = FMT_TIME_AUTO;
    const char *ov;
    if ((ov = cli_get(a, "precision")) && !cli_parse_precision(ov, &precision))
        return cli_usage_error(ctx, self, "--precision must be ns, us, ms or s, not '%s'", ov);
    if ((ov = cli_get(a, "time-format")) && !cli_parse_time_format(ov, &time_format))
        return cli_usage_error(ctx, self, "--time-format must be rfc3339, s, ms, us or ns, not '%s'", ov);
    /* the filters, for Timestream and InfluxDB sources alike */
    const char *const *globs;
    o.ntables = cli_get_all(a, "table", &globs);
    o.tables = globs;
    o.dry_run = cli_flag(a, "dry-run");
    if (!cli_parse_time_opt(a, ctx, "since", &o.has_since, &o.since) ||
        !cli_parse_time_opt(a, ctx, "until", &o.has_until, &o.until))
        return CLI_EXIT_USAGE;
    if (file_src && (o.ntables || o.dry_run || o.has_since || o.has_until))
        return cli_usage_error(ctx, self, "--table, --since, --until and --dry-run are for "
                                          "--from timestream://, influx:// and influx1:// sources");
    /* InfluxDB-only options */
    arc_export_influx_opts io = {0};
    if (!cli_get_range(a, "chunk-size", 1, 1000000, &chunk_size))
        return cli_usage_error(ctx, self, "--chunk-size: 1..1000000");
    io.chunk_size = (size_t)chunk_size;
    if (!influx_src && io.chunk_size)
        return cli_usage_error(ctx, self, "--chunk-size is for --from influx:// and influx1:// "
                                          "sources");
    if (influx_src && o.ndatabases > 1)
        return cli_usage_error(ctx, self, "--from influx: at most one --database (the archive "
                                          "database name; default: the db or bucket)");
    if (file_src && o.jobs > 1)
        return cli_usage_error(ctx, self, "--jobs applies to Timestream and InfluxDB sources; a "
                                          "file is read in one pass (memory stays bounded by the "
                                          "spill writers), so --from FILE takes no --jobs");
    if (!file_src && (cli_get(a, "precision") || cli_get(a, "schema") || cli_get(a, "time-format")))
        return cli_usage_error(ctx, self, "--precision, --schema and --time-format are for --from FILE");
    if (file_src && o.ndatabases != 1)
        return cli_usage_error(ctx, self, "--from FILE needs one --database NAME (the archive "
                                          "database the file's tables go into)");
    if (!o.ndatabases && have_pe && !influx_src) {
        snprintf(def_prefix, sizeof def_prefix, "%s_%s_", project, env);
        o.db_name_prefix = def_prefix;
    }
    int retain_years = 0;
    const char *lock_mode = NULL;
    char lock_until[TS_TIME_STR_MAX];
    if (cli_get(a, "retain") && !arc_retention_parse_years(cli_get(a, "retain"), &retain_years))
        return cli_usage_error(ctx, self, "--retain %s: a number of years from 1 to %d (7y or 7)",
                               cli_get(a, "retain"), ARC_RET_MAX_YEARS);
    if (cli_get(a, "lock-mode")) {
        if (!retain_years) return cli_usage_error(ctx, self, "--lock-mode needs --retain");
        if (!(lock_mode = arc_retention_lock_mode(cli_get(a, "lock-mode"))))
            return cli_usage_error(ctx, self, "--lock-mode %s: use governance or compliance",
                                   cli_get(a, "lock-mode"));
    }
    if (retain_years && !lock_mode) lock_mode = "GOVERNANCE";
    if (retain_years && strncmp(root, "s3://", 5) != 0) {
        ts_error e;
        ts_err_clear(&e);
        ts_err_set(&e, TS_ERR_REFUSED,
                   "--retain: %s is a local directory; object locks exist only on S3 "
                   "(export to s3://BUCKET whose bucket has Object Lock)",
                   root);
        return cli_fail(ctx, &e);
    }
    cli_progress ps;
    cli_progress_init(&ps, ctx, 200000000);
    o.progress = on_progress;
    o.after_plan = on_after_plan;
    o.user = &ps;

    ts_error err;
    ts_err_clear(&err);
    /* a file or InfluxDB into a directory needs no AWS configuration */
    bool no_aws = (file_src || influx_src) && strncmp(root, "s3://", 5) != 0;
    cli_root r;
    ts_status st = cli_root_open(&r, root, &(cli_root_opts){.need_aws = !no_aws, .region = region},
                                 &err);
    influx_target itarget;
    memset(&itarget, 0, sizeof itarget);
    if (st == TS_OK && influx_src) {
        influx_env ienv = {.host = getenv("INFLUX_HOST"),
                           .token = getenv("INFLUX_TOKEN"),
                           .org = getenv("INFLUX_ORG"),
                           .username = getenv("INFLUX_USERNAME"),
                           .password = getenv("INFLUX_PASSWORD")};
        st = influx_target_parse(from, &ienv, &itarget, &err);
        if (st != TS_OK) ts_err_context(&err, "--from");
    }
    if (st == TS_OK && retain_years) {
        /* refuse before writing anything when the bucket cannot lock */
        char bucket[64];
        snprintf(bucket, sizeof bucket, "%.*s", (int)strcspn(root + 5, "/"), root + 5);
        s3_object_lock_config lc;
        st = s3_get_object_lock_config(r.client, bucket, &lc, &err);
        if (st == TS_OK && !lc.enabled)
            st = ts_err_set(&err, TS_ERR_REFUSED,
                            "--retain: bucket %s has no Object Lock, so its objects cannot be "
                            "locked; export into a bucket created with Object Lock, or drop "
                            "--retain and run 'tsarchive retention --apply' for versioning and "
                            "lifecycle",
                            bucket);
        o.started_at = ts_now_ns();
        if (st == TS_OK && !arc_retention_until(o.started_at, retain_years, &(int64_t){0}, lock_until))
            st = ts_err_set(&err, TS_ERR_USAGE, "--retain: the date is out of range");
        o.lock_mode = lock_mode;
        o.lock_until = lock_until;
    }
    if (st == TS_OK) st = cli_root_audit_open(&r, "export", prefix, NULL, &err);
    if (st != TS_OK) {
        int rc = cli_fail(ctx, &err);
        influx_target_free(&itarget);
        cli_root_close(&r);
        return rc;
    }
    if (!r.chain_ok)
        fprintf(ctx->err, "tsarchive export: warning: the audit log under %s%s is broken; this "
                          "run continues it from the newest entry (see 'tsarchive audit verify')\n",
                root, prefix);
    {
        json_t *f = json_object();
        json_object_set_new(f, "arguments", cli_args_json(a, redact_value));
        if (!no_aws) json_object_set_new(f, "identity", arc_audit_identity(&r.cfg));
        if (influx_src) {
            /* the URL may hold a password: the described target never does */
            ts_buf d;
            ts_buf_init(&d, 4096);
            influx_target_describe(&itarget, &d);
            json_object_set_new(f, "source", json_string(d.len ? (const char *)d.data : "influx"));
            ts_buf_free(&d);
        } else {
            json_object_set_new(f, "source", json_string(from));
        }
        json_object_set_new(f, "root", json_string(root));
        ts_error ae;
        ts_err_clear(&ae);
        cli_root_audit(&r, "start", f, true, &ae);
    }
    arc_export_result res;
    if (file_src) {
        arc_export_file_opts fo = {.path = from, .database = dbs[0], .storage = r.storage,
                                   .schema = cli_get(a, "schema"), .precision = (int)precision + 1,
                                   .time_format = (int)time_format};
        st = arc_export_file(&fo, &o, r.audit, &res, &err);
    } else if (influx_src) {
        io.target = &itarget;
        io.database = o.ndatabases ? dbs[0] : NULL;
        io.aws = no_aws ? NULL : &r.cfg;
        st = arc_export_influx(&io, &o, r.audit, &res, &err);
    } else {
        st = arc_export_timestream(&r.cfg, &o, r.audit, &res, &err);
    }
    cli_progress_end(&ps, true);
    if (st == TS_OK && retain_years && !o.dry_run)
        st = extend_kept_locks(ctx, r.storage, r.client, prefix, retain_years, lock_mode, &res, &err);
    double secs = (double)(ts_mono_ns() - ps.t0) / 1e9;
    {
        json_t *f = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "outcome",
                              st == TS_OK ? "ok" : ts_status_name(st), "databases",
                              (json_int_t)res.databases, "tables", (json_int_t)res.tables,
                              "tables_failed", (json_int_t)res.tables_failed, "files_written",
                              (json_int_t)res.files, "files_unchanged",
                              (json_int_t)res.files_skipped, "rows", (json_int_t)res.rows);
        ts_error ae;
        ts_err_clear(&ae);
        if (cli_root_audit_end(&r, f, st != TS_OK ? &err : NULL, true, &ae) != TS_OK && st == TS_OK) {
            err = ae;
            st = ae.code;
        }
    }
    if (cli_flag(a, "json")) {
        json_t *tables = json_array();
        for (size_t i = 0; i < res.ntables_v; i++) {
            const arc_export_table_result *t = &res.tables_v[i];
            json_t *to = json_pack("{s:s,s:s,s:I,s:I,s:I,s:b}", "database", t->database, "table",
                                   t->table, "records", (json_int_t)t->records, "files_written",
                                   (json_int_t)t->files, "files_unchanged",
                                   (json_int_t)t->files_skipped, "ok", !!t->ok);
            if (!t->ok) json_object_set_new(to, "error", json_string(t->error));
            if (t->nmonths) {
                json_t *ms = json_array();
                for (size_t k = 0; k < t->nmonths; k++) {
                    char mo[32];
                    snprintf(mo, sizeof mo, "%04lld-%02u", (long long)t->months[k].year,
                             t->months[k].month);
                    json_array_append_new(ms, json_pack("{s:s,s:I}", "month", mo, "records",
                                                        (json_int_t)t->months[k].records));
                }
                json_object_set_new(to, "months", ms);
            }
            json_array_append_new(tables, to);
        }
        json_t *j = json_pack("{s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o}", "ok", st == TS_OK,
                              "root", root, "prefix", prefix, "databases",
                              (json_int_t)res.databases, "tables_failed",
                              (json_int_t)res.tables_failed, "files_written",
                              (json_int_t)res.files, "files_unchanged",
                              (json_int_t)res.files_skipped, "rows", (json_int_t)res.rows,
                              "bytes", (json_int_t)res.bytes, "seconds", secs, "tables", tables);
        if (st != TS_OK) cli_json_set_error(j, &err);
        json_object_set_new(j, "audit_log", json_string(arc_audit_object_name(r.audit)));
        if (retain_years)
            json_object_set_new(j, "object_lock", json_pack("{s:s,s:s}", "mode", lock_mode,
                                                            "retain_until", lock_until));
        if (o.dry_run) json_object_set_new(j, "dry_run", json_true());
        cli_print_json(ctx, j);
    } else {
        for (size_t i = 0; i < res.ntables_v; i++) {
            const arc_export_table_result *t = &res.tables_v[i];
            if (t->ok && o.dry_run) {
                fprintf(ctx->out, "%s.%s: %llu %s in %llu months (dry run)\n", t->database,
                        t->table, (unsigned long long)t->records,
                        influx_src ? "points (InfluxDB's count)" : "rows (Timestream's count)",
                        (unsigned long long)t->files);
                for (size_t k = 0; k < t->nmonths; k++)
                    fprintf(ctx->out, "  %04lld-%02u: %llu rows\n", (long long)t->months[k].year,
                            t->months[k].month, (unsigned long long)t->months[k].records);
            } else if (t->ok)
                fprintf(ctx->out, "%s.%s: %llu records, %llu files written, %llu unchanged\n",
                        t->database, t->table, (unsigned long long)t->records,
                        (unsigned long long)t->files, (unsigned long long)t->files_skipped);
            else
                fprintf(ctx->out, "%s.%s: FAILED: %s\n", t->database, t->table, t->error);
        }
        if (o.dry_run) {
            uint64_t total = 0, months = 0;
            for (size_t i = 0; i < res.ntables_v; i++)
                if (res.tables_v[i].ok) {
                    total += res.tables_v[i].records;
                    months += res.tables_v[i].files;
                }
            fprintf(ctx->out, "dry run: %llu rows in %llu table-months would be exported; "
                              "nothing was written\n",
                    (unsigned long long)total, (unsigned long long)months);
        }
        fprintf(ctx->out, "%llu databases, %llu tables (%llu failed), %llu rows in %.1f s\n",
                (unsigned long long)res.databases, (unsigned long long)res.tables,
                (unsigned long long)res.tables_failed, (unsigned long long)res.rows, secs);
        if (retain_years && st == TS_OK)
            fprintf(ctx->out, "every object written is locked %s until %s (export time + %d "
                              "years)\n",
                    lock_mode, lock_until, retain_years);
    }
    int rc = st == TS_OK ? CLI_EXIT_OK : cli_fail(ctx, &err);
    arc_export_result_free(&res);
    influx_target_free(&itarget);
    cli_root_close(&r);
    return rc;
}

const cli_cmd cmd_export = {
    .name = "export",
    .summary = "Export every Timestream table (or InfluxDB measurement, or a data file) into the Parquet archive.",
    .usage = "--from timestream://REGION --to ROOT [--database NAME]... [--table GLOB]...\n"
             "              [--since T] [--until T] [--dry-run] [options]\n"
             "       --from influx://HOST:PORT?org=O&bucket=B|influx1://HOST:PORT/DB --to ROOT\n"
             "              [--database NAME] [--table GLOB]... [--since T] [--until T] [--dry-run]\n"
             "       --from FILE.lp|.csv|.parquet[.gz|.zst] --to ROOT --database NAME [options]",
    .description =
        "Writes ROOT/timestream-archive/<db>/<table>/year=YYYY/month=MM/<table>_<first>_<last>.parquet\n"
        "per table and calendar month (UTC) and ROOT/timestream-archive/<db>/export_metadata.json.\n"
        "Every month is counted in Timestream and the file must hold exactly that many rows.\n"
        "A re-run skips months whose file is present and matches (size + SHA-256) and redoes the\n"
        "rest. Exit 0 only when every table matched its counts; 3 on a count mismatch; 130 when\n"
        "interrupted (re-run to resume).\n"
        "With --from FILE (line protocol, CSV or Parquet; text may be .gz/.zst) each measurement\n"
        "or table becomes a table of archive database NAME; rows may come in any time order\n"
        "(they are spilled per table-month into temp files under $TMPDIR first, so memory does not\n"
        "grow with the file); the manifest's source kind is \"file\".\n"
        "With --from influx://… or influx1://… (URLs and INFLUX_* variables as for restore) each\n"
        "measurement becomes a table (tags → dimensions, fields → measures), read month by month\n"
        "through InfluxQL /query with chunked=true; every field's count and the first/last time of\n"
        "each month must equal InfluxDB's.",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
