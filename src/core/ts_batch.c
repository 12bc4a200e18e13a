/* Schema and column batch storage. */
#include "ts_batch.h"

#include <string.h>
#include <strings.h>

#include "ts_alloc.h"

void ts_schema_init(ts_schema *s)
{
    s->ncols = 0;
    s->cap = 0;
    s->fields = NULL;
}

void ts_schema_free(ts_schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->ncols; i++) ts_free(s->fields[i].name);
    ts_free(s->fields);
    ts_schema_init(s);
}

ts_status ts_schema_add(ts_schema *s, const char *name, ts_type type, ts_role role, bool nullable)
{
    if (s->ncols == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        ts_field *f = ts_realloc(s->fields, ncap * sizeof *f);
        if (!f) return TS_ERR_NOMEM;
        s->fields = f;
        s->cap = ncap;
    }
    char *n = ts_strdup(name);
    if (!n) return TS_ERR_NOMEM;
    s->fields[s->ncols++] = (ts_field){.name = n, .type = type, .role = role, .nullable = nullable};
    return TS_OK;
}

long ts_schema_find(const ts_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->fields[i].name, name) == 0) return (long)i;
    return -1;
}

ts_status ts_schema_copy(ts_schema *dst, const ts_schema *src)
{
    ts_schema_init(dst);
    for (size_t i = 0; i < src->ncols; i++) {
        const ts_field *f = &src->fields[i];
        ts_status st = ts_schema_add(dst, f->name, f->type, f->role, f->nullable);
        if (st != TS_OK) {
            ts_schema_free(dst);
            return st;
        }
    }
    return TS_OK;
}

bool ts_schema_equal(const ts_schema *a, const ts_schema *b)
{
    if (a->ncols != b->ncols) return false;
    for (size_t i = 0; i < a->ncols; i++) {
        const ts_field *x = &a->fields[i], *y = &b->fields[i];
        if (strcmp(x->name, y->name) || x->type != y->type || x->role != y->role ||
            x->nullable != y->nullable)
            return false;
    }
    return true;
}

const char *ts_type_name(ts_type t)
{
    switch (t) {
    case TS_TYPE_TIMESTAMP: return "timestamp";
    case TS_TYPE_STRING: return "string";
    case TS_TYPE_DOUBLE: return "double";
    case TS_TYPE_INT64: return "int64";
    case TS_TYPE_BOOL: return "bool";
    }
    return "?";
}

const char *ts_role_name(ts_role r)
{
    switch (r) {
    case TS_ROLE_TIME: return "time";
    case TS_ROLE_DIMENSION: return "dimension";
    case TS_ROLE_MEASURE_NAME: return "measure_name";
    case TS_ROLE_MEASURE: return "measure";
    }
    return "?";
}

bool ts_type_parse(const char *s, ts_type *out)
{
    static const struct { const char *name; ts_type t; } names[] = {
        {"timestamp", TS_TYPE_TIMESTAMP}, {"time", TS_TYPE_TIMESTAMP},
        {"string", TS_TYPE_STRING},       {"varchar", TS_TYPE_STRING},
        {"double", TS_TYPE_DOUBLE},       {"float", TS_TYPE_DOUBLE},
        {"int64", TS_TYPE_INT64},         {"bigint", TS_TYPE_INT64},
        {"int", TS_TYPE_INT64},           {"integer", TS_TYPE_INT64},
        {"bool", TS_TYPE_BOOL},           {"boolean", TS_TYPE_BOOL},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].t;
            return true;
        }
    return false;
}

bool ts_role_parse(const char *s, ts_role *out)
{
    static const struct { const char *name; ts_role r; } names[] = {
        {"time", TS_ROLE_TIME},
        {"timestamp", TS_ROLE_TIME},
        {"dimension", TS_ROLE_DIMENSION},
        {"tag", TS_ROLE_DIMENSION},
        {"measure_name", TS_ROLE_MEASURE_NAME},
        {"measure", TS_ROLE_MEASURE},
        {"field", TS_ROLE_MEASURE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].r;
            return true;
        }
    return false;
}

