/* JSON Lines: one object per row. The sink writes keys in column order with
 * exact numbers and RFC 3339 nanosecond times; the source takes objects with
 * consistent keys, typed by --schema or inferred from a bounded prefix. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

/* ======================= source ======================= */

typedef struct jl_col {
    char *name;
    ts_type type;
    bool inferred;
    /* inference */
    bool seen, has_int, has_real, has_bool, has_str, has_special;
    fmt_infer text;
} jl_col;

typedef struct jsonl_source {
    fmt_source_base b;
    fmt_text_in *in;
    fmt_read_opts o;
    char *default_table;
    jl_col *cols;
    size_t ncols, cap;
    ts_schema schema;
    ts_batch batch;
    bool has_batch, done;
    json_t *pending;        /* a row of the next table (table_key mode) */
    uint64_t pending_line;
    char *cur_table, *next_table;
    ts_status poisoned;
} jsonl_source;

static ts_status parse_obj(jsonl_source *s, const char *line, size_t len, json_t **out, bool *empty,
                           ts_error *err)
{
    *out = NULL;
    *empty = false;
    size_t p = 0;
    while (p < len && (line[p] == ' ' || line[p] == '\t' || line[p] == '\r')) p++;
    if (p == len) {
        *empty = true;
        return TS_OK;
    }
    json_error_t je;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j)
        return ts_err_set(err, TS_ERR_CORRUPT, "%s:%llu:%d: invalid JSON: %s", fmt_text_in_name(s->in),
                          (unsigned long long)fmt_text_in_lineno(s->in), je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return ts_err_set(err, TS_ERR_CORRUPT, "%s:%llu: a JSON Lines row must be an object",
                          fmt_text_in_name(s->in), (unsigned long long)fmt_text_in_lineno(s->in));
    }
    *out = j;
    return TS_OK;
}

static long col_index(jsonl_source *s, const char *key)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, key) == 0) return (long)i;
    return -1;
}

static ts_status add_col(jsonl_source *s, const char *key, ts_error *err)
{
    if (s->ncols >= FMT_MAX_COLUMNS) return ts_err_set(err, TS_ERR_LIMIT, "more than %d keys", FMT_MAX_COLUMNS);
    if (s->ncols == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        jl_col *c = ts_realloc(s->cols, nc * sizeof *c);
        if (!c) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        s->cols = c;
        s->cap = nc;
    }
    jl_col *c = &s->cols[s->ncols];
    memset(c, 0, sizeof *c);
    c->name = ts_strdup(key);
    if (!c->name) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    c->inferred = true;
    fmt_infer_init(&c->text);
    s->ncols++;
    return TS_OK;
}

static bool is_special(const char *v)
{
    return strcmp(v, "NaN") == 0 || strcmp(v, "Infinity") == 0 || strcmp(v, "-Infinity") == 0;
}

static void observe(jsonl_source *s, jl_col *c, json_t *v)
{
    if (json_is_null(v)) return;
    c->seen = true;
    if (json_is_integer(v))
        c->has_int = true;
    else if (json_is_real(v))
        c->has_real = true;
    else if (json_is_boolean(v))
        c->has_bool = true;
    else if (json_is_string(v)) {
        const char *t = json_string_value(v);
        if (is_special(t))
            c->has_special = true;
        else {
            c->has_str = true;
            fmt_infer_text(&c->text, t, json_string_length(v), strcmp(c->name, "time") == 0,
                           s->o.time_format);
        }
    } else {
        c->has_str = c->has_int = c->has_bool = true; /* nested: reported as mixed */
    }
}

