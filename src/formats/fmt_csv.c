/* CSV (RFC 4180: quotes, embedded commas and newlines, CRLF) with a header
 * line: a source whose types come from --schema or from a bounded prefix of
 * the file, and a sink writing one table with RFC 3339 nanosecond times. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

/* ======================= record reader ======================= */

typedef struct csv_cell {
    size_t off, len;
    bool quoted;
} csv_cell;

typedef struct csv_reader {
    fmt_text_in *in;
    ts_buf rec;  /* unescaped cell bytes, each NUL-terminated */
    ts_buf raw;  /* the record as read (for the reject file) */
    csv_cell *cells;
    size_t ncells, cap;
    uint64_t line; /* first line of the record */
} csv_reader;

static ts_status push_cell(csv_reader *r, size_t off, bool quoted, ts_error *err)
{
    if (r->ncells == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 32;
        if (nc > FMT_MAX_COLUMNS + 1) nc = FMT_MAX_COLUMNS + 1;
        if (r->ncells >= nc)
            return ts_err_set(err, TS_ERR_LIMIT, "%s:%llu: more than %d fields in a record",
                              fmt_text_in_name(r->in), (unsigned long long)r->line, FMT_MAX_COLUMNS);
        csv_cell *c = ts_realloc(r->cells, nc * sizeof *c);
        if (!c) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        r->cells = c;
        r->cap = nc;
    }
    r->cells[r->ncells++] = (csv_cell){.off = off, .len = 0, .quoted = quoted};
    return TS_OK;
}

static ts_status rec_byte(csv_reader *r, char c, ts_error *err)
{
    if (ts_buf_append_byte(&r->rec, (uint8_t)c) != TS_OK)
        return ts_err_set(err, TS_ERR_LIMIT, "%s:%llu: record is longer than the %zu-byte limit",
                          fmt_text_in_name(r->in), (unsigned long long)r->line, TS_MAX_LINE);
    return TS_OK;
}

static ts_status rec_bytes(csv_reader *r, const char *p, size_t n, ts_error *err)
{
    if (ts_buf_append(&r->rec, p, n) != TS_OK)
        return ts_err_set(err, TS_ERR_LIMIT, "%s:%llu: record is longer than the %zu-byte limit",
                          fmt_text_in_name(r->in), (unsigned long long)r->line, TS_MAX_LINE);
    return TS_OK;
}

