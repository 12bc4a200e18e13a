/* Where archive bytes live — a local directory or S3 — behind one small
 * interface: atomic put through a ts_output, random-access get through a
 * ts_input, list, head, delete. The archive code never knows which. */
#ifndef ARCHIVE_ARC_STORAGE_H
#define ARCHIVE_ARC_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "core/ts_io.h"

typedef struct aws_client aws_client;
typedef struct arc_storage arc_storage;

typedef struct arc_object_info {
    uint64_t size;
    bool has_sha256;
    uint8_t sha256[32];   /* whole-object SHA-256 when the store knows it */
    char lock_mode[24];   /* S3 Object Lock mode or "" */
    char lock_until[40];  /* retain-until date or "" */
} arc_object_info;

typedef ts_status (*arc_list_cb)(void *user, const char *rel_key, uint64_t size, ts_error *err);

typedef struct arc_storage_ops {
    const char *scheme; /* "file", "s3" */
    ts_status (*create)(arc_storage *s, const char *key, ts_output **out, ts_error *err);
    ts_status (*open_input)(arc_storage *s, const char *key, ts_input **out, ts_error *err);
    ts_status (*get)(arc_storage *s, const char *key, uint64_t off, uint64_t len, ts_buf *out,
                     ts_output *sink, ts_error *err);
    ts_status (*list)(arc_storage *s, const char *prefix, arc_list_cb cb, void *user,
                      ts_error *err);
    ts_status (*head)(arc_storage *s, const char *key, arc_object_info *info, ts_error *err);
    ts_status (*del)(arc_storage *s, const char *key, ts_error *err);
    void (*free)(arc_storage *s);
} arc_storage_ops;

struct arc_storage {
    const arc_storage_ops *ops;
    char *url;          /* "/abs/dir" or "s3://bucket/prefix" for messages */
    char *lock_mode;    /* Object Lock applied to new objects (S3), or NULL */
    char *lock_until;
};

/* root: a directory path (created if missing) or s3://bucket[/prefix].
 * aws may be NULL for a directory; borrowed, must outlive the storage. */
ts_status arc_storage_open(const char *root, aws_client *aws, arc_storage **out, ts_error *err);
void arc_storage_free(arc_storage *s);
/* "s3://bucket/prefix/" or the directory: for messages. */
const char *arc_storage_describe(const arc_storage *s);
/* Full URL of a key, for messages (written into out). */
void arc_storage_key_url(const arc_storage *s, const char *key, char *out, size_t outsz);

/* Object Lock for every object created from now on (S3 only; a directory
 * refuses with TS_ERR_UNSUPPORTED). mode "COMPLIANCE"/"GOVERNANCE", until
 * ISO 8601. NULL mode clears. */
ts_status arc_storage_set_object_lock(arc_storage *s, const char *mode, const char *until,
                                      ts_error *err);

/* A ts_output whose commit makes the object appear atomically: local temp +
 * fsync + rename; S3 PutObject when it stays under one part, else multipart
 * (memory bounded by one part) completed on commit, aborted on abort/close. */
ts_status arc_storage_create(arc_storage *s, const char *rel_key, ts_output **out, ts_error *err);
/* Random-access input: local pread; S3 ranged GETs with a read-ahead cache. */
ts_status arc_storage_open_input(arc_storage *s, const char *rel_key, ts_input **out,
                                 ts_error *err);
/* Whole object into out (cleared first; fails with TS_ERR_LIMIT past cap). */
ts_status arc_storage_read_all(arc_storage *s, const char *rel_key, ts_buf *out, size_t cap,
                               ts_error *err);
/* Bytes [off, off+len) into out (appended). */
ts_status arc_storage_get_range(arc_storage *s, const char *rel_key, uint64_t off, uint64_t len,
                                ts_buf *out, ts_error *err);
/* Whole object streamed into sink (not committed). */
ts_status arc_storage_get_to(arc_storage *s, const char *rel_key, ts_output *sink, ts_error *err);
/* Every object under prefix ("" = all; a prefix is a key prefix, e.g.
 * "timestream-archive/db/"), in key order, keys relative to the root.
 * Temp files of unfinished local writes are not listed. */
ts_status arc_storage_list(arc_storage *s, const char *prefix, arc_list_cb cb, void *user,
                           ts_error *err);
/* NOT_FOUND when absent. */
ts_status arc_storage_head(arc_storage *s, const char *rel_key, arc_object_info *info,
                           ts_error *err);
/* Deleting an absent object is TS_OK. */
ts_status arc_storage_delete(arc_storage *s, const char *rel_key, ts_error *err);

/* Relative key rules: 1..1024 bytes of [A-Za-z0-9._=+@~,-] and '/', no
 * leading or trailing '/', no "//", no "." or ".." segment. */
ts_status arc_key_validate(const char *rel_key, ts_error *err);
/* Prefix rules: "" or a key, optionally ending with '/'. */
ts_status arc_prefix_validate(const char *prefix, ts_error *err);

/* Backend constructors (used by arc_storage_open). */
ts_status arc_storage_local_open(const char *dir, arc_storage **out, ts_error *err);
ts_status arc_storage_s3_open(const char *bucket, const char *prefix, aws_client *aws,
                              arc_storage **out, ts_error *err);

#endif
