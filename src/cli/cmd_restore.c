/* tsarchive restore ROOT --to TARGET: the archive into InfluxDB (v2 or v1
 * API) or into one text file per table; resumable, with a parity check. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_restore.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"
#include "core/ts_alloc.h"
#include "core/ts_time.h"

static const cli_opt opts[] = {
    {.name = "to", .metavar = "TARGET",
     .help = "influx://HOST:PORT?org=O&bucket=B (v2), influx1://[USER:PASS@]HOST:PORT/DB[?rp=RP] "
             "(v1), influxs:// / influx1s:// (https), or a directory (with --format)"},
    {.name = "tables", .metavar = "A,B", .help = "only these tables (comma-separated; repeatable)",
     .repeatable = true},
    {.name = "database", .metavar = "DB", .help = "only this archive database"},
    {.name = "prefix", .metavar = "P", .help = "archive prefix under ROOT (default timestream-archive/)"},
    {.name = "since", .metavar = "TIME", .help = "only rows at or after TIME (RFC 3339 or a date)"},
    {.name = "until", .metavar = "TIME", .help = "only rows before TIME"},
    {.name = "measurement", .metavar = "table|measure_name",
     .help = "measurement name: the table (default) or each row's measure_name"},
    {.name = "batch-lines", .metavar = "N", .help = "lines per write request (default 5000)"},
    {.name = "batch-bytes", .metavar = "N", .help = "bytes per write request before gzip (default 8M)"},
    {.name = "concurrency", .metavar = "N", .help = "parallel connections (default 4)"},
    {.name = "no-gzip", .help = "send uncompressed request bodies"},
    {.name = "max-attempts", .metavar = "N", .help = "attempts per batch on 429/5xx/network (default 10)"},
    {.name = "state-dir", .metavar = "DIR",
     .help = "where the resume checkpoint lives (default ./.tsarchive-state)"},
    {.name = "no-resume", .help = "ignore and do not write checkpoints"},
    {.name = "format", .metavar = "lp|csv|jsonl", .help = "file format for a directory target (default lp)"},
    {.name = "create", .help = "timestream://: create missing databases and tables"},
    {.name = "dry-run", .help = "read the archive and print the points per table; write nothing"},
    {.name = "no-parity", .help = "skip the count comparison with InfluxDB afterwards"},
    {.name = "json", .help = "print the report as JSON"},
    {0},
};

static const char description[] =
    "Reads every table of the archive under ROOT (export_metadata.json per database) and writes\n"
    "its rows as points: table -> measurement (or --measurement measure_name), dimensions and\n"
    "measure_name -> tags, measures -> typed fields, exact nanosecond times (time_ns when the\n"
    "archive has it). Rows whose measures are all NULL cannot be points: they are counted and\n"
    "reported (exit 5). Names starting with '_' get the prefix 'x'.\n"
    "\n"
    "InfluxDB: token from INFLUX_TOKEN (v2), user/password from the URL or INFLUX_USERNAME /\n"
    "INFLUX_PASSWORD (v1); INFLUX_HOST and INFLUX_ORG fill in a missing host or org. Writes are\n"
    "batched, gzip-compressed, sent over --concurrency connections and retried on 429/5xx/network\n"
    "errors honouring Retry-After. Refused points are reported with the archive file and row.\n"
    "A checkpoint per archive file lets a re-run after a crash or Ctrl-C skip finished files.\n"
    "Afterwards the points and first/last time per measurement and month are read back through\n"
    "/query and compared with the archive (exit 3 on a difference).\n"
    "\n"
    "Exit: 0 done and checked, 1 failed, 2 usage, 3 parity mismatch, 4 target or archive\n"
    "unreachable (network, credentials, not found), 5 points refused or rows skipped, 130\n"
    "interrupted (re-run to resume). See docs/restore.md.";

/* The library already paces these calls; every one is drawn. */
static void on_progress(void *user, const arc_restore_progress *p)
{
    cli_progress *pr = user;
    double unused;
    if (!cli_progress_due(pr, true, &unused)) return;
    double s = (double)p->elapsed_ns / 1e9;
    double rate = s > 0 ? (double)p->accepted / s : 0;
    fprintf(pr->ctx->err,
            "restore: %llu/%llu files, %llu rows read, %llu points sent, %llu accepted, "
            "%llu rejected, %.0f points/s%s%s",
            (unsigned long long)p->files_done, (unsigned long long)p->files_total,
            (unsigned long long)p->rows_read, (unsigned long long)p->points_sent,
            (unsigned long long)p->accepted, (unsigned long long)p->rejected, rate,
            p->table ? " - " : "", p->table ? p->table : "");
    cli_progress_drawn(pr);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void print_json(FILE *f, const arc_restore_report *r, bool dry, int exit_code)
{
    fprintf(f, "{\"target\":");
    json_str(f, r->target);
    fprintf(f, ",\"dry_run\":%s,\"state_file\":", dry ? "true" : "false");
    if (r->state_file) json_str(f, r->state_file);
    else fputs("null", f);
    fprintf(f,
            ",\"rows\":%llu,\"points\":%llu,\"all_null_rows\":%llu,\"rejected\":%llu,"
            "\"files\":%llu,\"files_skipped\":%llu,\"sent\":%llu,\"accepted\":%llu,"
            "\"requests\":%llu,\"retries\":%llu,\"bytes_sent\":%llu,\"seconds\":%.3f,"
            "\"retention_rejected\":%llu,",
            (unsigned long long)r->rows, (unsigned long long)r->points,
            (unsigned long long)r->all_null, (unsigned long long)r->rejected,
            (unsigned long long)r->files, (unsigned long long)r->files_skipped,
            (unsigned long long)r->wstats.lines_sent, (unsigned long long)r->wstats.accepted,
            (unsigned long long)r->wstats.requests, (unsigned long long)r->wstats.retries,
            (unsigned long long)r->wstats.bytes_sent, (double)r->elapsed_ns / 1e9,
            (unsigned long long)r->retention_rejected);
    fprintf(f, "\"tables\":[");
    for (size_t i = 0; i < r->ntables; i++) {
        const arc_restore_table *t = &r->tables[i];
        fprintf(f, "%s{\"database\":", i ? "," : "");
        json_str(f, t->database);
        fprintf(f, ",\"table\":");
        json_str(f, t->table);
        fprintf(f,
                ",\"files\":%llu,\"files_skipped\":%llu,\"rows\":%llu,\"points\":%llu,"
                "\"all_null_rows\":%llu,\"rejected\":%llu,\"rejected_earlier\":%llu",
                (unsigned long long)t->files, (unsigned long long)t->files_skipped,
                (unsigned long long)t->rows, (unsigned long long)t->points,
                (unsigned long long)t->all_null, (unsigned long long)t->rejected,
                (unsigned long long)t->prev_rejected);
        if (t->out_path) {
            fprintf(f, ",\"output\":");
            json_str(f, t->out_path);
        }
        if (dry) {
            fprintf(f, ",\"sample\":[");
            for (size_t k = 0; k < t->nsamples; k++) {
                if (k) fputc(',', f);
                json_str(f, t->samples[k]);
            }
            fputc(']', f);
        }
        fputc('}', f);
    }
    fprintf(f, "],\"rejections\":[");
    for (size_t i = 0; i < r->nrejects; i++) {
        const arc_restore_reject *x = &r->rejects[i];
        fprintf(f, "%s{\"file\":", i ? "," : "");
        json_str(f, x->file);
        fprintf(f, ",\"row\":%llu,\"line\":", (unsigned long long)x->row);
        json_str(f, x->line);
        fprintf(f, ",\"reason\":");
        json_str(f, x->reason);
        fputc('}', f);
    }
    fprintf(f, "],\"parity\":{\"checked\":%s,\"unavailable\":", r->parity_run ? "true" : "false");
    if (r->parity_unavailable) json_str(f, r->parity_unavailable);
    else fputs("null", f);
    fprintf(f, ",\"mismatches\":%zu,\"rechecks\":%u,\"months\":[", r->parity_mismatches,
            r->parity_rechecks);
    for (size_t i = 0; i < r->nparity; i++) {
        const arc_parity_row *p = &r->parity[i];
        char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX], c[TS_TIME_STR_MAX], d[TS_TIME_STR_MAX];
        ts_time_format(p->want_min, a);
        ts_time_format(p->want_max, b);
        ts_time_format(p->got_min, c);
        ts_time_format(p->got_max, d);
        fprintf(f, "%s{\"measurement\":", i ? "," : "");
        json_str(f, p->measurement);
        fprintf(f,
                ",\"month\":\"%04lld-%02u\",\"points\":%llu,\"archive\":%llu,\"influx\":%llu,\"archive_min\":\"%s\","
                "\"archive_max\":\"%s\",\"influx_min\":\"%s\",\"influx_max\":\"%s\",\"ok\":%s}",
                (long long)p->year, p->month, (unsigned long long)p->points,
                (unsigned long long)p->want, (unsigned long long)p->got, a, b, p->got ? c : "", p->got ? d : "",
                p->ok ? "true" : "false");
    }
    fprintf(f, "]},\"exit\":%d}\n", exit_code);
}

