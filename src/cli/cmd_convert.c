/* tsarchive convert IN OUT: joins any source format to any sink format
 * (Parquet, line protocol, CSV, JSON Lines, optionally gzip/zstd). */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "core/ts_alloc.h"
#include "core/ts_pipe.h"
#include "core/ts_time.h"
#include "formats/fmt.h"

static const cli_opt opts[] = {
    {.name = "from-format", .metavar = "F", .help = "input format: parquet, lp, csv, jsonl (default: from the name)"},
    {.name = "to-format", .metavar = "F", .help = "output format: parquet, lp, csv, jsonl (default: from the name)"},
    {.name = "schema", .metavar = "S", .help = "CSV/JSONL column types: name:type[:role],... (see docs/formats.md)"},
    {.name = "precision", .metavar = "P", .help = "line-protocol input timestamps: ns (default), us, ms, s"},
    {.name = "time-format", .metavar = "T", .help = "CSV/JSONL time column: rfc3339 (default), s, ms, us, ns"},
    {.name = "infer-rows", .metavar = "N", .help = "rows read to infer CSV/JSONL types (default 1000)"},
    {.name = "table", .metavar = "NAME", .help = "keep only this table/measurement (LP), or name the table (CSV, JSONL)"},
    {.name = "table-key", .metavar = "KEY", .help = "JSONL: the key whose value names each row's table"},
    {.name = "measurement", .metavar = "NAME", .help = "LP output: measurement for every row, or @COLUMN to take it from a column"},
    {.name = "default-time", .metavar = "T", .help = "LP input: time for points without a timestamp ('now' or RFC 3339)"},
    {.name = "codec", .metavar = "C", .help = "Parquet output compression: zstd (default), snappy, gzip, none"},
    {.name = "time-unit", .metavar = "U", .help = "Parquet output timestamps: ns (default), us, ms (refused if digits would be lost), archive (time MICROS + time_ns when needed)"},
    {.name = "skip-bad-lines", .help = "count and skip malformed input lines instead of failing (exit 5)"},
    {.name = "reject-file", .metavar = "F", .help = "copy skipped input lines to F"},
    {.name = "skip-bad-rows", .help = "LP output: count and skip rows that cannot be points (NaN, newline in a tag)"},
    {.name = "json", .help = "print a JSON summary on standard output (standard error when OUT is -)"},
    {0},
};

static const char description[] =
    "Formats come from the names (.parquet, .lp/.line, .csv, .jsonl/.ndjson, each\n"
    "optionally .gz or .zst) or from --from-format/--to-format; '-' is standard\n"
    "input/output. A {table} in OUT writes one file per table. Line protocol input\n"
    "becomes one table per measurement: time, tags (sorted), fields (sorted).\n"
    "Rows that cannot be written (all measures NULL; with --skip-bad-rows, NaN or\n"
    "newlines) and skipped lines are counted and reported; the exit status is then 5.\n";

static void on_progress(void *user, const ts_pump_stats *st)
{
    cli_progress *p = user;
    double secs;
    if (!cli_progress_due(p, false, &secs)) return;
    fprintf(p->ctx->err, "%" PRIu64 " rows, %.0f rows/s", st->rows, (double)st->rows / secs);
    cli_progress_drawn(p);
}

/* Forwards batches and notes each table's name for the summary. */
typedef struct table_tap {
    ts_sink base;
    ts_sink *inner;
    char *names[256];
    size_t n;
} table_tap;

