/* S3 (restXml) over our signer: objects, multipart uploads, listings and
 * buckets. Every error names the object: "s3://bucket/key: Code: message". */
#include "aws/aws_s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "aws/aws_xml.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_hash.h"
#include "net/sigv4.h"

#define S3_XML_MAX ((size_t)16 << 20)

bool s3_bucket_name_valid(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!(islower((unsigned char)ch) || isdigit((unsigned char)ch) || ch == '.' || ch == '-'))
            return false;
    }
    return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]);
}

static void b64(const uint8_t *p, size_t n, char *out /* 4*ceil(n/3)+1 */)
{
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static void md5_b64(const uint8_t *p, size_t n, char out[32])
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_Digest(p ? (const void *)p : "", n, d, &dl, EVP_md5(), NULL);
    b64(d, dl, out);
}

ts_status s3_object_url(aws_client *c, const char *bucket, const char *key, const char *query,
                        char **url, ts_error *err)
{
    *url = NULL;
    char *ep;
    bool custom;
    TS_TRY(aws_endpoint(aws_client_config(c), "S3", &ep, &custom, err));
    ts_buf b;
    ts_buf_init(&b, (size_t)64 << 10);
    ts_status st;
    /* virtual-hosted only where the bucket is a valid host label: a dot
     * would break the wildcard certificate */
    bool vhost = !custom && !strchr(bucket, '.');
    if (vhost) {
        const char *rest = strstr(ep, "://");
        rest = rest ? rest + 3 : ep;
        st = ts_buf_printf(&b, "https://%s.%s/", bucket, rest);
    } else {
        st = ts_buf_printf(&b, "%s/%s%s", ep, bucket, key && *key ? "/" : "");
    }
    if (st == TS_OK && key && *key) st = sigv4_uri_encode(&b, key, strlen(key), true);
    if (st == TS_OK && query) st = ts_buf_printf(&b, "?%s", query);
    if (st == TS_OK) st = ts_buf_nul(&b);
    ts_free(ep);
    if (st != TS_OK) {
        ts_buf_free(&b);
        return ts_err_set(err, st, "s3://%s/%s: URL too long", bucket, key ? key : "");
    }
    *url = (char *)b.data;
    return TS_OK;
}

/* Turns a non-2xx response into the error message. op is the S3 API name
 * (for the IAM permission hint). */
