/* One status enum for every fallible function, and the caller-owned error
 * record that carries the detail (what, where, what to do). */
#ifndef TS_ERROR_H
#define TS_ERROR_H

#include <stddef.h>

typedef enum ts_status {
    TS_OK = 0,
    TS_ERR_NOMEM,       /* allocation failed */
    TS_ERR_LIMIT,       /* a hard cap was exceeded (buffer, line, page size) */
    TS_ERR_IO,          /* local read/write/fsync/rename failed */
    TS_ERR_CORRUPT,     /* input is malformed: a file, page, line or response */
    TS_ERR_UNSUPPORTED, /* valid input we do not handle (nested schema, codec) */
    TS_ERR_USAGE,       /* the caller asked for something impossible */
    TS_ERR_NOT_FOUND,   /* a file, object, table or key does not exist */
    TS_ERR_NETWORK,     /* connection-level failure */
    TS_ERR_REMOTE,      /* a service answered with an error */
    TS_ERR_AUTH,        /* credentials missing or refused */
    TS_ERR_MISMATCH,    /* a verification found a difference */
    TS_ERR_REFUSED,     /* a safety interlock refused the operation */
    TS_ERR_CANCELLED,   /* interrupted by a signal or the caller */
    TS_ERR_INTERNAL     /* a bug: an invariant did not hold */
} ts_status;

#define TS_ERR_MSG_MAX 1024
#define TS_ERR_CTX_MAX 512

/* Detail of the first failure. The first, most specific message wins:
 * ts_err_set() does nothing when a message is already present. Outer layers
 * add where it happened with ts_err_context(), which prepends. */
typedef struct ts_error {
    ts_status code;
    int sys_errno;                /* errno at the failure, or 0 */
    char msg[TS_ERR_MSG_MAX];     /* what went wrong (and what to do) */
    char ctx[TS_ERR_CTX_MAX];     /* where: "file x.parquet: column time: page 3" */
} ts_error;

void ts_err_clear(ts_error *err);

/* Records code + message unless an error is already recorded; returns the
 * recorded code (so `return ts_err_set(...)` propagates the first one). */
ts_status ts_err_set(ts_error *err, ts_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like ts_err_set, appending ": strerror(errno)" and keeping errno. */
ts_status ts_err_errno(ts_error *err, ts_status code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "<context>: " to the context chain. Safe with err == NULL. */
void ts_err_context(ts_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ctx: msg" into out (always NUL-terminated). */
void ts_err_format(const ts_error *err, char *out, size_t outsz);

/* Stable lower-case name of a status ("corrupt", "io", ...). */
const char *ts_status_name(ts_status code);

/* The one propagation macro: return the status of expr when it is not TS_OK. */
#define TS_TRY(expr)                                                         \
    do {                                                                     \
        ts_status ts_try_status_ = (expr);                                   \
        if (ts_try_status_ != TS_OK) return ts_try_status_;                  \
    } while (0)

#endif
