/* Option parsing and help text, generated from each command's table. */
#include "cli.h"

#include "core/ts_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_CODES_HELP                                                              \
    "Exit status: 0 done and checked; 1 failed; 2 usage error; 3 damage or mismatch\n" \
    "found; 4 could not read or reach the input; 5 done but records were rejected\n"   \
    "or skipped; 6 refused by a safety check; 130 interrupted (re-run to resume).\n"

void cli_print_help(const cli_cmd *cmd, FILE *f)
{
    fprintf(f, "Usage: tsarchive %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->description) {
        size_t n = strlen(cmd->description);
        fprintf(f, "\n%s%s", cmd->description, n && cmd->description[n - 1] == '\n' ? "" : "\n");
    }
    fprintf(f, "\nOptions:\n");
    for (const cli_opt *o = cmd->opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        fprintf(f, "  %-28s %s%s\n", left, o->help, o->repeatable ? " (repeatable)" : "");
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
    fprintf(f, "\n%s", EXIT_CODES_HELP);
}

int cli_usage_error(cli_ctx *ctx, const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(ctx->err, "%s %s: ", ctx->prog, cmd ? cmd->name : "");
    vfprintf(ctx->err, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(ctx->err, "\nUsage: %s %s %s\nTry '%s %s --help'.\n", ctx->prog, cmd->name,
                cmd->usage, ctx->prog, cmd->name);
    else
        fputc('\n', ctx->err);
    return CLI_EXIT_USAGE;
}

static long find_opt(const cli_cmd *cmd, const char *name, size_t len, char short_name)
{
    long i = 0;
    for (const cli_opt *o = cmd->opts; o && o->name; o++, i++) {
        if (short_name) {
            if (o->short_name == short_name) return i;
        } else if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}

static bool add_value(cli_args *a, long idx, const char *v)
{
    const cli_opt *o = &a->cmd->opts[idx];
    if (!o->repeatable) a->nvals[idx] = 0; /* last one wins */
    if (a->nvals[idx] >= CLI_MAX_VALUES) return false;
    a->vals[idx][a->nvals[idx]++] = v;
    return true;
}

void cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a, cli_ctx *ctx, int *exit_now)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->pos = argv; /* positional arguments are compacted in place */
    *exit_now = -1;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (only_pos || s[0] != '-' || strcmp(s, "-") == 0) {
            a->pos[a->npos++] = s;
            continue;
        }
        if (strcmp(s, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            cli_print_help(cmd, ctx->out);
            *exit_now = CLI_EXIT_OK;
            return;
        }
        long idx;
        const char *inline_val = NULL;
        if (s[1] == '-') {
            const char *eq = strchr(s + 2, '=');
            size_t len = eq ? (size_t)(eq - (s + 2)) : strlen(s + 2);
            idx = find_opt(cmd, s + 2, len, 0);
            if (eq) inline_val = eq + 1;
        } else {
            idx = s[2] ? -1 : find_opt(cmd, NULL, 0, s[1]);
        }
        if (idx < 0) {
            *exit_now = cli_usage_error(ctx, cmd, "unknown option '%s'", s);
            return;
        }
        const cli_opt *o = &cmd->opts[idx];
        const char *val = "1";
        if (o->metavar) {
            if (inline_val) {
                val = inline_val;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                *exit_now = cli_usage_error(ctx, cmd, "option '--%s' needs a value (%s)",
                                            o->name, o->metavar);
                return;
            }
        } else if (inline_val) {
            *exit_now = cli_usage_error(ctx, cmd, "option '--%s' takes no value", o->name);
            return;
        }
        if (!add_value(a, idx, val)) {
            *exit_now = cli_usage_error(ctx, cmd, "option '--%s' given too many times", o->name);
            return;
        }
    }
    if (a->npos < cmd->min_pos || a->npos > cmd->max_pos) {
        if (a->npos < cmd->min_pos)
            *exit_now = cli_usage_error(ctx, cmd, "missing argument");
        else
            *exit_now = cli_usage_error(ctx, cmd, "unexpected argument '%s'", a->pos[cmd->max_pos]);
    }
}

static long opt_index(const cli_args *a, const char *name)
{
    return find_opt(a->cmd, name, strlen(name), 0);
}

const char *cli_get(const cli_args *a, const char *name)
{
    long i = opt_index(a, name);
    if (i < 0 || !a->nvals[i]) return NULL;
    return a->vals[i][a->nvals[i] - 1];
}

bool cli_flag(const cli_args *a, const char *name) { return cli_get(a, name) != NULL; }

size_t cli_get_all(const cli_args *a, const char *name, const char *const **vals)
{
    long i = opt_index(a, name);
    if (i < 0) {
        *vals = NULL;
        return 0;
    }
    *vals = a->vals[i];
    return a->nvals[i];
}

bool cli_get_size(const cli_args *a, cli_ctx *ctx, const char *name, uint64_t def, uint64_t *out)
{
    const char *s = cli_get(a, name);
    if (!s) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (end != s) {
        switch (*end) {
        case 'k': case 'K': mul = 1024; end++; break;
        case 'm': case 'M': mul = 1024 * 1024; end++; break;
        case 'g': case 'G': mul = 1024ull * 1024 * 1024; end++; break;
        default: break;
        }
    }
    if (end == s || *end || errno || s[0] == '-' || (mul > 1 && v > UINT64_MAX / mul)) {
        cli_usage_error(ctx, a->cmd, "option '--%s' needs a non-negative number, not '%s'", name, s);
        return false;
    }
    *out = v * mul;
    return true;
}

int cli_exit_for(ts_status st)
{
    switch (st) {
    case TS_OK: return CLI_EXIT_OK;
    case TS_ERR_USAGE: return CLI_EXIT_USAGE;
    case TS_ERR_MISMATCH: return CLI_EXIT_DAMAGED;
    case TS_ERR_NOT_FOUND:
    case TS_ERR_NETWORK:
    case TS_ERR_AUTH: return CLI_EXIT_UNAVAILABLE;
    case TS_ERR_REFUSED: return CLI_EXIT_REFUSED;
    case TS_ERR_CANCELLED: return CLI_EXIT_INTERRUPTED;
    case TS_ERR_NOMEM:
    case TS_ERR_LIMIT:
    case TS_ERR_IO:
    case TS_ERR_CORRUPT:
    case TS_ERR_UNSUPPORTED:
    case TS_ERR_REMOTE:
    case TS_ERR_INTERNAL: return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_ERROR;
}

int cli_exit_unchecked(ts_status st)
{
    if (st == TS_ERR_USAGE) return CLI_EXIT_USAGE;
    if (st == TS_ERR_CANCELLED) return CLI_EXIT_INTERRUPTED;
    return CLI_EXIT_UNAVAILABLE;
}

int cli_fail(cli_ctx *ctx, const ts_error *err)
{
    char msg[CLI_ERR_TEXT_MAX];
    ts_err_format(err, msg, sizeof msg);
    fprintf(ctx->err, "%s: error: %s\n", ctx->prog, msg);
    return cli_exit_for(err->code);
}

const cli_cmd *cli_find(const char *name)
{
    for (size_t i = 0; cli_commands[i]; i++)
        if (strcmp(cli_commands[i]->name, name) == 0) return cli_commands[i];
    return NULL;
}

void cli_progress_init(cli_progress *p, cli_ctx *ctx, int64_t interval_ns)
{
    /* last = 0: the first call draws at once. */
    *p = (cli_progress){.ctx = ctx, .t0 = ts_mono_ns(), .interval_ns = interval_ns};
}

bool cli_progress_due(cli_progress *p, bool final, double *secs)
{
    if (!p->ctx->err_tty) return false;
    int64_t now = ts_mono_ns();
    if (!final && now - p->last < p->interval_ns) return false;
    p->last = now;
    *secs = (double)(now - p->t0) / 1e9;
    if (*secs <= 0) *secs = 1e-9;
    fputs("\r\033[K", p->ctx->err);
    return true;
}

void cli_progress_drawn(cli_progress *p)
{
    fflush(p->ctx->err);
    p->shown = true;
}

void cli_progress_end(cli_progress *p, bool keep)
{
    if (p->shown) fputs(keep ? "\n" : "\r\033[K", p->ctx->err);
    p->shown = false;
}
