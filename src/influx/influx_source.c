/* InfluxDB as an export source: InfluxQL over /query with chunked=true, the
 * answer streamed chunk by chunk (one JSON document per line) into batches,
 * so memory follows one chunk, never the whole answer. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "influx/influx.h"
#include "net/http.h"
#include "net/retry.h"

/* A chunk line larger than this is refused (chunk_size keeps them far smaller). */
#define MAX_CHUNK_BYTES ((size_t)256 << 20)

struct influx_reader {
    const influx_target *t;
    http_client *http;
    char *auth;
    size_t chunk_size;
};

ts_status influx_reader_new(const influx_target *t, size_t chunk_size, influx_reader **out,
                            ts_error *err)
{
    *out = NULL;
    influx_reader *r = ts_calloc(1, sizeof *r);
    if (!r) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    r->t = t;
    r->chunk_size = chunk_size ? chunk_size : INFLUX_DEFAULT_CHUNK_SIZE;
    ts_buf b;
    ts_buf_init(&b, 8192);
    ts_status st = influx_auth_header(t, &b, err);
    if (st == TS_OK && ts_buf_nul(&b) != TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) {
        r->auth = ts_strdup(b.len ? (const char *)b.data : "");
        if (!r->auth) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (b.data) memset(b.data, 0, b.len);
    ts_buf_free(&b);
    if (st == TS_OK) st = http_client_new(&r->http, err);
    if (st != TS_OK) {
        influx_reader_free(r);
        return st;
    }
    *out = r;
    return TS_OK;
}

void influx_reader_free(influx_reader *r)
{
    if (!r) return;
    http_client_free(r->http);
    if (r->auth) memset(r->auth, 0, strlen(r->auth));
    ts_free(r->auth);
    ts_free(r);
}

/* ---- the line-splitting sink: each complete line is one JSON document ---- */

typedef ts_status (*series_fn)(void *user, json_t *series, ts_error *err);

typedef struct line_sink {
    ts_output base;
    ts_buf line;       /* bytes of the current (incomplete) line */
    series_fn fn;
    void *user;
    uint64_t docs;     /* documents handled (a retry is only safe before the first) */
} line_sink;

static ts_status handle_doc(line_sink *s, const char *p, size_t n, ts_error *err)
{
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    if (!n) return TS_OK;
    json_error_t je;
    json_t *root = json_loadb(p, n, 0, &je);
    if (!root)
        return ts_err_set(err, TS_ERR_CORRUPT, "/query chunk is not JSON: %s (at byte %d)", je.text,
                          je.position);
    s->docs++;
    ts_status st = TS_OK;
    json_t *e = json_object_get(root, "error");
    if (json_is_string(e)) {
        st = ts_err_set(err, TS_ERR_REMOTE, "InfluxDB /query: %.300s", json_string_value(e));
        goto out;
    }
    json_t *res = json_object_get(root, "results");
    if (!json_is_array(res)) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "/query chunk has no \"results\"");
        goto out;
    }
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        json_t *re = json_object_get(r, "error");
        if (json_is_string(re)) {
            st = ts_err_set(err, TS_ERR_REMOTE, "InfluxDB /query: %.300s", json_string_value(re));
            goto out;
        }
        json_t *series = json_object_get(r, "series");
        if (!series) continue;
        if (!json_is_array(series)) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "/query chunk: \"series\" is not an array");
            goto out;
        }
        size_t k;
        json_t *s0;
        json_array_foreach(series, k, s0) {
            if ((st = s->fn(s->user, s0, err)) != TS_OK) goto out;
        }
    }
out:
    json_decref(root);
    return st;
}

