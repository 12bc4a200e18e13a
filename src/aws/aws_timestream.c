/* Timestream Query/Write client: endpoint discovery (or a direct endpoint),
 * paged queries, DESCRIBE, listing, and a query as a ts_source. */
#include "aws_timestream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"

#define TARGET_PREFIX "Timestream_20181101."
#define CONTENT_TYPE "application/x-amz-json-1.0"

/* ---- client ---- */

typedef struct ts_endpoint {
    const char *service_id; /* "TIMESTREAM_QUERY" / "TIMESTREAM_WRITE" */
    char *base;             /* custom or public endpoint */
    bool custom;
    char *url;              /* where calls go (NULL until discovered) */
    int64_t expires_ns;
} ts_endpoint;

struct aws_ts {
    aws_client *c;
    ts_endpoint q, w;
};

static ts_status endpoint_init(aws_client *c, ts_endpoint *ep, const char *service_id,
                               ts_error *err)
{
    ep->service_id = service_id;
    TS_TRY(aws_endpoint(aws_client_config(c), service_id, &ep->base, &ep->custom, err));
    if (ep->custom) {
        ep->url = ts_strdup(ep->base);
        if (!ep->url) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        ep->expires_ns = INT64_MAX;
    }
    return TS_OK;
}

ts_status aws_ts_new(aws_client *c, aws_ts **out, ts_error *err)
{
    *out = NULL;
    aws_ts *t = ts_calloc(1, sizeof *t);
    if (!t) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    t->c = c;
    ts_status st = endpoint_init(c, &t->q, "TIMESTREAM_QUERY", err);
    if (st == TS_OK) st = endpoint_init(c, &t->w, "TIMESTREAM_WRITE", err);
    if (st != TS_OK) {
        aws_ts_free(t);
        return st;
    }
    *out = t;
    return TS_OK;
}

void aws_ts_free(aws_ts *t)
{
    if (!t) return;
    ts_free(t->q.base);
    ts_free(t->q.url);
    ts_free(t->w.base);
    ts_free(t->w.url);
    ts_free(t);
}

/* DescribeEndpoints on the public endpoint; only for endpoints not set by
 * variable (emulators and proxies answer directly, as with boto3). */
