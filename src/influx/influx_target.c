/* Restore target URLs: influx://, influxs://, influx1://, influx1s:// into a
 * target record, and the write/query URLs and auth headers built from it. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "influx/influx.h"
#include "net/sigv4.h"

/* Percent-decodes s[0..n) into a new string; NULL on a bad escape or a NUL. */
static char *pct_decode(const char *s, size_t n)
{
    char *o = ts_malloc(n + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= n) goto bad;
            h = sigv4_hex_digit((unsigned char)s[i + 1]);
            l = sigv4_hex_digit((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) goto bad;
            o[j++] = (char)(h * 16 + l);
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    return o;
bad:
    ts_free(o);
    return NULL;
}

ts_status influx_url_escape(ts_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            TS_TRY(ts_buf_append_byte(out, *p));
        } else {
            uint8_t e[3] = {'%', (uint8_t)hex[*p >> 4], (uint8_t)hex[*p & 15]};
            TS_TRY(ts_buf_append(out, e, 3));
        }
    }
    return TS_OK;
}

void influx_target_free(influx_target *t)
{
    if (!t) return;
    ts_free(t->base);
    ts_free(t->org);
    ts_free(t->bucket);
    ts_free(t->db);
    ts_free(t->rp);
    if (t->token) memset(t->token, 0, strlen(t->token));
    ts_free(t->token);
    ts_free(t->username);
    if (t->password) memset(t->password, 0, strlen(t->password));
    ts_free(t->password);
    memset(t, 0, sizeof *t);
}

static bool set_str(char **dst, const char *v)
{
    ts_free(*dst);
    *dst = v ? ts_strdup(v) : NULL;
    return v == NULL || *dst != NULL;
}

/* A host[:port] is letters, digits, '.', '-', '_' or a bracketed IPv6
 * literal, then an optional port of 1..5 digits. */
static bool host_ok(const char *h, size_t n)
{
    if (n == 0) return false;
    size_t i = 0;
    if (h[0] == '[') {
        while (i < n && h[i] != ']') {
            if (!(isxdigit((unsigned char)h[i]) || h[i] == ':' || h[i] == '[' || h[i] == '.'))
                return false;
            i++;
        }
        if (i == n) return false;
        i++;
    } else {
        while (i < n && h[i] != ':') {
            unsigned char c = (unsigned char)h[i];
            if (!(isalnum(c) || c == '.' || c == '-' || c == '_')) return false;
            i++;
        }
        if (i == 0) return false;
    }
    if (i == n) return true;
    if (h[i] != ':') return false;
    i++;
    size_t digits = n - i;
    if (digits == 0 || digits > 5) return false;
    for (; i < n; i++)
        if (!isdigit((unsigned char)h[i])) return false;
    return true;
}

/* Splits INFLUX_HOST ("http://h:8086", "https://h", "h:8086") into tls + host. */
static ts_status env_host(const char *v, bool *tls, char **host, ts_error *err)
{
    const char *p = v;
    if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else if (strncmp(p, "https://", 8) == 0) {
        p += 8;
        *tls = true;
    }
    size_t n = strcspn(p, "/");
    if (!host_ok(p, n))
        return ts_err_set(err, TS_ERR_USAGE, "INFLUX_HOST \"%s\" is not http[s]://host[:port]", v);
    *host = ts_strndup(p, n);
    return *host ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
}

/* The URL as error messages show it: a password in user:password@ and the
 * value of any query item but the known, harmless ones become "***" (a
 * token pasted into the query must not reach a terminal or the audit log). */