static ts_status sink_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    line_sink *s = (line_sink *)o;
    const char *c = p;
    while (n) {
        const char *nl = memchr(c, '\n', n);
        size_t k = nl ? (size_t)(nl - c) : n;
        if (s->line.len + k > MAX_CHUNK_BYTES)
            return ts_err_set(err, TS_ERR_LIMIT,
                              "a /query chunk is larger than %zu MiB; use a smaller --chunk-size",
                              MAX_CHUNK_BYTES >> 20);
        if (nl && s->line.len == 0) {
            TS_TRY(handle_doc(s, c, k, err)); /* whole line in this piece: no copy */
        } else {
            if (ts_buf_append(&s->line, c, k) != TS_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            if (nl) {
                ts_status st = handle_doc(s, (const char *)s->line.data, s->line.len, err);
                ts_buf_clear(&s->line);
                TS_TRY(st);
            }
        }
        if (!nl) break;
        c += k + 1;
        n -= k + 1;
    }
    return TS_OK;
}
static ts_status sink_commit(ts_output *o, ts_error *err)
{
    (void)o;
    (void)err;
    return TS_OK;
}
static void sink_abort(ts_output *o) { (void)o; }
static void sink_close(ts_output *o) { (void)o; }
static const ts_output_ops sink_ops = {
    .write = sink_write, .commit = sink_commit, .abort = sink_abort, .close = sink_close};