static ts_status decide(jsonl_source *s, jl_col *c, ts_error *err)
{
    bool is_time = strcmp(c->name, "time") == 0;
    int kinds = (c->has_int || c->has_real) + c->has_bool + c->has_str;
    if (kinds > 1 || (c->has_special && (c->has_bool || c->has_str)))
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "%s: key '%s' mixes value types in the first %zu rows; pass --schema %s:TYPE",
                          fmt_text_in_name(s->in), c->name, s->o.infer_rows, c->name);
    if (c->has_real || c->has_special)
        c->type = TS_TYPE_DOUBLE;
    else if (c->has_int)
        c->type = (is_time && s->o.time_format >= FMT_TIME_EPOCH_S) ? TS_TYPE_TIMESTAMP : TS_TYPE_INT64;
    else if (c->has_bool)
        c->type = TS_TYPE_BOOL;
    else if (c->has_str)
        c->type = (c->text.can_time) ? TS_TYPE_TIMESTAMP : TS_TYPE_STRING;
    else
        c->type = is_time ? TS_TYPE_TIMESTAMP : TS_TYPE_STRING;
    if (is_time && c->type != TS_TYPE_TIMESTAMP)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "%s: key 'time' does not hold RFC 3339 times; pass --time-format s|ms|us|ns "
                          "for epoch numbers, or --schema",
                          fmt_text_in_name(s->in));
    return TS_OK;
}

static ts_status set_value(jsonl_source *s, size_t c, size_t row, json_t *v, ts_error *err)
{
    ts_batch *b = &s->batch;
    const ts_field *f = &s->schema.fields[c];
    if (!v || json_is_null(v)) {
        ts_batch_set_null(b, c, row);
        return TS_OK;
    }
    bool ok = false;
    switch (f->type) {
    case TS_TYPE_STRING:
        if (json_is_string(v)) {
            if (ts_batch_set_str(b, c, row, json_string_value(v), json_string_length(v)) != TS_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            ok = true;
        }
        break;
    case TS_TYPE_INT64:
        if (json_is_integer(v)) {
            ts_batch_set_i64(b, c, row, (int64_t)json_integer_value(v));
            ok = true;
        }
        break;
    case TS_TYPE_DOUBLE:
        if (json_is_number(v)) {
            ts_batch_set_f64(b, c, row, json_number_value(v));
            ok = true;
        } else if (json_is_string(v)) {
            double d;
            if (is_special(json_string_value(v)) &&
                fmt_parse_f64(json_string_value(v), json_string_length(v), true, &d)) {
                ts_batch_set_f64(b, c, row, d);
                ok = true;
            }
        }
        break;
    case TS_TYPE_BOOL:
        if (json_is_boolean(v)) {
            ts_batch_set_bool(b, c, row, json_is_true(v));
            ok = true;
        }
        break;
    case TS_TYPE_TIMESTAMP: {
        int64_t ns;
        fmt_time_format tf = f->role == TS_ROLE_TIME ? s->o.time_format : FMT_TIME_AUTO;
        if (json_is_string(v))
            ok = ts_time_parse(json_string_value(v), json_string_length(v), &ns) ||
                 fmt_parse_time(json_string_value(v), json_string_length(v), tf, &ns);
        else if (json_is_integer(v) && tf >= FMT_TIME_EPOCH_S) {
            char t[32];
            int k = snprintf(t, sizeof t, "%lld", (long long)json_integer_value(v));
            ok = fmt_parse_time(t, (size_t)k, tf, &ns);
        }
        if (ok) ts_batch_set_i64(b, c, row, ns);
        break;
    }
    }
    if (ok) return TS_OK;
    char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    ts_status st = ts_err_set(err, TS_ERR_CORRUPT,
                              "key '%s': %.80s is not %s%s", f->name, txt ? txt : "value",
                              f->type == TS_TYPE_STRING ? "a string" : ts_type_name(f->type),
                              s->cols[c].inferred ? " (type inferred from the first rows; pass --schema)" : "");
    free(txt);
    return st;
}

/* Fills one row; *table gets the table-key value (borrowed from j). */
static ts_status fill_row(jsonl_source *s, json_t *j, const char **table, ts_error *err)
{
    *table = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        if (s->o.table_key && strcmp(key, s->o.table_key) == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return ts_err_set(err, TS_ERR_CORRUPT, "table key '%s' is not a non-empty string", key);
            *table = json_string_value(v);
            continue;
        }
        if (col_index(s, key) < 0)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "key '%s' did not appear in the first %zu rows; pass --schema naming "
                              "every key (or raise --infer-rows)",
                              key, s->o.infer_rows);
    }
    if (s->o.table_key && !*table)
        return ts_err_set(err, TS_ERR_CORRUPT, "the row has no table key '%s'", s->o.table_key);
    size_t row = s->batch.nrows;
    for (size_t c = 0; c < s->ncols; c++)
        TS_TRY(set_value(s, c, row, json_object_get(j, s->cols[c].name), err));
    return TS_OK;
}