static void print_text(FILE *f, const arc_restore_report *r, bool dry, bool failed)
{
    if (dry) fprintf(f, "dry run: the points that would be written, per table\n");
    else if (failed) fprintf(f, "restore into %s stopped (see the error below)\n", r->target);
    else fprintf(f, "restored into %s\n", r->target);
    for (size_t i = 0; i < r->ntables; i++) {
        const arc_restore_table *t = &r->tables[i];
        fprintf(f, "  %s.%s: %llu points from %llu rows (%llu files", t->database, t->table,
                (unsigned long long)t->points, (unsigned long long)t->rows,
                (unsigned long long)(t->files + t->files_skipped));
        if (t->files_skipped)
            fprintf(f, ", %llu done by an earlier run", (unsigned long long)t->files_skipped);
        fprintf(f, ")");
        if (t->all_null) fprintf(f, "; %llu rows with every measure NULL skipped", (unsigned long long)t->all_null);
        if (t->rejected) fprintf(f, "; %llu points rejected", (unsigned long long)t->rejected);
        if (t->prev_rejected)
            fprintf(f, "; %llu rejected in an earlier run", (unsigned long long)t->prev_rejected);
        if (t->out_path) fprintf(f, " -> %s", t->out_path);
        fputc('\n', f);
        for (size_t k = 0; k < t->nsamples; k++) fprintf(f, "    %s\n", t->samples[k]);
    }
    if (!dry && r->wstats.requests)
        fprintf(f, "  %llu requests (%llu retries), %llu bytes sent, %.1f s, %.0f points/s\n",
                (unsigned long long)r->wstats.requests, (unsigned long long)r->wstats.retries,
                (unsigned long long)r->wstats.bytes_sent, (double)r->elapsed_ns / 1e9,
                r->elapsed_ns ? (double)r->wstats.accepted * 1e9 / (double)r->elapsed_ns : 0.0);
    for (size_t i = 0; i < r->nrejects && i < 50; i++)
        fprintf(f, "  rejected: %s row %llu: %s\n      line: %s\n", r->rejects[i].file,
                (unsigned long long)r->rejects[i].row, r->rejects[i].reason, r->rejects[i].line);
    if (r->nrejects > 50) fprintf(f, "  … %zu more rejections (see --json)\n", r->nrejects - 50);
    if (r->retention_rejected)
        fprintf(f,
                "  %llu records were refused for Timestream's retention windows: enable magnetic "
                "store writes on the table (MagneticStoreWriteProperties.EnableMagneticStoreWrites, "
                "as --create does) and make the magnetic retention cover the data's age, then re-run\n",
                (unsigned long long)r->retention_rejected);
    if (r->parity_run) {
        size_t ok = r->nparity - r->parity_mismatches;
        fprintf(f, "  parity: %zu of %zu measurement-months match", ok, r->nparity);
        if (r->parity_rechecks)
            fprintf(f, " (the differing ones asked again %u time%s)", r->parity_rechecks,
                    r->parity_rechecks == 1 ? "" : "s");
        fputc('\n', f);
        for (size_t i = 0; i < r->nparity; i++) {
            const arc_parity_row *p = &r->parity[i];
            if (p->ok) continue;
            char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX], c[TS_TIME_STR_MAX], d[TS_TIME_STR_MAX];
            ts_time_format(p->want_min, a);
            ts_time_format(p->want_max, b);
            ts_time_format(p->got_min, c);
            ts_time_format(p->got_max, d);
            fprintf(f,
                    "  MISMATCH %s %04lld-%02u: archive %llu points [%s .. %s], InfluxDB %llu "
                    "points [%s .. %s]\n",
                    p->measurement, (long long)p->year, p->month, (unsigned long long)p->want, a, b,
                    (unsigned long long)p->got, p->got ? c : "-", p->got ? d : "-");
        }
    } else if (r->parity_unavailable) {
        fprintf(f, "  parity: not checked: %s\n", r->parity_unavailable);
    }
    if (r->state_file) fprintf(f, "  checkpoint: %s\n", r->state_file);
}

