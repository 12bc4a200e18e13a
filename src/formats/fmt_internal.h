/* Private to src/formats: the common head of every text source and sink
 * (so counts can be read without knowing the format) and shared helpers. */
#ifndef FMT_INTERNAL_H
#define FMT_INTERNAL_H

#include <string.h>

#include "core/ts_buf.h"
#include "formats/fmt.h"

typedef struct fmt_source_base {
    ts_source base;
    fmt_counts counts;
} fmt_source_base;

typedef struct fmt_sink_base {
    ts_sink base;
    fmt_counts counts;
} fmt_sink_base;

const fmt_schema_spec_entry *fmt_schema_spec_find(const fmt_schema_spec *s, const char *name,
                                                  size_t len);
/* Role a column gets when --schema names none (see fmt_schema_spec_parse). */
ts_role fmt_default_role(const char *name, ts_type t, bool *time_taken);
bool fmt_float_syntax(const char *s, size_t n);
/* true/True/TRUE/t/T and false/False/FALSE/f/F. */
bool fmt_parse_bool(const char *s, size_t n, bool *out);
/* Appends the line and "\n" to the reject file when there is one. */
ts_status fmt_reject_line(ts_output *reject, const char *line, size_t len, ts_error *err);

/* Type inference over text values (CSV cells, JSON strings). */
typedef struct fmt_infer {
    bool seen;     /* a non-NULL value was seen */
    bool can_bool, can_int, can_double, can_time;
    uint64_t first_line; /* where the first value was seen */
} fmt_infer;
void fmt_infer_init(fmt_infer *f);
void fmt_infer_text(fmt_infer *f, const char *s, size_t n, bool time_column, fmt_time_format tf);
/* The narrowest type every value fit: bool, int64, double, timestamp, else string. */
ts_type fmt_infer_result(const fmt_infer *f, bool time_column);

/* Text of a non-NULL cell: the string itself, or digits, RFC 3339 with 9
 * fraction digits, true/false, shortest exact double, NaN/Infinity/-Infinity.
 * buf needs 64 bytes. */
ts_status fmt_cell_text(const ts_batch *b, size_t c, size_t r, char *buf, size_t bufsz, const char **p,
                        size_t *n);

/* ---- records formatted in place (fmt_text_io.c) ---- */

/* Appends one record to L. Contract: when L is full it returns TS_ERR_LIMIT
 * without setting err, having changed nothing but L (no counts), so the
 * record can be made again; any other failure is final. */
typedef ts_status (*fmt_record_fn)(void *ctx, ts_buf *L, ts_error *err);

/* Writes one record: formatted straight into the output's pending block
 * (fmt_text_out_span) and, when it does not fit there, again into spill
 * (capped by its max) and written from it. TS_ERR_LIMIT / TS_ERR_NOMEM come
 * back without a message: the caller names the record. */
ts_status fmt_text_out_record(fmt_text_out *t, ts_buf *spill, fmt_record_fn fn, void *ctx, ts_error *err);

/* ---- fast number text (fmt_number.c) ---- */

/* Shortest round-trip decimal digits of a (> 0, 1e-5 <= a < 1e15) as the
 * integer *dv of *nd digits (no trailing zero) and the decimal exponent of
 * the first digit, exactly as fmt_double's printf/strtod search would find
 * them; false when a is outside what it handles. */
bool fmt_double_dec_fast(double a, uint64_t *dv, size_t *nd, int *x);
/* Copies n bytes; short runs (keys, tag values, digits) without a library
 * call: two overlapping word copies. Reads and writes stay within [0, n). */
static inline void fmt_copy_short(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *p = src;
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, p, 8);
        memcpy(&z, p + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &z, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, z;
        memcpy(&a, p, 4);
        memcpy(&z, p + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &z, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++) d[i] = p[i];
    } else {
        memcpy(d, p, n);
    }
}

/* Decimal digits of u (no NUL); returns the length (<= 20). */
size_t fmt_u64_digits(uint64_t u, char *out);
/* fmt_float_syntax text parsed exactly without strtod when the digits fit
 * 2^53 and the power of ten is exact; false means "use strtod". */
bool fmt_parse_f64_fast(const char *s, size_t n, double *out);

#endif