static ts_status jl_next(ts_source *src, const ts_batch **out, ts_error *err)
{
    jsonl_source *s = (jsonl_source *)src;
    *out = NULL;
    if (s->poisoned) return ts_err_set(err, s->poisoned, "JSON Lines source failed earlier");
    ts_batch *b = &s->batch;
    ts_batch_reset(b);
    if (s->next_table) {
        ts_free(s->cur_table);
        s->cur_table = s->next_table;
        s->next_table = NULL;
        b->table = s->cur_table;
    }
    while (b->nrows < b->capacity) {
        json_t *j = NULL;
        uint64_t lineno;
        ts_error lerr;
        ts_err_clear(&lerr);
        ts_status st;
        const char *text = NULL;
        size_t len = 0;
        if (s->pending) {
            j = s->pending;
            s->pending = NULL;
            lineno = s->pending_line;
            st = TS_OK;
        } else {
            if (s->done) break;
            st = fmt_text_in_line(s->in, &text, &len, err);
            if (st != TS_OK) return s->poisoned = st;
            if (!text) {
                s->done = true;
                break;
            }
            lineno = fmt_text_in_lineno(s->in);
            bool empty;
            st = parse_obj(s, text, len, &j, &empty, &lerr);
            if (st == TS_OK && empty) continue;
        }
        const char *table = NULL;
        if (st == TS_OK) {
            st = fill_row(s, j, &table, &lerr);
            if (st != TS_OK) ts_err_context(&lerr, "%s:%llu", fmt_text_in_name(s->in), (unsigned long long)lineno);
        }
        if (st == TS_OK && s->o.table_key && (!s->cur_table || strcmp(table, s->cur_table) != 0)) {
            if (b->nrows > 0) {
                /* this row starts the next batch */
                s->next_table = ts_strdup(table);
                s->pending = j;
                s->pending_line = lineno;
                if (!s->next_table) return s->poisoned = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            ts_free(s->cur_table);
            s->cur_table = ts_strdup(table);
            if (!s->cur_table) {
                json_decref(j);
                return s->poisoned = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            }
            b->table = s->cur_table;
            ts_batch_reset(b);
            st = fill_row(s, j, &table, &lerr);
        }
        json_decref(j);
        bool skip;
        st = fmt_source_outcome(&s->b, &s->o, st, &lerr, text, len, &skip, err);
        if (st != TS_OK) return s->poisoned = st;
        if (!skip) b->nrows++;
    }
    if (b->nrows) *out = b;
    return TS_OK;
}

static void jl_close(ts_source *src)
{
    jsonl_source *s = (jsonl_source *)src;
    if (!s) return;
    if (s->has_batch) ts_batch_free(&s->batch);
    ts_schema_free(&s->schema);
    for (size_t i = 0; i < s->ncols; i++) ts_free(s->cols[i].name);
    ts_free(s->cols);
    json_decref(s->pending);
    ts_free(s->cur_table);
    ts_free(s->next_table);
    ts_free(s->default_table);
    fmt_text_in_free(s->in);
    ts_free(s);
}

static const ts_source_ops jsonl_source_ops = {.kind = "jsonl", .next = jl_next, .close = jl_close};

static ts_status jl_setup(jsonl_source *s, ts_error *err)
{
    fmt_schema_spec spec = {0};
    if (s->o.schema) TS_TRY(fmt_schema_spec_parse(s->o.schema, &spec, err));
    ts_status st = TS_OK;
    /* Inference pass over a bounded prefix; the input is then rewound. */
    size_t rows = 0;
    while (st == TS_OK && rows < s->o.infer_rows) {
        const char *text;
        size_t len;
        st = fmt_text_in_line(s->in, &text, &len, err);
        if (st != TS_OK || !text) break;
        json_t *j;
        bool empty;
        ts_error lerr;
        ts_err_clear(&lerr);
        if (parse_obj(s, text, len, &j, &empty, &lerr) != TS_OK || empty) continue; /* reported later */
        rows++;
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v) {
            if (s->o.table_key && strcmp(key, s->o.table_key) == 0) continue;
            long c = col_index(s, key);
            if (c < 0) {
                st = add_col(s, key, err);
                if (st != TS_OK) break;
                c = (long)s->ncols - 1;
                const fmt_schema_spec_entry *e = fmt_schema_spec_find(&spec, key, strlen(key));
                if (e) {
                    s->cols[c].type = e->type;
                    s->cols[c].inferred = false;
                }
            }
            if (s->cols[c].inferred) observe(s, &s->cols[c], v);
        }
        json_decref(j);
    }
    if (st == TS_OK) st = fmt_text_in_rewind(s->in, err);
    /* keys the schema names but the first rows lack come last */
    for (size_t i = 0; i < spec.n && st == TS_OK; i++) {
        if (col_index(s, spec.e[i].name) >= 0) continue;
        st = add_col(s, spec.e[i].name, err);
        if (st == TS_OK) {
            s->cols[s->ncols - 1].type = spec.e[i].type;
            s->cols[s->ncols - 1].inferred = false;
        }
    }
    bool time_taken = fmt_schema_spec_has_time(&spec);
    long tcol = col_index(s, "time");
    for (size_t c = 0; st == TS_OK && c < s->ncols; c++)
        if (s->cols[c].inferred) st = decide(s, &s->cols[c], err);
    if (st == TS_OK && tcol >= 0 && !time_taken && s->cols[tcol].type == TS_TYPE_TIMESTAMP) {
        const fmt_schema_spec_entry *e = fmt_schema_spec_find(&spec, "time", 4);
        if (!(e && e->has_role)) time_taken = true;
        else tcol = -1;
    } else {
        tcol = -1;
    }
    for (size_t c = 0; st == TS_OK && c < s->ncols; c++)
        st = fmt_schema_add_column(&s->schema, &spec, "key", s->cols[c].name, s->cols[c].type, (long)c == tcol,
                                   &time_taken, err);
    if (st == TS_OK && s->ncols == 0)
        st = ts_err_set(err, TS_ERR_CORRUPT, "%s has no rows to take keys from (pass --schema)",
                        fmt_text_in_name(s->in));
    if (st == TS_OK) st = fmt_source_batch(&s->batch, &s->schema, &s->o, s->default_table, &s->has_batch, err);
    fmt_schema_spec_free(&spec);
    return st;
}

