/* HTTP over one libcurl easy handle per client: keep-alive, caps on what a
 * server may send, optional streaming of the body into a ts_output. */
#include "net/http.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/ts_alloc.h"

#define HTTP_DEFAULT_TIMEOUT_MS 120000L
#define HTTP_DEFAULT_CONNECT_MS 10000L
#define HTTP_MAX_HEADERS 200

struct http_client {
    CURL *curl;
    char *ca_bundle;
    long connect_ms;
};

/* Per-transfer state the callbacks see. */
typedef struct xfer {
    CURL *curl;
    http_response *resp;
    ts_output *sink;
    ts_error *err;
    ts_status st;        /* first callback failure */
    size_t header_bytes;
} xfer;

ts_status http_client_new(http_client **out, ts_error *err)
{
    *out = NULL;
    /* Idempotent after the first call; libcurl needs it before any handle. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ts_err_set(err, TS_ERR_INTERNAL, "libcurl initialisation failed");
    http_client *c = ts_calloc(1, sizeof *c);
    if (!c) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    c->curl = curl_easy_init();
    if (!c->curl) {
        ts_free(c);
        return ts_err_set(err, TS_ERR_NOMEM, "cannot create a libcurl handle");
    }
    c->connect_ms = HTTP_DEFAULT_CONNECT_MS;
    *out = c;
    return TS_OK;
}

void http_client_free(http_client *c)
{
    if (!c) return;
    curl_easy_cleanup(c->curl);
    ts_free(c->ca_bundle);
    ts_free(c);
}

ts_status http_client_set_ca_bundle(http_client *c, const char *path, ts_error *err)
{
    ts_free(c->ca_bundle);
    c->ca_bundle = NULL;
    if (!path || !*path) return TS_OK;
    c->ca_bundle = ts_strdup(path);
    if (!c->ca_bundle) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

void http_client_set_connect_timeout(http_client *c, long ms)
{
    c->connect_ms = ms > 0 ? ms : HTTP_DEFAULT_CONNECT_MS;
}

static void free_headers(http_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        ts_free((char *)r->headers[i].name);
        ts_free((char *)r->headers[i].value);
    }
    ts_free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

void http_response_free(http_response *r)
{
    if (!r) return;
    free_headers(r);
    ts_buf_free(&r->body);
    r->status = 0;
}

const char *http_response_header(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
    return NULL;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    x->header_bytes += n;
    if (x->header_bytes > TS_MAX_HTTP_HEADER) {
        x->st = ts_err_set(x->err, TS_ERR_LIMIT, "HTTP response headers exceed %zu bytes",
                           (size_t)TS_MAX_HTTP_HEADER);
        return 0;
    }
    /* A status line starts a new header block (after 100 Continue or a
     * proxy CONNECT): keep only the final response's headers. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        free_headers(x->resp);
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon) return n; /* blank line or junk */
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1;
    const char *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (x->resp->nheaders >= HTTP_MAX_HEADERS) return n; /* ignore the excess */
    http_header *nh = ts_realloc(x->resp->headers, (x->resp->nheaders + 1) * sizeof *nh);
    if (!nh) {
        x->st = ts_err_set(x->err, TS_ERR_NOMEM, "out of memory");
        return 0;
    }
    x->resp->headers = nh;
    char *name = ts_strndup(p, nl);
    char *val = ts_strndup(v, (size_t)(end - v));
    if (!name || !val) {
        ts_free(name);
        ts_free(val);
        x->st = ts_err_set(x->err, TS_ERR_NOMEM, "out of memory");
        return 0;
    }
    nh[x->resp->nheaders].name = name;
    nh[x->resp->nheaders].value = val;
    x->resp->nheaders++;
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
    if (x->sink && code >= 200 && code < 300) {
        ts_status st = ts_output_write(x->sink, p, n, x->err);
        if (st != TS_OK) {
            x->st = st;
            return 0;
        }
        x->resp->sink_bytes += n;
        return n;
    }
    ts_status st = ts_buf_append(&x->resp->body, p, n);
    if (st != TS_OK) {
        x->st = ts_err_set(x->err, st, "HTTP response body exceeds %zu bytes", x->resp->body.max);
        return 0;
    }
    return n;
}

/* Failures worth another attempt: the network hiccuped, the server did not
 * answer in time. A bad URL, an unknown host scheme or a certificate that
 * does not verify will not get better by waiting. */
static bool transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: /* DNS can be flaky; retried a bounded number of times */
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

ts_status http_send(http_client *c, const http_request *req, http_response *resp, ts_error *err)
{
    memset(resp, 0, sizeof *resp);
    ts_buf_init(&resp->body, TS_MAX_HTTP_BODY);
    CURL *h = c->curl;
    /* reset keeps the connection cache: that is the keep-alive */
    curl_easy_reset(h);
    xfer x = {.curl = h, .resp = resp, .sink = req->sink, .err = err, .st = TS_OK};
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hl = NULL;
    ts_status st = TS_OK;
    bool have_ct = false;
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header *hd = &req->headers[i];
        if (strcasecmp(hd->name, "content-type") == 0) have_ct = true;
        size_t l = strlen(hd->name) + strlen(hd->value) + 3;
        char *line = ts_malloc(l);
        if (!line) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        /* "Name;" is libcurl's way to send a header with an empty value */
        if (*hd->value) snprintf(line, l, "%s: %s", hd->name, hd->value);
        else snprintf(line, l, "%s;", hd->name);
        struct curl_slist *nl = curl_slist_append(hl, line);
        ts_free(line);
        if (!nl) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        hl = nl;
    }
    /* No "Expect: 100-continue" round trip; no unsigned default type. */
    const char *extra[] = {"Expect:", have_ct ? NULL : "Content-Type:"};
    for (size_t i = 0; i < 2; i++) {
        if (!extra[i]) continue;
        struct curl_slist *nl = curl_slist_append(hl, extra[i]);
        if (!nl) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        hl = nl;
    }

    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    if (req->timeout_ms >= 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms
                                                                     : HTTP_DEFAULT_TIMEOUT_MS);
    /* a stalled peer fails even without a total timeout */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tsarchive");
    if (c->ca_bundle) curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);

    const char *m = req->method ? req->method : "GET";
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "GET") == 0 && req->body_len == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        /* POSTFIELDS with a custom verb sends the body for PUT/POST/DELETE
         * alike, with an exact Content-Length and no chunking. */
        if (strcmp(m, "POST") != 0) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
        if (req->body_len > 0 || strcmp(m, "DELETE") != 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? (const char *)req->body : "");
        }
    }

    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    resp->status = code;
    if (x.st != TS_OK) {
        st = x.st;
        goto done;
    }
    if (rc != CURLE_OK) {
        resp->net_transient = transient(rc);
        resp->status = 0;
        st = ts_err_set(err, TS_ERR_NETWORK, "%s %s: %s", m, req->url,
                        errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto done;
    }
done:
    curl_slist_free_all(hl);
    /* the error buffer is on this stack frame */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    return st;
}