static void shown_url(const char *url, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = url, *sch = strstr(url, "://");
    const char *auth = sch ? sch + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', alen);
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
#define PUT(s, n) (o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%.*s", (int)(n), (s)))
    if (colon) {
        PUT(p, colon + 1 - p);
        PUT("***", 3);
        p = at;
    }
    const char *q = strchr(p, '?');
    if (!q) {
        PUT(p, strlen(p));
    } else {
        PUT(p, q - p);
        for (const char *it = q; *it;) {
            PUT(it, 1); /* '?' or '&' */
            it++;
            size_t n = strcspn(it, "&#"), k = strcspn(it, "=");
            bool known = k < n && ((k == 3 && !strncmp(it, "org", 3)) || (k == 6 && !strncmp(it, "bucket", 6)) ||
                                   (k == 2 && (!strncmp(it, "rp", 2) || !strncmp(it, "db", 2))) ||
                                   (k == 3 && !strncmp(it, "tls", 3)));
            if (known || k >= n) {
                PUT(it, n);
            } else {
                PUT(it, k + 1);
                PUT("***", 3);
            }
            it += n;
            if (*it == '#') {
                PUT(it, strlen(it));
                break;
            }
        }
    }
#undef PUT
    if (o >= cap && cap) out[cap - 1] = '\0';
}

