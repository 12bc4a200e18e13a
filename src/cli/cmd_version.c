/* tsarchive version: the version and build, as written into created_by. */
#include "cli.h"
#include "ts_version.h"

static const cli_opt opts[] = {
    {.name = "json", .help = "print {\"version\":…,\"build\":…}"},
    {0},
};

static int run(const cli_args *a, cli_ctx *ctx)
{
    if (cli_flag(a, "json"))
        fprintf(ctx->out, "{\"version\":\"%s\",\"build\":\"%s\"}\n", TS_VERSION, TS_BUILD);
    else
        fprintf(ctx->out, "tsarchive %s (build %s)\n", TS_VERSION, TS_BUILD);
    return CLI_EXIT_OK;
}

const cli_cmd cmd_version = {
    .name = "version",
    .summary = "Print the version and build id.",
    .usage = "[--json]",
    .opts = opts,
    .min_pos = 0,
    .max_pos = 0,
    .run = run,
};