static ts_status discover(aws_ts *t, ts_endpoint *ep, ts_error *err)
{
    json_t *out = NULL;
    ts_status st = aws_json_call(t->c, ep->base, "timestream", TARGET_PREFIX "DescribeEndpoints",
                                 CONTENT_TYPE, NULL, &out, NULL, err);
    if (st != TS_OK) {
        ts_err_context(err, "Timestream endpoint discovery at %s", ep->base);
        return st;
    }
    json_t *e0 = json_array_get(json_object_get(out, "Endpoints"), 0);
    const char *addr = json_string_value(json_object_get(e0, "Address"));
    json_t *cp = json_object_get(e0, "CachePeriodInMinutes");
    if (!addr || !*addr || strchr(addr, '/') || strchr(addr, ' ')) {
        json_decref(out);
        return ts_err_set(err, TS_ERR_REMOTE,
                          "Timestream DescribeEndpoints at %s answered no usable Address",
                          ep->base);
    }
    int64_t minutes = json_is_integer(cp) ? json_integer_value(cp) : 1;
    if (minutes < 1) minutes = 1;
    if (minutes > 7 * 24 * 60) minutes = 7 * 24 * 60;
    size_t n = strlen(addr) + 9;
    char *url = ts_malloc(n);
    if (!url) {
        json_decref(out);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(url, n, "https://%s", addr);
    json_decref(out);
    ts_free(ep->url);
    ep->url = url;
    ep->expires_ns = ts_mono_ns() + minutes * 60 * TS_NS_PER_SEC;
    return TS_OK;
}

static ts_status resolve(aws_ts *t, ts_endpoint *ep, ts_error *err)
{
    if (ep->custom) return TS_OK;
    if (ep->url && ts_mono_ns() < ep->expires_ns) return TS_OK;
    return discover(t, ep, err);
}

static ts_status call_code(aws_ts *t, ts_endpoint *ep, const char *op, json_t *body,
                           json_t **out, char *code_out, ts_error *err)
{
    char target[96];
    snprintf(target, sizeof target, TARGET_PREFIX "%s", op);
    for (int attempt = 0;; attempt++) {
        TS_TRY(resolve(t, ep, err));
        char code[AWS_ERR_CODE_MAX] = "";
        ts_status st =
            aws_json_call(t->c, ep->url, "timestream", target, CONTENT_TYPE, body, out, code, err);
        if (st == TS_OK) return TS_OK;
        if (strcmp(code, "InvalidEndpointException") == 0 && !ep->custom && attempt < 2) {
            /* the cell moved: forget it, discover again, resend */
            ts_free(ep->url);
            ep->url = NULL;
            ts_err_clear(err);
            continue;
        }
        if (code_out) snprintf(code_out, AWS_ERR_CODE_MAX, "%s", code);
        return st;
    }
}

static ts_status call(aws_ts *t, ts_endpoint *ep, const char *op, json_t *body, json_t **out,
                      ts_error *err)
{
    return call_code(t, ep, op, body, out, NULL, err);
}

ts_status aws_ts_call(aws_ts *t, bool write_api, const char *op, json_t *body, json_t **out,
                      char *code_out, ts_error *err)
{
    if (code_out) code_out[0] = '\0';
    return call_code(t, write_api ? &t->w : &t->q, op, body, out, code_out, err);
}

ts_status aws_ts_query_endpoint(aws_ts *t, const char **url, ts_error *err)
{
    TS_TRY(resolve(t, &t->q, err));
    *url = t->q.url;
    return TS_OK;
}

void aws_ts_names_free(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) ts_free(names[i]);
    ts_free(names);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ts_status push_name(char ***names, size_t *n, size_t *cap, const char *s, ts_error *err)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **x = ts_realloc(*names, nc * sizeof *x);
        if (!x) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        *names = x;
        *cap = nc;
    }
    (*names)[*n] = ts_strdup(s);
    if (!(*names)[*n]) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    (*n)++;
    return TS_OK;
}

#define MAX_LIST_PAGES 100000

static ts_status list_names(aws_ts *t, const char *op, const char *db, const char *list_key,
                            const char *name_key, char ***names, size_t *n, ts_error *err)
{
    *names = NULL;
    *n = 0;
    size_t cap = 0;
    char *token = NULL;
    ts_status st = TS_OK;
    for (int page = 0; page < MAX_LIST_PAGES; page++) {
        json_t *body = json_object();
        if (!body) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        json_object_set_new(body, "MaxResults", json_integer(20));
        if (db) json_object_set_new(body, "DatabaseName", json_string(db));
        if (token) json_object_set_new(body, "NextToken", json_string(token));
        json_t *out = NULL;
        st = call(t, &t->w, op, body, &out, err);
        json_decref(body);
        if (st != TS_OK) break;
        json_t *arr = json_object_get(out, list_key);
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            const char *nm = json_string_value(json_object_get(e, name_key));
            if (!nm) continue;
            if ((st = push_name(names, n, &cap, nm, err)) != TS_OK) break;
        }
        const char *nt = json_string_value(json_object_get(out, "NextToken"));
        ts_free(token);
        token = (nt && *nt) ? ts_strdup(nt) : NULL;
        json_decref(out);
        if (st != TS_OK || !token) break;
    }
    ts_free(token);
    if (st != TS_OK) {
        aws_ts_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return st;
    }
    if (*n) qsort(*names, *n, sizeof **names, cmp_str); /* qsort(NULL, 0) is undefined */
    return TS_OK;
}

ts_status aws_ts_list_databases(aws_ts *t, char ***names, size_t *n, ts_error *err)
{
    return list_names(t, "ListDatabases", NULL, "Databases", "DatabaseName", names, n, err);
}

ts_status aws_ts_list_tables(aws_ts *t, const char *db, char ***names, size_t *n, ts_error *err)
{
    ts_status st = list_names(t, "ListTables", db, "Tables", "TableName", names, n, err);
    if (st != TS_OK) ts_err_context(err, "database %s", db);
    return st;
}

/* ---- paged queries ---- */

