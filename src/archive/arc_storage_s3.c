/* Archive storage on S3: atomic puts (PutObject, or a multipart upload whose
 * Complete is the commit), ranged reads with a read-ahead cache, listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "archive/arc_storage.h"
#include "aws/aws_s3.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"

#define ARC_S3_READAHEAD ((size_t)1 << 20)
#define ARC_S3_TAIL ((uint64_t)64 << 10)
/* S3 allows 10,000 parts: parts grow (x2 after 2,000, x4 after 4,000) so a
 * 16 MiB part size still reaches ~480 GB, memory staying one part. */
#define ARC_S3_GROW_EVERY 2000

typedef struct s3_storage {
    arc_storage base;
    aws_client *aws;
    char *bucket;
    char *prefix; /* "" or ending with '/' */
    size_t part_size;
} s3_storage;

static char *full_key(const s3_storage *s, const char *key)
{
    size_t n = strlen(s->prefix) + strlen(key) + 1;
    char *k = ts_malloc(n);
    if (k) snprintf(k, n, "%s%s", s->prefix, key);
    return k;
}

/* ---- output ---- */

typedef struct s3_out {
    ts_output base;
    s3_storage *s;
    char *key;
    ts_buf part;
    s3_multipart *mp;
    ts_sha256 *sha;
    bool failed, done;
} s3_out;

static size_t part_target(const s3_out *o)
{
    int n = o->mp ? s3_multipart_parts(o->mp) : 0;
    int shift = n / ARC_S3_GROW_EVERY;
    if (shift > 2) shift = 2;
    size_t t = o->s->part_size << shift;
    return t > S3_MAX_PART_SIZE ? S3_MAX_PART_SIZE : t;
}

static ts_status flush_part(s3_out *o, ts_error *err)
{
    if (!o->mp) {
        s3_put_opts po = {.lock_mode = o->s->base.lock_mode, .lock_until = o->s->base.lock_until};
        TS_TRY(s3_multipart_create(o->s->aws, o->s->bucket, o->key, &po, &o->mp, err));
    }
    TS_TRY(s3_multipart_upload_part(o->mp, o->part.data, o->part.len, err));
    ts_buf_clear(&o->part);
    return TS_OK;
}

static void out_abort(ts_output *base)
{
    s3_out *o = (s3_out *)base;
    if (o->mp) s3_multipart_abort(o->mp);
    o->done = true;
}

static ts_status out_write(ts_output *base, const void *p, size_t n, ts_error *err)
{
    s3_out *o = (s3_out *)base;
    if (o->failed || o->done)
        return ts_err_set(err, TS_ERR_USAGE, "%s: write after failure or commit", base->name);
    ts_sha256_update(o->sha, p, n);
    const uint8_t *b = p;
    while (n) {
        size_t target = part_target(o);
        size_t room = target > o->part.len ? target - o->part.len : 0;
        size_t k = n < room ? n : room;
        ts_status st = ts_buf_append(&o->part, b, k);
        if (st != TS_OK) {
            o->failed = true;
            out_abort(base);
            return ts_err_set(err, st, "out of memory buffering %s", base->name);
        }
        b += k;
        n -= k;
        /* a full part goes out only when more follows, so the last part
         * (or a single PutObject) is always decided at commit */
        if (o->part.len >= target && n) {
            st = flush_part(o, err);
            if (st != TS_OK) {
                o->failed = true;
                out_abort(base);
                return st;
            }
        }
    }
    return TS_OK;
}

static ts_status out_commit(ts_output *base, ts_error *err)
{
    s3_out *o = (s3_out *)base;
    if (o->failed || o->done)
        return ts_err_set(err, TS_ERR_USAGE, "%s: commit after failure or abort", base->name);
    uint8_t sha[32];
    ts_sha256_final(o->sha, sha);
    ts_status st;
    if (!o->mp) {
        s3_put_opts po = {.lock_mode = o->s->base.lock_mode, .lock_until = o->s->base.lock_until,
                          .sha256 = sha};
        st = s3_put_object(o->s->aws, o->s->bucket, o->key, o->part.data, o->part.len, &po, NULL,
                           err);
    } else {
        st = o->part.len ? flush_part(o, err) : TS_OK;
        if (st == TS_OK) st = s3_multipart_complete(o->mp, NULL, err);
        /* Object Lock on CreateMultipartUpload is not honoured everywhere
         * (moto); setting the retention afterwards works on AWS too. */
        if (st == TS_OK && o->s->base.lock_mode)
            st = s3_put_object_retention(o->s->aws, o->s->bucket, o->key, o->s->base.lock_mode,
                                         o->s->base.lock_until, err);
    }
    if (st != TS_OK) {
        o->failed = true;
        out_abort(base);
        return st;
    }
    o->done = true;
    ts_buf_free(&o->part);
    return TS_OK;
}