static ts_status s3_fail(aws_client *c, const http_response *r, const char *op,
                         const char *bucket, const char *key, ts_error *err)
{
    char code[AWS_ERR_CODE_MAX], msg[512];
    aws_error_parse(r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
    ts_status st = aws_error_status(r->status, code);
    const aws_config *cfg = aws_client_config(c);
    char where[1200];
    snprintf(where, sizeof where, "s3://%s/%s", bucket, key ? key : "");
    if (strcmp(code, "AccessDenied") == 0)
        return ts_err_set(err, st, "%s: AccessDenied: %s (the identity from %s needs s3:%s)",
                          where, msg, cfg->cred_source ? cfg->cred_source : "?", op);
    if (st == TS_ERR_AUTH)
        return ts_err_set(err, st,
                          "%s: %s: %s (check the credentials from %s, region %s and the clock)",
                          where, code, msg, cfg->cred_source ? cfg->cred_source : "?",
                          cfg->region);
    if (strcmp(code, "NoSuchBucket") == 0)
        return ts_err_set(err, st, "%s: NoSuchBucket: bucket '%s' does not exist (region %s)",
                          where, bucket, cfg->region);
    if (strcmp(code, "PermanentRedirect") == 0 || r->status == 301)
        return ts_err_set(err, TS_ERR_REMOTE,
                          "%s: the bucket is in another region than %s: set AWS_REGION to the "
                          "bucket's region%s%s",
                          where, cfg->region,
                          http_response_header(r, "x-amz-bucket-region") ? " " : "",
                          http_response_header(r, "x-amz-bucket-region")
                              ? http_response_header(r, "x-amz-bucket-region")
                              : "");
    return ts_err_set(err, st, "%s: %s: %s (HTTP %ld)", where, code, msg, r->status);
}

/* One signed S3 request with retries; non-2xx is left to the caller. */
static ts_status s3_call(aws_client *c, const char *method, const char *bucket, const char *key,
                         const char *query, const http_header *hs, size_t nh, const uint8_t *body,
                         size_t len, ts_output *sink, http_response *resp, ts_error *err)
{
    char *url;
    ts_status st = s3_object_url(c, bucket, key, query, &url, err);
    if (st != TS_OK) {
        memset(resp, 0, sizeof *resp);
        return st;
    }
    /* a part of 64 MiB on a slow link takes minutes: scale the limit with
     * the body (at least 64 KiB/s), and let streamed downloads rely on the
     * low-speed check */
    long timeout = sink ? -1 : 120000L + (long)(len / 64);
    aws_request rq = {.method = method, .url = url, .signing_service = "s3", .headers = hs,
                      .nheaders = nh, .body = body, .body_len = len, .timeout_ms = timeout,
                      .sink = sink, .protocol = AWS_PROTO_XML};
    st = aws_send(c, &rq, resp, err);
    if (st != TS_OK) ts_err_context(err, "s3://%s/%s", bucket, key ? key : "");
    ts_free(url);
    return st;
}

static bool ok2xx(const http_response *r) { return r->status >= 200 && r->status < 300; }

static void info_from_headers(const http_response *r, s3_object_info *info)
{
    if (!info) return;
    memset(info, 0, sizeof *info);
    const char *v;
    if ((v = http_response_header(r, "Content-Length"))) info->size = strtoull(v, NULL, 10);
    if ((v = http_response_header(r, "ETag"))) snprintf(info->etag, sizeof info->etag, "%s", v);
    if ((v = http_response_header(r, "x-amz-checksum-sha256")))
        snprintf(info->checksum_sha256, sizeof info->checksum_sha256, "%s", v);
    if ((v = http_response_header(r, "x-amz-object-lock-mode")))
        snprintf(info->lock_mode, sizeof info->lock_mode, "%s", v);
    if ((v = http_response_header(r, "x-amz-object-lock-retain-until-date")))
        snprintf(info->lock_until, sizeof info->lock_until, "%s", v);
    if ((v = http_response_header(r, "x-amz-version-id")))
        snprintf(info->version_id, sizeof info->version_id, "%s", v);
    if ((v = http_response_header(r, "Last-Modified")))
        snprintf(info->last_modified, sizeof info->last_modified, "%s", v);
}

ts_status s3_put_object(aws_client *c, const char *bucket, const char *key, const uint8_t *body,
                        size_t len, const s3_put_opts *opts, s3_object_info *info, ts_error *err)
{
    uint8_t sha[32];
    if (opts && opts->sha256) memcpy(sha, opts->sha256, 32);
    else ts_sha256_once(body ? (const void *)body : "", len, sha);
    char sha_hex[TS_SHA256_HEX_LEN], sha_b64[48], md5[32];
    ts_hex(sha, 32, sha_hex);
    b64(sha, 32, sha_b64);
    md5_b64(body, len, md5);
    http_header hs[8];
    size_t nh = 0;
    hs[nh++] = (http_header){"Content-Type", opts && opts->content_type ? opts->content_type
                                                                        : "application/octet-stream"};
    hs[nh++] = (http_header){"Content-MD5", md5};
    hs[nh++] = (http_header){"x-amz-checksum-sha256", sha_b64};
    hs[nh++] = (http_header){"x-amz-content-sha256", sha_hex};
    if (opts && opts->lock_mode && opts->lock_until) {
        hs[nh++] = (http_header){"x-amz-object-lock-mode", opts->lock_mode};
        hs[nh++] = (http_header){"x-amz-object-lock-retain-until-date", opts->lock_until};
    }
    http_response r;
    ts_status st = s3_call(c, "PUT", bucket, key, NULL, hs, nh, body, len, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = s3_fail(c, &r, "PutObject", bucket, key, err);
    if (st == TS_OK && info) {
        info_from_headers(&r, info);
        info->size = len;
        if (!info->checksum_sha256[0])
            snprintf(info->checksum_sha256, sizeof info->checksum_sha256, "%s", sha_b64);
    }
    http_response_free(&r);
    return st;
}

/* A ts_output that appends to a caller's capped ts_buf. */
typedef struct buf_sink {
    ts_output base;
    ts_buf *b;
} buf_sink;

static ts_status buf_sink_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    buf_sink *s = (buf_sink *)o;
    ts_status st = ts_buf_append(s->b, p, n);
    if (st != TS_OK)
        return ts_err_set(err, st, "%s: object larger than the %zu bytes allowed here", o->name,
                          s->b->max);
    return TS_OK;
}
static ts_status buf_sink_commit(ts_output *o, ts_error *err)
{
    (void)o;
    (void)err;
    return TS_OK;
}
static void buf_sink_abort(ts_output *o) { (void)o; }
static void buf_sink_close(ts_output *o) { (void)o; }
static const ts_output_ops buf_sink_ops = {.write = buf_sink_write, .commit = buf_sink_commit,
                                           .abort = buf_sink_abort, .close = buf_sink_close};

ts_status s3_get_object(aws_client *c, const char *bucket, const char *key, uint64_t range_off,
                        uint64_t range_len, ts_buf *out, ts_output *sink, s3_object_info *info,
                        ts_error *err)
{
    buf_sink bs = {.base = {.ops = &buf_sink_ops, .name = (char *)key}, .b = out};
    if (!sink) {
        if (!out) return ts_err_set(err, TS_ERR_INTERNAL, "s3_get_object: no destination");
        sink = &bs.base;
    }
    char range[64];
    http_header hs[1];
    size_t nh = 0;
    bool ranged = range_len > 0 || range_off > 0;
    if (ranged) {
        if (range_len == 0) snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)range_off);
        else
            snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)range_off,
                     (unsigned long long)(range_off + range_len - 1));
        hs[nh++] = (http_header){"Range", range};
    }
    http_response r;
    uint64_t before = sink->written;
    ts_status st = s3_call(c, "GET", bucket, key, NULL, hs, nh, NULL, 0, sink, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        if (r.status == 416)
            st = ts_err_set(err, TS_ERR_CORRUPT, "s3://%s/%s: range %s is past the end of the object",
                            bucket, key, range);
        else st = s3_fail(c, &r, "GetObject", bucket, key, err);
    }
    if (st == TS_OK && ranged && r.status != 206)
        st = ts_err_set(err, TS_ERR_REMOTE,
                        "s3://%s/%s: the server ignored the Range header (HTTP %ld)", bucket, key,
                        r.status);
    if (st == TS_OK) {
        const char *cl = http_response_header(&r, "Content-Length");
        uint64_t got = sink->written - before;
        if (cl && strtoull(cl, NULL, 10) != got)
            st = ts_err_set(err, TS_ERR_NETWORK, "s3://%s/%s: got %llu of %s bytes", bucket, key,
                            (unsigned long long)got, cl);
        if (st == TS_OK && ranged && range_len && got != range_len) {
            /* a range reaching past the end is cut short by S3: say so */
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "s3://%s/%s: asked for %llu bytes at %llu, got %llu", bucket, key,
                            (unsigned long long)range_len, (unsigned long long)range_off,
                            (unsigned long long)got);
        }
        if (info) {
            info_from_headers(&r, info);
            info->size = got;
        }
    }
    http_response_free(&r);
    return st;
}