static void sleep_ms(int64_t d)
{
    if (d <= 0) return;
    struct timespec ts = {.tv_sec = d / 1000, .tv_nsec = (d % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Runs one statement with chunked=true, calling fn for every series of every
 * chunk. Retried (throttling, 5xx, network) only while no chunk was handled. */
static ts_status stream_query(influx_reader *r, const char *ql, series_fn fn, void *user,
                              ts_error *err)
{
    ts_buf url;
    ts_buf_init(&url, 1 << 20);
    ts_status st = influx_query_url(r->t, ql, &url, err);
    if (st == TS_OK && (ts_buf_printf(&url, "&chunked=true&chunk_size=%zu", r->chunk_size) != TS_OK ||
                        ts_buf_nul(&url) != TS_OK))
        st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st != TS_OK) {
        ts_buf_free(&url);
        return st;
    }
    line_sink s = {.base = {.ops = &sink_ops}, .fn = fn, .user = user};
    ts_buf_init(&s.line, MAX_CHUNK_BYTES);
    http_header hdr[2];
    size_t nh = 0;
    hdr[nh++] = (http_header){"Accept", "application/json"};
    if (r->auth[0]) hdr[nh++] = (http_header){"Authorization", r->auth};
    http_request req = {.method = "GET", .url = (const char *)url.data, .headers = hdr,
                        .nheaders = nh, .timeout_ms = -1, .sink = &s.base};
    retry_policy rp;
    retry_policy_default(&rp);
    for (int attempt = 1;; attempt++) {
        http_response resp;
        ts_err_clear(err);
        ts_buf_clear(&s.line);
        st = http_send(r->http, &req, &resp, err);
        long status = resp.status;
        bool transient = st == TS_ERR_NETWORK && resp.net_transient && s.docs == 0;
        if (st == TS_OK && status >= 200 && status < 300) {
            if (s.line.len) /* a last document without its newline */
                st = handle_doc(&s, (const char *)s.line.data, s.line.len, err);
            http_response_free(&resp);
            break;
        }
        if (st == TS_OK) {
            influx_resp_info info;
            influx_resp_parse((int)status, (const char *)resp.body.data, resp.body.len, &info);
            const char *ra = http_response_header(&resp, "Retry-After");
            int64_t d = retry_delay_ms(&rp, attempt, ra);
            bool again = influx_classify((int)status, &info) == INFLUX_ACT_RETRY &&
                         attempt < rp.max_attempts && d >= 0;
            if (!again) {
                if (status == 404 && !strstr(info.message, "database not found"))
                    st = ts_err_set(err, TS_ERR_NOT_FOUND,
                                    "the server has no InfluxQL /query endpoint (HTTP 404)");
                else
                    st = ts_err_set(err,
                                    status == 401 || status == 403 ? TS_ERR_AUTH : TS_ERR_REMOTE,
                                    "/query: HTTP %ld: %s", status, info.message);
            }
            http_response_free(&resp);
            if (!again) break;
            sleep_ms(d);
            continue;
        }
        http_response_free(&resp);
        if (!transient || attempt >= rp.max_attempts) break;
        sleep_ms(retry_delay_ms(&rp, attempt, NULL));
    }
    ts_buf_free(&s.line);
    ts_buf_free(&url);
    return st;
}

/* ---- SHOW …: the first k columns of every row as strings ---- */

typedef struct strings_ctx {
    size_t k;
    char **cells;
    size_t nrows, cap;
} strings_ctx;

static ts_status strings_series(void *user, json_t *series, ts_error *err)
{
    strings_ctx *c = user;
    json_t *vals = json_object_get(series, "values");
    if (!vals) return TS_OK;
    if (!json_is_array(vals)) return ts_err_set(err, TS_ERR_CORRUPT, "/query: values is not an array");
    size_t i;
    json_t *row;
    json_array_foreach(vals, i, row) {
        if (!json_is_array(row) || json_array_size(row) < c->k)
            return ts_err_set(err, TS_ERR_CORRUPT, "/query: a row has fewer than %zu columns", c->k);
        if (c->nrows == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 64;
            if (nc > (size_t)1 << 24) return ts_err_set(err, TS_ERR_LIMIT, "/query: too many names");
            char **v = ts_realloc(c->cells, nc * c->k * sizeof *v);
            if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            c->cells = v;
            c->cap = nc;
        }
        for (size_t j = 0; j < c->k; j++) {
            const char *s = json_string_value(json_array_get(row, j));
            char **slot = &c->cells[c->nrows * c->k + j];
            *slot = ts_strdup(s ? s : "");
            if (!*slot) {
                for (size_t q = 0; q < j; q++) ts_free(c->cells[c->nrows * c->k + q]);
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            }
        }
        c->nrows++;
    }
    return TS_OK;
}

ts_status influx_reader_strings(influx_reader *r, const char *ql, size_t k, char ***cells,
                                size_t *nrows, ts_error *err)
{
    *cells = NULL;
    *nrows = 0;
    strings_ctx c = {.k = k ? k : 1};
    ts_status st = stream_query(r, ql, strings_series, &c, err);
    if (st != TS_OK) {
        influx_strings_free(c.cells, c.nrows * c.k);
        return st;
    }
    *cells = c.cells;
    *nrows = c.nrows;
    return TS_OK;
}

void influx_strings_free(char **cells, size_t n)
{
    if (!cells) return;
    for (size_t i = 0; i < n; i++) ts_free(cells[i]);
    ts_free(cells);
}

/* ---- SELECT: rows into batches ---- */

typedef struct select_ctx {
    const ts_schema *schema;
    long time_ns_col;
    const char *table;
    influx_batch_fn fn;
    void *user;
    ts_batch b;
    long *map;       /* answer column → schema column (-1 = not wanted) */
    size_t map_cap;
    uint64_t rows;
} select_ctx;

static ts_status put_value(select_ctx *c, size_t col, size_t row, json_t *v, const char *name,
                           ts_error *err)
{
    ts_batch *b = &c->b;
    if (json_is_null(v)) {
        ts_batch_set_null(b, col, row);
        return TS_OK;
    }
    switch (c->schema->fields[col].type) {
    case TS_TYPE_TIMESTAMP:
    case TS_TYPE_INT64:
        if (!json_is_integer(v)) break;
        ts_batch_set_i64(b, col, row, (int64_t)json_integer_value(v));
        return TS_OK;
    case TS_TYPE_DOUBLE:
        /* InfluxDB writes a whole float as 3, not 3.0 */
        if (json_is_real(v)) ts_batch_set_f64(b, col, row, json_real_value(v));
        else if (json_is_integer(v)) ts_batch_set_f64(b, col, row, (double)json_integer_value(v));
        else break;
        return TS_OK;
    case TS_TYPE_BOOL:
        if (!json_is_boolean(v)) break;
        ts_batch_set_bool(b, col, row, json_is_true(v));
        return TS_OK;
    case TS_TYPE_STRING:
        if (!json_is_string(v)) break;
        if (ts_batch_set_str(b, col, row, json_string_value(v), json_string_length(v)) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return TS_OK;
    }
    return ts_err_set(err, TS_ERR_CORRUPT,
                      "/query: column \"%s\" of %s holds a value that is not a %s (row %llu)",
                      name, c->table, ts_type_name(c->schema->fields[col].type),
                      (unsigned long long)(c->rows + row + 1));
}

static ts_status select_series(void *user, json_t *series, ts_error *err)
{
    select_ctx *c = user;
    json_t *cols = json_object_get(series, "columns");
    json_t *vals = json_object_get(series, "values");
    if (!json_is_array(cols) || !json_is_array(vals))
        return ts_err_set(err, TS_ERR_CORRUPT, "/query: a series without columns or values");
    size_t nc = json_array_size(cols);
    if (nc > c->map_cap) {
        long *m = ts_realloc(c->map, nc * sizeof *m);
        if (!m) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        c->map = m;
        c->map_cap = nc;
    }
    bool have_time = false;
    for (size_t i = 0; i < nc; i++) {
        const char *n = json_string_value(json_array_get(cols, i));
        c->map[i] = -1;
        if (!n) continue;
        if (i == 0 && strcmp(n, "time") == 0) {
            c->map[i] = 0;
            have_time = true;
        } else if (i > 0) {
            long k = ts_schema_find(c->schema, n);
            if (k > 0 && k != c->time_ns_col) c->map[i] = k;
        }
    }
    if (!have_time) return ts_err_set(err, TS_ERR_CORRUPT, "/query: the first column is not time");
    size_t nrows = json_array_size(vals);
    size_t r = 0;
    while (r < nrows) {
        ts_batch_reset(&c->b);
        c->b.table = c->table;
        size_t k = 0;
        for (; k < c->b.capacity && r < nrows; k++, r++) {
            json_t *row = json_array_get(vals, r);
            if (!json_is_array(row) || json_array_size(row) != nc)
                return ts_err_set(err, TS_ERR_CORRUPT, "/query: row %llu of %s has %zu values for %zu columns",
                                  (unsigned long long)(c->rows + k + 1), c->table,
                                  json_is_array(row) ? json_array_size(row) : 0, nc);
            for (size_t col = 0; col < c->schema->ncols; col++) ts_batch_set_null(&c->b, col, k);
            for (size_t i = 0; i < nc; i++) {
                if (c->map[i] < 0) continue;
                json_t *v = json_array_get(row, i);
                if (i == 0 && !json_is_integer(v))
                    return ts_err_set(err, TS_ERR_CORRUPT,
                                      "/query: time of row %llu of %s is not an integer (epoch=ns)",
                                      (unsigned long long)(c->rows + k + 1), c->table);
                TS_TRY(put_value(c, (size_t)c->map[i], k, v, json_string_value(json_array_get(cols, i)),
                                 err));
            }
            if (c->time_ns_col > 0)
                ts_batch_set_i64(&c->b, (size_t)c->time_ns_col, k, c->b.cols[0].v.i64[k]);
        }
        c->b.nrows = k;
        TS_TRY(c->fn(c->user, &c->b, err));
        c->rows += k;
    }
    return TS_OK;
}

ts_status influx_reader_select(influx_reader *r, const char *ql, const ts_schema *schema,
                               long time_ns_col, size_t batch_rows, const char *table,
                               influx_batch_fn fn, void *user, uint64_t *rows, ts_error *err)
{
    if (rows) *rows = 0;
    select_ctx c = {.schema = schema, .time_ns_col = time_ns_col, .table = table, .fn = fn,
                    .user = user};
    if (ts_batch_init(&c.b, schema, batch_rows ? batch_rows : 8192) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = stream_query(r, ql, select_series, &c, err);
    if (rows) *rows = c.rows;
    ts_batch_free(&c.b);
    ts_free(c.map);
    return st;
}