/* Reads the next record; *eof at the end. Blank lines are skipped. */
static ts_status csv_read(csv_reader *r, bool *eof, ts_error *err)
{
    *eof = false;
    const char *s;
    size_t n;
    for (;;) {
        TS_TRY(fmt_text_in_line(r->in, &s, &n, err));
        if (!s) {
            *eof = true;
            return TS_OK;
        }
        if (n == 0 || (n == 1 && s[0] == '\r')) continue;
        break;
    }
    r->line = fmt_text_in_lineno(r->in);
    ts_buf_clear(&r->rec);
    ts_buf_clear(&r->raw);
    r->ncells = 0;
    if (ts_buf_append(&r->raw, s, n) != TS_OK)
        return ts_err_set(err, TS_ERR_LIMIT, "%s:%llu: record too long", fmt_text_in_name(r->in),
                          (unsigned long long)r->line);
    size_t p = 0;
    bool at_start = true;
    for (;;) {
        /* at a cell start */
        if (at_start) {
            bool q = p < n && s[p] == '"';
            TS_TRY(push_cell(r, r->rec.len, q, err));
            at_start = false;
            if (q) {
                p++;
                uint64_t qline = fmt_text_in_lineno(r->in);
                size_t qcol = p;
                for (;;) {
                    if (p >= n) {
                        /* the quoted cell goes on on the next line */
                        TS_TRY(rec_byte(r, '\n', err));
                        TS_TRY(fmt_text_in_line(r->in, &s, &n, err));
                        if (!s)
                            return ts_err_set(err, TS_ERR_CORRUPT,
                                              "%s:%llu:%zu: quoted field is never closed",
                                              fmt_text_in_name(r->in), (unsigned long long)qline, qcol);
                        if (ts_buf_append_byte(&r->raw, '\n') != TS_OK || ts_buf_append(&r->raw, s, n) != TS_OK)
                            return ts_err_set(err, TS_ERR_LIMIT, "%s:%llu: record too long",
                                              fmt_text_in_name(r->in), (unsigned long long)r->line);
                        p = 0;
                        continue;
                    }
                    if (s[p] == '"') {
                        if (p + 1 < n && s[p + 1] == '"') {
                            TS_TRY(rec_byte(r, '"', err));
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    /* copy up to the next quote (or the line's end) at once */
                    const char *qt = memchr(s + p, '"', n - p);
                    size_t e = qt ? (size_t)(qt - s) : n;
                    TS_TRY(rec_bytes(r, s + p, e - p, err));
                    p = e;
                }
                csv_cell *c = &r->cells[r->ncells - 1];
                c->len = r->rec.len - c->off;
                TS_TRY(rec_byte(r, 0, err));
                if (p < n && s[p] == ',') {
                    p++;
                    at_start = true;
                    continue;
                }
                if (p == n || (p + 1 == n && s[p] == '\r')) return TS_OK;
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "%s:%llu:%zu: unexpected character after a closing quote (a quote "
                                  "inside a quoted field is written \"\")",
                                  fmt_text_in_name(r->in),
                                  (unsigned long long)fmt_text_in_lineno(r->in), p + 1);
            }
            const char *cm = memchr(s + p, ',', n - p);
            size_t e = cm ? (size_t)(cm - s) : n;
            size_t end = e;
            if (e == n && end > p && s[end - 1] == '\r') end--;
            TS_TRY(rec_bytes(r, s + p, end - p, err));
            csv_cell *c = &r->cells[r->ncells - 1];
            c->len = r->rec.len - c->off;
            TS_TRY(rec_byte(r, 0, err));
            if (e < n) {
                p = e + 1;
                at_start = true;
                continue;
            }
            return TS_OK;
        }
    }
}

static const char *cell_ptr(const csv_reader *r, size_t i) { return (const char *)r->rec.data + r->cells[i].off; }

/* ======================= source ======================= */

typedef struct csv_source {
    fmt_source_base b;
    csv_reader r;
    fmt_read_opts o;
    char *table;
    ts_schema schema;
    bool *inferred; /* per column: type guessed, not given */
    ts_batch batch;
    bool has_batch, done;
    ts_status poisoned;
} csv_source;

static const char *type_hint(ts_type t)
{
    switch (t) {
    case TS_TYPE_TIMESTAMP: return "a timestamp";
    case TS_TYPE_STRING: return "a string";
    case TS_TYPE_DOUBLE: return "a double";
    case TS_TYPE_INT64: return "an int64";
    case TS_TYPE_BOOL: return "a bool";
    }
    return "?";
}

/* Parses one cell into the batch; false (with the reason in err) when it does not fit. */
static ts_status set_cell(csv_source *s, size_t c, size_t row, const char *v, size_t n, bool quoted,
                          ts_error *err)
{
    ts_batch *b = &s->batch;
    const ts_field *f = &s->schema.fields[c];
    if (n == 0 && !(quoted && f->type == TS_TYPE_STRING)) {
        ts_batch_set_null(b, c, row);
        return TS_OK;
    }
    bool ok = true;
    switch (f->type) {
    case TS_TYPE_STRING:
        if (ts_batch_set_str(b, c, row, v, n) != TS_OK) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return TS_OK;
    case TS_TYPE_INT64: {
        int64_t x;
        ok = fmt_parse_i64(v, n, &x);
        if (ok) ts_batch_set_i64(b, c, row, x);
        break;
    }
    case TS_TYPE_DOUBLE: {
        double x;
        ok = fmt_parse_f64(v, n, true, &x);
        if (ok) ts_batch_set_f64(b, c, row, x);
        break;
    }
    case TS_TYPE_BOOL: {
        bool x;
        ok = fmt_parse_bool(v, n, &x);
        if (ok) ts_batch_set_bool(b, c, row, x);
        break;
    }
    case TS_TYPE_TIMESTAMP: {
        int64_t x;
        ok = fmt_parse_time(v, n, f->role == TS_ROLE_TIME ? s->o.time_format : FMT_TIME_AUTO, &x);
        if (ok) ts_batch_set_i64(b, c, row, x);
        break;
    }
    }
    if (ok) return TS_OK;
    if (s->inferred[c])
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "column '%s' was inferred as %s from the first %zu rows, but '%.*s' is "
                          "not; pass --schema %s:TYPE (e.g. string)",
                          f->name, ts_type_name(f->type), s->o.infer_rows, (int)(n > 80 ? 80 : n), v, f->name);
    return ts_err_set(err, TS_ERR_CORRUPT, "column '%s': '%.*s' is not %s%s", f->name,
                      (int)(n > 80 ? 80 : n), v, type_hint(f->type),
                      f->type == TS_TYPE_TIMESTAMP ? " (RFC 3339, or pass --time-format s|ms|us|ns)" : "");
}