ts_status s3_head_object(aws_client *c, const char *bucket, const char *key, s3_object_info *info,
                         ts_error *err)
{
    http_header hs[] = {{"x-amz-checksum-mode", "ENABLED"}};
    http_response r;
    ts_status st = s3_call(c, "HEAD", bucket, key, NULL, hs, 1, NULL, 0, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        if (r.status == 404)
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "s3://%s/%s: no such object", bucket, key);
        else st = s3_fail(c, &r, "GetObject", bucket, key, err);
    }
    if (st == TS_OK) info_from_headers(&r, info);
    http_response_free(&r);
    return st;
}

ts_status s3_delete_object(aws_client *c, const char *bucket, const char *key, ts_error *err)
{
    http_response r;
    ts_status st = s3_call(c, "DELETE", bucket, key, NULL, NULL, 0, NULL, 0, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r) && r.status != 404)
        st = s3_fail(c, &r, "DeleteObject", bucket, key, err);
    http_response_free(&r);
    return st;
}

static ts_status q_append(ts_buf *q, const char *name, const char *value)
{
    if (q->len) TS_TRY(ts_buf_append_byte(q, '&'));
    TS_TRY(ts_buf_append_str(q, name));
    TS_TRY(ts_buf_append_byte(q, '='));
    return sigv4_uri_encode(q, value, strlen(value), false);
}

