/* Option values and JSON output shared by several subcommands: one place
 * for the spellings of --precision, --time-format, --since/--until, --prefix
 * and numeric ranges, and for the one-line JSON results. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_layout.h"
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

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s) return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || s[0] == '-') return false;
    *out = v;
    return true;
}

bool cli_get_range(const cli_args *a, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s = cli_get(a, name);
    uint64_t v = 0;
    if (!s) return true;
    if (!cli_parse_u64(s, &v) || v < min || v > max) return false;
    *out = v;
    return true;
}

bool cli_get_prefix(const cli_args *a, cli_ctx *ctx, bool relative, char *prefix, size_t size)
{
    const char *p = cli_get(a, "prefix");
    if (!p) p = ARC_DEFAULT_PREFIX;
    snprintf(prefix, size, "%s%s", p, (*p && p[strlen(p) - 1] != '/') ? "/" : "");
    if (relative && (strstr(prefix, "..") || prefix[0] == '/')) {
        cli_usage_error(ctx, a->cmd, "--prefix %s: must be a relative key prefix", p);
        return false;
    }
    return true;
}

void cli_print_json(cli_ctx *ctx, json_t *j)
{
    json_dumpf(j, ctx->out, JSON_SORT_KEYS | JSON_COMPACT);
    fputc('\n', ctx->out);
    json_decref(j);
}

void cli_json_set_error(json_t *o, const ts_error *err)
{
    char m[CLI_ERR_TEXT_MAX];
    ts_err_format(err, m, sizeof m);
    json_object_set_new(o, "error", json_string(m));
}
