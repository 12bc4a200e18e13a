/* InfluxDB as a restore target: target URLs (v2 and v1, http and https),
 * line-protocol batches that remember which archive row each line came
 * from, gzip bodies, error-body parsing (partial writes), the retry
 * decision, a concurrent writer, and the InfluxQL counts for parity. */
#ifndef INFLUX_H
#define INFLUX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"

/* ---- targets ---- */

typedef enum influx_api { INFLUX_API_V2 = 2, INFLUX_API_V1 = 1 } influx_api;

/* Values the front end reads from the environment (INFLUX_HOST,
 * INFLUX_TOKEN, INFLUX_ORG, INFLUX_USERNAME, INFLUX_PASSWORD); any may be
 * NULL. The library never reads the environment itself. */
typedef struct influx_env {
    const char *host;     /* "http://h:8086" or "h:8086": used when the URL has no host */
    const char *token;
    const char *org;
    const char *username;
    const char *password;
} influx_env;

typedef struct influx_target {
    influx_api api;
    bool tls;        /* https: certificate and host checks always on */
    char *base;      /* "http://host:port" or "https://host:port", no trailing '/' */
    char *org;       /* v2 (may be NULL: InfluxDB 3 / Cloud ignore it) */
    char *bucket;    /* v2 */
    char *db;        /* v1 */
    char *rp;        /* v1, NULL = the database's default retention policy */
    char *token;     /* v2 secret; never printed */
    char *username;  /* v1 */
    char *password;  /* v1 secret; never printed */
} influx_target;

/* Parses one of
 *   influx://host:port?org=O&bucket=B      (v2: /api/v2/write, Token auth)
 *   influxs://host:port?org=O&bucket=B     (v2 over https)
 *   influx1://[user:pass@]host:port/db[?rp=R]   (v1: /write)
 *   influx1s://…                           (v1 over https)
 * "?tls=1" on any form also selects https. An empty host ("influx://?bucket=b")
 * takes env->host. Missing org falls back to env->org, token to env->token,
 * v1 user/password to env->username/password. Percent-escapes in values are
 * decoded. TS_ERR_USAGE with the reason on anything else. */
ts_status influx_target_parse(const char *url, const influx_env *env, influx_target *t,
                              ts_error *err);
void influx_target_free(influx_target *t);
/* The target without secrets, for messages and the audit log. */
ts_status influx_target_describe(const influx_target *t, ts_buf *out);
/* Full write URL: v2 /api/v2/write?org=&bucket=&precision=ns, v1
 * /write?db=&rp=&precision=n (credentials go in headers, not the URL). */
ts_status influx_write_url(const influx_target *t, ts_buf *out, ts_error *err);
/* /query URL for InfluxQL with epoch=ns (v1, and v2's v1-compat endpoint
 * where db = bucket). `q` is URL-escaped here. */
ts_status influx_query_url(const influx_target *t, const char *q, ts_buf *out, ts_error *err);
/* "Authorization" header value ("Token …" or "Basic …") or empty when none. */
ts_status influx_auth_header(const influx_target *t, ts_buf *out, ts_error *err);

/* Appends s percent-encoded (RFC 3986 unreserved kept). */
ts_status influx_url_escape(ts_buf *out, const char *s);

/* ---- batches ---- */

/* Where a line came from: the archive file (index into the restore's file
 * list) and the row in it (0-based). */
typedef struct influx_rowref {
    uint32_t file;
    uint64_t row;
} influx_rowref;

#define INFLUX_DEFAULT_BATCH_LINES 5000
#define INFLUX_DEFAULT_BATCH_BYTES ((size_t)8 << 20)

typedef struct influx_batch {
    ts_buf body;          /* lines, each ending in '\n' */
    size_t nlines;
    size_t *offsets;      /* start of line i in body (nlines entries) */
    influx_rowref *refs;  /* source of line i */
    size_t cap;
    int64_t seq;          /* order of creation (for acknowledgement watermarks) */
} influx_batch;

void influx_batch_init(influx_batch *b);
void influx_batch_free(influx_batch *b);
void influx_batch_reset(influx_batch *b);
/* Whether a line of `len` bytes (without '\n') still fits under the limits.
 * An empty batch always takes one line (a line longer than max_bytes is sent
 * alone and the server judges it). */
bool influx_batch_fits(const influx_batch *b, size_t len, size_t max_lines, size_t max_bytes);
/* Appends a line (without '\n') and its source. */
ts_status influx_batch_add(influx_batch *b, const char *line, size_t len, influx_rowref ref,
                           ts_error *err);
/* Line i (0-based) without its '\n'. */
const char *influx_batch_line(const influx_batch *b, size_t i, size_t *len);
/* Copies lines [from, to) into dst (a sub-batch for bisection). */
ts_status influx_batch_slice(const influx_batch *b, size_t from, size_t to, influx_batch *dst,
                             ts_error *err);