ts_status s3_list_objects(aws_client *c, const char *bucket, const char *prefix,
                          const char *delimiter, int max_keys, s3_list_cb cb, void *user,
                          ts_error *err)
{
    char *token = NULL;
    ts_status st = TS_OK;
    char mk[16];
    snprintf(mk, sizeof mk, "%d", max_keys > 0 && max_keys <= 1000 ? max_keys : 1000);
    for (unsigned page = 0;; page++) {
        ts_buf q;
        ts_buf_init(&q, (size_t)64 << 10);
        /* parameters in sorted order, although the signer sorts anyway */
        if ((token && (st = q_append(&q, "continuation-token", token)) != TS_OK) ||
            (delimiter && *delimiter && (st = q_append(&q, "delimiter", delimiter)) != TS_OK) ||
            (st = q_append(&q, "list-type", "2")) != TS_OK ||
            (st = q_append(&q, "max-keys", mk)) != TS_OK ||
            (prefix && *prefix && (st = q_append(&q, "prefix", prefix)) != TS_OK) ||
            (st = ts_buf_nul(&q)) != TS_OK) {
            ts_buf_free(&q);
            st = ts_err_set(err, st, "s3://%s/%s: listing query too long", bucket, prefix);
            break;
        }
        http_response r;
        st = s3_call(c, "GET", bucket, "", (const char *)q.data, NULL, 0, NULL, 0, NULL, &r, err);
        ts_buf_free(&q);
        if (st == TS_OK && !ok2xx(&r)) st = s3_fail(c, &r, "ListBucket", bucket, prefix, err);
        aws_xml_node *root = NULL;
        if (st == TS_OK && r.body.len > S3_XML_MAX)
            st = ts_err_set(err, TS_ERR_LIMIT, "s3://%s: listing page larger than %zu bytes",
                            bucket, S3_XML_MAX);
        if (st == TS_OK) {
            st = aws_xml_parse(r.body.data ? (const char *)r.body.data : "", r.body.len, &root, err);
            if (st != TS_OK) ts_err_context(err, "s3://%s: ListObjectsV2 page %u", bucket, page + 1);
        }
        http_response_free(&r);
        if (st != TS_OK) break;
        if (strcmp(root->name, "ListBucketResult") != 0) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "s3://%s: ListObjectsV2 answered <%s>", bucket,
                            root->name);
            aws_xml_free(root);
            break;
        }
        for (aws_xml_node *n = root->first; n && st == TS_OK; n = n->next) {
            if (strcmp(n->name, "Contents") == 0) {
                const char *k = aws_xml_child_text(n, "Key");
                const char *sz = aws_xml_child_text(n, "Size");
                const char *et = aws_xml_child_text(n, "ETag");
                if (!k || !sz) {
                    st = ts_err_set(err, TS_ERR_CORRUPT, "s3://%s: listing entry without Key/Size",
                                    bucket);
                    break;
                }
                st = cb(user, k, strtoull(sz, NULL, 10), et ? et : "", err);
            } else if (strcmp(n->name, "CommonPrefixes") == 0) {
                const char *p = aws_xml_child_text(n, "Prefix");
                if (p) st = cb(user, p, UINT64_MAX, "", err);
            }
        }
        const char *trunc = aws_xml_child_text(root, "IsTruncated");
        const char *next = aws_xml_child_text(root, "NextContinuationToken");
        bool more = trunc && strcmp(trunc, "true") == 0;
        if (st == TS_OK && more && (!next || !*next || (token && strcmp(token, next) == 0)))
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "s3://%s: listing says there is more but gives no new continuation "
                            "token",
                            bucket);
        char *nt = (st == TS_OK && more) ? ts_strdup(next) : NULL;
        aws_xml_free(root);
        ts_free(token);
        token = nt;
        if (st != TS_OK || !more) break;
        if (!token) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
    }
    ts_free(token);
    return st;
}