struct aws_ts_query {
    aws_ts *t;
    char *sql;
    char token_id[33];
    char *next_token;
    bool started, finished;
    uint64_t pages;
};

ts_status aws_ts_query_start(aws_ts *t, const char *sql, aws_ts_query **out, ts_error *err)
{
    *out = NULL;
    aws_ts_query *q = ts_calloc(1, sizeof *q);
    if (!q) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    q->t = t;
    q->sql = ts_strdup(sql);
    uint8_t rnd[16];
    if (!q->sql || RAND_bytes(rnd, sizeof rnd) != 1) {
        aws_ts_query_free(q);
        return ts_err_set(err, TS_ERR_NOMEM, "cannot start a query (memory or randomness)");
    }
    ts_hex(rnd, sizeof rnd, q->token_id);
    *out = q;
    return TS_OK;
}

void aws_ts_query_free(aws_ts_query *q)
{
    if (!q) return;
    ts_free(q->sql);
    ts_free(q->next_token);
    ts_free(q);
}

uint64_t aws_ts_query_pages(const aws_ts_query *q) { return q->pages; }

ts_status aws_ts_query_next(aws_ts_query *q, aws_ts_page *page, bool *done, ts_error *err)
{
    aws_ts_page_free(page);
    *done = false;
    if (q->finished) {
        *done = true;
        return TS_OK;
    }
    json_t *body = json_object();
    if (!body) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    json_object_set_new(body, "QueryString", json_string(q->sql));
    if (!q->started) json_object_set_new(body, "ClientToken", json_string(q->token_id));
    else json_object_set_new(body, "NextToken", json_string(q->next_token));
    json_t *out = NULL;
    ts_status st = call(q->t, &q->t->q, "Query", body, &out, err);
    json_decref(body);
    if (st != TS_OK) return st;
    st = aws_ts_page_from_json(out, page, err);
    json_decref(out);
    if (st != TS_OK) {
        ts_err_context(err, "page %llu", (unsigned long long)q->pages + 1);
        return st;
    }
    q->started = true;
    q->pages++;
    ts_free(q->next_token);
    q->next_token = NULL;
    if (page->next_token) {
        q->next_token = ts_strdup(page->next_token);
        if (!q->next_token) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    } else {
        q->finished = true;
    }
    return TS_OK;
}

static ts_status cell_text(const aws_ts_page *p, size_t r, size_t c, char **out, ts_error *err)
{
    json_t *d = json_array_get(json_object_get(json_array_get(p->rows, r), "Data"), c);
    *out = NULL;
    if (!json_is_object(d))
        return ts_err_set(err, TS_ERR_CORRUPT, "row %zu column %zu: missing datum", r, c);
    json_t *sv = json_object_get(d, "ScalarValue");
    if (json_is_string(sv)) {
        *out = ts_strndup(json_string_value(sv), json_string_length(sv));
        if (!*out) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return TS_OK;
    }
    if (json_is_true(json_object_get(d, "NullValue"))) return TS_OK;
    return ts_err_set(err, TS_ERR_CORRUPT, "row %zu column %zu: not a scalar", r, c);
}

/* Every row of a small query as text cells (row-major), for DESCRIBE and counts. */
static ts_status query_all_text(aws_ts *t, const char *sql, size_t want_cols, char ***cells,
                                size_t *nrows, size_t max_rows, ts_error *err)
{
    *cells = NULL;
    *nrows = 0;
    aws_ts_query *q;
    TS_TRY(aws_ts_query_start(t, sql, &q, err));
    aws_ts_page page = {0};
    size_t n = 0, cap = 0;
    char **v = NULL;
    ts_status st = TS_OK;
    for (;;) {
        bool done;
        if ((st = aws_ts_query_next(q, &page, &done, err)) != TS_OK || done) break;
        if (page.nrows == 0) continue;
        if (page.ncols != want_cols) {
            st = ts_err_set(err, TS_ERR_REMOTE, "answer has %zu columns, expected %zu", page.ncols,
                            want_cols);
            break;
        }
        for (size_t r = 0; r < page.nrows && st == TS_OK; r++) {
            if (n / want_cols >= max_rows) {
                st = ts_err_set(err, TS_ERR_LIMIT, "answer has more than %zu rows", max_rows);
                break;
            }
            for (size_t c = 0; c < want_cols && st == TS_OK; c++) {
                if (n == cap) {
                    size_t nc = cap ? cap * 2 : 16;
                    char **x = ts_realloc(v, nc * sizeof *x);
                    if (!x) {
                        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                        break;
                    }
                    v = x;
                    cap = nc;
                }
                st = cell_text(&page, r, c, &v[n], err);
                if (st == TS_OK) n++;
            }
        }
        if (st != TS_OK) break;
    }
    aws_ts_page_free(&page);
    aws_ts_query_free(q);
    if (st != TS_OK) {
        aws_ts_names_free(v, n);
        return st;
    }
    *cells = v;
    *nrows = n / want_cols;
    return TS_OK;
}

