/* S3 bucket settings and object versions for retention and bucket retirement:
 * versioning, lifecycle, Object Lock configuration, ListObjectVersions,
 * per-version HEAD and DELETE, DeleteBucket. Errors read
 * "s3://bucket/key: Code: message". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "aws/aws_s3.h"
#include "aws/aws_xml.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "net/sigv4.h"

#define S3B_XML_MAX ((size_t)16 << 20)

static bool ok2xx(const http_response *r) { return r->status >= 200 && r->status < 300; }

static void md5_b64(const void *p, size_t n, char out[32])
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_Digest(p ? p : "", n, d, &dl, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, d, (int)dl);
}

/* The error of a non-2xx answer, naming the bucket/key and, when denied, the
 * IAM action the identity lacks. */
static ts_status fail(aws_client *c, const http_response *r, const char *action,
                      const char *bucket, const char *key, ts_error *err)
{
    char code[AWS_ERR_CODE_MAX], msg[512];
    aws_error_parse(r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
    ts_status st = aws_error_status(r->status, code);
    const aws_config *cfg = aws_client_config(c);
    if (strcmp(code, "AccessDenied") == 0)
        return ts_err_set(err, TS_ERR_AUTH, "s3://%s/%s: AccessDenied: %s (the identity from %s "
                                            "needs s3:%s)",
                          bucket, key ? key : "", msg, cfg->cred_source ? cfg->cred_source : "?",
                          action);
    if (strcmp(code, "NoSuchBucket") == 0)
        return ts_err_set(err, TS_ERR_NOT_FOUND,
                          "s3://%s: NoSuchBucket: bucket '%s' does not exist (region %s)", bucket,
                          bucket, cfg->region);
    return ts_err_set(err, st, "s3://%s/%s: %s: %s (HTTP %ld, s3:%s)", bucket, key ? key : "",
                      code, msg, r->status, action);
}

static ts_status call(aws_client *c, const char *method, const char *bucket, const char *key,
                      const char *query, const http_header *hs, size_t nh, const uint8_t *body,
                      size_t len, http_response *resp, ts_error *err)
{
    memset(resp, 0, sizeof *resp);
    char *url;
    TS_TRY(s3_object_url(c, bucket, key, query, &url, err));
    aws_request rq = {.method = method, .url = url, .signing_service = "s3", .headers = hs,
                      .nheaders = nh, .body = body, .body_len = len, .timeout_ms = 120000,
                      .protocol = AWS_PROTO_XML};
    ts_status st = aws_send(c, &rq, resp, err);
    if (st != TS_OK) ts_err_context(err, "s3://%s/%s", bucket, key ? key : "");
    ts_free(url);
    return st;
}

static ts_status parse_body(const http_response *r, const char *bucket, const char *what,
                            aws_xml_node **root, ts_error *err)
{
    *root = NULL;
    if (r->body.len > S3B_XML_MAX)
        return ts_err_set(err, TS_ERR_LIMIT, "s3://%s: %s answer larger than %zu bytes", bucket,
                          what, S3B_XML_MAX);
    ts_status st = aws_xml_parse(r->body.data ? (const char *)r->body.data : "", r->body.len,
                                 root, err);
    if (st != TS_OK) ts_err_context(err, "s3://%s: %s", bucket, what);
    return st;
}

static void copy(char *dst, size_t n, const char *s) { snprintf(dst, n, "%s", s ? s : ""); }

ts_status s3_get_bucket_versioning(aws_client *c, const char *bucket, char status[16],
                                   bool *mfa_delete, ts_error *err)
{
    status[0] = '\0';
    if (mfa_delete) *mfa_delete = false;
    http_response r;
    ts_status st = call(c, "GET", bucket, "", "versioning", NULL, 0, NULL, 0, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = fail(c, &r, "GetBucketVersioning", bucket, "", err);
    aws_xml_node *root = NULL;
    if (st == TS_OK) st = parse_body(&r, bucket, "GetBucketVersioning", &root, err);
    if (st == TS_OK) {
        /* a bucket never versioned answers with no Status (moto names the
         * root GetBucketVersioningResponse; AWS VersioningConfiguration) */
        copy(status, 16, aws_xml_child_text(root, "Status"));
        const char *m = aws_xml_child_text(root, "MfaDelete");
        if (mfa_delete) *mfa_delete = m && strcmp(m, "Enabled") == 0;
    }
    aws_xml_free(root);
    http_response_free(&r);
    return st;
}

/* PUT of a small XML document with Content-MD5 (S3 requires it, or an
 * x-amz-checksum, for versioning, lifecycle and retention changes). */
static ts_status put_xml(aws_client *c, const char *bucket, const char *key, const char *query,
                         const char *xml, const char *action, const http_header *extra,
                         size_t nextra, ts_error *err)
{
    char md5[32];
    size_t n = strlen(xml);
    md5_b64(xml, n, md5);
    http_header hs[4] = {{"Content-MD5", md5}, {"Content-Type", "application/xml"}};
    size_t nh = 2;
    for (size_t i = 0; i < nextra && nh < 4; i++) hs[nh++] = extra[i];
    http_response r;
    ts_status st = call(c, "PUT", bucket, key, query, hs, nh, (const uint8_t *)xml, n, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = fail(c, &r, action, bucket, key, err);
    http_response_free(&r);
    return st;
}

ts_status s3_put_bucket_versioning(aws_client *c, const char *bucket, bool enabled, ts_error *err)
{
    char xml[256];
    snprintf(xml, sizeof xml,
             "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<Status>%s</Status></VersioningConfiguration>",
             enabled ? "Enabled" : "Suspended");
    return put_xml(c, bucket, "", "versioning", xml, "PutBucketVersioning", NULL, 0, err);
}

ts_status s3_get_bucket_lifecycle(aws_client *c, const char *bucket, char **xml, ts_error *err)
{
    *xml = NULL;
    http_response r;
    ts_status st = call(c, "GET", bucket, "", "lifecycle", NULL, 0, NULL, 0, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        char code[AWS_ERR_CODE_MAX];
        aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, NULL, 0);
        if (strcmp(code, "NoSuchLifecycleConfiguration") != 0)
            st = fail(c, &r, "GetLifecycleConfiguration", bucket, "", err);
        http_response_free(&r);
        return st;
    }
    if (st == TS_OK && r.body.len > S3B_XML_MAX)
        st = ts_err_set(err, TS_ERR_LIMIT, "s3://%s: lifecycle configuration over %zu bytes",
                        bucket, S3B_XML_MAX);
    if (st == TS_OK) {
        *xml = ts_malloc(r.body.len + 1);
        if (!*xml) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        else {
            if (r.body.len) memcpy(*xml, r.body.data, r.body.len);
            (*xml)[r.body.len] = '\0';
        }
    }
    http_response_free(&r);
    return st;
}

ts_status s3_put_bucket_lifecycle(aws_client *c, const char *bucket, const char *xml,
                                  ts_error *err)
{
    return put_xml(c, bucket, "", "lifecycle", xml, "PutLifecycleConfiguration", NULL, 0, err);
}

ts_status s3_get_object_lock_config(aws_client *c, const char *bucket, s3_object_lock_config *out,
                                    ts_error *err)
{
    memset(out, 0, sizeof *out);
    out->days = out->years = -1;
    http_response r;
    ts_status st = call(c, "GET", bucket, "", "object-lock", NULL, 0, NULL, 0, &r, err);
    if (st == TS_OK && !ok2xx(&r)) {
        char code[AWS_ERR_CODE_MAX];
        aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, NULL, 0);
        if (strcmp(code, "ObjectLockConfigurationNotFoundError") != 0)
            st = fail(c, &r, "GetBucketObjectLockConfiguration", bucket, "", err);
        http_response_free(&r);
        return st;
    }
    aws_xml_node *root = NULL;
    if (st == TS_OK) st = parse_body(&r, bucket, "GetObjectLockConfiguration", &root, err);
    if (st == TS_OK) {
        const char *en = aws_xml_child_text(root, "ObjectLockEnabled");
        out->enabled = en && strcmp(en, "Enabled") == 0;
        copy(out->mode, sizeof out->mode, aws_xml_path_text(root, "Rule/DefaultRetention/Mode"));
        const char *d = aws_xml_path_text(root, "Rule/DefaultRetention/Days");
        const char *y = aws_xml_path_text(root, "Rule/DefaultRetention/Years");
        if (d && *d) out->days = strtol(d, NULL, 10);
        if (y && *y) out->years = strtol(y, NULL, 10);
    }
    aws_xml_free(root);
    http_response_free(&r);
    return st;
}

static ts_status q_append(ts_buf *q, const char *name, const char *value)
{
    if (q->len) TS_TRY(ts_buf_append_byte(q, '&'));
    TS_TRY(ts_buf_append_str(q, name));
    if (!value) return TS_OK;
    TS_TRY(ts_buf_append_byte(q, '='));
    return sigv4_uri_encode(q, value, strlen(value), false);
}

static ts_status version_entry(aws_xml_node *n, bool marker, const char *bucket, s3_version_cb cb,
                               void *user, ts_error *err)
{
    s3_version_entry v;
    memset(&v, 0, sizeof v);
    v.key = aws_xml_child_text(n, "Key");
    v.version_id = aws_xml_child_text(n, "VersionId");
    if (!v.key || !v.version_id)
        return ts_err_set(err, TS_ERR_CORRUPT, "s3://%s: ListObjectVersions entry without "
                                               "Key/VersionId",
                          bucket);
    v.delete_marker = marker;
    const char *l = aws_xml_child_text(n, "IsLatest");
    v.is_latest = l && strcmp(l, "true") == 0;
    const char *sz = aws_xml_child_text(n, "Size");
    v.size = sz ? strtoull(sz, NULL, 10) : 0;
    v.storage_class = aws_xml_child_text(n, "StorageClass");
    v.last_modified = aws_xml_child_text(n, "LastModified");
    return cb(user, &v, err);
}

ts_status s3_list_object_versions(aws_client *c, const char *bucket, const char *prefix,
                                  s3_version_cb cb, void *user, ts_error *err)
{
    char *key_marker = NULL, *vid_marker = NULL;
    ts_status st = TS_OK;
    for (unsigned page = 0;; page++) {
        ts_buf q;
        ts_buf_init(&q, (size_t)64 << 10);
        if ((key_marker && (st = q_append(&q, "key-marker", key_marker)) != TS_OK) ||
            (st = q_append(&q, "max-keys", "1000")) != TS_OK ||
            (prefix && *prefix && (st = q_append(&q, "prefix", prefix)) != TS_OK) ||
            (vid_marker && (st = q_append(&q, "version-id-marker", vid_marker)) != TS_OK) ||
            (st = q_append(&q, "versions", NULL)) != TS_OK || (st = ts_buf_nul(&q)) != TS_OK) {
            ts_buf_free(&q);
            st = ts_err_set(err, st, "s3://%s: listing query too long", bucket);
            break;
        }
        http_response r;
        st = call(c, "GET", bucket, "", (const char *)q.data, NULL, 0, NULL, 0, &r, err);
        ts_buf_free(&q);
        if (st == TS_OK && !ok2xx(&r)) st = fail(c, &r, "ListBucketVersions", bucket, prefix, err);
        aws_xml_node *root = NULL;
        if (st == TS_OK) st = parse_body(&r, bucket, "ListObjectVersions", &root, err);
        http_response_free(&r);
        if (st != TS_OK) {
            ts_err_context(err, "page %u", page + 1);
            break;
        }
        for (aws_xml_node *n = root->first; n && st == TS_OK; n = n->next) {
            if (strcmp(n->name, "Version") == 0) st = version_entry(n, false, bucket, cb, user, err);
            else if (strcmp(n->name, "DeleteMarker") == 0)
                st = version_entry(n, true, bucket, cb, user, err);
        }
        const char *trunc = aws_xml_child_text(root, "IsTruncated");
        bool more = trunc && strcmp(trunc, "true") == 0;
        const char *nk = aws_xml_child_text(root, "NextKeyMarker");
        const char *nv = aws_xml_child_text(root, "NextVersionIdMarker");
        if (st == TS_OK && more &&
            (!nk || !*nk ||
             (key_marker && strcmp(key_marker, nk) == 0 && vid_marker && nv &&
              strcmp(vid_marker, nv) == 0)))
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "s3://%s: ListObjectVersions says there is more but gives no new "
                            "marker",
                            bucket);
        char *nkm = NULL, *nvm = NULL;
        if (st == TS_OK && more) {
            nkm = ts_strdup(nk);
            nvm = nv && *nv ? ts_strdup(nv) : NULL;
            if (!nkm || (nv && *nv && !nvm)) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
        aws_xml_free(root);
        ts_free(key_marker);
        ts_free(vid_marker);
        key_marker = nkm;
        vid_marker = nvm;
        if (st != TS_OK || !more) break;
    }
    ts_free(key_marker);
    ts_free(vid_marker);
    return st;
}

ts_status s3_head_object_version(aws_client *c, const char *bucket, const char *key,
                                 const char *version_id, s3_lock_info *out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    ts_buf q;
    ts_buf_init(&q, 4096);
    ts_status st = TS_OK;
    if (version_id && *version_id) {
        if (q_append(&q, "versionId", version_id) != TS_OK || ts_buf_nul(&q) != TS_OK) {
            ts_buf_free(&q);
            return ts_err_set(err, TS_ERR_USAGE, "s3://%s/%s: version id too long", bucket, key);
        }
    }
    http_response r;
    st = call(c, "HEAD", bucket, key, q.len ? (const char *)q.data : NULL, NULL, 0, NULL, 0, &r,
              err);
    ts_buf_free(&q);
    if (st == TS_OK && !ok2xx(&r)) {
        if (r.status == 404)
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "s3://%s/%s: no such object%s%s", bucket, key,
                            version_id ? " version " : "", version_id ? version_id : "");
        else if (r.status == 405) /* HEAD of a delete marker */
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "s3://%s/%s: version %s is a delete marker",
                            bucket, key, version_id ? version_id : "");
        else st = fail(c, &r, "GetObject", bucket, key, err);
    }
    if (st == TS_OK) {
        const char *v;
        if ((v = http_response_header(&r, "Content-Length"))) out->size = strtoull(v, NULL, 10);
        copy(out->lock_mode, sizeof out->lock_mode,
             http_response_header(&r, "x-amz-object-lock-mode"));
        copy(out->lock_until, sizeof out->lock_until,
             http_response_header(&r, "x-amz-object-lock-retain-until-date"));
        v = http_response_header(&r, "x-amz-object-lock-legal-hold");
        out->legal_hold = v && strcmp(v, "ON") == 0;
        v = http_response_header(&r, "x-amz-storage-class");
        copy(out->storage_class, sizeof out->storage_class, v && *v ? v : "STANDARD");
        copy(out->version_id, sizeof out->version_id, http_response_header(&r, "x-amz-version-id"));
    }
    http_response_free(&r);
    return st;
}