ts_status influx_target_parse(const char *url, const influx_env *env, influx_target *t,
                              ts_error *err)
{
    static const influx_env none = {0};
    if (!env) env = &none;
    char shown[1024];
    shown_url(url, shown, sizeof shown);
    memset(t, 0, sizeof *t);
    const char *p;
    if (strncmp(url, "influx1s://", 11) == 0) {
        t->api = INFLUX_API_V1, t->tls = true, p = url + 11;
    } else if (strncmp(url, "influx1://", 10) == 0) {
        t->api = INFLUX_API_V1, p = url + 10;
    } else if (strncmp(url, "influxs://", 10) == 0) {
        t->api = INFLUX_API_V2, t->tls = true, p = url + 10;
    } else if (strncmp(url, "influx://", 9) == 0) {
        t->api = INFLUX_API_V2, p = url + 9;
    } else {
        return ts_err_set(err, TS_ERR_USAGE,
                          "target \"%s\": expected influx://host:port?org=O&bucket=B, "
                          "influx1://host:port/db, or the https forms influxs:// and influx1s://",
                          shown);
    }
    ts_status st = TS_OK;
    char *host = NULL;
    /* authority = up to '/', '?' or end */
    size_t alen = strcspn(p, "/?#");
    if (p[alen] == '#') {
        st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": a fragment (#) is not allowed", shown);
        goto out;
    }
    const char *auth = p, *at = memchr(p, '@', alen);
    if (at) {
        if (t->api != INFLUX_API_V1) {
            st = ts_err_set(err, TS_ERR_USAGE,
                            "target: user:password@ is for influx1:// only; v2 uses a token "
                            "(INFLUX_TOKEN)");
            goto out;
        }
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        t->username = pct_decode(auth, ulen);
        t->password = colon ? pct_decode(colon + 1, (size_t)(at - colon - 1)) : ts_strdup("");
        if (!t->username || !t->password) {
            st = ts_err_set(err, TS_ERR_USAGE, "target: bad percent-escape in user:password");
            goto out;
        }
        alen -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    if (alen == 0) {
        if (!env->host) {
            st = ts_err_set(err, TS_ERR_USAGE,
                            "target \"%s\" names no host and INFLUX_HOST is not set", shown);
            goto out;
        }
        bool tls = false;
        if ((st = env_host(env->host, &tls, &host, err)) != TS_OK) goto out;
        if (tls) t->tls = true;
    } else {
        if (!host_ok(auth, alen)) {
            st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": bad host:port \"%.*s\"", shown,
                            (int)alen, auth);
            goto out;
        }
        host = ts_strndup(auth, alen);
    }
    p = auth + alen;
    /* path: v1 database */
    if (*p == '/') {
        p++;
        size_t plen = strcspn(p, "?");
        if (plen > 0) {
            if (t->api != INFLUX_API_V1) {
                st = ts_err_set(err, TS_ERR_USAGE,
                                "target \"%s\": influx:// takes ?org=…&bucket=…, not a path "
                                "(use influx1://host:port/db for InfluxDB 1.x)",
                                shown);
                goto out;
            }
            t->db = pct_decode(p, plen);
            if (!t->db || strchr(t->db, '/')) {
                st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": bad database name", shown);
                goto out;
            }
        }
        p += plen;
    }
    if (*p == '?') {
        p++;
        while (*p) {
            size_t kvlen = strcspn(p, "&");
            const char *eq = memchr(p, '=', kvlen);
            if (!eq) {
                st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": query item \"%.*s\" has no '='",
                                shown, (int)kvlen, p);
                goto out;
            }
            size_t klen = (size_t)(eq - p);
            char *val = pct_decode(eq + 1, kvlen - klen - 1);
            if (!val) {
                st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": bad percent-escape", shown);
                goto out;
            }
            char **dst = NULL;
            bool v2only = false, v1only = false;
            if (klen == 3 && memcmp(p, "org", 3) == 0) dst = &t->org, v2only = true;
            else if (klen == 6 && memcmp(p, "bucket", 6) == 0) dst = &t->bucket, v2only = true;
            else if (klen == 2 && memcmp(p, "rp", 2) == 0) dst = &t->rp, v1only = true;
            else if (klen == 2 && memcmp(p, "db", 2) == 0) dst = &t->db, v1only = true;
            else if (klen == 3 && memcmp(p, "tls", 3) == 0) {
                if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0) t->tls = true;
                else if ((strcmp(val, "0") == 0 || strcmp(val, "false") == 0) && !t->tls) {
                    /* plain http, as the scheme says */
                } else {
                    ts_free(val);
                    st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": tls= takes 1 (or 0 with an http scheme)", shown);
                    goto out;
                }
                ts_free(val);
                p += kvlen;
                if (*p == '&') p++;
                continue;
            } else {
                ts_free(val);
                st = ts_err_set(err, TS_ERR_USAGE,
                                "target \"%s\": unknown parameter \"%.*s\" (known: org, bucket, "
                                "rp, db, tls)",
                                shown, (int)klen, p);
                goto out;
            }
            if ((v2only && t->api != INFLUX_API_V2) || (v1only && t->api != INFLUX_API_V1)) {
                ts_free(val);
                st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": \"%.*s\" is for %s targets",
                                shown, (int)klen, p, v2only ? "influx://" : "influx1://");
                goto out;
            }
            ts_free(*dst);
            *dst = val;
            p += kvlen;
            if (*p == '&') p++;
        }
    }
    /* defaults from the environment, then checks */
    if (t->api == INFLUX_API_V2) {
        if (!t->org && env->org && !set_str(&t->org, env->org)) goto nomem;
        if (env->token && !set_str(&t->token, env->token)) goto nomem;
        if (!t->bucket || !*t->bucket) {
            st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": bucket= is required for influx://",
                            shown);
            goto out;
        }
    } else {
        if (!t->username && env->username) {
            if (!set_str(&t->username, env->username)) goto nomem;
            if (!set_str(&t->password, env->password ? env->password : "")) goto nomem;
        }
        if (!t->db || !*t->db) {
            st = ts_err_set(err, TS_ERR_USAGE, "target \"%s\": influx1://host:port/DB needs a database",
                            shown);
            goto out;
        }
    }
    {
        ts_buf b;
        ts_buf_init(&b, 4096);
        if (ts_buf_printf(&b, "%s://%s", t->tls ? "https" : "http", host) != TS_OK ||
            ts_buf_nul(&b) != TS_OK) {
            ts_buf_free(&b);
            goto nomem;
        }
        t->base = (char *)ts_buf_detach(&b, NULL);
    }
    ts_free(host);
    return TS_OK;
nomem:
    st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
out:
    ts_free(host);
    influx_target_free(t);
    return st;
}

ts_status influx_target_describe(const influx_target *t, ts_buf *out)
{
    if (t->api == INFLUX_API_V2) {
        TS_TRY(ts_buf_printf(out, "%s (InfluxDB v2 API) org=%s bucket=%s", t->base,
                             t->org ? t->org : "-", t->bucket));
    } else {
        TS_TRY(ts_buf_printf(out, "%s (InfluxDB v1 API) db=%s rp=%s%s%s", t->base, t->db,
                             t->rp ? t->rp : "(default)", t->username ? " user=" : "",
                             t->username ? t->username : ""));
    }
    return ts_buf_nul(out);
}