ts_status aws_ts_query_one_row(aws_ts *t, const char *sql, size_t ncells, char ***cells,
                               ts_error *err)
{
    size_t nrows;
    ts_status st = query_all_text(t, sql, ncells, cells, &nrows, 1, err);
    if (st == TS_OK && nrows != 1) {
        aws_ts_names_free(*cells, nrows * ncells);
        *cells = NULL;
        st = ts_err_set(err, TS_ERR_REMOTE, "expected one row, got %zu", nrows);
    }
    if (st != TS_OK) ts_err_context(err, "query %.200s", sql);
    return st;
}

void aws_ts_columns_free(aws_ts_column *cols, size_t n)
{
    if (!cols) return;
    for (size_t i = 0; i < n; i++) ts_free(cols[i].name);
    ts_free(cols);
}

ts_status aws_ts_describe(aws_ts *t, const char *db, const char *table, aws_ts_column **cols,
                          size_t *n, ts_error *err)
{
    *cols = NULL;
    *n = 0;
    char qdb[600], qt[600], sql[1300];
    TS_TRY(aws_ts_quote_ident(db, qdb, sizeof qdb, err));
    TS_TRY(aws_ts_quote_ident(table, qt, sizeof qt, err));
    snprintf(sql, sizeof sql, "DESCRIBE %s.%s", qdb, qt);
    char **cells;
    size_t nrows;
    ts_status st = query_all_text(t, sql, 3, &cells, &nrows, 10000, err);
    if (st != TS_OK) {
        ts_err_context(err, "table %s.%s: DESCRIBE", db, table);
        return st;
    }
    aws_ts_column *c = ts_calloc(nrows ? nrows : 1, sizeof *c);
    if (!c) {
        aws_ts_names_free(cells, nrows * 3);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nrows && st == TS_OK; i++) {
        const char *name = cells[i * 3], *type = cells[i * 3 + 1], *attr = cells[i * 3 + 2];
        if (!name || !type || !attr) {
            st = ts_err_set(err, TS_ERR_REMOTE, "table %s.%s: DESCRIBE row %zu has a NULL", db,
                            table, i);
            break;
        }
        c[i].name = ts_strdup(name);
        if (!c[i].name) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(c[i].attr, sizeof c[i].attr, "%s", attr);
        if (!aws_ts_scalar_parse(type, &c[i].type)) {
            st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                            "table %s.%s: column \"%s\" has type %s, which is not supported", db,
                            table, name, type);
            break;
        }
        if (strcasecmp(attr, "dimension") == 0) c[i].role = TS_ROLE_DIMENSION;
        else if (strcasecmp(attr, "measure_name") == 0) c[i].role = TS_ROLE_MEASURE_NAME;
        else if (strcasecmp(attr, "timestamp") == 0) c[i].role = TS_ROLE_TIME;
        else if (strcasecmp(attr, "multi") == 0 || strcasecmp(attr, "measure_value") == 0)
            c[i].role = TS_ROLE_MEASURE;
        else
            st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                            "table %s.%s: column \"%s\" has Timestream attribute type \"%s\", "
                            "which is not supported",
                            db, table, name, attr);
    }
    aws_ts_names_free(cells, nrows * 3);
    if (st != TS_OK) {
        aws_ts_columns_free(c, nrows);
        return st;
    }
    *cols = c;
    *n = nrows;
    return TS_OK;
}

