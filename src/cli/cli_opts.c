/* Option values shared by several subcommands (convert, export): one place
 * for the spellings of --precision, --time-format and --since/--until. */
#include <jansson.h>
#include <string.h>

#include "cli.h"
#include "core/ts_time.h"
#include "formats/fmt.h"

bool cli_parse_precision(const char *s, ts_epoch_unit *u)
{
    if (!strcmp(s, "ns") || !strcmp(s, "n")) *u = TS_EPOCH_NS;
    else if (!strcmp(s, "us") || !strcmp(s, "u")) *u = TS_EPOCH_US;
    else if (!strcmp(s, "ms")) *u = TS_EPOCH_MS;
    else if (!strcmp(s, "s")) *u = TS_EPOCH_S;
    else return false;
    return true;
}

bool cli_parse_time_format(const char *s, fmt_time_format *t)
{
    if (!strcmp(s, "rfc3339") || !strcmp(s, "iso8601") || !strcmp(s, "auto")) *t = FMT_TIME_AUTO;
    else if (!strcmp(s, "s")) *t = FMT_TIME_EPOCH_S;
    else if (!strcmp(s, "ms")) *t = FMT_TIME_EPOCH_MS;
    else if (!strcmp(s, "us")) *t = FMT_TIME_EPOCH_US;
    else if (!strcmp(s, "ns")) *t = FMT_TIME_EPOCH_NS;
    else return false;
    return true;
}

bool cli_parse_time_opt(const cli_args *a, cli_ctx *ctx, const char *name, bool *has, int64_t *v)
{
    const char *s = cli_get(a, name);
    *has = false;
    if (!s) return true;
    if (!ts_time_parse(s, strlen(s), v)) {
        cli_usage_error(ctx, a->cmd, "--%s %s: expected RFC 3339 (2024-01-31T00:00:00Z) or a date",
                        name, s);
        return false;
    }
    *has = true;
    return true;
}

json_t *cli_args_json(const cli_args *a, json_t *(*value)(const char *opt, const char *v))
{
    json_t *o = json_object();
    for (const cli_opt *op = a->cmd->opts; op && op->name; op++) {
        const char *const *vals;
        size_t n = cli_get_all(a, op->name, &vals);
        if (!n) continue;
        if (!op->metavar) {
            json_object_set_new(o, op->name, json_true());
        } else if (op->repeatable) {
            json_t *arr = json_array();
            for (size_t k = 0; k < n; k++) json_array_append_new(arr, json_string(vals[k]));
            json_object_set_new(o, op->name, arr);
        } else {
            json_t *j = value ? value(op->name, vals[n - 1]) : NULL;
            json_object_set_new(o, op->name, j ? j : json_string(vals[n - 1]));
        }
    }
    return o;
}
