/* S3 over raw HTTP (restXml): objects, multipart uploads, listings, buckets.
 * Path-style addressing for custom endpoints (moto, s3rver), virtual-hosted
 * for AWS. Errors read "s3://bucket/key: Code: message". */
#ifndef AWS_AWS_S3_H
#define AWS_AWS_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/aws.h"
#include "core/ts_error.h"
#include "core/ts_io.h"

#define S3_MIN_PART_SIZE ((size_t)5 << 20)
#define S3_MAX_PART_SIZE ((size_t)5 << 30)
#define S3_MAX_PARTS 10000
#define S3_MAX_KEY 1024

typedef struct s3_object_info {
    uint64_t size;
    char etag[80];            /* with quotes as S3 sends it */
    char checksum_sha256[80]; /* base64 as S3 sends it ("" if none; "-N" suffix for multipart) */
    char lock_mode[24];       /* x-amz-object-lock-mode or "" */
    char lock_until[40];      /* x-amz-object-lock-retain-until-date or "" */
    char version_id[128];     /* x-amz-version-id or "" */
    char last_modified[40];
} s3_object_info;

typedef struct s3_put_opts {
    const char *content_type;   /* NULL = application/octet-stream */
    const char *lock_mode;      /* "COMPLIANCE" / "GOVERNANCE" or NULL */
    const char *lock_until;     /* ISO 8601 "2032-12-31T00:00:00Z", with lock_mode */
    const uint8_t *sha256;      /* optional precomputed SHA-256 of the body (32 bytes) */
} s3_put_opts;

/* The URL of bucket/key for this client (key percent-encoded once, '/'
 * kept); query appended after '?' when not NULL. Caller frees. */
ts_status s3_object_url(aws_client *c, const char *bucket, const char *key, const char *query,
                        char **url, ts_error *err);

/* PutObject with x-amz-checksum-sha256 and Content-MD5 (S3 verifies both;
 * Object Lock requires one). info may be NULL. */
ts_status s3_put_object(aws_client *c, const char *bucket, const char *key, const uint8_t *body,
                        size_t len, const s3_put_opts *opts, s3_object_info *info,
                        ts_error *err);

/* GetObject: whole object (range_len 0 with range_off 0) or bytes
 * [off, off+len) into out (a buffer capped by its own max) or streamed to
 * sink when sink != NULL. NOT_FOUND for NoSuchKey. */
ts_status s3_get_object(aws_client *c, const char *bucket, const char *key, uint64_t range_off,
                        uint64_t range_len, ts_buf *out, ts_output *sink, s3_object_info *info,
                        ts_error *err);

/* HeadObject (checksum mode enabled). NOT_FOUND when absent. */
ts_status s3_head_object(aws_client *c, const char *bucket, const char *key, s3_object_info *info,
                         ts_error *err);
ts_status s3_delete_object(aws_client *c, const char *bucket, const char *key, ts_error *err);

/* ListObjectsV2 page by page: cb is called per object (key, size, etag) and,
 * with a delimiter, per common prefix (size = UINT64_MAX). cb returning
 * non-TS_OK stops the listing with that status. max_keys 0 = 1000. */
typedef ts_status (*s3_list_cb)(void *user, const char *key, uint64_t size, const char *etag,
                                ts_error *err);
ts_status s3_list_objects(aws_client *c, const char *bucket, const char *prefix,
                          const char *delimiter, int max_keys, s3_list_cb cb, void *user,
                          ts_error *err);

/* Multipart upload. Create (optionally with lock headers and SHA256
 * checksums), upload parts (1..10000, each with x-amz-checksum-sha256),
 * complete, or abort. */
typedef struct s3_multipart s3_multipart;
ts_status s3_multipart_create(aws_client *c, const char *bucket, const char *key,
                              const s3_put_opts *opts, s3_multipart **out, ts_error *err);
ts_status s3_multipart_upload_part(s3_multipart *m, const uint8_t *data, size_t len,
                                   ts_error *err);
ts_status s3_multipart_complete(s3_multipart *m, s3_object_info *info, ts_error *err);
/* Best effort; errors are ignored (an abandoned upload is cleaned up by the
 * bucket's AbortIncompleteMultipartUpload rule). */
void s3_multipart_abort(s3_multipart *m);
/* Frees; aborts first unless completed or aborted. */
void s3_multipart_free(s3_multipart *m);
int s3_multipart_parts(const s3_multipart *m);