ts_status influx_write_url(const influx_target *t, ts_buf *out, ts_error *err)
{
    ts_status st;
    if (t->api == INFLUX_API_V2) {
        st = ts_buf_printf(out, "%s/api/v2/write?", t->base);
        if (st == TS_OK && t->org) {
            st = ts_buf_append_str(out, "org=");
            if (st == TS_OK) st = influx_url_escape(out, t->org);
            if (st == TS_OK) st = ts_buf_append_byte(out, '&');
        }
        if (st == TS_OK) st = ts_buf_append_str(out, "bucket=");
        if (st == TS_OK) st = influx_url_escape(out, t->bucket);
        if (st == TS_OK) st = ts_buf_append_str(out, "&precision=ns");
    } else {
        st = ts_buf_printf(out, "%s/write?db=", t->base);
        if (st == TS_OK) st = influx_url_escape(out, t->db);
        if (st == TS_OK && t->rp) {
            st = ts_buf_append_str(out, "&rp=");
            if (st == TS_OK) st = influx_url_escape(out, t->rp);
        }
        if (st == TS_OK) st = ts_buf_append_str(out, "&precision=n");
    }
    if (st == TS_OK) st = ts_buf_nul(out);
    if (st != TS_OK) return ts_err_set(err, st, "building the write URL");
    return TS_OK;
}

ts_status influx_query_url(const influx_target *t, const char *q, ts_buf *out, ts_error *err)
{
    ts_status st = ts_buf_printf(out, "%s/query?db=", t->base);
    if (st == TS_OK) st = influx_url_escape(out, t->api == INFLUX_API_V2 ? t->bucket : t->db);
    if (st == TS_OK && t->rp) {
        st = ts_buf_append_str(out, "&rp=");
        if (st == TS_OK) st = influx_url_escape(out, t->rp);
    }
    if (st == TS_OK) st = ts_buf_append_str(out, "&epoch=ns&q=");
    if (st == TS_OK) st = influx_url_escape(out, q);
    if (st == TS_OK) st = ts_buf_nul(out);
    if (st != TS_OK) return ts_err_set(err, st, "building the query URL");
    return TS_OK;
}

static ts_status base64(ts_buf *out, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        uint8_t q[4] = {(uint8_t)tab[(v >> 18) & 63], (uint8_t)tab[(v >> 12) & 63],
                        (uint8_t)(i + 1 < n ? tab[(v >> 6) & 63] : '='),
                        (uint8_t)(i + 2 < n ? tab[v & 63] : '=')};
        TS_TRY(ts_buf_append(out, q, 4));
    }
    return TS_OK;
}

ts_status influx_auth_header(const influx_target *t, ts_buf *out, ts_error *err)
{
    ts_status st = TS_OK;
    if (t->api == INFLUX_API_V2) {
        if (t->token && *t->token) st = ts_buf_printf(out, "Token %s", t->token);
    } else if (t->username) {
        ts_buf cred;
        ts_buf_init(&cred, 8192);
        st = ts_buf_printf(&cred, "%s:%s", t->username, t->password ? t->password : "");
        if (st == TS_OK) st = ts_buf_append_str(out, "Basic ");
        if (st == TS_OK) st = base64(out, cred.data, cred.len);
        if (cred.data) memset(cred.data, 0, cred.len);
        ts_buf_free(&cred);
    }
    if (st == TS_OK) st = ts_buf_nul(out);
    if (st != TS_OK) return ts_err_set(err, st, "building the Authorization header");
    return TS_OK;
}

ts_status influx_ql_ident(ts_buf *out, const char *name)
{
    TS_TRY(ts_buf_append_byte(out, '"'));
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\') TS_TRY(ts_buf_append_byte(out, '\\'));
        TS_TRY(ts_buf_append_byte(out, (uint8_t)*p));
    }
    return ts_buf_append_byte(out, '"');
}