/* ---- multipart ---- */

typedef struct mp_part {
    char etag[80];
    char sha_b64[48];
} mp_part;

struct s3_multipart {
    aws_client *c;
    char *bucket, *key, *upload_id;
    mp_part *parts;
    int nparts, cap;
    bool done; /* completed or aborted */
};

int s3_multipart_parts(const s3_multipart *m) { return m->nparts; }

ts_status s3_multipart_create(aws_client *c, const char *bucket, const char *key,
                              const s3_put_opts *opts, s3_multipart **out, ts_error *err)
{
    *out = NULL;
    http_header hs[5];
    size_t nh = 0;
    hs[nh++] = (http_header){"Content-Type", opts && opts->content_type ? opts->content_type
                                                                        : "application/octet-stream"};
    hs[nh++] = (http_header){"x-amz-checksum-algorithm", "SHA256"};
    if (opts && opts->lock_mode && opts->lock_until) {
        hs[nh++] = (http_header){"x-amz-object-lock-mode", opts->lock_mode};
        hs[nh++] = (http_header){"x-amz-object-lock-retain-until-date", opts->lock_until};
    }
    http_response r;
    ts_status st = s3_call(c, "POST", bucket, key, "uploads", hs, nh, NULL, 0, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = s3_fail(c, &r, "PutObject", bucket, key, err);
    aws_xml_node *root = NULL;
    if (st == TS_OK)
        st = aws_xml_parse(r.body.data ? (const char *)r.body.data : "", r.body.len, &root, err);
    const char *id = st == TS_OK ? aws_xml_child_text(root, "UploadId") : NULL;
    if (st == TS_OK && (!id || !*id))
        st = ts_err_set(err, TS_ERR_CORRUPT, "s3://%s/%s: CreateMultipartUpload gave no UploadId",
                        bucket, key);
    if (st == TS_OK) {
        s3_multipart *m = ts_calloc(1, sizeof *m);
        if (m) {
            m->c = c;
            m->bucket = ts_strdup(bucket);
            m->key = ts_strdup(key);
            m->upload_id = ts_strdup(id);
        }
        if (!m || !m->bucket || !m->key || !m->upload_id) {
            if (m) m->done = true;
            s3_multipart_free(m);
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        } else {
            *out = m;
        }
    }
    aws_xml_free(root);
    http_response_free(&r);
    return st;
}

static ts_status mp_query(const s3_multipart *m, int part, ts_buf *q)
{
    ts_buf_init(q, 4096);
    if (part > 0) TS_TRY(ts_buf_printf(q, "partNumber=%d&", part));
    TS_TRY(ts_buf_append_str(q, "uploadId="));
    TS_TRY(sigv4_uri_encode(q, m->upload_id, strlen(m->upload_id), false));
    return ts_buf_nul(q);
}

ts_status s3_multipart_upload_part(s3_multipart *m, const uint8_t *data, size_t len,
                                   ts_error *err)
{
    if (m->done) return ts_err_set(err, TS_ERR_INTERNAL, "multipart upload already finished");
    if (m->nparts >= S3_MAX_PARTS)
        return ts_err_set(err, TS_ERR_LIMIT,
                          "s3://%s/%s: more than %d parts; raise TSARCHIVE_S3_PART_SIZE_MB",
                          m->bucket, m->key, S3_MAX_PARTS);
    if (m->nparts == m->cap) {
        int nc = m->cap ? m->cap * 2 : 16;
        mp_part *np = ts_realloc(m->parts, (size_t)nc * sizeof *np);
        if (!np) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        m->parts = np;
        m->cap = nc;
    }
    mp_part *p = &m->parts[m->nparts];
    memset(p, 0, sizeof *p);
    uint8_t sha[32];
    ts_sha256_once(data, len, sha);
    char hex[TS_SHA256_HEX_LEN], md5[32];
    ts_hex(sha, 32, hex);
    b64(sha, 32, p->sha_b64);
    md5_b64(data, len, md5);
    http_header hs[] = {{"Content-MD5", md5},
                        {"x-amz-checksum-sha256", p->sha_b64},
                        {"x-amz-content-sha256", hex}};
    ts_buf q;
    if (mp_query(m, m->nparts + 1, &q) != TS_OK) {
        ts_buf_free(&q);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    http_response r;
    ts_status st = s3_call(m->c, "PUT", m->bucket, m->key, (const char *)q.data, hs, 3, data, len,
                           NULL, &r, err);
    ts_buf_free(&q);
    if (st == TS_OK && !ok2xx(&r)) st = s3_fail(m->c, &r, "PutObject", m->bucket, m->key, err);
    if (st == TS_OK) {
        const char *et = http_response_header(&r, "ETag");
        if (!et || !*et)
            st = ts_err_set(err, TS_ERR_CORRUPT, "s3://%s/%s: UploadPart %d answered without ETag",
                            m->bucket, m->key, m->nparts + 1);
        else {
            snprintf(p->etag, sizeof p->etag, "%s", et);
            m->nparts++;
        }
    }
    if (st != TS_OK) ts_err_context(err, "part %d", m->nparts + 1);
    http_response_free(&r);
    return st;
}

ts_status s3_multipart_complete(s3_multipart *m, s3_object_info *info, ts_error *err)
{
    if (m->done) return ts_err_set(err, TS_ERR_INTERNAL, "multipart upload already finished");
    ts_buf x;
    ts_buf_init(&x, (size_t)4 << 20);
    ts_status st = ts_buf_append_str(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (int i = 0; i < m->nparts && st == TS_OK; i++) {
        /* ETags are quoted hex: escape the quotes for XML */
        const char *et = m->parts[i].etag;
        st = ts_buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
        for (; *et && st == TS_OK; et++)
            st = *et == '"' ? ts_buf_append_str(&x, "&quot;") : *et == '&' ? ts_buf_append_str(&x, "&amp;")
                 : *et == '<' ? ts_buf_append_str(&x, "&lt;") : ts_buf_append_byte(&x, (uint8_t)*et);
        if (st == TS_OK)
            st = ts_buf_printf(&x, "</ETag><ChecksumSHA256>%s</ChecksumSHA256></Part>",
                               m->parts[i].sha_b64);
    }
    if (st == TS_OK) st = ts_buf_append_str(&x, "</CompleteMultipartUpload>");
    ts_buf q;
    ts_status qs = mp_query(m, 0, &q);
    if (st != TS_OK || qs != TS_OK) {
        ts_buf_free(&x);
        ts_buf_free(&q);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    http_header hs[] = {{"Content-Type", "application/xml"}};
    http_response r;
    st = s3_call(m->c, "POST", m->bucket, m->key, (const char *)q.data, hs, 1, x.data, x.len, NULL,
                 &r, err);
    ts_buf_free(&q);
    ts_buf_free(&x);
    if (st == TS_OK && !ok2xx(&r)) st = s3_fail(m->c, &r, "PutObject", m->bucket, m->key, err);
    if (st == TS_OK) {
        /* S3 may answer 200 and put an <Error> in the body */
        aws_xml_node *root = NULL;
        if (aws_xml_parse(r.body.data ? (const char *)r.body.data : "", r.body.len, &root, err) !=
            TS_OK) {
            ts_err_context(err, "s3://%s/%s: CompleteMultipartUpload", m->bucket, m->key);
            st = TS_ERR_CORRUPT;
        } else if (strcmp(root->name, "Error") == 0) {
            r.status = 500;
            st = s3_fail(m->c, &r, "PutObject", m->bucket, m->key, err);
        } else {
            if (info) {
                info_from_headers(&r, info);
                const char *et = aws_xml_child_text(root, "ETag");
                if (et) snprintf(info->etag, sizeof info->etag, "%s", et);
                const char *ck = aws_xml_child_text(root, "ChecksumSHA256");
                if (ck) snprintf(info->checksum_sha256, sizeof info->checksum_sha256, "%s", ck);
            }
            m->done = true;
        }
        aws_xml_free(root);
    }
    http_response_free(&r);
    return st;
}

void s3_multipart_abort(s3_multipart *m)
{
    if (!m || m->done) return;
    m->done = true;
    ts_buf q;
    if (mp_query(m, 0, &q) == TS_OK) {
        ts_error e;
        ts_err_clear(&e);
        http_response r;
        s3_call(m->c, "DELETE", m->bucket, m->key, (const char *)q.data, NULL, 0, NULL, 0, NULL,
                &r, &e);
        http_response_free(&r);
    }
    ts_buf_free(&q);
}

void s3_multipart_free(s3_multipart *m)
{
    if (!m) return;
    s3_multipart_abort(m);
    ts_free(m->bucket);
    ts_free(m->key);
    ts_free(m->upload_id);
    ts_free(m->parts);
    ts_free(m);
}

ts_status s3_put_object_retention(aws_client *c, const char *bucket, const char *key,
                                  const char *mode, const char *until, ts_error *err)
{
    char body[512], md5[32];
    int n = snprintf(body, sizeof body,
                     "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>%s</Mode>"
                     "<RetainUntilDate>%s</RetainUntilDate></Retention>",
                     mode, until);
    if (n < 0 || (size_t)n >= sizeof body)
        return ts_err_set(err, TS_ERR_USAGE, "object lock mode/date too long");
    md5_b64((const uint8_t *)body, (size_t)n, md5);
    http_header hs[] = {{"Content-MD5", md5}, {"Content-Type", "application/xml"}};
    http_response r;
    ts_status st = s3_call(c, "PUT", bucket, key, "retention", hs, 2, (const uint8_t *)body,
                           (size_t)n, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = s3_fail(c, &r, "PutObjectRetention", bucket, key, err);
    http_response_free(&r);
    return st;
}

ts_status s3_create_bucket(aws_client *c, const char *bucket, bool object_lock, ts_error *err)
{
    if (!s3_bucket_name_valid(bucket))
        return ts_err_set(err, TS_ERR_USAGE,
                          "'%s' is not a valid bucket name (3-63 lower-case letters, digits, '.', "
                          "'-')",
                          bucket);
    const char *region = aws_client_config(c)->region;
    char body[256];
    size_t bl = 0;
    if (strcmp(region, "us-east-1") != 0)
        bl = (size_t)snprintf(body, sizeof body,
                              "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                              "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
                              "</CreateBucketConfiguration>",
                              region);
    http_header hs[2];
    size_t nh = 0;
    if (object_lock) hs[nh++] = (http_header){"x-amz-bucket-object-lock-enabled", "true"};
    if (bl) hs[nh++] = (http_header){"Content-Type", "application/xml"};
    http_response r;
    ts_status st = s3_call(c, "PUT", bucket, "", NULL, hs, nh, bl ? (const uint8_t *)body : NULL,
                           bl, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        char code[AWS_ERR_CODE_MAX];
        aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, NULL, 0);
        if (strcmp(code, "BucketAlreadyOwnedByYou") != 0)
            st = s3_fail(c, &r, "CreateBucket", bucket, "", err);
    }
    http_response_free(&r);
    return st;
}

ts_status s3_head_bucket(aws_client *c, const char *bucket, ts_error *err)
{
    http_response r;
    ts_status st = s3_call(c, "HEAD", bucket, "", NULL, NULL, 0, NULL, 0, NULL, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        if (r.status == 404)
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "s3://%s: no such bucket (region %s)", bucket,
                            aws_client_config(c)->region);
        else st = s3_fail(c, &r, "ListBucket", bucket, "", err);
    }
    http_response_free(&r);
    return st;
}