/* PutObjectRetention (lock an object after a multipart upload). */
ts_status s3_put_object_retention(aws_client *c, const char *bucket, const char *key,
                                  const char *mode, const char *until, ts_error *err);

/* Buckets (tests and tools). CreateBucket with the region's location
 * constraint outside us-east-1; an existing bucket owned by us is fine. */
ts_status s3_create_bucket(aws_client *c, const char *bucket, bool object_lock, ts_error *err);
ts_status s3_head_bucket(aws_client *c, const char *bucket, ts_error *err);

/* Bucket names: 3..63, lower-case letters, digits, '.', '-'. */
bool s3_bucket_name_valid(const char *bucket);

/* ---- bucket settings and object versions (aws_s3_bucket.c) ---- */

/* GetBucketVersioning: status "Enabled", "Suspended" or "" (never enabled). */
ts_status s3_get_bucket_versioning(aws_client *c, const char *bucket, char status[16],
                                   bool *mfa_delete, ts_error *err);
/* PutBucketVersioning Enabled (or Suspended), with Content-MD5. */
ts_status s3_put_bucket_versioning(aws_client *c, const char *bucket, bool enabled, ts_error *err);
/* GetBucketLifecycleConfiguration: the XML document (ts_free), or *xml NULL
 * and TS_OK when the bucket has none (NoSuchLifecycleConfiguration). */
ts_status s3_get_bucket_lifecycle(aws_client *c, const char *bucket, char **xml, ts_error *err);
/* PutBucketLifecycleConfiguration of a whole document (it replaces every
 * rule), with Content-MD5 as S3 requires. */
ts_status s3_put_bucket_lifecycle(aws_client *c, const char *bucket, const char *xml,
                                  ts_error *err);

typedef struct s3_object_lock_config {
    bool enabled;   /* ObjectLockEnabled */
    char mode[16];  /* default retention mode or "" */
    long days;      /* default retention days, -1 none */
    long years;     /* default retention years, -1 none */
} s3_object_lock_config;
/* GetObjectLockConfiguration; a bucket without one gives enabled=false, TS_OK. */
ts_status s3_get_object_lock_config(aws_client *c, const char *bucket, s3_object_lock_config *out,
                                    ts_error *err);

/* One entry of ListObjectVersions (strings valid during the callback). */
typedef struct s3_version_entry {
    const char *key, *version_id;
    bool delete_marker, is_latest;
    uint64_t size;
    const char *storage_class; /* may be NULL */
    const char *last_modified; /* may be NULL */
} s3_version_entry;
typedef ts_status (*s3_version_cb)(void *user, const s3_version_entry *v, ts_error *err);
/* Every version and delete marker under prefix ("" or NULL = all), paged by
 * key and version-id markers; cb returning non-TS_OK stops with that status. */
ts_status s3_list_object_versions(aws_client *c, const char *bucket, const char *prefix,
                                  s3_version_cb cb, void *user, ts_error *err);

/* What HEAD says about a version's retention (moto 5.2 has no
 * GetObjectRetention; the HEAD headers carry the same facts). */
typedef struct s3_lock_info {
    uint64_t size;
    char lock_mode[24];     /* "GOVERNANCE", "COMPLIANCE" or "" */
    char lock_until[40];    /* retain-until as S3 gives it, or "" */
    bool legal_hold;        /* x-amz-object-lock-legal-hold: ON */
    char storage_class[32]; /* x-amz-storage-class, "STANDARD" when absent */
    char version_id[128];
} s3_lock_info;
/* HEAD of one version (version_id NULL = the current one). NOT_FOUND when
 * absent or a delete marker. */
ts_status s3_head_object_version(aws_client *c, const char *bucket, const char *key,
                                 const char *version_id, s3_lock_info *out, ts_error *err);
/* DeleteObject of one version (permanent). bypass_governance sends
 * x-amz-bypass-governance-retention: true — only when the user asked for it.
 * An absent version is TS_OK; a locked one fails (AccessDenied on S3). */
ts_status s3_delete_object_version(aws_client *c, const char *bucket, const char *key,
                                   const char *version_id, bool bypass_governance, ts_error *err);
/* DeleteBucket (it must be empty of versions and markers). */
ts_status s3_delete_bucket(aws_client *c, const char *bucket, ts_error *err);

#endif