ts_status jsonl_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err)
{
    *out = NULL;
    jsonl_source *s = fmt_source_alloc(sizeof *s, &jsonl_source_ops, in, err);
    if (!s) return TS_ERR_NOMEM;
    s->in = in;
    ts_schema_init(&s->schema);
    ts_status st = fmt_source_opts(o, in, &s->o, &s->default_table, err);
    if (st == TS_OK) st = jl_setup(s, err);
    if (st != TS_OK) {
        jl_close(&s->b.base);
        return st;
    }
    *out = &s->b.base;
    return TS_OK;
}

/* ======================= sink ======================= */

typedef struct jsonl_sink {
    fmt_text_sink t;
    const ts_schema *keys_for;
    char **keys; /* "\"name\":" per column, JSON-escaped */
    size_t nkeys;
} jsonl_sink;

static ts_status json_str(ts_buf *L, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    TS_TRY(ts_buf_append_byte(L, '"'));
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        TS_TRY(ts_buf_append(L, p + run, i - run));
        run = i + 1;
        char e[7] = {'\\', 0};
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
            TS_TRY(ts_buf_append(L, e, 6));
            continue;
        }
        TS_TRY(ts_buf_append(L, e, 2));
    }
    TS_TRY(ts_buf_append(L, p + run, n - run));
    return ts_buf_append_byte(L, '"');
}