static ts_status tap_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    table_tap *t = (table_tap *)sk;
    const char *nm = b->table ? b->table : "";
    bool seen = false;
    for (size_t i = t->n; i-- > 0 && !seen;) seen = strcmp(t->names[i], nm) == 0;
    if (!seen && t->n < sizeof t->names / sizeof t->names[0]) {
        char *c = ts_strdup(nm);
        if (c) t->names[t->n++] = c;
    }
    return ts_sink_write(t->inner, b, err);
}
static ts_status tap_finish(ts_sink *sk, ts_error *err) { return ts_sink_finish(((table_tap *)sk)->inner, err); }
static void tap_close(ts_sink *sk) { (void)sk; }
static const ts_sink_ops tap_ops = {.kind = "tap", .write = tap_write, .finish = tap_finish, .close = tap_close};

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    const char *in_path = a->pos[0], *out_path = a->pos[1];
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    fmt_write_opts wo = {0};
    ts_error err;
    ts_err_clear(&err);
    const cli_cmd *self = a->cmd;

    fmt_kind in_kind = FMT_NONE, out_kind = FMT_NONE;
    const char *v;
    if ((v = cli_get(a, "from-format")) && (in_kind = fmt_kind_parse(v)) == FMT_NONE)
        return cli_usage_error(ctx, self, "unknown --from-format '%s' (parquet, lp, csv, jsonl)", v);
    if ((v = cli_get(a, "to-format")) && (out_kind = fmt_kind_parse(v)) == FMT_NONE)
        return cli_usage_error(ctx, self, "unknown --to-format '%s' (parquet, lp, csv, jsonl)", v);
    fmt_compress out_comp = FMT_COMP_NONE;
    fmt_kind by_name = fmt_kind_from_path(out_path, &out_comp);
    if (out_kind == FMT_NONE) out_kind = by_name;
    if (out_kind == FMT_NONE)
        return cli_usage_error(ctx, self, "cannot tell the output format of '%s'; pass --to-format", out_path);
    if (out_kind == FMT_PARQUET && out_comp != FMT_COMP_NONE)
        return cli_usage_error(ctx, self, "Parquet compresses inside the file: use --codec, not a .gz/.zst name");
    if (in_kind == FMT_NONE && strcmp(in_path, "-") == 0)
        return cli_usage_error(ctx, self, "reading standard input needs --from-format");
    if ((v = cli_get(a, "precision")) && !cli_parse_precision(v, &ro.precision))
        return cli_usage_error(ctx, self, "--precision must be ns, us, ms or s, not '%s'", v);
    if ((v = cli_get(a, "time-format")) && !cli_parse_time_format(v, &ro.time_format))
        return cli_usage_error(ctx, self, "--time-format must be rfc3339, s, ms, us or ns, not '%s'", v);
    uint64_t infer = FMT_DEFAULT_INFER_ROWS;
    if (!cli_get_size(a, ctx, "infer-rows", FMT_DEFAULT_INFER_ROWS, &infer)) return CLI_EXIT_USAGE;
    if (infer == 0) return cli_usage_error(ctx, self, "--infer-rows must be at least 1");
    ro.infer_rows = (size_t)infer;
    ro.schema = cli_get(a, "schema");
    ro.table = cli_get(a, "table");
    ro.table_key = cli_get(a, "table-key");
    ro.skip_bad_lines = cli_flag(a, "skip-bad-lines");
    ro.cancel = ctx->cancel;
    if ((v = cli_get(a, "default-time"))) {
        ro.has_default_time = true;
        if (strcmp(v, "now") == 0)
            ro.default_time = ts_now_ns();
        else if (!ts_time_parse(v, strlen(v), &ro.default_time))
            return cli_usage_error(ctx, self, "--default-time must be 'now' or an RFC 3339 time, not '%s'", v);
    }
    if ((v = cli_get(a, "measurement"))) {
        if (v[0] == '@') wo.measurement_column = v + 1;
        else wo.measurement = v;
        if (!*v || (v[0] == '@' && !v[1])) return cli_usage_error(ctx, self, "--measurement needs a name");
    }
    wo.skip_bad_rows = cli_flag(a, "skip-bad-rows");
    wo.codec = cli_get(a, "codec");
    if (wo.codec && strcasecmp(wo.codec, "zstd") && strcasecmp(wo.codec, "snappy") &&
        strcasecmp(wo.codec, "gzip") && strcasecmp(wo.codec, "none"))
        return cli_usage_error(ctx, self, "--codec must be zstd, snappy, gzip or none, not '%s'", wo.codec);
    if ((v = cli_get(a, "time-unit"))) {
        if (!strcmp(v, "ns")) wo.time_unit = 3;
        else if (!strcmp(v, "us")) wo.time_unit = 2;
        else if (!strcmp(v, "ms")) wo.time_unit = 1;
        else if (!strcmp(v, "archive")) wo.time_unit = -1;
        else return cli_usage_error(ctx, self, "--time-unit must be ns, us, ms or archive, not '%s'", v);
    }
    bool json = cli_flag(a, "json");
    FILE *jout = strcmp(out_path, "-") == 0 ? ctx->err : ctx->out;

    ts_output *reject = NULL;
    ts_source *src = NULL;
    ts_sink *dst = NULL;
    int rc = CLI_EXIT_OK;
    const char *const *tables = NULL;
    size_t ntables = 0;
    ts_status st = TS_OK;

    if ((v = cli_get(a, "reject-file"))) {
        if (!ro.skip_bad_lines) return cli_usage_error(ctx, self, "--reject-file goes with --skip-bad-lines");
        st = fmt_output_open(v, &reject, &err);
        ro.reject = reject;
    }
    if (st == TS_OK) st = fmt_source_open(in_path, in_kind, &ro, &src, &err);
    bool split = strstr(out_path, "{table}") != NULL;
    if (st == TS_OK && strcmp(src->ops->kind, "lp") == 0) {
        st = lp_source_tables(src, &tables, &ntables, &err);
        if (st == TS_OK && ntables > 1 && !split && (out_kind == FMT_PARQUET || out_kind == FMT_CSV)) {
            char list[512] = "";
            size_t used = 0;
            for (size_t i = 0; i < ntables && used + 4 < sizeof list; i++) {
                int k = snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "", tables[i]);
                if (k < 0) break;
                used += (size_t)k;
            }
            st = ts_err_set(&err, TS_ERR_USAGE,
                            "%s has %zu measurements (%s) but a %s file holds one table: pick one "
                            "with --table NAME, or put {table} in the output name",
                            in_path, ntables, list, fmt_kind_name(out_kind));
        }
    }
    if (st == TS_OK) {
        if (split)
            st = fmt_split_sink_new(out_path, out_kind, out_comp, &wo, &dst, &err);
        else
            st = fmt_sink_open(out_path, out_kind, out_comp, &wo, &dst, &err);
    }
    ts_pump_stats ps = {0};
    table_tap tap = {.base.ops = &tap_ops};
    table_tap *tap_ptr = NULL;
    if (st == TS_OK) {
        cli_progress pr;
        cli_progress_init(&pr, ctx, 1000000000);
        pr.last = pr.t0; /* no line for conversions under a second */
        tap.inner = dst;
        tap_ptr = &tap;
        st = ts_pump(src, &tap.base, ctx->cancel, ctx->err_tty ? on_progress : NULL, &pr, &ps, &err);
        cli_progress_end(&pr, false);
    }
    if (st == TS_OK && reject) st = ts_output_commit(reject, &err);
    if (st != TS_OK) rc = cli_fail(ctx, &err);

    const fmt_counts *sc = fmt_source_counts(src);
    const fmt_counts *kc = fmt_sink_counts(dst);
    uint64_t bad_lines = sc ? sc->bad_lines : 0;
    uint64_t all_null = kc ? kc->all_null_rows : 0;
    uint64_t bad_rows = kc ? kc->bad_rows : 0;
    uint64_t rows_out = kc ? kc->rows : ps.rows;
    if (st == TS_OK) {
        if (bad_lines)
            fprintf(ctx->err, "%s convert: %" PRIu64 " malformed input line%s skipped%s%s\n", ctx->prog,
                    bad_lines, bad_lines == 1 ? "" : "s", reject ? ", copied to " : "",
                    reject ? cli_get(a, "reject-file") : "");
        if (all_null)
            fprintf(ctx->err,
                    "%s convert: %" PRIu64 " row%s with every measure NULL cannot be line-protocol "
                    "points and were not written\n",
                    ctx->prog, all_null, all_null == 1 ? "" : "s");
        if (bad_rows)
            fprintf(ctx->err, "%s convert: %" PRIu64 " row%s could not be written and %s skipped\n",
                    ctx->prog, bad_rows, bad_rows == 1 ? "" : "s", bad_rows == 1 ? "was" : "were");
        if (bad_lines || all_null || bad_rows) rc = CLI_EXIT_PARTIAL;
    }
    if (json) {
        fprintf(jout,
                "{\"ok\":%s,\"input\":", st == TS_OK ? "true" : "false");
        json_string(jout, in_path);
        fprintf(jout, ",\"output\":");
        json_string(jout, out_path);
        fprintf(jout,
                ",\"rows_in\":%" PRIu64 ",\"rows_out\":%" PRIu64 ",\"rejected_lines\":%" PRIu64
                ",\"all_null_rows\":%" PRIu64 ",\"skipped_rows\":%" PRIu64 ",\"tables\":[",
                ps.rows, rows_out, bad_lines, all_null, bad_rows);
        if (tap_ptr) {
            for (size_t i = 0; i < tap_ptr->n; i++) {
                if (i) fputc(',', jout);
                json_string(jout, tap_ptr->names[i]);
            }
        }
        fprintf(jout, "],\"exit\":%d}\n", rc);
    }
    for (size_t i = 0; tap_ptr && i < tap_ptr->n; i++) ts_free(tap_ptr->names[i]);
    ts_sink_close(dst);
    ts_source_close(src);
    ts_output_close(reject);
    return rc;
}

const cli_cmd cmd_convert = {
    .name = "convert",
    .summary = "Convert between Parquet, line protocol, CSV and JSON Lines.",
    .usage = "[options] IN OUT",
    .description = description,
    .opts = opts,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
