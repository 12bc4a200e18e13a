/* Opening an archive ROOT for a subcommand (AWS configuration and client,
 * storage, audit log) and closing it again; see cli_root.h. */
#include "cli_root.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

void cli_root_init(cli_root *r)
{
    memset(r, 0, sizeof *r);
    r->chain_ok = true;
}

/* A mistyped directory must fail here, not read as an empty archive. */
static ts_status check_root(const char *root, cli_root_check check, ts_error *err)
{
    if (!root || check == CLI_ROOT_CHECK_NONE || strncmp(root, "s3://", 5) == 0) return TS_OK;
    if (check == CLI_ROOT_CHECK_LOCAL_DIR && strstr(root, "://")) return TS_OK;
    struct stat sb;
    if (check == CLI_ROOT_CHECK_EXISTS) {
        if (stat(root, &sb) != 0)
            return ts_err_errno(err, TS_ERR_NOT_FOUND, errno, "archive root %s", root);
        return TS_OK;
    }
    if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ts_err_set(err, TS_ERR_NOT_FOUND, "%s: no such directory", root);
    return TS_OK;
}

ts_status cli_root_open(cli_root *r, const char *root, const cli_root_opts *o, ts_error *err)
{
    cli_root_init(r);
    TS_TRY(check_root(root, o->check, err));
    if (o->need_aws || (root && strncmp(root, "s3://", 5) == 0)) {
        r->aws = true;
        TS_TRY(aws_config_load(&r->cfg, o->region, err));
        TS_TRY(aws_client_new(&r->cfg, &r->client, err));
    }
    if (root) TS_TRY(arc_storage_open(root, r->client, &r->storage, err));
    if (o->command) return cli_root_audit_open(r, o->command, o->audit_prefix, o->audit_root, err);
    return TS_OK;
}

ts_status cli_root_audit_open(cli_root *r, const char *command, const char *prefix,
                              const char *audit_root, ts_error *err)
{
    r->audit_prefix = prefix;
    if (audit_root) TS_TRY(arc_storage_open(audit_root, r->client, &r->audit_store, err));
    else r->audit_store = r->storage;
    TS_TRY(arc_random_id(r->run_id, err));
    return arc_audit_open(r->audit_store, prefix, command, r->run_id, &r->audit, &r->chain_ok, err);
}

ts_status cli_root_audit(cli_root *r, const char *event, json_t *fields, bool flush,
                         ts_error *err)
{
    if (!r->audit) {
        json_decref(fields);
        return TS_OK;
    }
    /* adding fails only without memory: the run goes on without the entry */
    ts_error ae;
    ts_err_clear(&ae);
    arc_audit_add(r->audit, event, fields, &ae);
    return flush ? cli_root_audit_flush(r, err) : TS_OK;
}

ts_status cli_root_audit_flush(cli_root *r, ts_error *err)
{
    if (!r->audit) return TS_OK;
    return arc_audit_flush(r->audit, r->audit_store, r->audit_prefix, err);
}

ts_status cli_root_audit_end(cli_root *r, json_t *fields, const ts_error *failed, bool flush,
                             ts_error *err)
{
    if (failed && fields) cli_json_set_error(fields, failed);
    return cli_root_audit(r, "end", fields, flush, err);
}

void cli_root_warn_write(cli_ctx *ctx, const char *command, const ts_error *e)
{
    char m[CLI_ERR_TEXT_MAX];
    ts_err_format(e, m, sizeof m);
    fprintf(ctx->err, "%s %s: warning: cannot write the audit log: %s\n", ctx->prog, command, m);
}

void cli_root_warn_chain(const cli_root *r, cli_ctx *ctx, const char *command, const char *where,
                         const char *prefix)
{
    if (r->chain_ok) return;
    fprintf(ctx->err, "%s %s: warning: the audit log under %s%s is broken (see 'tsarchive audit "
                      "verify')\n",
            ctx->prog, command, where, prefix);
}

void cli_root_close(cli_root *r)
{
    arc_audit_free(r->audit);
    if (r->audit_store != r->storage) arc_storage_free(r->audit_store);
    arc_storage_free(r->storage);
    aws_client_free(r->client);
    aws_config_free(&r->cfg);
    cli_root_init(r);
}