static void keys_free(jsonl_sink *s)
{
    for (size_t i = 0; i < s->nkeys; i++) ts_free(s->keys[i]);
    ts_free(s->keys);
    s->keys = NULL;
    s->nkeys = 0;
    s->keys_for = NULL;
}

/* One row (fmt_record_fn: a full L is TS_ERR_LIMIT, nothing else changed). */
static ts_status jl_record(void *ctx, ts_buf *L, ts_error *err)
{
    const fmt_row *x = ctx;
    const jsonl_sink *s = (const jsonl_sink *)x->s;
    const ts_batch *b = x->b;
    size_t r = x->r;
    char num[64];
    for (size_t c = 0; c < b->schema->ncols; c++) {
        TS_TRY(ts_buf_append_str(L, s->keys[c]));
        if (!ts_batch_valid(b, c, r)) {
            TS_TRY(ts_buf_append(L, "null", 4));
            continue;
        }
        const char *p;
        size_t n;
        TS_TRY(fmt_cell_text(b, c, r, num, sizeof num, &p, &n));
        ts_type t = b->schema->fields[c].type;
        double d = t == TS_TYPE_DOUBLE ? b->cols[c].v.f64[r] : 0;
        if (t == TS_TYPE_STRING || t == TS_TYPE_TIMESTAMP || (t == TS_TYPE_DOUBLE && !isfinite(d)))
            TS_TRY(json_str(L, p, n));
        else
            TS_TRY(ts_buf_append(L, p, n)); /* doubles keep ".0": read back as doubles */
    }
    if (b->schema->ncols == 0) TS_TRY(ts_buf_append_byte(L, '{'));
    (void)err;
    return ts_buf_append(L, "}\n", 2);
}

static ts_status jl_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    jsonl_sink *s = (jsonl_sink *)sk;
    ts_buf *L = &s->t.line;
    bool same = s->keys_for == b->schema && s->nkeys == b->schema->ncols;
    for (size_t c = 0; same && c < s->nkeys; c++) {
        const char *k = s->keys[c] + 2; /* after '{' or ',' and the quote */
        size_t n = strlen(b->schema->fields[c].name);
        same = strncmp(k, b->schema->fields[c].name, n) == 0 && k[n] == '"';
    }
    if (!same) {
        keys_free(s);
        s->keys = ts_calloc(b->schema->ncols + 1, sizeof *s->keys);
        if (!s->keys) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t c = 0; c < b->schema->ncols; c++) {
            ts_buf_clear(L);
            const char *nm = b->schema->fields[c].name;
            TS_TRY(ts_buf_append_str(L, c ? ",": "{"));
            TS_TRY(json_str(L, nm, strlen(nm)));
            TS_TRY(ts_buf_append_byte(L, ':'));
            TS_TRY(ts_buf_nul(L));
            s->keys[c] = ts_strdup((const char *)L->data);
            if (!s->keys[c]) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            s->nkeys = c + 1;
        }
        s->keys_for = b->schema;
    }
    return fmt_text_sink_rows(&s->t, b, jl_record, "JSON Lines", err);
}

static void jl_sink_close(ts_sink *sk)
{
    jsonl_sink *s = (jsonl_sink *)sk;
    if (!s) return;
    keys_free(s);
    fmt_text_sink_release(&s->t);
    ts_free(s);
}

static const ts_sink_ops jsonl_sink_ops = {
    .kind = "jsonl", .write = jl_write, .finish = fmt_text_sink_finish, .close = jl_sink_close};

ts_status jsonl_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink, ts_error *err)
{
    (void)o;
    *sink = NULL;
    jsonl_sink *s = fmt_text_sink_alloc(sizeof *s, &jsonl_sink_ops, out, err);
    if (!s) return TS_ERR_NOMEM;
    *sink = &s->t.b.base;
    return TS_OK;
}
