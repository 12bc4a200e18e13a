/* AWS Signature Version 4: canonical request → string to sign → HMAC chain
 * → Authorization header. Pure: clock and credentials come from the caller. */
#include "net/sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"

#define SIGV4_MAX_HEADERS 64
#define SIGV4_MAX_QUERY_PARAMS 256
#define SIGV4_MAX_STR ((size_t)1 << 20)

static bool unreserved(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

ts_status sigv4_uri_encode(ts_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (unreserved(ch) || (keep_slash && ch == '/')) {
            TS_TRY(ts_buf_append_byte(out, ch));
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            TS_TRY(ts_buf_append(out, e, 3));
        }
    }
    return TS_OK;
}

int sigv4_hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* %XX → byte; a '%' not followed by two hex digits stays literal. */
static ts_status uri_decode(ts_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            int hi = sigv4_hex_digit((unsigned char)s[i + 1]);
            int lo = sigv4_hex_digit((unsigned char)s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                TS_TRY(ts_buf_append_byte(out, (uint8_t)(hi * 16 + lo)));
                i += 2;
                continue;
            }
        }
        TS_TRY(ts_buf_append_byte(out, (uint8_t)s[i]));
    }
    return TS_OK;
}

/* RFC 3986 remove_dot_segments on a path that starts with '/'. */
static ts_status remove_dots(ts_buf *out, const char *p, size_t n)
{
    /* segments are pushed to out; ".." pops back to the previous '/' */
    size_t i = 0;
    TS_TRY(ts_buf_append_byte(out, '/'));
    if (n && p[0] == '/') i = 1;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != '/') j++;
        size_t sl = j - i;
        bool last = j >= n;
        if (sl == 1 && p[i] == '.') {
            /* skip */
        } else if (sl == 2 && p[i] == '.' && p[i + 1] == '.') {
            /* drop the last segment: out ends with '/'; find the one before */
            if (out->len > 1) {
                size_t k = out->len - 1;
                while (k > 0 && out->data[k - 1] != '/') k--;
                out->len = k;
            }
        } else {
            TS_TRY(ts_buf_append(out, p + i, sl));
            if (!last) TS_TRY(ts_buf_append_byte(out, '/'));
        }
        if (last) break;
        i = j + 1;
    }
    return TS_OK;
}

ts_status sigv4_canonical_uri(ts_buf *out, const char *path, size_t n, bool s3)
{
    if (n == 0) return ts_buf_append_byte(out, '/');
    ts_buf tmp;
    ts_buf_init(&tmp, SIGV4_MAX_STR);
    ts_status st;
    if (s3) {
        /* S3: the key is encoded exactly once; decoding first makes "%3D"
         * and "=" sign the same, so year=2024 keys match what S3 computes. */
        st = uri_decode(&tmp, path, n);
        if (st == TS_OK) st = sigv4_uri_encode(out, (const char *)tmp.data, tmp.len, true);
    } else {
        /* Other services: normalise, then encode the wire path once more. */
        st = remove_dots(&tmp, path, n);
        if (st == TS_OK) st = sigv4_uri_encode(out, (const char *)tmp.data, tmp.len, true);
    }
    ts_buf_free(&tmp);
    return st;
}

