/* Timestream Query pages → typed column batches: ColumnInfo, ScalarValue
 * strings, NullValue. Pure (no network), so it has its own fuzz target. */
#include "aws_timestream.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ts_alloc.h"
#include "core/ts_time.h"


/* ---- scalar types ---- */

static const char *const scalar_names[] = {
    [AWS_TS_VARCHAR] = "VARCHAR",
    [AWS_TS_BOOLEAN] = "BOOLEAN",
    [AWS_TS_BIGINT] = "BIGINT",
    [AWS_TS_INTEGER] = "INTEGER",
    [AWS_TS_DOUBLE] = "DOUBLE",
    [AWS_TS_TIMESTAMP] = "TIMESTAMP",
    [AWS_TS_DATE] = "DATE",
    [AWS_TS_TIME] = "TIME",
    [AWS_TS_INTERVAL_DAY_TO_SECOND] = "INTERVAL_DAY_TO_SECOND",
    [AWS_TS_INTERVAL_YEAR_TO_MONTH] = "INTERVAL_YEAR_TO_MONTH",
    [AWS_TS_UNKNOWN] = "UNKNOWN",
};

bool aws_ts_scalar_parse(const char *s, aws_ts_scalar *out)
{
    for (size_t i = 0; i < sizeof scalar_names / sizeof scalar_names[0]; i++)
        if (strcasecmp(s, scalar_names[i]) == 0) {
            *out = (aws_ts_scalar)i;
            return true;
        }
    return false;
}

const char *aws_ts_scalar_name(aws_ts_scalar t)
{
    if ((size_t)t < sizeof scalar_names / sizeof scalar_names[0]) return scalar_names[t];
    return "?";
}

ts_type aws_ts_scalar_type(aws_ts_scalar t)
{
    switch (t) {
    case AWS_TS_BOOLEAN: return TS_TYPE_BOOL;
    case AWS_TS_BIGINT:
    case AWS_TS_INTEGER: return TS_TYPE_INT64;
    case AWS_TS_DOUBLE: return TS_TYPE_DOUBLE;
    case AWS_TS_TIMESTAMP: return TS_TYPE_TIMESTAMP;
    case AWS_TS_VARCHAR:
    case AWS_TS_DATE:
    case AWS_TS_TIME:
    case AWS_TS_INTERVAL_DAY_TO_SECOND:
    case AWS_TS_INTERVAL_YEAR_TO_MONTH:
    case AWS_TS_UNKNOWN: return TS_TYPE_STRING;
    }
    return TS_TYPE_STRING;
}

/* ---- pages ---- */

void aws_ts_page_free(aws_ts_page *p)
{
    if (!p) return;
    json_decref(p->root);
    ts_free(p->names);
    ts_free(p->types);
    memset(p, 0, sizeof *p);
}

#define MAX_PAGE_COLS 4096

ts_status aws_ts_page_from_json(json_t *root, aws_ts_page *p, ts_error *err)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(root))
        return ts_err_set(err, TS_ERR_CORRUPT, "Timestream Query answer is not a JSON object");
    p->root = json_incref(root);
    json_t *rows = json_object_get(root, "Rows");
    if (rows && !json_is_array(rows)) {
        aws_ts_page_free(p);
        return ts_err_set(err, TS_ERR_CORRUPT, "Timestream Query answer: \"Rows\" is not a list");
    }
    p->rows = rows;
    p->nrows = rows ? json_array_size(rows) : 0;
    json_t *tok = json_object_get(root, "NextToken");
    if (tok && !json_is_null(tok)) {
        if (!json_is_string(tok) || json_string_length(tok) == 0 ||
            json_string_length(tok) != strlen(json_string_value(tok))) {
            aws_ts_page_free(p);
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "Timestream Query answer: \"NextToken\" is not a string");
        }
        p->next_token = json_string_value(tok);
    }
    json_t *ci = json_object_get(root, "ColumnInfo");
    if (!ci || json_is_null(ci)) {
        if (p->nrows > 0) {
            aws_ts_page_free(p);
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "Timestream Query answer has rows but no ColumnInfo");
        }
        return TS_OK;
    }
    if (!json_is_array(ci) || json_array_size(ci) > MAX_PAGE_COLS) {
        aws_ts_page_free(p);
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "Timestream Query answer: \"ColumnInfo\" is not a list of columns");
    }
    size_t n = json_array_size(ci);
    p->names = ts_calloc(n ? n : 1, sizeof *p->names);
    p->types = ts_calloc(n ? n : 1, sizeof *p->types);
    if (!p->names || !p->types) {
        aws_ts_page_free(p);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory reading a Timestream page");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(ci, i);
        const char *name = json_string_value(json_object_get(c, "Name"));
        json_t *type = json_object_get(c, "Type");
        if (!name || !json_is_object(type)) {
            aws_ts_page_free(p);
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "Timestream Query answer: ColumnInfo %zu lacks Name or Type", i);
        }
        p->names[i] = name;
        const char *scalar = json_string_value(json_object_get(type, "ScalarType"));
        if (!scalar) {
            const char *kind = json_object_get(type, "ArrayColumnInfo") ? "array"
                               : json_object_get(type, "RowColumnInfo") ? "row"
                               : json_object_get(type, "TimeSeriesMeasureValueColumnInfo")
                                   ? "timeseries"
                                   : "non-scalar";
            ts_status st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                      "column \"%s\" has a %s type, which is not supported (only "
                                      "scalar columns can be archived)",
                                      name, kind);
            aws_ts_page_free(p);
            return st;
        }
        if (!aws_ts_scalar_parse(scalar, &p->types[i])) {
            ts_status st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                      "column \"%s\" has scalar type %s, which is not supported",
                                      name, scalar);
            aws_ts_page_free(p);
            return st;
        }
    }
    p->ncols = n;
    return TS_OK;
}

