/* tsarchive audit verify ROOT: checks that the audit logs under
 * ROOT/timestream-archive/_audit/ form one unbroken hash chain. */
#include <jansson.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_layout.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"

static const cli_opt opts[] = {
    {.name = "prefix", .metavar = "P", .help = "archive prefix inside ROOT (default timestream-archive/)"},
    {.name = "json", .help = "print {\"ok\":…,\"runs\":…,\"entries\":…,\"head\":…} on stdout"},
    {0},
};

static int run(const cli_args *a, cli_ctx *ctx)
{
    if (strcmp(a->pos[0], "verify") != 0)
        return cli_usage_error(ctx, a->cmd, "unknown action '%s' (only 'verify')", a->pos[0]);
    const char *root = a->pos[1];
    char prefix[ARC_PATH_MAX];
    const char *p = cli_get(a, "prefix");
    if (!p) p = ARC_DEFAULT_PREFIX;
    snprintf(prefix, sizeof prefix, "%s%s", p, (*p && p[strlen(p) - 1] != '/') ? "/" : "");
    ts_error err;
    ts_err_clear(&err);
    aws_config cfg;
    memset(&cfg, 0, sizeof cfg);
    aws_client *client = NULL;
    ts_status st = TS_OK;
    bool s3 = strncmp(root, "s3://", 5) == 0;
    if (s3) {
        st = aws_config_load(&cfg, NULL, &err);
        if (st == TS_OK) st = aws_client_new(&cfg, &client, &err);
    }
    arc_storage *storage = NULL;
    if (st == TS_OK) st = arc_storage_open(root, client, &storage, &err);
    arc_audit_report rep;
    memset(&rep, 0, sizeof rep);
    if (st == TS_OK) st = arc_audit_verify(storage, prefix, &rep, &err);
    if (cli_flag(a, "json")) {
        json_t *j = json_pack("{s:b,s:I,s:I,s:s}", "ok", st == TS_OK, "runs", (json_int_t)rep.runs,
                              "entries", (json_int_t)rep.entries, "head", rep.head);
        if (st != TS_OK) {
            char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
            ts_err_format(&err, m, sizeof m);
            json_object_set_new(j, "error", json_string(m));
        }
        json_dumpf(j, ctx->out, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', ctx->out);
        json_decref(j);
    } else if (st == TS_OK) {
        fprintf(ctx->out, "audit log intact: %zu runs, %zu entries, head %s\n", rep.runs,
                rep.entries, rep.head);
    }
    int rc = st == TS_OK ? CLI_EXIT_OK : cli_fail(ctx, &err);
    arc_storage_free(storage);
    aws_client_free(client);
    if (s3) aws_config_free(&cfg);
    return rc;
}

const cli_cmd cmd_audit = {
    .name = "audit",
    .summary = "Check the archive's hash-chained audit log (audit verify ROOT).",
    .usage = "verify ROOT [--prefix P] [--json]",
    .description = "Reads every run's log under ROOT/timestream-archive/_audit/ and checks that\n"
                   "they form one chain: each entry carries the SHA-256 of the entry before it,\n"
                   "and each run starts at the previous run's last entry. Exit 0 when intact,\n"
                   "3 when an entry was edited, removed or reordered, or a run was deleted.\n"
                   "This command only reads; it adds no entry of its own.",
    .opts = opts,
    .min_pos = 2,
    .max_pos = 2,
    .run = run,
};