static void out_close(ts_output *base)
{
    s3_out *o = (s3_out *)base;
    if (!o->done) out_abort(base);
    s3_multipart_free(o->mp);
    ts_sha256_free(o->sha);
    ts_buf_free(&o->part);
    ts_free(o->key);
    ts_free(base->name);
    ts_free(o);
}

static const ts_output_ops s3_out_ops = {
    .write = out_write, .commit = out_commit, .abort = out_abort, .close = out_close};

static ts_status s3s_create(arc_storage *s, const char *key, ts_output **out, ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    s3_out *o = ts_calloc(1, sizeof *o);
    if (!o) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    o->base.ops = &s3_out_ops;
    o->s = ss;
    o->key = full_key(ss, key);
    o->sha = ts_sha256_new();
    size_t nl = strlen(ss->bucket) + (o->key ? strlen(o->key) : 0) + 8;
    o->base.name = ts_malloc(nl);
    ts_buf_init(&o->part, ss->part_size << 2);
    if (!o->key || !o->sha || !o->base.name) {
        o->done = true;
        out_close(&o->base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(o->base.name, nl, "s3://%s/%s", ss->bucket, o->key);
    *out = &o->base;
    return TS_OK;
}

/* ---- input: ranged GETs with one cached window ---- */

typedef struct s3_in {
    ts_input base;
    s3_storage *s;
    char *key;
    ts_buf cache;
    uint64_t cache_off;
} s3_in;

static ts_status in_read_at(ts_input *base, uint64_t off, void *p, size_t n, ts_error *err)
{
    s3_in *in = (s3_in *)base;
    if (n == 0) return TS_OK;
    if (off >= in->cache_off && off + n <= in->cache_off + in->cache.len) {
        memcpy(p, in->cache.data + (off - in->cache_off), n);
        return TS_OK;
    }
    if (n >= ARC_S3_READAHEAD) {
        /* big reads (column chunks) go straight into the caller's memory */
        ts_buf b = {.data = p, .len = 0, .cap = n, .max = n};
        return s3_get_object(in->s->aws, in->s->bucket, in->key, off, n, &b, NULL, NULL, err);
    }
    uint64_t start = off, len = ARC_S3_READAHEAD;
    /* near the end (the Parquet footer): fetch the whole tail at once */
    if (base->size - off <= ARC_S3_TAIL && base->size > ARC_S3_TAIL) {
        start = base->size - ARC_S3_TAIL;
        len = ARC_S3_TAIL;
    } else if (base->size <= ARC_S3_TAIL) {
        start = 0;
        len = base->size;
    }
    if (start + len > base->size) len = base->size - start;
    ts_buf_clear(&in->cache);
    in->cache_off = start;
    ts_status st = s3_get_object(in->s->aws, in->s->bucket, in->key, start, len, &in->cache, NULL,
                                 NULL, err);
    if (st != TS_OK) {
        ts_buf_clear(&in->cache);
        return st;
    }
    memcpy(p, in->cache.data + (off - start), n);
    return TS_OK;
}

static void in_close(ts_input *base)
{
    s3_in *in = (s3_in *)base;
    ts_buf_free(&in->cache);
    ts_free(in->key);
    ts_free(base->name);
    ts_free(in);
}

static const ts_input_ops s3_in_ops = {.read_at = in_read_at, .close = in_close};

static ts_status s3s_open_input(arc_storage *s, const char *key, ts_input **out, ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    s3_in *in = ts_calloc(1, sizeof *in);
    if (!in) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    in->base.ops = &s3_in_ops;
    in->s = ss;
    in->key = full_key(ss, key);
    size_t nl = strlen(ss->bucket) + (in->key ? strlen(in->key) : 0) + 8;
    in->base.name = ts_malloc(nl);
    ts_buf_init(&in->cache, ARC_S3_READAHEAD);
    if (!in->key || !in->base.name) {
        in_close(&in->base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(in->base.name, nl, "s3://%s/%s", ss->bucket, in->key);
    s3_object_info info;
    ts_status st = s3_head_object(ss->aws, ss->bucket, in->key, &info, err);
    if (st != TS_OK) {
        in_close(&in->base);
        return st;
    }
    in->base.size = info.size;
    *out = &in->base;
    return TS_OK;
}

/* ---- the rest ---- */

static ts_status s3s_get(arc_storage *s, const char *key, uint64_t off, uint64_t len, ts_buf *out,
                         ts_output *sink, ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    char *k = full_key(ss, key);
    if (!k) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = s3_get_object(ss->aws, ss->bucket, k, off, len, out, sink, NULL, err);
    ts_free(k);
    return st;
}

typedef struct list_ctx {
    size_t strip;
    arc_list_cb cb;
    void *user;
} list_ctx;

static ts_status list_cb(void *user, const char *key, uint64_t size, const char *etag,
                         ts_error *err)
{
    (void)etag;
    list_ctx *lc = user;
    if (size == UINT64_MAX) return TS_OK; /* common prefix: not asked for */
    if (strlen(key) < lc->strip) return TS_OK;
    const char *rel = key + lc->strip;
    /* foreign keys we could not address safely are skipped, not trusted */
    ts_error ignored;
    ts_err_clear(&ignored);
    if (arc_key_validate(rel, &ignored) != TS_OK) return TS_OK;
    return lc->cb(lc->user, rel, size, err);
}

static ts_status s3s_list(arc_storage *s, const char *prefix, arc_list_cb cb, void *user,
                          ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    char *p = full_key(ss, prefix);
    if (!p) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    list_ctx lc = {.strip = strlen(ss->prefix), .cb = cb, .user = user};
    ts_status st = s3_list_objects(ss->aws, ss->bucket, p, NULL, 0, list_cb, &lc, err);
    ts_free(p);
    return st;
}

static ts_status s3s_head(arc_storage *s, const char *key, arc_object_info *info, ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    char *k = full_key(ss, key);
    if (!k) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s3_object_info oi;
    ts_status st = s3_head_object(ss->aws, ss->bucket, k, &oi, err);
    ts_free(k);
    if (st != TS_OK) return st;
    info->size = oi.size;
    snprintf(info->lock_mode, sizeof info->lock_mode, "%s", oi.lock_mode);
    snprintf(info->lock_until, sizeof info->lock_until, "%s", oi.lock_until);
    /* a single-part checksum is the whole object's SHA-256; a multipart one
     * is a checksum of checksums and says nothing here. S3 marks it with
     * "-N"; moto does not, but the multipart ETag ("...-N") gives it away. */
    if (oi.checksum_sha256[0] && !strchr(oi.checksum_sha256, '-') && !strchr(oi.etag, '-') &&
        strlen(oi.checksum_sha256) == 44) {
        uint8_t d[48];
        int n = EVP_DecodeBlock(d, (const unsigned char *)oi.checksum_sha256, 44);
        if (n == 33) { /* 32 bytes + one padding byte decoded as 0 */
            memcpy(info->sha256, d, 32);
            info->has_sha256 = true;
        }
    }
    return TS_OK;
}

static ts_status s3s_del(arc_storage *s, const char *key, ts_error *err)
{
    s3_storage *ss = (s3_storage *)s;
    char *k = full_key(ss, key);
    if (!k) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = s3_delete_object(ss->aws, ss->bucket, k, err);
    ts_free(k);
    return st;
}

static void s3s_free(arc_storage *s)
{
    s3_storage *ss = (s3_storage *)s;
    ts_free(ss->bucket);
    ts_free(ss->prefix);
    ts_free(s->url);
    ts_free(ss);
}

static const arc_storage_ops s3_ops = {.scheme = "s3",
                                       .create = s3s_create,
                                       .open_input = s3s_open_input,
                                       .get = s3s_get,
                                       .list = s3s_list,
                                       .head = s3s_head,
                                       .del = s3s_del,
                                       .free = s3s_free};

ts_status arc_storage_s3_open(const char *bucket, const char *prefix, aws_client *aws,
                              arc_storage **out, ts_error *err)
{
    *out = NULL;
    if (!s3_bucket_name_valid(bucket))
        return ts_err_set(err, TS_ERR_USAGE,
                          "s3://%s: not a valid bucket name (3-63 lower-case letters, digits, "
                          "'.', '-')",
                          bucket);
    /* normalise the prefix to "" or "a/b/" */
    size_t pl = strlen(prefix);
    while (pl && prefix[pl - 1] == '/') pl--;
    char *p = ts_malloc(pl + 2);
    if (!p) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    memcpy(p, prefix, pl);
    if (pl) p[pl++] = '/';
    p[pl] = '\0';
    if (pl) {
        p[pl - 1] = '\0';
        ts_status st = arc_key_validate(p, err);
        p[pl - 1] = '/';
        if (st != TS_OK) {
            ts_free(p);
            ts_err_context(err, "s3://%s/%s", bucket, prefix);
            return st;
        }
    }
    s3_storage *s = ts_calloc(1, sizeof *s);
    if (!s) {
        ts_free(p);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    s->base.ops = &s3_ops;
    s->aws = aws;
    s->prefix = p;
    s->bucket = ts_strdup(bucket);
    size_t ul = strlen(bucket) + pl + 8;
    s->base.url = ts_malloc(ul);
    if (!s->bucket || !s->base.url) {
        s3s_free(&s->base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(s->base.url, ul, "s3://%s/%s", bucket, p);
    size_t ps = aws_client_config(aws)->s3_part_size;
    s->part_size = ps >= S3_MIN_PART_SIZE && ps <= S3_MAX_PART_SIZE ? ps : (size_t)16 << 20;
    *out = &s->base;
    return TS_OK;
}