static ts_status csv_next(ts_source *src, const ts_batch **out, ts_error *err)
{
    csv_source *s = (csv_source *)src;
    *out = NULL;
    if (s->poisoned) return ts_err_set(err, s->poisoned, "CSV source failed earlier");
    if (s->done) return TS_OK;
    ts_batch *b = &s->batch;
    ts_batch_reset(b);
    while (b->nrows < b->capacity) {
        bool eof;
        ts_status st = csv_read(&s->r, &eof, err);
        if (st != TS_OK) return s->poisoned = st;
        if (eof) {
            s->done = true;
            break;
        }
        ts_error lerr;
        ts_err_clear(&lerr);
        if (s->r.ncells != s->schema.ncols) {
            st = ts_err_set(&lerr, TS_ERR_CORRUPT, "the record has %zu fields but the header has %zu",
                            s->r.ncells, s->schema.ncols);
        } else {
            for (size_t c = 0; c < s->schema.ncols && st == TS_OK; c++)
                st = set_cell(s, c, b->nrows, cell_ptr(&s->r, c), s->r.cells[c].len, s->r.cells[c].quoted, &lerr);
        }
        if (st != TS_OK)
            ts_err_context(&lerr, "%s:%llu", fmt_text_in_name(s->r.in), (unsigned long long)s->r.line);
        bool skip;
        st = fmt_source_outcome(&s->b, &s->o, st, &lerr, (const char *)s->r.raw.data, s->r.raw.len, &skip, err);
        if (st != TS_OK) return s->poisoned = st;
        if (!skip) b->nrows++;
    }
    if (b->nrows) *out = b;
    return TS_OK;
}

static void csv_close(ts_source *src)
{
    csv_source *s = (csv_source *)src;
    if (!s) return;
    if (s->has_batch) ts_batch_free(&s->batch);
    ts_schema_free(&s->schema);
    ts_free(s->inferred);
    ts_free(s->table);
    ts_buf_free(&s->r.rec);
    ts_buf_free(&s->r.raw);
    ts_free(s->r.cells);
    fmt_text_in_free(s->r.in);
    ts_free(s);
}

static const ts_source_ops csv_source_ops = {.kind = "csv", .next = csv_next, .close = csv_close};

static bool is_time_name(const char *n) { return strcasecmp(n, "time") == 0; }

