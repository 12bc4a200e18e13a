/* tsarchive report ROOT: writes the decommissioning record of an archive —
 * what was archived, where, the integrity proof, retention and history — as
 * one self-contained HTML page, Markdown or JSON. */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "archive/arc_layout.h"
#include "archive/arc_report.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"
#include "core/ts_buf.h"
#include "core/ts_io.h"
#include "core/ts_time.h"

/* The whole document is built in memory before it is written. */
#define REPORT_MAX ((size_t)1 << 30)

static const cli_opt opts[] = {
    {.name = "output", .short_name = 'o', .metavar = "FILE",
     .help = "write the report here (written atomically; '-' or none: stdout)"},
    {.name = "format", .short_name = 'f', .metavar = "html|md|json",
     .help = "default: from FILE's extension (.html .htm .md .json), else html"},
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "years", .metavar = "N", .help = "retention period judged in the report: 7 (default) or 7y"},
    {0},
};

typedef enum report_fmt { FMT_HTML, FMT_MD, FMT_JSON } report_fmt;

static bool parse_format(const char *s, report_fmt *f)
{
    if (strcmp(s, "html") == 0 || strcmp(s, "htm") == 0) *f = FMT_HTML;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0) *f = FMT_MD;
    else if (strcmp(s, "json") == 0) *f = FMT_JSON;
    else return false;
    return true;
}

static bool ext_is(const char *path, const char *ext)
{
    size_t pl = strlen(path), el = strlen(ext);
    return pl > el && strcasecmp(path + pl - el, ext) == 0;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    const char *root = a->pos[0];
    const char *outp = cli_get(a, "output");
    const char *fs = cli_get(a, "format");
    report_fmt fmt = FMT_HTML;
    if (fs) {
        if (!parse_format(fs, &fmt))
            return cli_usage_error(ctx, a->cmd, "--format must be html, md or json (not '%s')", fs);
    } else if (outp && strcmp(outp, "-") != 0) {
        if (ext_is(outp, ".md") || ext_is(outp, ".markdown")) fmt = FMT_MD;
        else if (ext_is(outp, ".json")) fmt = FMT_JSON;
        else if (ext_is(outp, ".html") || ext_is(outp, ".htm")) fmt = FMT_HTML;
        else
            return cli_usage_error(ctx, a->cmd,
                                   "cannot tell the format from '%s': name it .html, .md or "
                                   ".json, or give --format",
                                   outp);
    }
    int years = ARC_RET_DEFAULT_YEARS;
    const char *ys = cli_get(a, "years");
    if (ys && !arc_retention_parse_years(ys, &years))
        return cli_usage_error(ctx, a->cmd, "--years must be a whole number of years (1..%d), "
                               "e.g. 7 or 7y (not '%s')", ARC_RET_MAX_YEARS, ys);
    char prefix[ARC_PATH_MAX];
    cli_get_prefix(a, ctx, false, prefix, sizeof prefix);

    ts_error err;
    ts_err_clear(&err);
    cli_root r;
    cli_root_init(&r);
    ts_status st = arc_prefix_validate(prefix, &err);
    if (st == TS_OK) st = cli_root_open(&r, root, &(cli_root_opts){0}, &err);
    json_t *model = NULL, *ret_json = NULL;
    int64_t now = ts_now_ns();
    char ret_err[CLI_ERR_TEXT_MAX] = "";
    if (st == TS_OK) {
        /* The retention assessment (bucket settings, every object's lock); when it
         * cannot be made, the report says why and shows what HEAD tells. */
        arc_retention ret;
        arc_retention_opts ro = {.prefix = prefix, .years = years, .now_ns = now,
                                 .cancel = ctx->cancel};
        ts_error rerr;
        ts_err_clear(&rerr);
        ts_status rst = arc_retention_assess(r.storage, r.client, &ro, &ret, &rerr);
        if (rst == TS_OK) ret_json = arc_retention_to_json(&ret, true);
        else if (rst != TS_ERR_NOT_FOUND) ts_err_format(&rerr, ret_err, sizeof ret_err);
        arc_retention_free(&ret);
        if (rst == TS_ERR_CANCELLED) {
            err = rerr;
            st = rst;
        }
    }
    if (st == TS_OK) {
        arc_report_opts o = {.root = root, .prefix = prefix, .region = r.aws ? r.cfg.region : NULL,
                             .now_ns = now, .retention = ret_json,
                             .retention_error = ret_err[0] ? ret_err : NULL};
        st = arc_report_collect(r.storage, &o, &model, &err);
    }
    json_decref(ret_json);
    ts_buf doc;
    ts_buf_init(&doc, REPORT_MAX);
    if (st == TS_OK) {
        if (fmt == FMT_HTML) st = arc_report_html(model, &doc, &err);
        else if (fmt == FMT_MD) st = arc_report_md(model, &doc, &err);
        else st = arc_report_json(model, &doc, &err);
    }
    if (st == TS_OK) {
        ts_output *out = NULL;
        bool to_stdout = !outp || strcmp(outp, "-") == 0;
        if (to_stdout) fflush(ctx->out);
        st = to_stdout ? ts_output_fd(fileno(ctx->out), "stdout", &out, &err)
                       : ts_output_file_atomic(outp, &out, &err);
        if (st == TS_OK) st = ts_output_write(out, doc.data, doc.len, &err);
        if (st == TS_OK) st = ts_output_commit(out, &err);
        ts_output_close(out);
        if (st != TS_OK && !to_stdout) ts_err_context(&err, "report %s", outp);
        if (st == TS_OK && !to_stdout && ctx->err_tty)
            fprintf(ctx->err, "report written to %s\n", outp);
    }
    int rc;
    if (st != TS_OK) {
        /* a report that cannot be written is a failed operation; an archive that
         * cannot be read is "could not reach" */
        rc = cli_fail(ctx, &err);
    } else {
        rc = arc_report_has_problems(model) ? CLI_EXIT_DAMAGED : CLI_EXIT_OK;
        if (rc != CLI_EXIT_OK)
            fprintf(ctx->err, "%s report: the report records problems (see its summary)\n",
                    ctx->prog);
    }
    ts_buf_free(&doc);
    json_decref(model);
    cli_root_close(&r);
    return rc;
}

const cli_cmd cmd_report = {
    .name = "report",
    .summary = "Write the decommissioning record of an archive (HTML, Markdown or JSON).",
    .usage = "ROOT [-o FILE] [--format html|md|json] [--prefix P] [--years N]",
    .description =
        "Reads the archive under ROOT (a directory or s3://bucket[/prefix]) and its audit log\n"
        "and writes the record a compliance team files: what was archived (databases, tables,\n"
        "records, time ranges, columns, records per month), where (bucket, prefix, region or\n"
        "path; objects and bytes), the integrity proof (SHA-256 of every manifest and data\n"
        "file, the latest verify run, the audit chain's check and head hash), the retention\n"
        "state (as 'tsarchive retention' assesses it for --years), and the history of export,\n"
        "verify, restore, retention and cleanup runs. Every figure is read from the archive;\n"
        "what is absent is said to be absent. HTML is one self-contained page (inline CSS and\n"
        "SVG, nothing fetched) that prints to PDF. The report only reads: it adds no entry to\n"
        "the audit log.\n"
        "\n"
        "Exit status: 0 report written and it records no problem; 3 report written, and it\n"
        "records a problem (a missing, invalid or replaced manifest, a broken audit chain, a\n"
        "latest verify run that did not pass); 4 the archive cannot be read (not found,\n"
        "network, credentials); 1 the report could not be written; 2 bad command line.",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