/* ---- gzip ---- */

/* gzip (RFC 1952) of p into out (cleared first); level 1..9. */
ts_status influx_gzip(const void *p, size_t n, int level, ts_buf *out, ts_error *err);
/* Inverse, bounded by out->max (tests, the fuzzer). */
ts_status influx_gunzip(const void *p, size_t n, ts_buf *out, ts_error *err);

/* ---- responses ---- */

#define INFLUX_MAX_BAD_LINES 64

typedef struct influx_resp_info {
    int status;
    char code[64];        /* v2 "code" ("invalid", "unauthorized", …) or "" */
    char message[512];    /* v2 "message" / v1 "error", control chars removed */
    bool partial;         /* the message says "partial write" */
    bool retention;       /* "beyond retention policy" */
    bool type_conflict;   /* "field type conflict" */
    long dropped;         /* v1 "dropped=N", or -1 */
    size_t nbad;          /* 1-based line numbers the server named */
    long bad_lines[INFLUX_MAX_BAD_LINES];
    char bad_text[256];   /* v1 "unable to parse '<line>'": the start of the line */
} influx_resp_info;

/* Reads an error body of either API ({"code","message","line"} or
 * {"error"}); tolerant of non-JSON bodies (the message is then the text).
 * Never fails: unknown shapes leave the fields empty. */
void influx_resp_parse(int status, const char *body, size_t len, influx_resp_info *r);

typedef enum influx_action {
    INFLUX_ACT_DONE,     /* 204 (or another 2xx without an error body) */
    INFLUX_ACT_RETRY,    /* 429, 408, 5xx other than a partial write, network */
    INFLUX_ACT_SPLIT,    /* 413: send the batch in halves */
    INFLUX_ACT_REJECTED, /* 400 / 422 / partial write: some or all points refused */
    INFLUX_ACT_FATAL     /* 401/403/404 and the rest: stop the restore */
} influx_action;

/* What to do with a write's outcome. status 0 = network failure. */
influx_action influx_classify(int status, const influx_resp_info *r);
/* The status a fatal outcome maps to (TS_ERR_AUTH for 401/403, NOT_FOUND
 * for 404, REMOTE otherwise). */
ts_status influx_fatal_status(int status);

/* ---- writer ---- */

typedef struct influx_rejection {
    influx_rowref ref;
    char *line;     /* the rejected line (truncated to 512 bytes) */
    char *reason;   /* the server's message */
} influx_rejection;

/* Fills r with copies of line[0..len) (cut to 512 bytes) and reason; false,
 * r left empty, when out of memory. Shared by every writer that reports
 * refused records. */
bool influx_rejection_keep(influx_rejection *r, influx_rowref ref, const char *line, size_t len,
                           const char *reason);
/* Frees the first n entries' strings and the array v. */
void influx_rejections_free(influx_rejection *v, size_t n);

typedef struct influx_writer_opts {
    size_t concurrency;    /* connections/threads, >= 1 */
    size_t batch_lines;    /* 0 = INFLUX_DEFAULT_BATCH_LINES */
    size_t batch_bytes;    /* 0 = INFLUX_DEFAULT_BATCH_BYTES */
    int gzip_level;        /* 0 = no compression, else 1..9 */
    int max_attempts;      /* per batch, >= 1 (default 10) */
    long timeout_ms;       /* per request (default 60000) */
    size_t max_bisect;     /* extra requests allowed to find rejected lines per batch */
    volatile sig_atomic_t *cancel;
} influx_writer_opts;

typedef struct influx_writer_stats {
    uint64_t lines_sent;     /* lines handed to the server (once each) */
    uint64_t accepted;
    uint64_t rejected;
    uint64_t requests;
    uint64_t retries;
    uint64_t bytes_sent;     /* request bodies as sent (compressed) */
    int64_t acked_seq;       /* every batch with seq < acked_seq is finished */
} influx_writer_stats;

typedef struct influx_writer influx_writer;

/* Starts the worker threads, one HTTP client each. */
ts_status influx_writer_new(const influx_target *t, const influx_writer_opts *o,
                            influx_writer **out, ts_error *err);
/* Queues a line; a full batch is handed to the workers (blocks while they
 * are all busy). Fails fast once a fatal error happened. */
ts_status influx_writer_add(influx_writer *w, const char *line, size_t len, influx_rowref ref,
                            ts_error *err);
/* Seq of the batch that holds (or last held) the most recent line, -1 if none:
 * all lines added so far are acknowledged once acked_seq > this value. */
int64_t influx_writer_last_seq(const influx_writer *w);
/* Sends the open batch and waits until every batch is finished. Returns
 * the first fatal error, if any. */
