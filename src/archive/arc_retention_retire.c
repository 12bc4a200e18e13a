/* Retiring an archive bucket (the guide's step 6.1): refused while any
 * version is within its retention or on legal hold; otherwise the audit log
 * is written elsewhere first, then every version, every delete marker and the
 * bucket go. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_audit.h"
#include "archive/arc_retention.h"
#include "archive/arc_storage.h"
#include "aws/aws_s3.h"
#include "core/ts_alloc.h"

typedef struct retire_list {
    arc_retire_version *v;
    bool *latest; /* IsLatest per entry */
    size_t n, cap;
} retire_list;

static void version_free(arc_retire_version *v)
{
    ts_free(v->key);
    ts_free(v->version_id);
}

void arc_retire_result_free(arc_retire_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nheld_v; i++) version_free(&r->held_v[i]);
    ts_free(r->held_v);
    memset(r, 0, sizeof *r);
}

static ts_status on_version(void *user, const s3_version_entry *e, ts_error *err)
{
    retire_list *l = user;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        arc_retire_version *nv = ts_realloc(l->v, nc * sizeof *nv);
        if (!nv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing versions");
        l->v = nv;
        bool *nl = ts_realloc(l->latest, nc * sizeof *nl);
        if (!nl) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing versions");
        l->latest = nl;
        l->cap = nc;
    }
    l->latest[l->n] = e->is_latest;
    arc_retire_version *v = &l->v[l->n];
    memset(v, 0, sizeof *v);
    v->key = ts_strdup(e->key);
    v->version_id = ts_strdup(e->version_id);
    if (!v->key || !v->version_id) {
        version_free(v);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing versions");
    }
    v->delete_marker = e->delete_marker;
    v->size = e->size;
    l->n++;
    return TS_OK;
}

static void fmt_date(int64_t ns, char out[TS_TIME_STR_MAX])
{
    ts_tm tm;
    ts_time_split(ns, &tm);
    snprintf(out, TS_TIME_STR_MAX, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)tm.year,
             tm.month, tm.day, tm.hour, tm.min, tm.sec);
}

