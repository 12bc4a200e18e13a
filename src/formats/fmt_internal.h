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

/* ---- shared by the CSV and JSON Lines sources and sinks (fmt_text_base.c) ---- */

/* A zeroed source of `size` bytes (a struct that starts with fmt_source_base)
 * with its ops set. NULL when out of memory, with err set and `in` freed
 * (the source owns `in` from the call on). */
void *fmt_source_alloc(size_t size, const ts_source_ops *ops, fmt_text_in *in, ts_error *err);
/* Fills *dst with the options a text source reads with: *o (the defaults
 * when NULL) with infer_rows defaulted and the table name: --table, else
 * the input's file stem ("dir/energy.csv.gz" -> "energy", "data" for
 * standard input). *table owns that name (the caller frees it, also on
 * failure); dst->table borrows it. */
ts_status fmt_source_opts(const fmt_read_opts *o, const fmt_text_in *in, fmt_read_opts *dst, char **table,
                          ts_error *err);
/* ts_batch_init of o->batch_rows (or the default) rows for the table name
 * (borrowed); *has_batch = true once there is one to free. */
ts_status fmt_source_batch(ts_batch *b, const ts_schema *schema, const fmt_read_opts *o, const char *table,
                           bool *has_batch, ts_error *err);

/* What a text source does with the outcome st of one record (its message in
 * *lerr): TS_OK counts the row; a TS_ERR_CORRUPT record under
 * --skip-bad-lines is counted as a bad line, copied to the reject file when
 * there is one (line, len; NULL when the record has no text of its own), and
 * *skip set; any other failure is returned with *lerr moved to err. Inline:
 * it runs once per record. */
static inline ts_status fmt_source_outcome(fmt_source_base *b, const fmt_read_opts *o, ts_status st,
                                           const ts_error *lerr, const char *line, size_t len, bool *skip,
                                           ts_error *err)
{
    *skip = false;
    if (st == TS_ERR_CORRUPT && o->skip_bad_lines && line) {
        b->counts.bad_lines++;
        *skip = true;
        return fmt_reject_line(o->reject, line, len, err);
    }
    if (st != TS_OK) {
        *err = *lerr;
        return st;
    }
    b->counts.rows++;
    return TS_OK;
}

/* true when --schema gives some column the time role. */
bool fmt_schema_spec_has_time(const fmt_schema_spec *spec);
/* Adds column `name` of type t to schema with the role --schema gives it,
 * else time when is_time_col, else fmt_default_role; a time role on a
 * non-timestamp is TS_ERR_USAGE naming it as `what` ("column", "key"). */
ts_status fmt_schema_add_column(ts_schema *schema, const fmt_schema_spec *spec, const char *what,
                                const char *name, ts_type t, bool is_time_col, bool *time_taken, ts_error *err);

/* The common head of the CSV and JSON Lines sinks. */
typedef struct fmt_text_sink {
    fmt_sink_base b;
    fmt_text_out *out;
    ts_buf line; /* a record that does not fit the output's block (TS_MAX_LINE) */
} fmt_text_sink;

/* What a text sink's fmt_record_fn gets as ctx: row r of batch b. */
typedef struct fmt_row {
    const fmt_text_sink *s;
    const ts_batch *b;
    size_t r;
} fmt_row;

/* A zeroed sink of `size` bytes (a struct that starts with fmt_text_sink)
 * with ops, out and the line buffer set. NULL when out of memory, with err
 * set and `out` freed (the sink owns `out` from the call on). */
void *fmt_text_sink_alloc(size_t size, const ts_sink_ops *ops, fmt_text_out *out, ts_error *err);
/* Writes every row of b as one fn record (ctx: a fmt_row) and counts them;
 * a row that does not fit TS_MAX_LINE is an error naming format_name. */
ts_status fmt_text_sink_rows(fmt_text_sink *s, const ts_batch *b, fmt_record_fn fn, const char *format_name,
                             ts_error *err);
/* The ts_sink_ops finish of a fmt_text_sink. */
ts_status fmt_text_sink_finish(ts_sink *sk, ts_error *err);
/* Frees what fmt_text_sink_alloc set up (out and line), not the struct. */
void fmt_text_sink_release(fmt_text_sink *s);

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
