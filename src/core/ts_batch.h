/* The column batch every source yields and every sink consumes: a schema
 * (name, type, role per column) and up to `capacity` rows stored column by
 * column, with validity bits and one string arena. */
#ifndef TS_BATCH_H
#define TS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ts_arena.h"
#include "ts_error.h"

typedef enum ts_type {
    TS_TYPE_TIMESTAMP, /* int64 nanoseconds since the epoch, UTC */
    TS_TYPE_STRING,    /* UTF-8 bytes (ts_str into the batch arena) */
    TS_TYPE_DOUBLE,
    TS_TYPE_INT64,
    TS_TYPE_BOOL
} ts_type;

typedef enum ts_role {
    TS_ROLE_TIME,
    TS_ROLE_DIMENSION,
    TS_ROLE_MEASURE_NAME,
    TS_ROLE_MEASURE
} ts_role;

#define TS_BATCH_DEFAULT_ROWS 65536

typedef struct ts_field {
    char *name;    /* owned by the schema */
    ts_type type;
    ts_role role;
    bool nullable;
} ts_field;

typedef struct ts_schema {
    size_t ncols;
    size_t cap;
    ts_field *fields;
} ts_schema;

typedef struct ts_str {
    const char *ptr; /* not NUL-terminated in general */
    size_t len;
} ts_str;

typedef struct ts_column {
    uint8_t *validity; /* bit r set = row r non-NULL (always allocated) */
    size_t null_count; /* ts_batch_set_null calls since the last reset */
    union {
        int64_t *i64; /* TIMESTAMP, INT64 */
        double *f64;
        uint8_t *b8;  /* BOOL: 0 or 1 */
        ts_str *str;
    } v;
} ts_column;

typedef struct ts_batch {
    const ts_schema *schema; /* borrowed: must outlive the batch */
    const char *table;       /* borrowed: the table/measurement these rows belong to, or NULL */
    size_t nrows;
    size_t capacity;
    ts_column *cols;
    ts_arena strings;        /* bytes of every ts_str in this batch */
} ts_batch;

/* Schema. ts_schema_free(NULL) is a no-op. */
void ts_schema_init(ts_schema *s);
void ts_schema_free(ts_schema *s);
ts_status ts_schema_add(ts_schema *s, const char *name, ts_type type, ts_role role, bool nullable);
/* Index of the column named `name`, or -1. */
long ts_schema_find(const ts_schema *s, const char *name);
ts_status ts_schema_copy(ts_schema *dst, const ts_schema *src);
bool ts_schema_equal(const ts_schema *a, const ts_schema *b);

const char *ts_type_name(ts_type t);    /* "timestamp", "string", ... */
const char *ts_role_name(ts_role r);    /* "time", "dimension", ... */
/* Parse the names above (also "dimension"→, "measure_name", "double", "bigint"...). */
bool ts_type_parse(const char *s, ts_type *out);
bool ts_role_parse(const char *s, ts_role *out);

/* Batch. Allocates `capacity` rows for every column of the schema. */
ts_status ts_batch_init(ts_batch *b, const ts_schema *schema, size_t capacity);
void ts_batch_free(ts_batch *b);
/* Empties the batch (rows and string arena), keeping the storage. */
void ts_batch_reset(ts_batch *b);

static inline bool ts_batch_valid(const ts_batch *b, size_t col, size_t row)
{
    return (b->cols[col].validity[row >> 3] >> (row & 7)) & 1;
}

/* True when no row of column col is NULL: one look per batch lets a writer
 * skip the per-cell test. */
bool ts_batch_col_dense(const ts_batch *b, size_t col);

/* Setters for row `row` (< capacity); the caller bumps nrows. A non-NULL
 * setter marks the cell valid; ts_batch_set_null clears it. */
void ts_batch_set_null(ts_batch *b, size_t col, size_t row);
void ts_batch_set_i64(ts_batch *b, size_t col, size_t row, int64_t v);
void ts_batch_set_f64(ts_batch *b, size_t col, size_t row, double v);
void ts_batch_set_bool(ts_batch *b, size_t col, size_t row, bool v);
/* Copies the bytes into the batch arena. TS_ERR_NOMEM on failure. */
ts_status ts_batch_set_str(ts_batch *b, size_t col, size_t row, const char *p, size_t len);
/* Points at bytes the caller keeps alive as long as the batch row. */
void ts_batch_set_str_ref(ts_batch *b, size_t col, size_t row, const char *p, size_t len);

#endif