static size_t type_width(ts_type t)
{
    switch (t) {
    case TS_TYPE_TIMESTAMP:
    case TS_TYPE_INT64: return sizeof(int64_t);
    case TS_TYPE_DOUBLE: return sizeof(double);
    case TS_TYPE_BOOL: return 1;
    case TS_TYPE_STRING: return sizeof(ts_str);
    }
    return 8;
}

ts_status ts_batch_init(ts_batch *b, const ts_schema *schema, size_t capacity)
{
    memset(b, 0, sizeof *b);
    b->schema = schema;
    b->capacity = capacity ? capacity : TS_BATCH_DEFAULT_ROWS;
    ts_arena_init(&b->strings, 256 * 1024);
    b->cols = ts_calloc(schema->ncols ? schema->ncols : 1, sizeof *b->cols);
    if (!b->cols) return TS_ERR_NOMEM;
    size_t vbytes = (b->capacity + 7) / 8;
    for (size_t i = 0; i < schema->ncols; i++) {
        ts_column *c = &b->cols[i];
        c->validity = ts_calloc(vbytes, 1);
        c->v.b8 = ts_malloc(b->capacity * type_width(schema->fields[i].type));
        if (!c->validity || !c->v.b8) {
            ts_batch_free(b);
            return TS_ERR_NOMEM;
        }
    }
    return TS_OK;
}

void ts_batch_free(ts_batch *b)
{
    if (!b || !b->cols) return;
    for (size_t i = 0; i < b->schema->ncols; i++) {
        ts_free(b->cols[i].validity);
        ts_free(b->cols[i].v.b8);
    }
    ts_free(b->cols);
    b->cols = NULL;
    ts_arena_free(&b->strings);
    b->nrows = 0;
}

void ts_batch_reset(ts_batch *b)
{
    size_t vbytes = (b->capacity + 7) / 8;
    for (size_t i = 0; i < b->schema->ncols; i++) {
        memset(b->cols[i].validity, 0, vbytes);
        b->cols[i].null_count = 0;
    }
    b->nrows = 0;
    ts_arena_reset(&b->strings);
}

static inline void mark(ts_batch *b, size_t col, size_t row, bool valid)
{
    uint8_t *v = &b->cols[col].validity[row >> 3];
    uint8_t bit = (uint8_t)(1u << (row & 7));
    if (valid)
        *v |= bit;
    else
        *v &= (uint8_t)~bit;
}

void ts_batch_set_null(ts_batch *b, size_t col, size_t row)
{
    mark(b, col, row, false);
    b->cols[col].null_count++;
}

void ts_batch_set_i64(ts_batch *b, size_t col, size_t row, int64_t v)
{
    b->cols[col].v.i64[row] = v;
    mark(b, col, row, true);
}

void ts_batch_set_f64(ts_batch *b, size_t col, size_t row, double v)
{
    b->cols[col].v.f64[row] = v;
    mark(b, col, row, true);
}

void ts_batch_set_bool(ts_batch *b, size_t col, size_t row, bool v)
{
    b->cols[col].v.b8[row] = v ? 1 : 0;
    mark(b, col, row, true);
}

ts_status ts_batch_set_str(ts_batch *b, size_t col, size_t row, const char *p, size_t len)
{
    char *d = ts_arena_strndup(&b->strings, p, len);
    if (!d) return TS_ERR_NOMEM;
    ts_batch_set_str_ref(b, col, row, d, len);
    return TS_OK;
}

void ts_batch_set_str_ref(ts_batch *b, size_t col, size_t row, const char *p, size_t len)
{
    b->cols[col].v.str[row] = (ts_str){.ptr = p, .len = len};
    mark(b, col, row, true);
}

bool ts_batch_col_dense(const ts_batch *b, size_t col)
{
    const uint8_t *v = b->cols[col].validity;
    size_t whole = b->nrows >> 3;
    for (size_t i = 0; i < whole; i++)
        if (v[i] != 0xff) return false;
    size_t rest = b->nrows & 7;
    return rest == 0 || (v[whole] & ((1u << rest) - 1)) == ((1u << rest) - 1);
}
