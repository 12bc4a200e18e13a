/* InfluxQL read-back for the parity check: point counts and first/last
 * times per measurement and time range, through /query with epoch=ns. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ts_alloc.h"
#include "influx/influx.h"
#include "net/http.h"
#include "net/retry.h"

struct influx_querier {
    const influx_target *t;
    http_client *http;
    char *auth;
};

ts_status influx_querier_new(const influx_target *t, influx_querier **out, ts_error *err)
{
    *out = NULL;
    influx_querier *q = ts_calloc(1, sizeof *q);
    if (!q) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    q->t = t;
    ts_buf b;
    ts_buf_init(&b, 8192);
    ts_status st = influx_auth_header(t, &b, err);
    if (st == TS_OK) {
        q->auth = (char *)ts_buf_detach(&b, NULL);
        if (!q->auth) q->auth = ts_strdup("");
        if (!q->auth) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (st == TS_OK) st = http_client_new(&q->http, err);
    ts_buf_free(&b);
    if (st != TS_OK) {
        influx_querier_free(q);
        return st;
    }
    *out = q;
    return TS_OK;
}

void influx_querier_free(influx_querier *q)
{
    if (!q) return;
    http_client_free(q->http);
    if (q->auth) memset(q->auth, 0, strlen(q->auth));
    ts_free(q->auth);
    ts_free(q);
}

void influx_count_free(influx_count *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nfields; i++) ts_free(c->fields[i]);
    ts_free(c->fields);
    ts_free(c->counts);
    c->fields = NULL;
    c->counts = NULL;
    c->nfields = 0;
}

uint64_t influx_count_field(const influx_count *c, const char *name)
{
    for (size_t i = 0; i < c->nfields; i++)
        if (strcmp(c->fields[i], name) == 0) return c->counts[i];
    return 0;
}

ts_status influx_query_parse(const char *body, size_t len, bool want_time, bool *found,
                             int64_t *value, influx_count *fields, ts_error *err)
{
    *found = false;
    *value = 0;
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    if (!root) return ts_err_set(err, TS_ERR_CORRUPT, "/query answer is not JSON: %s", je.text);
    ts_status st = TS_OK;
    json_t *res = json_object_get(root, "results");
    json_t *r0 = json_is_array(res) ? json_array_get(res, 0) : NULL;
    json_t *e = json_object_get(root, "error");
    if (!e && r0) e = json_object_get(r0, "error");
    if (json_is_string(e)) {
        st = ts_err_set(err, TS_ERR_REMOTE, "InfluxDB /query: %.300s", json_string_value(e));
        goto out;
    }
    if (!json_is_object(r0)) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "/query answer has no results[0]");
        goto out;
    }
    json_t *series = json_object_get(r0, "series");
    if (!series) goto out; /* no points */
    json_t *s0 = json_is_array(series) ? json_array_get(series, 0) : NULL;
    json_t *vals = s0 ? json_object_get(s0, "values") : NULL;
    json_t *row = json_is_array(vals) ? json_array_get(vals, 0) : NULL;
    if (!json_is_array(row) || json_array_size(row) < 1) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "/query answer: series without values");
        goto out;
    }
    if (want_time) {
        json_t *tv = json_array_get(row, 0);
        if (!json_is_integer(tv)) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "/query answer: time is not an integer (epoch=ns)");
            goto out;
        }
        *value = (int64_t)json_integer_value(tv);
        *found = true;
    } else {
        int64_t best = 0;
        json_t *cols = json_object_get(s0, "columns");
        size_t n = json_array_size(row);
        if (fields && n > 1 && n <= 100000 && json_is_array(cols) && json_array_size(cols) == n) {
            fields->fields = ts_calloc(n, sizeof *fields->fields);
            fields->counts = ts_calloc(n, sizeof *fields->counts);
            if (!fields->fields || !fields->counts) {
                influx_count_free(fields);
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                goto out;
            }
        }
        for (size_t i = 1; i < n; i++) {
            json_t *v = json_array_get(row, i);
            int64_t x = json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
            if (x > best) best = x;
            if (fields && fields->fields) {
                const char *cn = json_string_value(json_array_get(cols, i));
                if (!cn) continue;
                if (strncmp(cn, "count_", 6) == 0) cn += 6;
                if (!(fields->fields[fields->nfields] = ts_strdup(cn))) {
                    st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                    goto out;
                }
                fields->counts[fields->nfields++] = (uint64_t)x;
            }
        }
        *value = best;
        *found = true;
    }
out:
    json_decref(root);
    return st;
}