/* ---- a query as a ts_source ---- */

typedef struct ts_query_source {
    ts_source base;
    aws_ts_query *q;
    aws_ts_page page;
    size_t row;
    bool done;
    bool checked;
    ts_batch batch;
    const char *table;
    long *map;
    char **expect;
    size_t ncols;
    long time_col, time_ns_col;
} ts_query_source;

static ts_status check_names(ts_query_source *s, ts_error *err)
{
    if (s->page.ncols != s->ncols)
        return ts_err_set(err, TS_ERR_MISMATCH,
                          "Timestream answered %zu columns where %zu were asked for",
                          s->page.ncols, s->ncols);
    if (s->expect)
        for (size_t i = 0; i < s->ncols; i++)
            if (strcmp(s->page.names[i], s->expect[i]) != 0)
                return ts_err_set(err, TS_ERR_MISMATCH,
                                  "Timestream answered column \"%s\" where \"%s\" was asked for",
                                  s->page.names[i], s->expect[i]);
    s->checked = true;
    return TS_OK;
}

static ts_status qsrc_next(ts_source *base, const ts_batch **out, ts_error *err)
{
    ts_query_source *s = (ts_query_source *)base;
    *out = NULL;
    ts_batch_reset(&s->batch);
    s->batch.table = s->table;
    while (s->batch.nrows < s->batch.capacity) {
        if (s->row < s->page.nrows) {
            if (!s->checked) TS_TRY(check_names(s, err));
            TS_TRY(aws_ts_page_append(&s->page, &s->row, &s->batch, s->map, s->time_col,
                                      s->time_ns_col, err));
            continue;
        }
        if (s->done) break;
        bool done;
        s->row = 0;
        TS_TRY(aws_ts_query_next(s->q, &s->page, &done, err));
        if (done) s->done = true;
    }
    if (s->batch.nrows) *out = &s->batch;
    return TS_OK;
}

static void qsrc_close(ts_source *base)
{
    ts_query_source *s = (ts_query_source *)base;
    aws_ts_query_free(s->q);
    aws_ts_page_free(&s->page);
    ts_batch_free(&s->batch);
    ts_free(s->map);
    aws_ts_names_free(s->expect, s->expect ? s->ncols : 0);
    ts_free(s);
}

static const ts_source_ops qsrc_ops = {
    .kind = "timestream",
    .next = qsrc_next,
    .close = qsrc_close,
};

ts_status aws_ts_source_new(aws_ts *t, const char *sql, const ts_schema *schema, const char *table,
                            const long *map, const char *const *expect_names, size_t ncols,
                            long time_col, long time_ns_col, size_t capacity, ts_source **out,
                            ts_error *err)
{
    *out = NULL;
    ts_query_source *s = ts_calloc(1, sizeof *s);
    if (!s) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->base.ops = &qsrc_ops;
    s->table = table;
    s->ncols = ncols;
    s->time_col = time_col;
    s->time_ns_col = time_ns_col;
    s->map = ts_malloc((ncols ? ncols : 1) * sizeof *s->map);
    ts_status st = s->map ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) memcpy(s->map, map, ncols * sizeof *map);
    if (st == TS_OK && expect_names) {
        s->expect = ts_calloc(ncols ? ncols : 1, sizeof *s->expect);
        if (!s->expect) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; st == TS_OK && i < ncols; i++)
            if (!(s->expect[i] = ts_strdup(expect_names[i])))
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (st == TS_OK && ts_batch_init(&s->batch, schema, capacity) != TS_OK)
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory for a %zu-row batch", capacity);
    if (st == TS_OK) st = aws_ts_query_start(t, sql, &s->q, err);
    if (st != TS_OK) {
        qsrc_close(&s->base);
        return st;
    }
    *out = &s->base;
    return TS_OK;
}

uint64_t aws_ts_source_pages(const ts_source *s)
{
    const ts_query_source *q = (const ts_query_source *)s;
    return q->q ? aws_ts_query_pages(q->q) : 0;
}