ts_status influx_writer_flush(influx_writer *w, ts_error *err);
void influx_writer_stats_get(influx_writer *w, influx_writer_stats *st);
/* Rejections recorded so far (up to 1000; st->rejected counts all); owned
 * by the writer. Entries returned never change, so this may be called while
 * the workers run. */
const influx_rejection *influx_writer_rejections(influx_writer *w, size_t *n);
/* Stops the workers (abandoning queued batches) and frees. NULL is a no-op. */
void influx_writer_free(influx_writer *w);

/* ---- InfluxQL read-back for parity ---- */

typedef struct influx_count {
    uint64_t points;   /* max over fields of count(field) */
    int64_t min_time;  /* ns; valid when points > 0 */
    int64_t max_time;
    size_t nfields;    /* count(*) columns: one per field key */
    char **fields;     /* field key (the column name without "count_") */
    uint64_t *counts;  /* non-NULL values of that field */
} influx_count;

void influx_count_free(influx_count *c);
/* Count of field `name`, 0 when the server has no such column. */
uint64_t influx_count_field(const influx_count *c, const char *name);

typedef struct influx_querier influx_querier;

/* A keep-alive client for /query (InfluxQL, epoch=ns): InfluxDB 1.x, and
 * 2.x through its v1-compatible endpoint (db = bucket, Token auth; needs a
 * DBRP mapping, automatic for buckets on 2.7+). */
ts_status influx_querier_new(const influx_target *t, influx_querier **out, ts_error *err);
void influx_querier_free(influx_querier *q);
/* Points of `measurement` in [from, to) ns: count(*) gives one column per
 * field and the maximum is taken (a point has at least one field); the
 * first and last point's times come from ORDER BY time ASC/DESC LIMIT 1.
 * TS_ERR_NOT_FOUND when the server has no /query endpoint (a v2 emulator,
 * InfluxDB 3). */
ts_status influx_count_range(influx_querier *q, const char *measurement, int64_t from, int64_t to,
                             influx_count *out, ts_error *err);
/* Parses one /query answer: the maximum over the numeric columns after
 * "time" of the first row (count; with `fields` also each column's value),
 * or the first row's time. Exposed for tests and the fuzzer. TS_ERR_REMOTE
 * with the server's message when the statement failed; an empty result is 0
 * rows (*found = false). `fields` may be NULL; otherwise the caller frees it
 * with influx_count_free. */
ts_status influx_query_parse(const char *body, size_t len, bool want_time, bool *found,
                             int64_t *value, influx_count *fields, ts_error *err);

/* Escapes an InfluxQL identifier into "…" (backslash before '"' and '\'). */
ts_status influx_ql_ident(ts_buf *out, const char *name);

/* ---- InfluxDB as an export source (influx_source.c) ---- */

#define INFLUX_DEFAULT_CHUNK_SIZE 10000

/* A keep-alive client for streamed InfluxQL (/query?chunked=true&epoch=ns):
 * each chunk of at most chunk_size rows is handled as it arrives, so memory
 * follows one chunk, never the whole answer. Not thread-safe: one per thread.
 * `t` is borrowed and must outlive the reader. chunk_size 0 = the default. */
typedef struct influx_reader influx_reader;
ts_status influx_reader_new(const influx_target *t, size_t chunk_size, influx_reader **out,
                            ts_error *err);
void influx_reader_free(influx_reader *r);

/* The first k columns (as strings; non-strings become "") of every row of
 * every series of a statement such as SHOW MEASUREMENTS (k = 1) or SHOW
 * FIELD KEYS FROM "m" (k = 2: fieldKey, fieldType). *cells holds nrows * k
 * strings, row-major; free with influx_strings_free(cells, nrows * k). */
ts_status influx_reader_strings(influx_reader *r, const char *ql, size_t k, char ***cells,
                                size_t *nrows, ts_error *err);
void influx_strings_free(char **cells, size_t n);

struct ts_batch;
struct ts_schema;
/* Called with each batch (owned by the reader, valid during the call). */
typedef ts_status (*influx_batch_fn)(void *user, const struct ts_batch *b, ts_error *err);

/* Streams a SELECT's rows into batches of `schema` (at most batch_rows rows,
 * table name `table`): the answer's time column goes to schema column 0 (ns),
 * and to time_ns_col as well when > 0; every other answer column to the
 * schema column of the same name (columns the schema lacks are ignored,
 * schema columns the answer lacks stay NULL). A value of another type than
 * its column's is TS_ERR_CORRUPT naming column and row (a whole float such
 * as 3 is taken for DOUBLE). *rows (may be NULL): rows handed to fn. A
 * failure before the first chunk is retried like other requests; after it
 * the caller starts over. */
ts_status influx_reader_select(influx_reader *r, const char *ql, const struct ts_schema *schema,
                               long time_ns_col, size_t batch_rows, const char *table,
                               influx_batch_fn fn, void *user, uint64_t *rows, ts_error *err);

#endif
