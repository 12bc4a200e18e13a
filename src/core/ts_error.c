/* Error records: first message wins, context accumulates outward. */
#include "ts_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ts_err_clear(ts_error *err)
{
    if (!err) return;
    err->code = TS_OK;
    err->sys_errno = 0;
    err->msg[0] = '\0';
    err->ctx[0] = '\0';
}

static ts_status err_vset(ts_error *err, ts_status code, int errnum, const char *fmt, va_list ap)
{
    if (!err) return code;
    if (err->code != TS_OK) return err->code;
    err->code = code;
    err->sys_errno = errnum;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (errnum) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
    }
    return code;
}

ts_status ts_err_set(ts_error *err, ts_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_status s = err_vset(err, code, 0, fmt, ap);
    va_end(ap);
    return s;
}

ts_status ts_err_errno(ts_error *err, ts_status code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ts_status s = err_vset(err, code, errnum, fmt, ap);
    va_end(ap);
    return s;
}

void ts_err_context(ts_error *err, const char *fmt, ...)
{
    if (!err) return;
    char add[TS_ERR_CTX_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(add, sizeof add, fmt, ap);
    va_end(ap);
    char old[TS_ERR_CTX_MAX];
    memcpy(old, err->ctx, sizeof old);
    if (old[0])
        snprintf(err->ctx, sizeof err->ctx, "%s: %s", add, old);
    else
        snprintf(err->ctx, sizeof err->ctx, "%s", add);
}

void ts_err_format(const ts_error *err, char *out, size_t outsz)
{
    if (!outsz) return;
    if (!err || err->code == TS_OK) {
        snprintf(out, outsz, "no error");
        return;
    }
    const char *msg = err->msg[0] ? err->msg : ts_status_name(err->code);
    if (err->ctx[0])
        snprintf(out, outsz, "%s: %s", err->ctx, msg);
    else
        snprintf(out, outsz, "%s", msg);
}

const char *ts_status_name(ts_status code)
{
    switch (code) {
    case TS_OK: return "ok";
    case TS_ERR_NOMEM: return "out of memory";
    case TS_ERR_LIMIT: return "limit exceeded";
    case TS_ERR_IO: return "i/o error";
    case TS_ERR_CORRUPT: return "corrupt input";
    case TS_ERR_UNSUPPORTED: return "not supported";
    case TS_ERR_USAGE: return "usage error";
    case TS_ERR_NOT_FOUND: return "not found";
    case TS_ERR_NETWORK: return "network error";
    case TS_ERR_REMOTE: return "service error";
    case TS_ERR_AUTH: return "authentication error";
    case TS_ERR_MISMATCH: return "mismatch";
    case TS_ERR_REFUSED: return "refused";
    case TS_ERR_CANCELLED: return "cancelled";
    case TS_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}