typedef struct qparam {
    char *k, *v; /* encoded */
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static ts_status encode_component(const char *s, size_t n, char **out)
{
    ts_buf d, e;
    ts_buf_init(&d, SIGV4_MAX_STR);
    ts_buf_init(&e, SIGV4_MAX_STR);
    ts_status st = uri_decode(&d, s, n);
    if (st == TS_OK) st = sigv4_uri_encode(&e, d.data ? (const char *)d.data : "", d.len, false);
    if (st == TS_OK) st = ts_buf_nul(&e);
    ts_buf_free(&d);
    if (st != TS_OK) {
        ts_buf_free(&e);
        return st;
    }
    if (!e.data) {
        *out = ts_strdup("");
        return *out ? TS_OK : TS_ERR_NOMEM;
    }
    *out = (char *)e.data;
    return TS_OK;
}

ts_status sigv4_canonical_query(ts_buf *out, const char *q, size_t n, ts_error *err)
{
    qparam *ps = NULL;
    size_t np = 0;
    ts_status st = TS_OK;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            if (np >= SIGV4_MAX_QUERY_PARAMS) {
                st = ts_err_set(err, TS_ERR_LIMIT, "sigv4: more than %d query parameters",
                                SIGV4_MAX_QUERY_PARAMS);
                goto done;
            }
            const char *eq = memchr(q + i, '=', j - i);
            size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
            qparam *np2 = ts_realloc(ps, (np + 1) * sizeof *ps);
            if (!np2) {
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                goto done;
            }
            ps = np2;
            ps[np].k = ps[np].v = NULL;
            np++;
            st = encode_component(q + i, kl, &ps[np - 1].k);
            if (st == TS_OK)
                st = eq ? encode_component(eq + 1, (size_t)(q + j - eq - 1), &ps[np - 1].v)
                        : encode_component("", 0, &ps[np - 1].v);
            if (st != TS_OK) {
                st = ts_err_set(err, st, "sigv4: cannot encode the query");
                goto done;
            }
        }
        i = j + 1;
    }
    if (np) qsort(ps, np, sizeof *ps, qparam_cmp);
    for (size_t k = 0; k < np && st == TS_OK; k++) {
        if (k) st = ts_buf_append_byte(out, '&');
        if (st == TS_OK) st = ts_buf_append_str(out, ps[k].k);
        if (st == TS_OK) st = ts_buf_append_byte(out, '=');
        if (st == TS_OK) st = ts_buf_append_str(out, ps[k].v);
    }
    if (st != TS_OK) st = ts_err_set(err, st, "sigv4: query too long");
done:
    for (size_t k = 0; k < np; k++) {
        ts_free(ps[k].k);
        ts_free(ps[k].v);
    }
    ts_free(ps);
    return st;
}

void sigv4_amz_date(int64_t now_s, char out[17])
{
    ts_tm tm;
    ts_time_split(now_s * TS_NS_PER_SEC, &tm);
    snprintf(out, 17, "%04lld%02u%02uT%02u%02u%02uZ", (long long)tm.year, tm.month, tm.day,
             tm.hour, tm.min, tm.sec);
}

typedef struct chdr {
    char *name;  /* lower-case */
    char *value; /* trimmed, spaces collapsed; duplicates joined with ',' */
} chdr;

static int chdr_cmp(const void *a, const void *b)
{
    return strcmp(((const chdr *)a)->name, ((const chdr *)b)->name);
}

/* Trims and collapses runs of spaces/tabs to one space. */
static char *canon_value(ts_arena *a, const char *v)
{
    size_t n = strlen(v);
    char *o = ts_arena_alloc(a, n + 1);
    if (!o) return NULL;
    size_t k = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            space = k > 0;
            continue;
        }
        if (space) o[k++] = ' ';
        space = false;
        o[k++] = ch;
    }
    o[k] = '\0';
    return o;
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    unsigned int ol = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &ol);
}

/* Splits scheme://authority/path?query; host is the authority without
 * userinfo; default ports are dropped as curl does in its Host header. */
static ts_status split_url(const char *url, ts_arena *a, char **host, const char **path,
                           size_t *plen, const char **query, size_t *qlen, ts_error *err)
{
    const char *p = strstr(url, "://");
    if (!p) return ts_err_set(err, TS_ERR_USAGE, "sigv4: not an absolute URL: %s", url);
    bool https = (size_t)(p - url) == 5 && strncasecmp(url, "https", 5) == 0;
    const char *auth = p + 3;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', (size_t)(end - auth));
    if (at) auth = at + 1;
    size_t hl = (size_t)(end - auth);
    if (hl == 0) return ts_err_set(err, TS_ERR_USAGE, "sigv4: URL without a host: %s", url);
    if (https && hl > 4 && memcmp(end - 4, ":443", 4) == 0) hl -= 4;
    else if (!https && hl > 3 && memcmp(end - 3, ":80", 3) == 0) hl -= 3;
    *host = ts_arena_strndup(a, auth, hl);
    if (!*host) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (char *h = *host; *h; h++) *h = (char)tolower((unsigned char)*h);
    const char *rest = end;
    size_t pl = strcspn(rest, "?#");
    *path = rest;
    *plen = pl;
    if (rest[pl] == '?') {
        *query = rest + pl + 1;
        *qlen = strcspn(*query, "#");
    } else {
        *query = "";
        *qlen = 0;
    }
    return TS_OK;
}