static ts_status keep_held(arc_retire_result *res, const arc_retire_version *v, size_t max,
                           ts_error *err)
{
    if (res->nheld_v >= max) return TS_OK;
    if (!res->held_v) {
        res->held_v = ts_calloc(max, sizeof *res->held_v);
        if (!res->held_v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    arc_retire_version *h = &res->held_v[res->nheld_v];
    *h = *v;
    h->key = ts_strdup(v->key);
    h->version_id = ts_strdup(v->version_id);
    if (!h->key || !h->version_id) {
        version_free(h);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    res->nheld_v++;
    return TS_OK;
}

static void audit_add(arc_audit *a, const char *event, json_t *f)
{
    ts_error e;
    ts_err_clear(&e);
    if (a) arc_audit_add(a, event, f, &e);
    else json_decref(f);
}

ts_status arc_bucket_retire(aws_client *aws, const arc_retire_opts *o, arc_retire_result *res,
                            ts_error *err)
{
    memset(res, 0, sizeof *res);
    const char *bucket = o->bucket;
    if (!bucket || !s3_bucket_name_valid(bucket))
        return ts_err_set(err, TS_ERR_USAGE, "'%s' is not a valid bucket name",
                          bucket ? bucket : "");
    if (!o->dry_run) {
        if (!o->audit || !o->audit_storage)
            return ts_err_set(err, TS_ERR_USAGE, "retiring s3://%s needs a place for the audit "
                                                 "log outside the bucket",
                              bucket);
        const char *au = arc_storage_describe(o->audit_storage);
        size_t bl = strlen(bucket);
        if (strncmp(au, "s3://", 5) == 0 && strncmp(au + 5, bucket, bl) == 0 &&
            (au[5 + bl] == '/' || au[5 + bl] == '\0'))
            return ts_err_set(err, TS_ERR_USAGE,
                              "the audit log for retiring s3://%s cannot go into that bucket (%s): "
                              "name another place",
                              bucket, au);
    }
    int64_t now = o->now_ns ? o->now_ns : ts_now_ns();
    size_t max = o->max_listed ? o->max_listed : 20;

    TS_TRY(s3_head_bucket(aws, bucket, err));
    retire_list l = {0};
    ts_status st = s3_list_object_versions(aws, bucket, NULL, on_version, &l, err);
    /* each version's lock: HEAD with versionId (moto has no GetObjectRetention) */
    for (size_t i = 0; st == TS_OK && i < l.n; i++) {
        arc_retire_version *v = &l.v[i];
        if (v->delete_marker) {
            res->delete_markers++;
            continue;
        }
        res->versions++;
        res->bytes += v->size;
        s3_lock_info li;
        /* the "null" version of an object written before versioning: the
         * current one is read without versionId (moto refuses "null") */
        bool null_latest = strcmp(v->version_id, "null") == 0 && l.latest[i];
        st = s3_head_object_version(aws, bucket, v->key, null_latest ? NULL : v->version_id, &li,
                                    err);
        if (st == TS_ERR_NOT_FOUND) { /* gone meanwhile */
            ts_err_clear(err);
            st = TS_OK;
            continue;
        }
        if (st != TS_OK) break;
        snprintf(v->lock_mode, sizeof v->lock_mode, "%s", li.lock_mode);
        snprintf(v->lock_until, sizeof v->lock_until, "%s", li.lock_until);
        v->legal_hold = li.legal_hold;
        int64_t u = 0;
        if (li.lock_mode[0] && li.lock_until[0] &&
            !ts_time_parse(li.lock_until, strlen(li.lock_until), &u))
            u = INT64_MAX; /* a date we cannot read: treat as held */
        v->lock_until_ns = u;
        bool held = v->legal_hold || (li.lock_mode[0] && u > now);
        if (held) {
            res->held++;
            if (v->legal_hold) res->legal_hold = true;
            if (li.lock_mode[0] && u > res->may_go_ns) res->may_go_ns = u;
            st = keep_held(res, v, max, err);
        }
        if (o->cancel && *o->cancel) st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    }
    if (st == TS_OK && res->held) {
        char first[1024] = "";
        size_t fl = 0;
        for (size_t i = 0; i < res->nheld_v && i < 3 && fl < sizeof first; i++) {
            const arc_retire_version *h = &res->held_v[i];
            int k = snprintf(first + fl, sizeof first - fl, "%s%s (%s%s%s%s)", i ? ", " : "",
                             h->key, h->lock_mode[0] ? h->lock_mode : "",
                             h->lock_mode[0] ? " until " : "", h->lock_until,
                             h->legal_hold ? (h->lock_mode[0] ? ", legal hold" : "legal hold")
                                           : "");
            if (k > 0) fl += (size_t)k;
        }
        char when[TS_TIME_STR_MAX + 64] = "";
        if (res->may_go_ns && res->may_go_ns != INT64_MAX) {
            char d[TS_TIME_STR_MAX];
            fmt_date(res->may_go_ns, d);
            snprintf(when, sizeof when, "; the bucket may go after %s", d);
        }
        st = ts_err_set(err, TS_ERR_REFUSED,
                        "s3://%s: refusing to delete: %zu of %zu object versions are within their "
                        "retention or on legal hold (first: %s)%s%s",
                        bucket, res->held, res->versions, first, when,
                        res->legal_hold ? "; legal holds must be released first" : "");
    }
    if (st != TS_OK || o->dry_run) {
        for (size_t i = 0; i < l.n; i++) version_free(&l.v[i]);
        ts_free(l.v);
        ts_free(l.latest);
        return st;
    }

    /* the record goes out before anything is deleted */
    {
        json_t *items = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(items, json_pack("{s:s,s:s,s:b,s:I}", "key", l.v[i].key,
                                                   "version_id", l.v[i].version_id,
                                                   "delete_marker", l.v[i].delete_marker, "size",
                                                   (json_int_t)l.v[i].size));
        audit_add(o->audit, "plan-retire-bucket",
                  json_pack("{s:s,s:I,s:I,s:I,s:o}", "bucket", bucket, "versions",
                            (json_int_t)res->versions, "delete_markers",
                            (json_int_t)res->delete_markers, "bytes", (json_int_t)res->bytes,
                            "items", items));
        st = arc_audit_flush(o->audit, o->audit_storage, o->audit_prefix, err);
        if (st != TS_OK) ts_err_context(err, "writing the audit log before retiring s3://%s", bucket);
    }
    size_t total = l.n;
    for (size_t i = 0; st == TS_OK && i < l.n; i++) {
        st = s3_delete_object_version(aws, bucket, l.v[i].key, l.v[i].version_id, false, err);
        if (st == TS_OK) {
            res->deleted++;
            if (o->progress) o->progress(o->user, res->deleted, total);
        }
        if (st == TS_OK && o->cancel && *o->cancel)
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted after %zu of %zu deletions",
                            res->deleted, total);
    }
    if (st == TS_OK) {
        st = s3_delete_bucket(aws, bucket, err);
        res->bucket_deleted = st == TS_OK;
    }
    {
        json_t *f = json_pack("{s:s,s:s,s:I,s:b}", "bucket", bucket, "outcome",
                              st == TS_OK ? "ok" : ts_status_name(st), "deleted",
                              (json_int_t)res->deleted, "bucket_deleted", res->bucket_deleted);
        if (st != TS_OK) {
            char m[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
            ts_err_format(err, m, sizeof m);
            json_object_set_new(f, "error", json_string(m));
        }
        audit_add(o->audit, "retire-bucket", f);
        ts_error fe;
        ts_err_clear(&fe);
        ts_status fs = arc_audit_flush(o->audit, o->audit_storage, o->audit_prefix, &fe);
        if (st == TS_OK && fs != TS_OK) {
            *err = fe;
            st = fs;
        }
    }
    for (size_t i = 0; i < l.n; i++) version_free(&l.v[i]);
    ts_free(l.v);
    ts_free(l.latest);
    return st;
}