ts_status s3_delete_object_version(aws_client *c, const char *bucket, const char *key,
                                   const char *version_id, bool bypass_governance, ts_error *err)
{
    ts_buf q;
    ts_buf_init(&q, 4096);
    if (q_append(&q, "versionId", version_id) != TS_OK || ts_buf_nul(&q) != TS_OK) {
        ts_buf_free(&q);
        return ts_err_set(err, TS_ERR_USAGE, "s3://%s/%s: version id too long", bucket, key);
    }
    http_header hs[] = {{"x-amz-bypass-governance-retention", "true"}};
    http_response r;
    ts_status st = call(c, "DELETE", bucket, key, (const char *)q.data, hs,
                        bypass_governance ? 1 : 0, NULL, 0, &r, err);
    ts_buf_free(&q);
    if (st == TS_OK && !ok2xx(&r) && r.status != 404) {
        st = fail(c, &r, "DeleteObjectVersion", bucket, key, err);
        ts_err_context(err, "version %s", version_id);
    }
    http_response_free(&r);
    return st;
}

ts_status s3_delete_bucket(aws_client *c, const char *bucket, ts_error *err)
{
    http_response r;
    ts_status st = call(c, "DELETE", bucket, "", NULL, NULL, 0, NULL, 0, &r, err);
    if (st == TS_OK && !ok2xx(&r)) st = fail(c, &r, "DeleteBucket", bucket, "", err);
    http_response_free(&r);
    return st;
}