/* Comma-separated --tables values, all occurrences. */
static char **split_tables(const cli_args *a, size_t *n)
{
    const char *const *vals;
    size_t nv = cli_get_all(a, "tables", &vals);
    *n = 0;
    if (nv == 0) return NULL;
    size_t cap = 0;
    for (size_t i = 0; i < nv; i++) cap += strlen(vals[i]) + 1;
    char **out = ts_calloc(cap + 1, sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < nv; i++) {
        const char *p = vals[i];
        while (*p) {
            size_t l = strcspn(p, ",");
            if (l) out[(*n)++] = ts_strndup(p, l);
            p += l;
            if (*p == ',') p++;
        }
    }
    return out;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    ts_error err;
    ts_err_clear(&err);
    const char *to = cli_get(a, "to");
    bool dry = cli_flag(a, "dry-run");
    if (!to && !dry) return cli_usage_error(ctx, a->cmd, "--to TARGET is required");
    arc_restore_opts o;
    memset(&o, 0, sizeof o);
    o.root = a->pos[0];
    o.prefix = cli_get(a, "prefix");
    o.database = cli_get(a, "database");
    o.cancel = ctx->cancel;
    o.parity = !cli_flag(a, "no-parity");
    o.dry_run_samples = 5;
    if (!cli_parse_time_opt(a, ctx, "since", &o.has_since, &o.since) ||
        !cli_parse_time_opt(a, ctx, "until", &o.has_until, &o.until))
        return CLI_EXIT_USAGE;
    const char *meas = cli_get(a, "measurement");
    if (meas && strcmp(meas, "measure_name") == 0) o.by_measure_name = true;
    else if (meas && strcmp(meas, "table") != 0)
        return cli_usage_error(ctx, a->cmd, "--measurement takes table or measure_name, not %s", meas);
    uint64_t bl, bb, conc, att;
    if (!cli_get_size(a, ctx, "batch-lines", 5000, &bl) ||
        !cli_get_size(a, ctx, "batch-bytes", (uint64_t)8 << 20, &bb) ||
        !cli_get_size(a, ctx, "concurrency", 4, &conc) ||
        !cli_get_size(a, ctx, "max-attempts", 10, &att))
        return CLI_EXIT_USAGE;
    if (bl < 1 || bl > 1000000) return cli_usage_error(ctx, a->cmd, "--batch-lines must be 1..1000000");
    if (bb < 1024 || bb > ((uint64_t)200 << 20))
        return cli_usage_error(ctx, a->cmd, "--batch-bytes must be 1K..200M");
    if (conc < 1 || conc > 64) return cli_usage_error(ctx, a->cmd, "--concurrency must be 1..64");
    if (att < 1 || att > 100) return cli_usage_error(ctx, a->cmd, "--max-attempts must be 1..100");
    o.wopts.batch_lines = (size_t)bl;
    o.wopts.batch_bytes = (size_t)bb;
    o.wopts.concurrency = (size_t)conc;
    o.wopts.max_attempts = (int)att;
    o.wopts.gzip_level = cli_flag(a, "no-gzip") ? 0 : 1;
    o.wopts.max_bisect = 256;
    o.wopts.cancel = ctx->cancel;

    influx_target target;
    memset(&target, 0, sizeof target);
    const char *ts_region = NULL;
    bool have_target = false;
    const char *fmt = cli_get(a, "format");
    if (dry) {
        o.kind = ARC_RESTORE_DRY_RUN;
        if (cli_flag(a, "create")) return cli_usage_error(ctx, a->cmd, "--create writes: not with --dry-run");
    } else if (strncmp(to, "influx", 6) == 0 && strstr(to, "://")) {
        influx_env env = {.host = getenv("INFLUX_HOST"),
                          .token = getenv("INFLUX_TOKEN"),
                          .org = getenv("INFLUX_ORG"),
                          .username = getenv("INFLUX_USERNAME"),
                          .password = getenv("INFLUX_PASSWORD")};
        if (influx_target_parse(to, &env, &target, &err) != TS_OK) {
            fprintf(ctx->err, "%s restore: %s\n", ctx->prog, err.msg);
            return CLI_EXIT_USAGE;
        }
        have_target = true;
        o.kind = ARC_RESTORE_INFLUX;
        o.influx = &target;
        if (!cli_flag(a, "no-resume"))
            o.state_dir = cli_get(a, "state-dir") ? cli_get(a, "state-dir") : ".tsarchive-state";
        if (fmt) return cli_usage_error(ctx, a->cmd, "--format is for a directory target");
        if (cli_flag(a, "create"))
            return cli_usage_error(ctx, a->cmd, "--create is for timestream:// targets");
    } else if (strncmp(to, "timestream://", 13) == 0) {
        o.kind = ARC_RESTORE_TIMESTREAM;
        ts_region = to + 13;
        if (strchr(ts_region, '/') || strchr(ts_region, '?'))
            return cli_usage_error(ctx, a->cmd, "--to %s: expected timestream://REGION", to);
        o.out_dir = to; /* for the report */
        o.ts_create = cli_flag(a, "create");
        if (!cli_flag(a, "no-resume"))
            o.state_dir = cli_get(a, "state-dir") ? cli_get(a, "state-dir") : ".tsarchive-state";
        if (fmt) return cli_usage_error(ctx, a->cmd, "--format is for a directory target");
    } else if (strstr(to, "://")) {
        return cli_usage_error(ctx, a->cmd,
                               "--to %s: expected influx://, influx1://, influxs://, influx1s:// or "
                               "a directory",
                               to);
    } else {
        o.kind = ARC_RESTORE_FILES;
        o.out_dir = to;
        if (!fmt || strcmp(fmt, "lp") == 0) o.format = ARC_FMT_LP;
        else if (strcmp(fmt, "csv") == 0) o.format = ARC_FMT_CSV;
        else if (strcmp(fmt, "jsonl") == 0) o.format = ARC_FMT_JSONL;
        else return cli_usage_error(ctx, a->cmd, "--format takes lp, csv or jsonl, not %s", fmt);
    }
    size_t ntables = 0;
    char **tables = split_tables(a, &ntables);
    o.tables = (const char *const *)tables;
    o.ntables = ntables;

    cli_progress ps;
    cli_progress_init(&ps, ctx, 0);
    if (ctx->err_tty && !cli_flag(a, "json")) {
        o.progress = on_progress;
        o.user = &ps;
    }
    /* the archive: a directory, or s3:// with AWS credentials; every run
     * with an archive ROOT leaves an audit entry (never with secrets) */
    arc_restore_report rep;
    memset(&rep, 0, sizeof rep);
    cli_root r;
    ts_status st = cli_root_open(
        &r, o.root,
        &(cli_root_opts){.need_aws = o.kind == ARC_RESTORE_TIMESTREAM,
                         .region = ts_region && *ts_region ? ts_region : NULL,
                         .check = CLI_ROOT_CHECK_EXISTS, .command = dry ? NULL : "restore",
                         .audit_prefix = o.prefix ? o.prefix : "timestream-archive/"},
        &err);
    o.aws = r.client;
    o.store = r.storage;
    if (st == TS_OK && !dry) {
        if (!r.chain_ok)
            fprintf(ctx->err, "%s restore: warning: the audit log is broken; this run continues it "
                              "(see 'tsarchive audit verify')\n", ctx->prog);
        json_t *f = json_object();
        json_object_set_new(f, "root", json_string(o.root));
        json_object_set_new(f, "target", json_string(have_target ? "influx" : to));
        if (have_target) {
            ts_buf d;
            ts_buf_init(&d, 4096);
            if (influx_target_describe(&target, &d) == TS_OK)
                json_object_set_new(f, "target", json_string((const char *)d.data));
            ts_buf_free(&d);
        }
        ts_error ae;
        ts_err_clear(&ae);
        cli_root_audit(&r, "start", f, true, &ae);
    }
    if (st == TS_OK) st = arc_restore_run(&o, &rep, &err);
    cli_progress_end(&ps, true);
    if (r.audit) {
        json_t *f = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "outcome",
                              st == TS_OK ? "ok" : ts_status_name(st), "rows", (json_int_t)rep.rows,
                              "points", (json_int_t)rep.points, "accepted",
                              (json_int_t)rep.wstats.accepted, "rejected", (json_int_t)rep.rejected,
                              "all_null_rows", (json_int_t)rep.all_null, "files",
                              (json_int_t)rep.files, "files_skipped", (json_int_t)rep.files_skipped);
        if (f) json_object_set_new(f, "parity_mismatches", json_integer((json_int_t)rep.parity_mismatches));
        ts_error ae;
        ts_err_clear(&ae);
        if (cli_root_audit_end(&r, f, NULL, true, &ae) != TS_OK)
            fprintf(ctx->err, "%s restore: warning: could not write the audit log: %s\n", ctx->prog,
                    ae.msg);
    }
    cli_root_close(&r);
    int rc = CLI_EXIT_OK;
    if (st != TS_OK) rc = cli_exit_for(st);
    else if (rep.rejected || rep.all_null) rc = CLI_EXIT_PARTIAL;
    else {
        for (size_t i = 0; i < rep.ntables; i++)
            if (rep.tables[i].prev_rejected) rc = CLI_EXIT_PARTIAL;
    }
    if (st == TS_OK || st == TS_ERR_MISMATCH || rep.ntables) {
        if (cli_flag(a, "json")) print_json(ctx->out, &rep, dry, rc);
        else print_text(ctx->out, &rep, dry, st != TS_OK && st != TS_ERR_MISMATCH);
    }
    if (st != TS_OK) rc = cli_fail(ctx, &err);
    else if (rc == CLI_EXIT_PARTIAL)
        fprintf(ctx->err, "%s restore: finished, but %llu points were rejected and %llu rows had no "
                          "measure values (see above)\n",
                ctx->prog, (unsigned long long)rep.rejected, (unsigned long long)rep.all_null);
    arc_restore_report_free(&rep);
    for (size_t i = 0; i < ntables; i++) ts_free(tables[i]);
    ts_free(tables);
    if (have_target) influx_target_free(&target);
    return rc;
}

const cli_cmd cmd_restore = {
    .name = "restore",
    .summary = "Restore the archive into InfluxDB (v2/v1) or into files; resumable, parity-checked.",
    .usage = "ROOT --to TARGET [--tables A,B] [--since T] [--until T] [--measurement table|measure_name] "
             "[--batch-lines N] [--concurrency N] [--dry-run] [--json] [--no-parity]",
    .description = description,
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