/* Builds the schema from the header, --schema and (for the rest) inference. */
static ts_status csv_setup(csv_source *s, ts_error *err)
{
    fmt_schema_spec spec = {0};
    if (s->o.schema) TS_TRY(fmt_schema_spec_parse(s->o.schema, &spec, err));
    ts_status st = TS_OK;
    bool eof;
    st = csv_read(&s->r, &eof, err);
    if (st == TS_OK && eof)
        st = ts_err_set(err, TS_ERR_CORRUPT, "%s is empty: a CSV needs a header line",
                        fmt_text_in_name(s->r.in));
    size_t nc = s->r.ncells;
    /* a UTF-8 byte order mark (spreadsheet exports) is not part of the first name */
    if (st == TS_OK && nc && s->r.cells[0].len >= 3 && memcmp(cell_ptr(&s->r, 0), "\xEF\xBB\xBF", 3) == 0) {
        s->r.cells[0].off += 3;
        s->r.cells[0].len -= 3;
    }
    char **names = NULL;
    fmt_infer *inf = NULL;
    ts_type *types = NULL;
    if (st == TS_OK) {
        names = ts_calloc(nc, sizeof *names);
        inf = ts_calloc(nc, sizeof *inf);
        types = ts_calloc(nc, sizeof *types);
        s->inferred = ts_calloc(nc, sizeof *s->inferred);
        if (!names || !inf || !types || !s->inferred) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    bool need_infer = false;
    for (size_t c = 0; st == TS_OK && c < nc; c++) {
        names[c] = ts_strndup(cell_ptr(&s->r, c), s->r.cells[c].len);
        if (!names[c]) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        if (!names[c][0] || strlen(names[c]) != s->r.cells[c].len)
            st = ts_err_set(err, TS_ERR_CORRUPT, "%s:%llu: header field %zu is empty", fmt_text_in_name(s->r.in),
                            (unsigned long long)s->r.line, c + 1);
        for (size_t k = 0; st == TS_OK && k < c; k++)
            if (strcmp(names[k], names[c]) == 0)
                st = ts_err_set(err, TS_ERR_CORRUPT, "%s:%llu: column '%s' appears twice in the header",
                                fmt_text_in_name(s->r.in), (unsigned long long)s->r.line, names[c]);
        fmt_infer_init(&inf[c]);
        const fmt_schema_spec_entry *e = fmt_schema_spec_find(&spec, names[c], strlen(names[c]));
        if (e)
            types[c] = e->type;
        else
            need_infer = s->inferred[c] = true;
    }
    for (size_t i = 0; st == TS_OK && i < spec.n; i++) {
        size_t c = 0;
        while (c < nc && strcmp(names[c], spec.e[i].name) != 0) c++;
        if (c == nc)
            st = ts_err_set(err, TS_ERR_USAGE, "--schema names column '%s', which the CSV header lacks",
                            spec.e[i].name);
    }
    if (st == TS_OK && need_infer) {
        for (size_t row = 0; row < s->o.infer_rows; row++) {
            st = csv_read(&s->r, &eof, err);
            if (st != TS_OK || eof) break;
            if (s->r.ncells != nc) continue; /* reported by the real pass */
            for (size_t c = 0; c < nc; c++) {
                if (!s->inferred[c] || s->r.cells[c].len == 0) continue;
                fmt_infer_text(&inf[c], cell_ptr(&s->r, c), s->r.cells[c].len, is_time_name(names[c]),
                               s->o.time_format);
            }
        }
        if (st == TS_OK) st = fmt_text_in_rewind(s->r.in, err);
        if (st == TS_OK) st = csv_read(&s->r, &eof, err); /* the header again */
        for (size_t c = 0; st == TS_OK && c < nc; c++) {
            if (!s->inferred[c]) continue;
            types[c] = fmt_infer_result(&inf[c], is_time_name(names[c]));
            if (is_time_name(names[c]) && types[c] != TS_TYPE_TIMESTAMP)
                st = ts_err_set(err, TS_ERR_CORRUPT,
                                "%s: column '%s' does not hold RFC 3339 times in the first %zu rows; "
                                "pass --time-format s|ms|us|ns for epoch numbers, or --schema",
                                fmt_text_in_name(s->r.in), names[c], s->o.infer_rows);
        }
    }
    /* Roles: an explicit time wins, then a timestamp column named "time",
     * then the first timestamp column. */
    bool time_taken = fmt_schema_spec_has_time(&spec);
    size_t time_col = SIZE_MAX;
    for (size_t c = 0; st == TS_OK && c < nc && !time_taken; c++) {
        const fmt_schema_spec_entry *e = fmt_schema_spec_find(&spec, names[c], strlen(names[c]));
        if (!(e && e->has_role) && is_time_name(names[c]) && types[c] == TS_TYPE_TIMESTAMP) {
            time_col = c;
            time_taken = true;
        }
    }
    for (size_t c = 0; st == TS_OK && c < nc; c++)
        st = fmt_schema_add_column(&s->schema, &spec, "column", names[c], types[c], c == time_col, &time_taken,
                                   err);
    if (st == TS_OK) st = fmt_source_batch(&s->batch, &s->schema, &s->o, s->table, &s->has_batch, err);
    for (size_t c = 0; names && c < nc; c++) ts_free(names[c]);
    ts_free(names);
    ts_free(inf);
    ts_free(types);
    fmt_schema_spec_free(&spec);
    return st;
}

ts_status csv_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err)
{
    *out = NULL;
    csv_source *s = fmt_source_alloc(sizeof *s, &csv_source_ops, in, err);
    if (!s) return TS_ERR_NOMEM;
    s->r.in = in;
    ts_buf_init(&s->r.rec, TS_MAX_LINE + FMT_MAX_COLUMNS + 1);
    ts_buf_init(&s->r.raw, TS_MAX_LINE + 1);
    ts_schema_init(&s->schema);
    ts_status st = fmt_source_opts(o, in, &s->o, &s->table, err);
    if (st == TS_OK) st = csv_setup(s, err);
    if (st != TS_OK) {
        csv_close(&s->b.base);
        return st;
    }
    *out = &s->b.base;
    return TS_OK;
}

/* ======================= sink ======================= */

typedef struct csv_sink {
    fmt_text_sink t;
    ts_schema schema; /* of the first batch; later ones must match */
    char *table;
    bool started;
} csv_sink;

static ts_status put_text(ts_buf *L, const char *p, size_t n, bool quote_empty)
{
    bool q = (n == 0 && quote_empty);
    for (size_t i = 0; i < n && !q; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r') q = true;
    if (!q) return ts_buf_append(L, p, n);
    TS_TRY(ts_buf_append_byte(L, '"'));
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') TS_TRY(ts_buf_append_byte(L, '"'));
        TS_TRY(ts_buf_append_byte(L, (uint8_t)p[i]));
    }
    return ts_buf_append_byte(L, '"');
}

