/* Amazon Timestream for LiveAnalytics: Query (paged, endpoint discovery or
 * a direct endpoint), ListDatabases/ListTables, DESCRIBE, and the parsing of
 * Query pages into typed column batches. */
#ifndef AWS_TIMESTREAM_H
#define AWS_TIMESTREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_batch.h"
#include "core/ts_error.h"
#include "core/ts_pipe.h"

/* ---- scalar types ---- */

typedef enum aws_ts_scalar {
    AWS_TS_VARCHAR,
    AWS_TS_BOOLEAN,
    AWS_TS_BIGINT,
    AWS_TS_INTEGER,
    AWS_TS_DOUBLE,
    AWS_TS_TIMESTAMP,
    AWS_TS_DATE,
    AWS_TS_TIME,
    AWS_TS_INTERVAL_DAY_TO_SECOND,
    AWS_TS_INTERVAL_YEAR_TO_MONTH,
    AWS_TS_UNKNOWN
} aws_ts_scalar;

/* Case-insensitive ("varchar" from DESCRIBE, "VARCHAR" from ColumnInfo). */
bool aws_ts_scalar_parse(const char *s, aws_ts_scalar *out);
const char *aws_ts_scalar_name(aws_ts_scalar t); /* upper case */
/* Batch type: VARCHAR→STRING, BIGINT/INTEGER→INT64, DOUBLE, BOOLEAN→BOOL,
 * TIMESTAMP; DATE, TIME, INTERVAL_* and UNKNOWN are kept as their text. */
ts_type aws_ts_scalar_type(aws_ts_scalar t);

/* ---- one Query response page ---- */

typedef struct aws_ts_page {
    json_t *root;           /* owned reference */
    size_t ncols;
    const char **names;     /* into root */
    aws_ts_scalar *types;
    json_t *rows;           /* borrowed from root: array of {"Data":[...]} */
    size_t nrows;
    const char *next_token; /* into root; NULL on the last page */
} aws_ts_page;

/* Parses a page. Columns of ARRAY, ROW or TIMESERIES type are refused
 * (TS_ERR_UNSUPPORTED naming the column); a page without rows may lack
 * ColumnInfo (ncols = 0). On failure the page is left empty. */
ts_status aws_ts_page_parse(const char *body, size_t len, aws_ts_page *p, ts_error *err);
/* Same from parsed JSON (a new reference is taken). */
ts_status aws_ts_page_from_json(json_t *root, aws_ts_page *p, ts_error *err);
void aws_ts_page_free(aws_ts_page *p);

/* Appends rows from *row onwards into b (from b->nrows, until the page or
 * the batch capacity ends), advancing *row and b->nrows. map[i] is the batch
 * column of page column i, or -1 to skip it; the batch column's type must be
 * aws_ts_scalar_type of the page column (UNKNOWN columns must be all NULL).
 * time_ns_col >= 0 also receives the exact ns of page column time_col as
 * INT64. Values are checked strictly (integers, doubles incl. NaN/Infinity,
 * true/false, TIMESTAMP "YYYY-MM-DD hh:mm:ss.nnnnnnnnn"); errors name the
 * row and column. */
ts_status aws_ts_page_append(const aws_ts_page *p, size_t *row, ts_batch *b, const long *map,
                             long time_col, long time_ns_col, ts_error *err);

/* ---- the client ---- */

typedef struct aws_client aws_client;
typedef struct aws_ts aws_ts;

/* Borrows c (must outlive the handle; not shared between threads). Resolves
 * the Query and Write endpoints: AWS_ENDPOINT_URL_TIMESTREAM_QUERY/_WRITE or
 * AWS_ENDPOINT_URL → used directly; otherwise DescribeEndpoints on the
 * public endpoint, cached for CachePeriodInMinutes and redone on
 * InvalidEndpointException. */
ts_status aws_ts_new(aws_client *c, aws_ts **out, ts_error *err);
void aws_ts_free(aws_ts *t);
/* The Query endpoint in use (after the first call), for the manifest. */
ts_status aws_ts_query_endpoint(aws_ts *t, const char **url, ts_error *err);
/* One JSON operation (op without the target prefix) on the Write API
 * (write_api) or the Query API, through the same endpoint discovery, cell
 * cache and InvalidEndpointException resend as every other call. body is
 * borrowed; *out is the answer (caller decrefs). code_out (optional,
 * AWS_ERR_CODE_MAX bytes) gets the service's error code, "" on success. */
ts_status aws_ts_call(aws_ts *t, bool write_api, const char *op, json_t *body, json_t **out,
                      char *code_out, ts_error *err);

/* Names (sorted, each ts_strdup'd; free with aws_ts_names_free). */
ts_status aws_ts_list_databases(aws_ts *t, char ***names, size_t *n, ts_error *err);
ts_status aws_ts_list_tables(aws_ts *t, const char *db, char ***names, size_t *n, ts_error *err);
void aws_ts_names_free(char **names, size_t n);

/* One column of DESCRIBE "db"."table". */
typedef struct aws_ts_column {
    char *name;
    aws_ts_scalar type;
    ts_role role;  /* from the attribute: dimension, measure_name, timestamp→time, multi/measure_value→measure */
    char attr[16]; /* the Timestream attribute type as given */
} aws_ts_column;

ts_status aws_ts_describe(aws_ts *t, const char *db, const char *table, aws_ts_column **cols,
                          size_t *n, ts_error *err);
void aws_ts_columns_free(aws_ts_column *cols, size_t n);

/* A paged query: the same QueryString with each NextToken until none is
 * returned (empty pages with a token are normal). A fresh ClientToken on the
 * first call. */
typedef struct aws_ts_query aws_ts_query;
ts_status aws_ts_query_start(aws_ts *t, const char *sql, aws_ts_query **out, ts_error *err);
/* Next page into *page (freed first); *done once the previous page had no
 * NextToken (page then empty). */
ts_status aws_ts_query_next(aws_ts_query *q, aws_ts_page *page, bool *done, ts_error *err);
uint64_t aws_ts_query_pages(const aws_ts_query *q);
void aws_ts_query_free(aws_ts_query *q);

/* Runs a query that answers one row and copies its cells as text (NULL for
 * a NullValue) into cells[0..ncells). TS_ERR_REMOTE/CORRUPT when the answer
 * is not exactly one row of that many scalar columns. Free with
 * aws_ts_names_free(cells, ncells). */
ts_status aws_ts_query_one_row(aws_ts *t, const char *sql, size_t ncells, char ***cells,
                               ts_error *err);

/* "db"."table" with embedded quotes doubled, into out. */
ts_status aws_ts_quote_ident(const char *name, char *out, size_t outsz, ts_error *err);

/* ---- a query as a ts_source ---- */

/* Yields the rows of `sql` as batches of `schema` (borrowed), `capacity` rows
 * each. map/time_col/time_ns_col as in aws_ts_page_append (map has ncols of
 * the query entries; copied). Page column names must equal expect_names
 * (copied; NULL = not checked). batch->table = table (borrowed). */
ts_status aws_ts_source_new(aws_ts *t, const char *sql, const ts_schema *schema, const char *table,
                            const long *map, const char *const *expect_names, size_t ncols,
                            long time_col, long time_ns_col, size_t capacity, ts_source **out,
                            ts_error *err);
uint64_t aws_ts_source_pages(const ts_source *s);

#endif