/* Runs one InfluxQL statement (GET /query) with retries and parses the answer. */
static ts_status run_query(influx_querier *q, const char *ql, bool want_time, bool *found,
                           int64_t *value, influx_count *fields, ts_error *err)
{
    ts_buf url;
    ts_buf_init(&url, 1 << 16);
    ts_status st = influx_query_url(q->t, ql, &url, err);
    if (st != TS_OK) {
        ts_buf_free(&url);
        return st;
    }
    http_header hdr[2];
    size_t nh = 0;
    hdr[nh++] = (http_header){"Accept", "application/json"};
    if (q->auth[0]) hdr[nh++] = (http_header){"Authorization", q->auth};
    http_request req = {.method = "GET", .url = (const char *)url.data, .headers = hdr,
                        .nheaders = nh, .timeout_ms = 300000};
    retry_policy rp;
    retry_policy_default(&rp);
    for (int attempt = 1;; attempt++) {
        http_response resp;
        ts_err_clear(err);
        st = http_send(q->http, &req, &resp, err);
        long status = resp.status;
        bool transient = st == TS_ERR_NETWORK && resp.net_transient;
        if (st == TS_OK && status == 200) {
            st = influx_query_parse((const char *)resp.body.data, resp.body.len, want_time, found,
                                    value, fields, err);
            http_response_free(&resp);
            break;
        }
        if (st == TS_OK) {
            influx_resp_info info;
            influx_resp_parse((int)status, (const char *)resp.body.data, resp.body.len, &info);
            if (status == 404 && !strstr(info.message, "database not found")) {
                st = ts_err_set(err, TS_ERR_NOT_FOUND,
                                "the server has no InfluxQL /query endpoint (HTTP 404)");
            } else if (influx_classify((int)status, &info) == INFLUX_ACT_RETRY &&
                       attempt < rp.max_attempts) {
                const char *ra = http_response_header(&resp, "Retry-After");
                int64_t d = retry_delay_ms(&rp, attempt, ra);
                http_response_free(&resp);
                if (d >= 0) {
                    struct timespec ts = {.tv_sec = d / 1000, .tv_nsec = (d % 1000) * 1000000};
                    nanosleep(&ts, NULL);
                    continue;
                }
                st = ts_err_set(err, TS_ERR_REMOTE, "/query: HTTP %ld", status);
                break;
            } else {
                st = ts_err_set(err, status == 401 || status == 403 ? TS_ERR_AUTH : TS_ERR_REMOTE,
                                "/query: HTTP %ld: %s", status, info.message);
            }
            http_response_free(&resp);
            break;
        }
        http_response_free(&resp);
        if (!transient || attempt >= rp.max_attempts) break;
        int64_t d = retry_delay_ms(&rp, attempt, NULL);
        struct timespec ts = {.tv_sec = d / 1000, .tv_nsec = (d % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    ts_buf_free(&url);
    return st;
}

ts_status influx_count_range(influx_querier *q, const char *measurement, int64_t from, int64_t to,
                             influx_count *out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    ts_buf m, ql;
    ts_buf_init(&m, 1 << 16);
    ts_buf_init(&ql, 1 << 16);
    ts_status st = influx_ql_ident(&m, measurement);
    if (st == TS_OK) st = ts_buf_nul(&m);
    if (st != TS_OK) {
        st = ts_err_set(err, st, "measurement name too long");
        goto out;
    }
    bool found;
    int64_t v;
    if (ts_buf_printf(&ql, "SELECT count(*) FROM %s WHERE time >= %lld AND time < %lld",
                      (const char *)m.data, (long long)from, (long long)to) != TS_OK ||
        ts_buf_nul(&ql) != TS_OK) {
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = run_query(q, (const char *)ql.data, false, &found, &v, out, err)) != TS_OK) goto out;
    out->points = found && v > 0 ? (uint64_t)v : 0;
    if (out->points == 0) goto out;
    for (int dir = 0; dir < 2; dir++) {
        ts_buf_clear(&ql);
        if (ts_buf_printf(&ql,
                          "SELECT * FROM %s WHERE time >= %lld AND time < %lld ORDER BY time %s "
                          "LIMIT 1",
                          (const char *)m.data, (long long)from, (long long)to,
                          dir ? "DESC" : "ASC") != TS_OK ||
            ts_buf_nul(&ql) != TS_OK) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((st = run_query(q, (const char *)ql.data, true, &found, &v, NULL, err)) != TS_OK)
            goto out;
        if (dir) out->max_time = v;
        else out->min_time = v;
    }
out:
    if (st != TS_OK) {
        influx_count_free(out);
        ts_err_context(err, "counting %s in InfluxDB", measurement);
    }
    ts_buf_free(&m);
    ts_buf_free(&ql);
    return st;
}
