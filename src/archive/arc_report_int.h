/* Internals shared by the report's renderers: a sticky-status writer and
 * readers of the model's fields that tolerate absence. */
#ifndef ARC_REPORT_INT_H
#define ARC_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ts_buf.h"

typedef struct rw {
    ts_buf *b;
    ts_status st; /* the first failure; later writes are skipped */
    ts_status (*esc)(ts_buf *out, const char *s); /* the format's escaping */
    const char *em_open, *em_close;               /* its emphasis ("<i>" / "*") */
} rw;

/* Writers shared by the HTML and Markdown renderers; each escapes with
 * w->esc and emphasises with w->em_open/em_close. */
void rw_raw(rw *w, const char *s);               /* as is */
void rw_esc(rw *w, const char *s);               /* escaped */
void rw_escf(rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string field escaped; when absent "-" as is, or `absent` emphasised. */
void rw_field(rw *w, const json_t *o, const char *k, const char *absent);
void rw_num(rw *w, const json_t *o, const char *k); /* "1,234" */
/* "1 file" / "3 files" */
void rw_numw(rw *w, const json_t *o, const char *k, const char *one, const char *many);
void rw_bytes(rw *w, uint64_t v);                /* "50.8 kB (50,801 bytes)" */
void rw_yesno(rw *w, const json_t *o, const char *k); /* yes / no / unknown */
void rw_optnum(rw *w, const json_t *o, const char *k); /* the integer or "-" */

/* A string field or NULL. */
static inline const char *rs(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* An unsigned integer field, 0 when absent or negative. */
static inline uint64_t ru(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

static inline bool rb(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

#endif
