/* The front end's shared pieces: a subcommand is a const table entry with its
 * options; parsing, --help and usage errors are produced here from the table,
 * and exit codes live in one enum. Only src/cli prints or exits. */
#ifndef CLI_H
#define CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ts_error.h"
#include "core/ts_time.h"
#include "formats/fmt.h"

/* Exit codes, pinned by the CLI tests and documented in README and --help. */
typedef enum cli_exit {
    CLI_EXIT_OK = 0,           /* everything asked for was done and checked */
    CLI_EXIT_ERROR = 1,        /* the operation failed */
    CLI_EXIT_USAGE = 2,        /* bad command line */
    CLI_EXIT_DAMAGED = 3,      /* verification found damage or a mismatch */
    CLI_EXIT_UNAVAILABLE = 4,  /* could not read/reach what was named (not found, network, auth) */
    CLI_EXIT_PARTIAL = 5,      /* finished, but some records were rejected or skipped */
    CLI_EXIT_REFUSED = 6,      /* a safety interlock refused (cleanup, retention) */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM: stopped cleanly, resumable */
} cli_exit;

typedef struct cli_opt {
    const char *name;    /* long name without "--" */
    char short_name;     /* 0 for none */
    const char *metavar; /* NULL for a flag */
    const char *help;
    bool repeatable;
} cli_opt;

#define CLI_MAX_OPTS 48
#define CLI_MAX_VALUES 64

typedef struct cli_cmd cli_cmd;

typedef struct cli_args {
    const cli_cmd *cmd;
    size_t npos;
    char **pos;
    size_t nvals[CLI_MAX_OPTS];
    const char *vals[CLI_MAX_OPTS][CLI_MAX_VALUES];
} cli_args;

typedef struct cli_ctx {
    FILE *out;          /* results */
    FILE *err;          /* diagnostics and progress */
    bool out_tty;       /* stdout is a terminal */
    bool err_tty;       /* stderr is a terminal: progress allowed */
    volatile sig_atomic_t *cancel; /* set by SIGINT/SIGTERM */
    const char *prog;   /* "tsarchive" */
} cli_ctx;

struct cli_cmd {
    const char *name;
    const char *summary;     /* one line for the command list */
    const char *usage;       /* after "tsarchive NAME ": "[options] FILE" */
    const char *description; /* paragraphs shown by --help; may be NULL */
    const cli_opt *opts;     /* terminated by {0} */
    size_t min_pos, max_pos; /* positional argument bounds */
    int (*run)(const cli_args *a, cli_ctx *ctx);
};

/* Parses argv (after the command name). On --help prints help and sets
 * *exit_now = CLI_EXIT_OK; on a usage error prints it and sets
 * *exit_now = CLI_EXIT_USAGE. */
void cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a, cli_ctx *ctx, int *exit_now);
void cli_print_help(const cli_cmd *cmd, FILE *f);

/* Last value of an option, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_flag(const cli_args *a, const char *name);
/* All values of a repeatable option. */
size_t cli_get_all(const cli_args *a, const char *name, const char *const **vals);
/* Parses an unsigned option with an optional K/M/G suffix; prints the usage
 * error itself and returns false when malformed. */
bool cli_get_size(const cli_args *a, cli_ctx *ctx, const char *name, uint64_t def, uint64_t *out);

/* Room for a ts_error formatted by ts_err_format. */
#define CLI_ERR_TEXT_MAX (TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8)

/* Prints "tsarchive CMD: error: <ctx>: <msg>" and maps the status to an exit code. */
int cli_fail(cli_ctx *ctx, const ts_error *err);
int cli_exit_for(ts_status st);
/* The exit code of a check that could not be made (verify, cleanup's plan):
 * 2 for a usage error, 130 when interrupted, else 4 (whatever the cause). */
int cli_exit_unchecked(ts_status st);
/* Prints a usage error and returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_ctx *ctx, const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A progress line on stderr, redrawn in place: only on a terminal, at most
 * once per interval (the final call always draws). */
typedef struct cli_progress {
    cli_ctx *ctx;
    int64_t t0, last, interval_ns;
    bool shown;
} cli_progress;

void cli_progress_init(cli_progress *p, cli_ctx *ctx, int64_t interval_ns);
/* True when a line is due now; it then clears the line and sets *secs to the
 * time since init (never 0). The caller prints the text and calls
 * cli_progress_drawn(). */
bool cli_progress_due(cli_progress *p, bool final, double *secs);
void cli_progress_drawn(cli_progress *p);
/* Leaves the last line visible (keep) or erases it, when one was drawn. */
void cli_progress_end(cli_progress *p, bool keep);

/* The command table (cmd_table.c). */
extern const cli_cmd *const cli_commands[];
const cli_cmd *cli_find(const char *name);

/* Shared option values (cli_opts.c). --precision: ns|n, us|u, ms, s. */
bool cli_parse_precision(const char *s, ts_epoch_unit *u);
/* --time-format: rfc3339|iso8601|auto, s, ms, us, ns. */
bool cli_parse_time_format(const char *s, fmt_time_format *t);
/* --NAME TIME (RFC 3339 or a date) into *v; false after printing a usage
 * error. *has = whether the option was given. */
bool cli_parse_time_opt(const cli_args *a, cli_ctx *ctx, const char *name, bool *has, int64_t *v);
/* The options given, as a JSON object for the audit log: a flag is true, a
 * repeatable option an array, any other its last value. `value` (may be
 * NULL) makes the JSON of a single value, so a command can redact the
 * secrets a URL may carry; NULL from it means a plain string. */
typedef struct json_t json_t; /* jansson's; only commands that write JSON include it */
json_t *cli_args_json(const cli_args *a, json_t *(*value)(const char *opt, const char *v));

/* A whole number without sign ("12"), the whole of s; false when s is NULL,
 * empty, negative or has anything after the digits. */
bool cli_parse_u64(const char *s, uint64_t *out);
/* --NAME N in [min, max] into *out, left as it is when the option is absent;
 * false when malformed or out of range (the caller prints its own message). */
bool cli_get_range(const cli_args *a, const char *name, uint64_t min, uint64_t max, uint64_t *out);
/* --prefix P (default timestream-archive/) into prefix with one trailing
 * '/'. With relative, a P that holds ".." or starts with '/' is refused:
 * false after printing the usage error. */
bool cli_get_prefix(const cli_args *a, cli_ctx *ctx, bool relative, char *prefix, size_t size);
/* Prints j on stdout as one line (compact, keys sorted) and frees it. */
void cli_print_json(cli_ctx *ctx, json_t *j);
/* Sets o's "error" to the formatted err. */
void cli_json_set_error(json_t *o, const ts_error *err);

#endif