ts_status sigv4_sign(const aws_credentials *cr, const char *region, const char *service,
                     int64_t now_s, const char *method, const char *url,
                     const http_header *headers_in, size_t nin, const uint8_t *body,
                     size_t body_len, bool unsigned_payload, http_header **headers_out,
                     size_t *nout, ts_arena *arena, ts_error *err)
{
    return sigv4_sign_trace(cr, region, service, now_s, method, url, headers_in, nin, body,
                            body_len, unsigned_payload, headers_out, nout, NULL, arena, err);
}

ts_status sigv4_sign_trace(const aws_credentials *cr, const char *region, const char *service,
                           int64_t now_s, const char *method, const char *url,
                           const http_header *headers_in, size_t nin, const uint8_t *body,
                           size_t body_len, bool unsigned_payload, http_header **headers_out,
                           size_t *nout, sigv4_trace *trace, ts_arena *arena, ts_error *err)
{
    *headers_out = NULL;
    *nout = 0;
    if (!cr || !cr->access_key_id || !cr->secret_access_key || !*cr->access_key_id)
        return ts_err_set(err, TS_ERR_AUTH, "sigv4: no credentials to sign with");
    if (!region || !*region || !service || !*service)
        return ts_err_set(err, TS_ERR_USAGE, "sigv4: region and service are required");
    if (nin > SIGV4_MAX_HEADERS)
        return ts_err_set(err, TS_ERR_LIMIT, "sigv4: more than %d headers", SIGV4_MAX_HEADERS);
    bool s3 = strcmp(service, "s3") == 0;

    char *host = NULL;
    const char *path = "", *query = "";
    size_t plen = 0, qlen = 0;
    TS_TRY(split_url(url, arena, &host, &path, &plen, &query, &qlen, err));

    char amz_date[17];
    sigv4_amz_date(now_s, amz_date);
    char date[9];
    memcpy(date, amz_date, 8);
    date[8] = '\0';

    /* payload hash: a caller-supplied x-amz-content-sha256 wins */
    const char *payload_hash = NULL;
    bool have_host = false, have_date = false, have_token = false;
    for (size_t i = 0; i < nin; i++) {
        const char *n = headers_in[i].name;
        if (strcasecmp(n, "x-amz-content-sha256") == 0) payload_hash = headers_in[i].value;
        else if (strcasecmp(n, "host") == 0) have_host = true;
        else if (strcasecmp(n, "x-amz-date") == 0) have_date = true;
        else if (strcasecmp(n, "x-amz-security-token") == 0) have_token = true;
    }
    char hexbuf[TS_SHA256_HEX_LEN];
    bool add_sha_header = false;
    if (!payload_hash) {
        if (unsigned_payload) {
            payload_hash = SIGV4_UNSIGNED_PAYLOAD;
        } else {
            uint8_t d[32];
            ts_sha256_once(body ? (const void *)body : "", body_len, d);
            ts_hex(d, 32, hexbuf);
            payload_hash = hexbuf;
        }
        add_sha_header = s3;
    }

    /* all headers to send: input + added ones + Authorization */
    size_t cap = nin + 5;
    http_header *hs = ts_arena_alloc(arena, cap * sizeof *hs);
    if (!hs) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    size_t nh = 0;
    for (size_t i = 0; i < nin; i++) hs[nh++] = headers_in[i];
    if (!have_host) hs[nh++] = (http_header){"Host", host};
    if (!have_date) {
        char *d = ts_arena_strndup(arena, amz_date, 16);
        if (!d) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        hs[nh++] = (http_header){"X-Amz-Date", d};
    }
    if (add_sha_header) {
        char *v = ts_arena_strndup(arena, payload_hash, strlen(payload_hash));
        if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        hs[nh++] = (http_header){"X-Amz-Content-Sha256", v};
    }
    if (!have_token && cr->session_token && *cr->session_token)
        hs[nh++] = (http_header){"X-Amz-Security-Token", cr->session_token};

    /* canonical headers: lower-case names, sorted, duplicates joined */
    chdr ch[SIGV4_MAX_HEADERS + 5];
    size_t nc = 0;
    for (size_t i = 0; i < nh; i++) {
        char *ln = ts_arena_strndup(arena, hs[i].name, strlen(hs[i].name));
        char *cv = canon_value(arena, hs[i].value ? hs[i].value : "");
        if (!ln || !cv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (char *q = ln; *q; q++) *q = (char)tolower((unsigned char)*q);
        bool merged = false;
        for (size_t k = 0; k < nc; k++) {
            if (strcmp(ch[k].name, ln) == 0) {
                size_t l = strlen(ch[k].value) + strlen(cv) + 2;
                char *j = ts_arena_alloc(arena, l);
                if (!j) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                snprintf(j, l, "%s,%s", ch[k].value, cv);
                ch[k].value = j;
                merged = true;
                break;
            }
        }
        if (!merged) ch[nc++] = (chdr){ln, cv};
    }
    if (nc) qsort(ch, nc, sizeof *ch, chdr_cmp);

    ts_buf creq, signed_h, tmp;
    ts_buf_init(&creq, SIGV4_MAX_STR);
    ts_buf_init(&signed_h, SIGV4_MAX_STR);
    ts_buf_init(&tmp, SIGV4_MAX_STR);
    ts_status st = TS_OK;
#define CHK(e)                                                                    \
    do {                                                                          \
        if ((st = (e)) != TS_OK) {                                                \
            st = ts_err_set(err, st, "sigv4: cannot build the canonical request"); \
            goto done;                                                            \
        }                                                                         \
    } while (0)
    CHK(ts_buf_append_str(&creq, method));
    CHK(ts_buf_append_byte(&creq, '\n'));
    CHK(sigv4_canonical_uri(&creq, path, plen, s3));
    CHK(ts_buf_append_byte(&creq, '\n'));
    if ((st = sigv4_canonical_query(&creq, query, qlen, err)) != TS_OK) goto done;
    CHK(ts_buf_append_byte(&creq, '\n'));
    for (size_t k = 0; k < nc; k++) {
        CHK(ts_buf_printf(&creq, "%s:%s\n", ch[k].name, ch[k].value));
        if (k) CHK(ts_buf_append_byte(&signed_h, ';'));
        CHK(ts_buf_append_str(&signed_h, ch[k].name));
    }
    CHK(ts_buf_nul(&signed_h));
    CHK(ts_buf_printf(&creq, "\n%s\n%s", (const char *)signed_h.data, payload_hash));
    CHK(ts_buf_nul(&creq));

    uint8_t d[32];
    char creq_hex[TS_SHA256_HEX_LEN];
    ts_sha256_once(creq.data, creq.len, d);
    ts_hex(d, 32, creq_hex);
    CHK(ts_buf_printf(&tmp, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date,
                      region, service, creq_hex));
    CHK(ts_buf_nul(&tmp));

    /* signing key: HMAC chain over date, region, service, "aws4_request" */
    {
        size_t sl = strlen(cr->secret_access_key);
        char *k0 = ts_malloc(sl + 5);
        if (!k0) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(k0, "AWS4", 4);
        memcpy(k0 + 4, cr->secret_access_key, sl + 1);
        uint8_t k1[32], k2[32], k3[32], k4[32], sig[32];
        hmac(k0, sl + 4, date, 8, k1);
        OPENSSL_cleanse(k0, sl + 4);
        ts_free(k0);
        hmac(k1, 32, region, strlen(region), k2);
        hmac(k2, 32, service, strlen(service), k3);
        hmac(k3, 32, "aws4_request", 12, k4);
        hmac(k4, 32, tmp.data, tmp.len, sig);
        OPENSSL_cleanse(k4, sizeof k4);
        char sighex[TS_SHA256_HEX_LEN];
        ts_hex(sig, 32, sighex);
        size_t al = strlen(cr->access_key_id) + strlen(region) + strlen(service) +
                    signed_h.len + 200;
        char *auth = ts_arena_alloc(arena, al);
        if (!auth) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(auth, al,
                 "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                 "Signature=%s",
                 cr->access_key_id, date, region, service, (const char *)signed_h.data, sighex);
        hs[nh++] = (http_header){"Authorization", auth};
        if (trace) {
            trace->canonical_request = ts_arena_strndup(arena, (const char *)creq.data, creq.len);
            trace->string_to_sign = ts_arena_strndup(arena, (const char *)tmp.data, tmp.len);
            trace->signed_headers =
                ts_arena_strndup(arena, (const char *)signed_h.data, signed_h.len);
            trace->signature = ts_arena_strndup(arena, sighex, 64);
        }
    }
    *headers_out = hs;
    *nout = nh;
#undef CHK
done:
    ts_buf_free(&creq);
    ts_buf_free(&signed_h);
    ts_buf_free(&tmp);
    return st;
}