ts_status aws_ts_page_parse(const char *body, size_t len, aws_ts_page *p, ts_error *err)
{
    memset(p, 0, sizeof *p);
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "Timestream Query answer is not JSON (line %d column %d: %s)", je.line,
                          je.column, je.text);
    ts_status st = aws_ts_page_from_json(root, p, err);
    json_decref(root);
    return st;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

static bool parse_f64(const char *s, double *out)
{
    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return true;
    }
    if (strcmp(s, "Infinity") == 0 || strcmp(s, "+Infinity") == 0) {
        *out = INFINITY;
        return true;
    }
    if (strcmp(s, "-Infinity") == 0) {
        *out = -INFINITY;
        return true;
    }
    /* digits, sign, '.', exponent only: no hex floats, no "inf" spellings */
    if (!*s) return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == '-' || *c == '+' || *c == '.' || *c == 'e' ||
              *c == 'E'))
            return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || end == s) return false;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return false;
    *out = v;
    return true;
}

static ts_status set_cell(const aws_ts_page *p, size_t r, size_t c, json_t *d, ts_batch *b,
                          long bc, long time_ns_col, bool is_time, ts_error *err)
{
    size_t row = b->nrows;
    json_t *nv = json_object_get(d, "NullValue");
    json_t *sv = json_object_get(d, "ScalarValue");
    if (nv && json_is_true(nv) && !sv) {
        if (bc >= 0) {
            if (!b->schema->fields[bc].nullable)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "row %zu column \"%s\": NULL in a column that cannot be NULL", r,
                                  p->names[c]);
            ts_batch_set_null(b, (size_t)bc, row);
        }
        if (is_time && time_ns_col >= 0)
            return ts_err_set(err, TS_ERR_CORRUPT, "row %zu column \"%s\": time is NULL", r,
                              p->names[c]);
        return TS_OK;
    }
    if (!json_is_string(sv)) {
        if (json_object_get(d, "ArrayValue") || json_object_get(d, "RowValue") ||
            json_object_get(d, "TimeSeriesValue"))
            return ts_err_set(err, TS_ERR_UNSUPPORTED,
                              "row %zu column \"%s\": non-scalar value is not supported", r,
                              p->names[c]);
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "row %zu column \"%s\": datum is neither ScalarValue nor NullValue", r,
                          p->names[c]);
    }
    if (bc < 0 && !(is_time && time_ns_col >= 0)) return TS_OK;
    const char *s = json_string_value(sv);
    size_t slen = json_string_length(sv);
    aws_ts_scalar t = p->types[c];
    switch (t) {
    case AWS_TS_BIGINT:
    case AWS_TS_INTEGER: {
        int64_t v;
        if (slen != strlen(s) || !parse_i64(s, &v))
            return ts_err_set(err, TS_ERR_CORRUPT, "row %zu column \"%s\": %s value \"%.40s\" is "
                              "not an integer", r, p->names[c], scalar_names[t], s);
        if (t == AWS_TS_INTEGER && (v < INT32_MIN || v > INT32_MAX))
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "row %zu column \"%s\": INTEGER value %s is out of range", r,
                              p->names[c], s);
        ts_batch_set_i64(b, (size_t)bc, row, v);
        return TS_OK;
    }
    case AWS_TS_DOUBLE: {
        double v;
        if (slen != strlen(s) || !parse_f64(s, &v))
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "row %zu column \"%s\": DOUBLE value \"%.40s\" is not a number", r,
                              p->names[c], s);
        ts_batch_set_f64(b, (size_t)bc, row, v);
        return TS_OK;
    }
    case AWS_TS_BOOLEAN:
        if (strcmp(s, "true") == 0) ts_batch_set_bool(b, (size_t)bc, row, true);
        else if (strcmp(s, "false") == 0) ts_batch_set_bool(b, (size_t)bc, row, false);
        else
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "row %zu column \"%s\": BOOLEAN value \"%.40s\" is not true/false",
                              r, p->names[c], s);
        return TS_OK;
    case AWS_TS_TIMESTAMP: {
        int64_t ns;
        if (!ts_time_parse(s, slen, &ns))
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "row %zu column \"%s\": TIMESTAMP value \"%.40s\" is not a time "
                              "within 1677-09-21..2262-04-11",
                              r, p->names[c], s);
        if (bc >= 0) ts_batch_set_i64(b, (size_t)bc, row, ns);
        if (is_time && time_ns_col >= 0) ts_batch_set_i64(b, (size_t)time_ns_col, row, ns);
        return TS_OK;
    }
    case AWS_TS_UNKNOWN:
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "row %zu column \"%s\": a value in a column of UNKNOWN type", r,
                          p->names[c]);
    case AWS_TS_VARCHAR:
    case AWS_TS_DATE:
    case AWS_TS_TIME:
    case AWS_TS_INTERVAL_DAY_TO_SECOND:
    case AWS_TS_INTERVAL_YEAR_TO_MONTH:
        if (ts_batch_set_str(b, (size_t)bc, row, s, slen) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory storing row %zu column \"%s\"",
                              r, p->names[c]);
        return TS_OK;
    }
    return ts_err_set(err, TS_ERR_INTERNAL, "unhandled Timestream type");
}

