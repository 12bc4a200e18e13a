/* tsarchive audit verify|show ROOT: checks that the audit logs under
 * ROOT/timestream-archive/_audit/ form one unbroken hash chain, or prints
 * the history they record. */
#include <jansson.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_layout.h"
#include "archive/arc_report.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "cli_root.h"

static const cli_opt opts[] = {
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "json", .help = "verify: {\"ok\",\"runs\",\"entries\",\"head\"}; show: {\"chain\",\"runs\":[…]}"},
    {0},
};

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* One run as a few readable lines: when, what, outcome, who, the counts
 * and every resource it deleted. */
static void show_run(FILE *f, size_t i, const json_t *r)
{
    const char *who = NULL;
    json_t *id = json_object_get(r, "identity");
    if (json_is_object(id)) who = jstr(id, "arn");
    fprintf(f, "%3zu  %-20s  %-9s %-8s run %.12s  %lld entries%s%s\n", i + 1,
            jstr(r, "started") ? jstr(r, "started") : "?", jstr(r, "command") ? jstr(r, "command") : "?",
            jstr(r, "outcome") ? jstr(r, "outcome") : "(no end)",
            jstr(r, "run_id") ? jstr(r, "run_id") : "?",
            (long long)json_integer_value(json_object_get(r, "entries")), who ? "  by " : "",
            who ? who : "");
    static const char *const where[] = {"source", "root", "target"};
    for (size_t k = 0; k < 3; k++)
        if (jstr(r, where[k])) fprintf(f, "       %s: %s\n", where[k], jstr(r, where[k]));
    json_t *counts = json_object_get(r, "counts");
    if (json_is_object(counts) && json_object_size(counts)) {
        const char *k;
        json_t *v;
        fputs("      ", f);
        json_object_foreach(counts, k, v) {
            if (json_is_integer(v)) fprintf(f, " %s=%lld", k, (long long)json_integer_value(v));
            else if (json_is_string(v)) fprintf(f, " %s=%s", k, json_string_value(v));
        }
        fputc('\n', f);
    }
    if (jstr(r, "error")) fprintf(f, "       error: %s\n", jstr(r, "error"));
    size_t j;
    json_t *d;
    json_array_foreach(json_object_get(r, "resources"), j, d) {
        fprintf(f, "       %-8s %s %s  %s%s%s\n", jstr(d, "event") ? jstr(d, "event") : "",
                jstr(d, "kind") ? jstr(d, "kind") : "", jstr(d, "arn") ? jstr(d, "arn") : (jstr(d, "name") ? jstr(d, "name") : ""),
                jstr(d, "outcome") ? jstr(d, "outcome") : "", jstr(d, "error") ? ": " : "",
                jstr(d, "error") ? jstr(d, "error") : "");
    }
}

static ts_status show(arc_storage *storage, const char *prefix, bool json, cli_ctx *ctx,
                      bool *broken, ts_error *err)
{
    json_t *h = NULL;
    TS_TRY(arc_report_audit(storage, prefix, &h, err));
    json_t *chain = json_object_get(h, "chain");
    *broken = !json_is_true(json_object_get(chain, "ok"));
    if (json) {
        cli_print_json(ctx, json_incref(h));
    } else {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(h, "runs"), i, r) show_run(ctx->out, i, r);
        if (!*broken)
            fprintf(ctx->out, "audit log intact: %lld runs, %lld entries, head %s\n",
                    (long long)json_integer_value(json_object_get(chain, "runs")),
                    (long long)json_integer_value(json_object_get(chain, "entries")),
                    jstr(chain, "head") ? jstr(chain, "head") : "");
        else
            fprintf(ctx->out, "audit log BROKEN: %s\n", jstr(chain, "error") ? jstr(chain, "error") : "?");
    }
    json_decref(h);
    return TS_OK;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    bool is_show = strcmp(a->pos[0], "show") == 0;
    if (!is_show && strcmp(a->pos[0], "verify") != 0)
        return cli_usage_error(ctx, a->cmd, "unknown action '%s' (verify or show)", a->pos[0]);
    const char *root = a->pos[1];
    char prefix[ARC_PATH_MAX];
    cli_get_prefix(a, ctx, false, prefix, sizeof prefix);
    ts_error err;
    ts_err_clear(&err);
    cli_root r;
    ts_status st = cli_root_open(&r, root, &(cli_root_opts){.check = CLI_ROOT_CHECK_DIR}, &err);
    if (is_show) {
        bool broken = false;
        if (st == TS_OK) st = show(r.storage, prefix, cli_flag(a, "json"), ctx, &broken, &err);
        int rc = st != TS_OK ? cli_fail(ctx, &err) : broken ? CLI_EXIT_DAMAGED : CLI_EXIT_OK;
        cli_root_close(&r);
        return rc;
    }
    arc_audit_report rep;
    memset(&rep, 0, sizeof rep);
    if (st == TS_OK) st = arc_audit_verify(r.storage, prefix, &rep, &err);
    if (cli_flag(a, "json")) {
        json_t *j = json_pack("{s:b,s:I,s:I,s:s}", "ok", st == TS_OK, "runs", (json_int_t)rep.runs,
                              "entries", (json_int_t)rep.entries, "head", rep.head);
        if (st != TS_OK) cli_json_set_error(j, &err);
        cli_print_json(ctx, j);
    } else if (st == TS_OK) {
        fprintf(ctx->out, "audit log intact: %zu runs, %zu entries, head %s\n", rep.runs,
                rep.entries, rep.head);
    }
    int rc = st == TS_OK ? CLI_EXIT_OK : cli_fail(ctx, &err);
    cli_root_close(&r);
    return rc;
}

const cli_cmd cmd_audit = {
    .name = "audit",
    .summary = "Check or show the archive's hash-chained audit log (audit verify|show ROOT).",
    .usage = "verify|show ROOT [--prefix P] [--json]",
    .description = "Reads every run's log under ROOT/timestream-archive/_audit/ and checks that\n"
                   "they form one chain: each entry carries the SHA-256 of the entry before it,\n"
                   "and each run starts at the previous run's last entry. Exit 0 when intact,\n"
                   "3 when an entry was edited, removed or reordered, or a run was deleted.\n"
                   "'audit show' prints the history in chain order: each run's time, command,\n"
                   "outcome, caller, source/root/target, counts and every resource it deleted,\n"
                   "then the chain's state (exit 3 when broken; --json for scripts).\n"
                   "This command only reads; it adds no entry of its own.",
    .opts = opts,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
