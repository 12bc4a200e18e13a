/* Opening an archive ROOT the way every subcommand does: AWS configuration
 * and client when the root is s3:// (or the command needs AWS), the storage,
 * and the run's audit log; closed in reverse order by one call. */
#ifndef CLI_ROOT_H
#define CLI_ROOT_H

#include <jansson.h>
#include <stdbool.h>

#include "archive/arc_audit.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "cli.h"
#include "core/ts_error.h"

/* What is checked of a ROOT that is not s3:// before it is opened. */
typedef enum cli_root_check {
    CLI_ROOT_CHECK_NONE,      /* nothing: the storage decides (export writes a new root) */
    CLI_ROOT_CHECK_DIR,       /* must be a directory, else "ROOT: no such directory" */
    CLI_ROOT_CHECK_LOCAL_DIR, /* the same for a ROOT without "://" only; other schemes are
                               * left to the storage ("unsupported archive root") */
    CLI_ROOT_CHECK_EXISTS,    /* must exist, else "archive root ROOT: <strerror>" */
} cli_root_check;

typedef struct cli_root_opts {
    bool need_aws;          /* AWS configuration and client even when ROOT is not s3:// */
    const char *region;     /* region override for the configuration (NULL: AWS_REGION etc.) */
    cli_root_check check;
    const char *command;    /* open this command's audit log under audit_prefix; NULL: none
                             * (or later, with cli_root_audit_open) */
    const char *audit_prefix;
    const char *audit_root; /* the log goes to a storage of its own at this root (cleanup
                             * without --archive); NULL: into ROOT */
} cli_root_opts;

typedef struct cli_root {
    bool aws;                 /* cfg loaded and client made */
    aws_config cfg;           /* zeroed when !aws */
    aws_client *client;       /* NULL when !aws */
    arc_storage *storage;     /* ROOT; NULL when no ROOT was given */
    arc_storage *audit_store; /* where the audit log is written: storage or its own */
    const char *audit_prefix;
    char run_id[33];
    arc_audit *audit;         /* NULL until the log is opened */
    bool chain_ok;            /* the existing chain checked out (true when no log) */
} cli_root;

/* Zeroes r; cli_root_close is then safe whatever happens next. */
void cli_root_init(cli_root *r);

/* Initialises r and opens ROOT (may be NULL: AWS only) as o says, then the
 * audit log when o->command is set. On failure r holds what was opened so
 * far; cli_root_close frees it either way. */
ts_status cli_root_open(cli_root *r, const char *root, const cli_root_opts *o, ts_error *err);

/* Starts this run's audit log (a new run id, linked to the chain's head)
 * under prefix, on audit_root's own storage when given, else on ROOT's.
 * For commands that check something between opening ROOT and the log. */
ts_status cli_root_audit_open(cli_root *r, const char *command, const char *prefix,
                              const char *audit_root, ts_error *err);

/* Adds an entry (fields stolen; dropped when no log is open) and, with
 * flush, writes the log; returns the write's status (TS_OK without a log). */
ts_status cli_root_audit(cli_root *r, const char *event, json_t *fields, bool flush,
                         ts_error *err);

/* Writes (replaces) the run's log with every entry so far; TS_OK without a log. */
ts_status cli_root_audit_flush(cli_root *r, ts_error *err);

/* The "end" entry: fields plus "error" (the formatted *failed) when failed
 * is not NULL, written when flush. Returns the write's status. */
ts_status cli_root_audit_end(cli_root *r, json_t *fields, const ts_error *failed, bool flush,
                             ts_error *err);

/* Warns on stderr that the audit log could not be written:
 * "PROG COMMAND: warning: cannot write the audit log: <e>". */
void cli_root_warn_write(cli_ctx *ctx, const char *command, const ts_error *e);

/* When the existing chain did not check out, warns on stderr:
 * "PROG COMMAND: warning: the audit log under WHEREPREFIX is broken (see …)". */
void cli_root_warn_chain(const cli_root *r, cli_ctx *ctx, const char *command, const char *where,
                         const char *prefix);

/* Frees the audit log, the storages, the client and the configuration
 * (reverse order); r is zeroed again. */
void cli_root_close(cli_root *r);

#endif