ts_status aws_ts_page_append(const aws_ts_page *p, size_t *row, ts_batch *b, const long *map,
                             long time_col, long time_ns_col, ts_error *err)
{
    /* types first, once per call: a mismatch is a schema problem, not a row one */
    for (size_t c = 0; c < p->ncols; c++) {
        long bc = map[c];
        if (bc < 0) continue;
        if ((size_t)bc >= b->schema->ncols)
            return ts_err_set(err, TS_ERR_INTERNAL, "page column map out of range");
        ts_type want = b->schema->fields[bc].type;
        if (p->types[c] != AWS_TS_UNKNOWN && aws_ts_scalar_type(p->types[c]) != want)
            return ts_err_set(err, TS_ERR_MISMATCH,
                              "column \"%s\" arrived as %s but the table's schema says %s (the "
                              "table changed during the export?)",
                              p->names[c], scalar_names[p->types[c]], ts_type_name(want));
    }
    if (time_ns_col >= 0 && (time_col < 0 || (size_t)time_col >= p->ncols ||
                             p->types[time_col] != AWS_TS_TIMESTAMP))
        return ts_err_set(err, TS_ERR_INTERNAL, "time_ns needs a TIMESTAMP time column");
    while (*row < p->nrows && b->nrows < b->capacity) {
        size_t r = *row;
        json_t *data = json_object_get(json_array_get(p->rows, r), "Data");
        if (!json_is_array(data) || json_array_size(data) != p->ncols)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "row %zu has %zu values for %zu columns (or no \"Data\")", r,
                              json_is_array(data) ? json_array_size(data) : 0, p->ncols);
        for (size_t c = 0; c < p->ncols; c++) {
            json_t *d = json_array_get(data, c);
            if (!json_is_object(d))
                return ts_err_set(err, TS_ERR_CORRUPT, "row %zu column \"%s\": datum is not an "
                                  "object", r, p->names[c]);
            TS_TRY(set_cell(p, r, c, d, b, map[c], time_ns_col, (long)c == time_col, err));
        }
        b->nrows++;
        (*row)++;
    }
    return TS_OK;
}

ts_status aws_ts_quote_ident(const char *name, char *out, size_t outsz, ts_error *err)
{
    size_t o = 0;
    if (outsz < 3) goto too_long;
    out[o++] = '"';
    for (const char *p = name; *p; p++) {
        if (o + 3 >= outsz) goto too_long;
        if (*p == '"') out[o++] = '"';
        out[o++] = *p;
    }
    out[o++] = '"';
    out[o] = '\0';
    return TS_OK;
too_long:
    return ts_err_set(err, TS_ERR_LIMIT, "identifier too long: %.60s", name);
}