/* Text of a non-NULL, non-string cell (shared with JSON Lines). */
ts_status fmt_cell_text(const ts_batch *b, size_t c, size_t r, char *buf, size_t bufsz, const char **p,
                        size_t *n)
{
    const ts_column *col = &b->cols[c];
    *p = buf;
    switch (b->schema->fields[c].type) {
    case TS_TYPE_STRING:
        *p = col->v.str[r].ptr;
        *n = col->v.str[r].len;
        break;
    case TS_TYPE_INT64: *n = fmt_i64(col->v.i64[r], buf); break;
    case TS_TYPE_TIMESTAMP: *n = ts_time_format(col->v.i64[r], buf); break;
    case TS_TYPE_BOOL: *n = (size_t)snprintf(buf, bufsz, "%s", col->v.b8[r] ? "true" : "false"); break;
    case TS_TYPE_DOUBLE: {
        double v = col->v.f64[r];
        if (isnan(v))
            *n = (size_t)snprintf(buf, bufsz, "NaN");
        else if (isinf(v))
            *n = (size_t)snprintf(buf, bufsz, "%s", v > 0 ? "Infinity" : "-Infinity");
        else
            *n = fmt_double(v, buf, bufsz);
        break;
    }
    }
    return TS_OK;
}

/* One row (fmt_record_fn: a full L is TS_ERR_LIMIT, nothing else changed). */
static ts_status csv_record(void *ctx, ts_buf *L, ts_error *err)
{
    const fmt_row *x = ctx;
    const ts_batch *b = x->b;
    char num[64];
    for (size_t c = 0; c < b->schema->ncols; c++) {
        if (c) TS_TRY(ts_buf_append_byte(L, ','));
        if (!ts_batch_valid(b, c, x->r)) continue;
        const char *p;
        size_t n;
        TS_TRY(fmt_cell_text(b, c, x->r, num, sizeof num, &p, &n));
        TS_TRY(b->schema->fields[c].type == TS_TYPE_STRING ? put_text(L, p, n, true) : ts_buf_append(L, p, n));
    }
    (void)err;
    return ts_buf_append_byte(L, '\n');
}

static ts_status csv_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    csv_sink *s = (csv_sink *)sk;
    ts_buf *L = &s->t.line;
    if (!s->started) {
        if (ts_schema_copy(&s->schema, b->schema) != TS_OK) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        if (b->table && !(s->table = ts_strdup(b->table))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        ts_buf_clear(L);
        for (size_t c = 0; c < b->schema->ncols; c++) {
            if (c) TS_TRY(ts_buf_append_byte(L, ','));
            const char *nm = b->schema->fields[c].name;
            TS_TRY(put_text(L, nm, strlen(nm), true));
        }
        TS_TRY(ts_buf_append_byte(L, '\n'));
        TS_TRY(fmt_text_out_write(s->t.out, L->data, L->len, err));
        s->started = true;
    } else {
        bool same_table = (!b->table && !s->table) || (b->table && s->table && strcmp(b->table, s->table) == 0);
        if (!same_table)
            return ts_err_set(err, TS_ERR_USAGE,
                              "the input has several tables ('%s' and '%s') but a CSV file holds "
                              "one: pick one with --table NAME or put {table} in the output name",
                              s->table ? s->table : "", b->table ? b->table : "");
        if (b->schema != &s->schema && !ts_schema_equal(b->schema, &s->schema))
            return ts_err_set(err, TS_ERR_USAGE,
                              "the columns of table '%s' changed within the input; a CSV file has one header",
                              b->table ? b->table : "");
    }
    return fmt_text_sink_rows(&s->t, b, csv_record, "CSV", err);
}

static void csv_sink_close(ts_sink *sk)
{
    csv_sink *s = (csv_sink *)sk;
    if (!s) return;
    fmt_text_sink_release(&s->t);
    ts_schema_free(&s->schema);
    ts_free(s->table);
    ts_free(s);
}

static const ts_sink_ops csv_sink_ops = {
    .kind = "csv", .write = csv_write, .finish = fmt_text_sink_finish, .close = csv_sink_close};

ts_status csv_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink, ts_error *err)
{
    (void)o;
    *sink = NULL;
    csv_sink *s = fmt_text_sink_alloc(sizeof *s, &csv_sink_ops, out, err);
    if (!s) return TS_ERR_NOMEM;
    ts_schema_init(&s->schema);
    *sink = &s->t.b.base;
    return TS_OK;
}
