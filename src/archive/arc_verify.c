/* tsarchive verify, the library half: reads each database's manifest
 * (tolerantly, so one bad entry does not hide the rest), lists what is
 * stored, and checks every file in worker threads — size, SHA-256 and, unless
 * quick, a full decode with counts, times, schema and partition checks. */
#include "archive/arc_verify.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/arc_layout.h"
#include "archive/arc_manifest.h"
#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"
#include "core/ts_time.h"
#include "parquet/pq_reader.h"

#define HASH_CHUNK ((size_t)1 << 20)

static const char *const kind_names[ARC_F_KIND_COUNT] = {
    [ARC_F_MANIFEST_MISSING] = "manifest_missing",
    [ARC_F_MANIFEST_INVALID] = "manifest_invalid",
    [ARC_F_PATH_ESCAPE] = "path_escape",
    [ARC_F_TOTALS_MISMATCH] = "totals_mismatch",
    [ARC_F_MISSING_FILE] = "missing_file",
    [ARC_F_SIZE_MISMATCH] = "size_mismatch",
    [ARC_F_CHECKSUM_MISMATCH] = "checksum_mismatch",
    [ARC_F_UNLISTED_FILE] = "unlisted_file",
    [ARC_F_LEFTOVER_TEMP] = "leftover_temp",
    [ARC_F_UNFINISHED_EXPORT] = "unfinished_export",
    [ARC_F_DECODE_ERROR] = "decode_error",
    [ARC_F_COUNT_MISMATCH] = "count_mismatch",
    [ARC_F_TIME_MISMATCH] = "time_mismatch",
    [ARC_F_SCHEMA_MISMATCH] = "schema_mismatch",
    [ARC_F_PARTITION_MISMATCH] = "partition_mismatch",
    [ARC_F_STATS_MISMATCH] = "statistics_mismatch",
    [ARC_F_LIVE_MISMATCH] = "live_mismatch",
};

const char *arc_finding_kind_name(arc_finding_kind k)
{
    return (unsigned)k < ARC_F_KIND_COUNT ? kind_names[k] : "unknown";
}

bool arc_verify_status_fatal(ts_status st)
{
    switch (st) {
    case TS_ERR_NETWORK:
    case TS_ERR_REMOTE:
    case TS_ERR_AUTH:
    case TS_ERR_IO:
    case TS_ERR_NOMEM:
    case TS_ERR_CANCELLED:
    case TS_ERR_INTERNAL:
    case TS_ERR_USAGE:
        return true;
    default:
        return false;
    }
}

/* ---- report ---- */

void arc_verify_report_init(arc_verify_report *r)
{
    memset(r, 0, sizeof *r);
}

static void finding_free(arc_finding *f)
{
    ts_free(f->database);
    ts_free(f->table);
    ts_free(f->file);
    ts_free(f->column);
    ts_free(f->message);
}

void arc_verify_report_free(arc_verify_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nfindings; i++) finding_free(&r->findings[i]);
    ts_free(r->findings);
    for (size_t i = 0; i < r->ntables; i++) {
        ts_free(r->tables[i].database);
        ts_free(r->tables[i].table);
    }
    ts_free(r->tables);
    memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s) return NULL;
    char *d = ts_strdup(s);
    if (!d) *ok = false;
    return d;
}

static ts_status report_push(arc_verify_report *r, arc_finding *f, ts_error *err)
{
    if (r->nfindings == r->findings_cap) {
        size_t nc = r->findings_cap ? r->findings_cap * 2 : 16;
        arc_finding *nv = ts_realloc(r->findings, nc * sizeof *nv);
        if (!nv) {
            finding_free(f);
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory recording a finding");
        }
        r->findings = nv;
        r->findings_cap = nc;
    }
    r->findings[r->nfindings++] = *f;
    if (f->warning) r->warnings++;
    else r->errors++;
    return TS_OK;
}

static ts_status add_full(arc_verify_report *r, arc_finding_kind kind, bool warning,
                          const char *db, const char *table, const char *file, const char *column,
                          long long rg, long long page, long long offset, const char *msg,
                          ts_error *err)
{
    bool ok = true;
    arc_finding f = {.kind = kind, .warning = warning, .row_group = rg, .page = page,
                     .offset = offset};
    f.database = dup_or_null(db, &ok);
    f.table = dup_or_null(table, &ok);
    f.file = dup_or_null(file, &ok);
    f.column = dup_or_null(column, &ok);
    f.message = dup_or_null(msg ? msg : "", &ok);
    if (!ok) {
        finding_free(&f);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory recording a finding");
    }
    return report_push(r, &f, err);
}

ts_status arc_verify_add(arc_verify_report *r, arc_finding_kind kind, bool warning,
                         const char *database, const char *table, const char *file,
                         const char *message, ts_error *err)
{
    return add_full(r, kind, warning, database, table, file, NULL, -1, -1, -1, message, err);
}

/* printf into a finding message */
#define FMT_MSG(buf, ...) snprintf((buf), sizeof(buf), __VA_ARGS__)

/* ---- listing ---- */

typedef struct lkey {
    char *key;
    uint64_t size;
    bool seen;
} lkey;

typedef struct listing {
    lkey *v;
    size_t n, cap;
} listing;

static ts_status list_cb(void *user, const char *rel_key, uint64_t size, ts_error *err)
{
    listing *l = user;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        lkey *nv = ts_realloc(l->v, nc * sizeof *nv);
        if (!nv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
        l->v = nv;
        l->cap = nc;
    }
    char *k = ts_strdup(rel_key);
    if (!k) return ts_err_set(err, TS_ERR_NOMEM, "out of memory listing the archive");
    l->v[l->n++] = (lkey){.key = k, .size = size};
    return TS_OK;
}

static int cmp_lkey(const void *a, const void *b)
{
    return strcmp(((const lkey *)a)->key, ((const lkey *)b)->key);
}

static lkey *listing_find(listing *l, const char *key)
{
    lkey probe = {.key = (char *)key};
    return l->n ? bsearch(&probe, l->v, l->n, sizeof *l->v, cmp_lkey) : NULL;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++) ts_free(l->v[i].key);
    ts_free(l->v);
}

/* ---- per database and per file state ---- */

typedef struct vdb {
    char *name;
    char dir[ARC_PATH_MAX]; /* "<prefix><db>/" */
    bool have_manifest;
    arc_manifest m;
} vdb;

typedef struct vfile {
    vdb *db;
    const arc_table *t;
    const arc_file *f;
    char key[ARC_PATH_MAX];
    bool present;
    uint64_t actual_size;
    bool has_month;
    arc_window window; /* of the month in the path */
    arc_verify_report local; /* findings of this file */
} vfile;

typedef struct vrun {
    const arc_verify_opts *o;
    arc_storage *main_storage;
    vfile *files;
    size_t nfiles;
    pthread_mutex_t mu;
    size_t next;
    bool failed;
    ts_error fail_err;
    arc_verify_progress prog;
} vrun;

/* ---- manifest: tolerant pre-pass, then the strict parser ---- */

static bool jtime(json_t *v, int64_t *out)
{
    return json_is_string(v) && ts_time_parse(json_string_value(v), json_string_length(v), out);
}

static json_t *jtime_new(int64_t ns)
{
    char s[TS_TIME_STR_MAX];
    ts_time_format(ns, s);
    return json_string(s);
}

/* Reports unsafe paths (and drops those entries) and totals that do not add
 * up (and repairs them), so the strict parser can read the rest and every
 * other file still gets checked. */
static ts_status manifest_prepass(json_t *root, vdb *d, arc_verify_report *rep, ts_error *err)
{
    char msg[2048];
    json_t *tables = json_object_get(root, "tables");
    if (!json_is_array(tables)) return TS_OK; /* the parser names it */
    uint64_t all_files = 0, all_records = 0, all_bytes = 0;
    uint64_t want_files = 0, want_records = 0, want_bytes = 0;
    size_t ti;
    json_t *to;
    json_array_foreach(tables, ti, to)
    {
        if (!json_is_object(to)) continue;
        json_t *jn = json_object_get(to, "name");
        const char *tname = json_is_string(jn) ? json_string_value(jn) : "?";
        json_t *files = json_object_get(to, "files");
        if (!json_is_array(files)) continue;
        uint64_t recs = 0, krecs = 0, kbytes = 0, kfiles = 0;
        int64_t mn = 0, mx = 0, kmn = 0, kmx = 0;
        bool any = false, kany = false, times_ok = true;
        for (size_t i = 0; i < json_array_size(files); i++) {
            json_t *fo = json_array_get(files, i);
            json_t *rc = json_object_get(fo, "record_count");
            json_t *sz = json_object_get(fo, "size");
            uint64_t r = json_is_integer(rc) && json_integer_value(rc) > 0
                             ? (uint64_t)json_integer_value(rc) : 0;
            uint64_t b = json_is_integer(sz) && json_integer_value(sz) > 0
                             ? (uint64_t)json_integer_value(sz) : 0;
            int64_t fmn = 0, fmx = 0;
            bool has_t = r > 0 && jtime(json_object_get(fo, "min_time"), &fmn) &&
                         jtime(json_object_get(fo, "max_time"), &fmx);
            if (r > 0 && !has_t) times_ok = false;
            recs += r;
            want_files++;
            want_records += r;
            want_bytes += b;
            if (has_t) {
                if (!any || fmn < mn) mn = fmn;
                if (!any || fmx > mx) mx = fmx;
                any = true;
            }
            json_t *jp = json_object_get(fo, "path");
            const char *p = json_is_string(jp) ? json_string_value(jp) : NULL;
            size_t tl = strlen(tname);
            bool safe = p && strlen(p) == json_string_length(jp) && arc_relpath_ok(p);
            bool under = safe && strncmp(p, tname, tl) == 0 && p[tl] == '/';
            if (p && (!safe || !under)) {
                FMT_MSG(msg,
                        "%s: table %s lists the path \"%s\", which %s; the entry is not "
                        "followed (a manifest path must stay inside its table's folder)",
                        d->name, tname, p,
                        !safe ? "is not a safe relative path (absolute, '..' or odd characters)"
                              : "lies outside the table's folder");
                TS_TRY(arc_verify_add(rep, ARC_F_PATH_ESCAPE, false, d->name, tname, NULL, msg,
                                      err));
                json_array_remove(files, i);
                i--;
                continue;
            }
            krecs += r;
            kbytes += b;
            kfiles++;
            if (has_t) {
                if (!kany || fmn < kmn) kmn = fmn;
                if (!kany || fmx > kmx) kmx = fmx;
                kany = true;
            }
        }
        all_files += kfiles;
        all_records += krecs;
        all_bytes += kbytes;
        json_t *trc = json_object_get(to, "record_count");
        if (json_is_integer(trc) && json_integer_value(trc) >= 0 &&
            (uint64_t)json_integer_value(trc) != recs) {
            FMT_MSG(msg,
                    "%s: table %s: the manifest's record_count %lld differs from the sum of its "
                    "files' record counts %llu",
                    d->name, tname, (long long)json_integer_value(trc), (unsigned long long)recs);
            TS_TRY(arc_verify_add(rep, ARC_F_TOTALS_MISMATCH, false, d->name, tname, NULL, msg,
                                  err));
        }
        if (json_is_integer(trc)) json_object_set_new(to, "record_count", json_integer((json_int_t)krecs));
        int64_t tmn, tmx;
        if (any && times_ok && jtime(json_object_get(to, "min_time"), &tmn) &&
            jtime(json_object_get(to, "max_time"), &tmx) && (tmn != mn || tmx != mx)) {
            char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX], c[TS_TIME_STR_MAX], e[TS_TIME_STR_MAX];
            ts_time_format(tmn, a);
            ts_time_format(tmx, b);
            ts_time_format(mn, c);
            ts_time_format(mx, e);
            FMT_MSG(msg, "%s: table %s: the manifest's time range %s .. %s differs from its files' %s .. %s",
                    d->name, tname, a, b, c, e);
            TS_TRY(arc_verify_add(rep, ARC_F_TOTALS_MISMATCH, false, d->name, tname, NULL, msg,
                                  err));
        }
        if (times_ok && kany) {
            json_object_set_new(to, "min_time", jtime_new(kmn));
            json_object_set_new(to, "max_time", jtime_new(kmx));
        } else if (times_ok && !kany) {
            json_object_set_new(to, "min_time", json_null());
            json_object_set_new(to, "max_time", json_null());
        }
    }
    json_t *jt = json_object_get(root, "totals");
    if (json_is_object(jt)) {
        struct {
            const char *key;
            uint64_t want, fixed;
        } tv[] = {{"tables", json_array_size(tables), json_array_size(tables)},
                  {"files", want_files, all_files},
                  {"records", want_records, all_records},
                  {"bytes", want_bytes, all_bytes}};
        for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++) {
            json_t *v = json_object_get(jt, tv[i].key);
            if (!json_is_integer(v)) continue;
            if ((uint64_t)json_integer_value(v) != tv[i].want) {
                FMT_MSG(msg,
                        "%s: the manifest's totals say %lld %s, the tables listed add up to %llu",
                        d->name, (long long)json_integer_value(v), tv[i].key,
                        (unsigned long long)tv[i].want);
                TS_TRY(arc_verify_add(rep, ARC_F_TOTALS_MISMATCH, false, d->name, NULL, NULL, msg,
                                      err));
            }
            json_object_set_new(jt, tv[i].key, json_integer((json_int_t)tv[i].fixed));
        }
    }
    return TS_OK;
}

static ts_status load_manifest(arc_storage *s, vdb *d, arc_verify_report *rep, ts_error *err)
{
    char key[ARC_PATH_MAX], msg[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 256];
    TS_TRY(arc_join(key, sizeof key, err, d->dir, ARC_MANIFEST_NAME, NULL));
    ts_buf text;
    ts_buf_init(&text, TS_MAX_MANIFEST);
    ts_error e;
    ts_err_clear(&e);
    ts_status st = arc_storage_read_all(s, key, &text, TS_MAX_MANIFEST, &e);
    if (st == TS_ERR_NOT_FOUND) {
        ts_buf_free(&text);
        FMT_MSG(msg, "%s: no %s: the database folder has no manifest, so nothing in it can be "
                     "proven (an export that never finished, or a deleted manifest)",
                d->name, ARC_MANIFEST_NAME);
        return arc_verify_add(rep, ARC_F_MANIFEST_MISSING, false, d->name, NULL, key, msg, err);
    }
    if (st != TS_OK) {
        ts_buf_free(&text);
        if (st == TS_ERR_LIMIT) {
            ts_err_format(&e, msg, sizeof msg);
            return arc_verify_add(rep, ARC_F_MANIFEST_INVALID, false, d->name, NULL, key, msg, err);
        }
        *err = e;
        ts_err_context(err, "reading %s", key);
        return st;
    }
    json_error_t je;
    json_t *root = json_loadb((const char *)text.data, text.len, JSON_REJECT_DUPLICATES, &je);
    ts_buf_free(&text);
    if (!root) {
        FMT_MSG(msg, "%s: %s is not valid JSON (line %d column %d: %s)", d->name,
                ARC_MANIFEST_NAME, je.line, je.column, je.text);
        return arc_verify_add(rep, ARC_F_MANIFEST_INVALID, false, d->name, NULL, key, msg, err);
    }
    st = manifest_prepass(root, d, rep, err);
    char *fixed = st == TS_OK ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (st != TS_OK) return st;
    if (!fixed) return ts_err_set(err, TS_ERR_NOMEM, "out of memory reading %s", key);
    ts_err_clear(&e);
    st = arc_manifest_parse(fixed, strlen(fixed), &d->m, &e);
    free(fixed); /* jansson's allocation */
    if (st == TS_ERR_NOMEM) return ts_err_set(err, st, "out of memory reading %s", key);
    if (st != TS_OK) {
        char em[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8];
        ts_err_format(&e, em, sizeof em);
        FMT_MSG(msg, "%s: %s: %s", d->name, ARC_MANIFEST_NAME, em);
        return arc_verify_add(rep, ARC_F_MANIFEST_INVALID, false, d->name, NULL, key, msg, err);
    }
    if (strcmp(d->m.database, d->name) != 0) {
        FMT_MSG(msg, "%s: the manifest names the database \"%s\", not its folder's name",
                d->name, d->m.database);
        TS_TRY(arc_verify_add(rep, ARC_F_MANIFEST_INVALID, false, d->name, NULL, key, msg, err));
    }
    d->have_manifest = true;
    return TS_OK;
}

/* ---- partition names ---- */

static bool parse_digits(const char **p, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* The month a path's folders name ("<table>/year=YYYY/month=MM/..."). */
static bool path_month(const char *table, const char *path, arc_month *m)
{
    size_t tl = strlen(table);
    if (strncmp(path, table, tl) != 0 || strncmp(path + tl, "/year=", 6) != 0) return false;
    const char *p = path + tl + 6;
    int64_t y, mo;
    if (!parse_digits(&p, 4, &y) || strncmp(p, "/month=", 7) != 0) return false;
    p += 7;
    if (!parse_digits(&p, 2, &mo) || *p != '/' || mo < 1 || mo > 12) return false;
    m->year = y;
    m->month = (unsigned)mo;
    return true;
}

static void fmt_window(arc_window w, char *out, size_t outsz)
{
    char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
    ts_time_format(w.lo, a);
    ts_time_format(w.hi, b);
    snprintf(out, outsz, "%s .. %s", a, b);
}

/* Name and folders against format 1, and the listed times against the month. */
static ts_status check_partition(vfile *vf, ts_error *err)
{
    char msg[2048], want[ARC_PATH_MAX];
    arc_month m;
    const arc_file *f = vf->f;
    if (!path_month(vf->t->name, f->path, &m)) {
        FMT_MSG(msg, "%s: the path is not <table>/year=YYYY/month=MM/<table>_<first>_<last>.parquet",
                vf->key);
        return add_full(&vf->local, ARC_F_PARTITION_MISMATCH, false, vf->db->name, vf->t->name,
                        vf->key, NULL, -1, -1, -1, msg, err);
    }
    ts_error e;
    ts_err_clear(&e);
    if (arc_partition_path(vf->t->name, m, want, sizeof want, &e) == TS_OK &&
        strcmp(want, f->path) != 0) {
        FMT_MSG(msg, "%s: the file name does not match its folders' month (expected %s)", vf->key,
                want);
        TS_TRY(add_full(&vf->local, ARC_F_PARTITION_MISMATCH, false, vf->db->name, vf->t->name,
                        vf->key, NULL, -1, -1, -1, msg, err));
    }
    vf->has_month = true;
    vf->window = arc_month_window(m);
    if (f->records && (f->min_time < vf->window.lo || f->max_time > vf->window.hi)) {
        char w[128], a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
        fmt_window(vf->window, w, sizeof w);
        ts_time_format(f->min_time, a);
        ts_time_format(f->max_time, b);
        FMT_MSG(msg, "%s: the manifest lists times %s .. %s, outside the folder's month %s",
                vf->key, a, b, w);
        TS_TRY(add_full(&vf->local, ARC_F_PARTITION_MISMATCH, false, vf->db->name, vf->t->name,
                        vf->key, NULL, -1, -1, -1, msg, err));
    }
    return TS_OK;
}

/* ---- one file ---- */

/* A ts_output that hashes what passes and forwards it (inner may be NULL). */
typedef struct hash_sink {
    ts_output base;
    ts_output *inner;
    ts_sha256 *h;
    vrun *run;
} hash_sink;

static void add_progress(vrun *run, uint64_t bytes, uint64_t files)
{
    pthread_mutex_lock(&run->mu);
    run->prog.bytes_done += bytes;
    run->prog.files_done += files;
    if (run->o->progress) run->o->progress(run->o->user, &run->prog);
    pthread_mutex_unlock(&run->mu);
}

static ts_status hs_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    hash_sink *s = (hash_sink *)o;
    if (s->run->o->cancel && *s->run->o->cancel) return ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    ts_sha256_update(s->h, p, n);
    add_progress(s->run, n, 0);
    return s->inner ? ts_output_write(s->inner, p, n, err) : TS_OK;
}

static ts_status hs_commit(ts_output *o, ts_error *err)
{
    hash_sink *s = (hash_sink *)o;
    return s->inner ? ts_output_commit(s->inner, err) : TS_OK;
}

static void hs_abort(ts_output *o)
{
    (void)o;
}

static void hs_close(ts_output *o)
{
    (void)o;
}

static const ts_output_ops hash_sink_ops = {
    .write = hs_write, .commit = hs_commit, .abort = hs_abort, .close = hs_close};

/* "column 'x', row group 3, page 2 (offset 123)" → fields. */
static void locate(const char *s, char *col, size_t colsz, long long *rg, long long *page,
                   long long *off)
{
    const char *p;
    if ((p = strstr(s, "column '")) != NULL) {
        p += 8;
        const char *q = strchr(p, '\'');
        size_t n = q ? (size_t)(q - p) : 0;
        if (n >= colsz) n = colsz - 1;
        memcpy(col, p, n);
        col[n] = '\0';
    }
    if ((p = strstr(s, "row group ")) != NULL) *rg = strtoll(p + 10, NULL, 10);
    for (p = s; (p = strstr(p, "page ")) != NULL; p += 5)
        if (p[5] >= '0' && p[5] <= '9') {
            *page = strtoll(p + 5, NULL, 10);
            break;
        }
    for (p = s; (p = strstr(p, "offset ")) != NULL; p += 7)
        if (p[7] >= '0' && p[7] <= '9') {
            *off = strtoll(p + 7, NULL, 10);
            break;
        }
}

static ts_status decode_finding(vfile *vf, const ts_input *in, const ts_error *e, ts_error *err)
{
    char em[TS_ERR_MSG_MAX + TS_ERR_CTX_MAX + 8], msg[sizeof em + ARC_PATH_MAX + 64];
    /* the context starts with the input's name; the finding names the key */
    ts_error e2 = *e;
    size_t nl = in->name ? strlen(in->name) : 0;
    if (nl && strncmp(e2.ctx, in->name, nl) == 0) {
        const char *rest = e2.ctx + nl;
        if (rest[0] == ':' && rest[1] == ' ') rest += 2;
        memmove(e2.ctx, rest, strlen(rest) + 1);
    }
    ts_err_format(&e2, em, sizeof em);
    char col[256] = "";
    long long rg = -1, page = -1, off = -1;
    locate(e->ctx, col, sizeof col, &rg, &page, &off);
    if (!*col) locate(e->msg, col, sizeof col, &rg, &page, &off);
    FMT_MSG(msg, "%s: does not decode: %s", vf->key, em);
    return add_full(&vf->local, ARC_F_DECODE_ERROR, false, vf->db->name, vf->t->name, vf->key,
                    *col ? col : NULL, rg, page, off, msg, err);
}

static const char *kv_get(const pq_file_meta *m, const char *key)
{
    for (size_t i = 0; i < m->nkv; i++)
        if (m->kv[i].key && strcmp(m->kv[i].key, key) == 0) return m->kv[i].value;
    return NULL;
}

/* The file's schema and tsarchive.columns against the manifest's columns;
 * the first difference is reported. */
static ts_status check_schema(vfile *vf, pq_reader *r, ts_error *err)
{
    char msg[2048];
    const arc_table *t = vf->t;
    const ts_schema *s = pq_reader_schema(r);
    const char *why = NULL;
    char detail[1024] = "";
    if (s->ncols != t->ncols) {
        FMT_MSG(detail, "the file has %zu columns, the manifest lists %zu", s->ncols, t->ncols);
        why = detail;
    }
    for (size_t i = 0; !why && i < s->ncols; i++) {
        const ts_field *f = &s->fields[i];
        const arc_column *c = &t->cols[i];
        if (strcmp(f->name, c->name) != 0) {
            FMT_MSG(detail, "column %zu is \"%s\" in the file, \"%s\" in the manifest", i + 1,
                    f->name, c->name);
            why = detail;
        } else if (f->type != c->type) {
            FMT_MSG(detail, "column \"%s\" is %s in the file, %s in the manifest", f->name,
                    ts_type_name(f->type), ts_type_name(c->type));
            why = detail;
        } else if (c->role == ARC_ROLE_TIME) {
            const pq_column_info *ci = pq_reader_column(r, i);
            int64_t want = strcmp(t->time_unit, "ns") == 0 ? 1 : 1000;
            if (ci->kind != PQ_VK_TIMESTAMP || ci->unit_ns != want || ci->max_def != 0) {
                FMT_MSG(detail, "column \"time\" is not a required TIMESTAMP(%s) as the manifest's "
                                "time_unit \"%s\" says",
                        want == 1 ? "NANOS" : "MICROS", t->time_unit);
                why = detail;
            }
        }
    }
    const char *kv = why ? NULL : kv_get(pq_reader_meta(r), "tsarchive.columns");
    if (!why && !kv) why = "the key-value metadata \"tsarchive.columns\" is missing";
    if (!why) {
        json_t *root = json_loads(kv, JSON_REJECT_DUPLICATES, NULL);
        json_t *cols = json_object_get(root, "columns");
        json_t *fv = json_object_get(root, "format_version");
        if (!json_is_array(cols) || !json_is_integer(fv)) {
            why = "\"tsarchive.columns\" is not the expected JSON object";
        } else if (json_integer_value(fv) != ARC_FORMAT_VERSION) {
            why = "\"tsarchive.columns\" names another format version";
        } else if (json_array_size(cols) != t->ncols) {
            FMT_MSG(detail, "\"tsarchive.columns\" lists %zu columns, the manifest %zu",
                    json_array_size(cols), t->ncols);
            why = detail;
        } else {
            for (size_t i = 0; !why && i < t->ncols; i++) {
                json_t *c = json_array_get(cols, i);
                const char *n = json_string_value(json_object_get(c, "name"));
                const char *ro = json_string_value(json_object_get(c, "role"));
                const char *ty = json_string_value(json_object_get(c, "timestream_type"));
                const arc_column *mc = &t->cols[i];
                if (!n || !ro || !ty || strcmp(n, mc->name) != 0 ||
                    strcmp(ro, arc_role_name(mc->role)) != 0 ||
                    strcmp(ty, mc->source_type ? mc->source_type : "") != 0) {
                    FMT_MSG(detail,
                            "\"tsarchive.columns\" entry %zu (%s, %s, %s) differs from the "
                            "manifest's column (%s, %s, %s)",
                            i + 1, n ? n : "?", ro ? ro : "?", ty ? ty : "?", mc->name,
                            arc_role_name(mc->role), mc->source_type ? mc->source_type : "");
                    why = detail;
                }
            }
        }
        json_decref(root);
    }
    if (!why) return TS_OK;
    FMT_MSG(msg, "%s: schema differs from the manifest: %s", vf->key, why);
    return add_full(&vf->local, ARC_F_SCHEMA_MISMATCH, false, vf->db->name, vf->t->name, vf->key,
                    NULL, -1, -1, -1, msg, err);
}

/* Footer statistics of one row group against what its pages decoded to:
 * null counts of every column, min/max of "time". The first difference in
 * a file is reported (a flipped byte in the footer that decoding alone
 * would not notice). */
typedef struct col_range {
    bool any, nan;
    int64_t imin, imax;   /* INT64 physical columns (not TIMESTAMP) */
    double dmin, dmax;    /* DOUBLE physical columns */
} col_range;

typedef struct rg_check {
    uint64_t *nulls;      /* per reader column */
    col_range *rng;       /* per reader column */
    long time_col;        /* reader column of "time", or -1 */
    int64_t tmin, tmax;   /* decoded, ns */
    bool tany;
    bool reported;
} rg_check;

static int64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return (int64_t)v;
}

static ts_status check_rg_stats(vfile *vf, pq_reader *r, size_t g, rg_check *rc, ts_error *err)
{
    if (rc->reported) return TS_OK;
    const pq_file_meta *fm = pq_reader_meta(r);
    char msg[2048];
    const char *col = NULL;
    msg[0] = '\0';
    for (size_t c = 0; c < pq_reader_ncolumns(r) && !col; c++) {
        const pq_column_info *ci = pq_reader_column(r, c);
        if (g >= fm->nrow_groups || ci->leaf >= fm->row_groups[g].ncolumns) break;
        const pq_column_chunk *cc = &fm->row_groups[g].columns[ci->leaf];
        if (cc->has_meta && (cc->meta.npath != 1 || !cc->meta.path[0] ||
                             strcmp(cc->meta.path[0], ci->name) != 0)) {
            col = ci->name;
            FMT_MSG(msg, "%s: row group %zu, column '%s': the column chunk's path_in_schema is "
                         "\"%s\"",
                    vf->key, g, ci->name,
                    cc->meta.npath && cc->meta.path[0] ? cc->meta.path[0] : "");
            break;
        }
        if (!cc->has_meta || !cc->meta.has_statistics) continue;
        const pq_statistics *stt = &cc->meta.statistics;
        if (stt->has_null_count && (uint64_t)stt->null_count != rc->nulls[c]) {
            col = ci->name;
            FMT_MSG(msg, "%s: row group %zu, column '%s': the footer's statistics say %lld NULLs, "
                         "the pages hold %llu",
                    vf->key, g, ci->name, (long long)stt->null_count,
                    (unsigned long long)rc->nulls[c]);
        } else if (ci->kind == PQ_VK_INT && ci->phys == PQ_INT64 && rc->rng[c].any &&
                   stt->min_value.set && stt->min_value.len == 8 && stt->max_value.set &&
                   stt->max_value.len == 8 &&
                   (le64(stt->min_value.ptr) != rc->rng[c].imin ||
                    le64(stt->max_value.ptr) != rc->rng[c].imax)) {
            col = ci->name;
            FMT_MSG(msg, "%s: row group %zu, column '%s': the footer's statistics say min %lld "
                         "max %lld, the pages hold %lld .. %lld",
                    vf->key, g, ci->name, (long long)le64(stt->min_value.ptr),
                    (long long)le64(stt->max_value.ptr), (long long)rc->rng[c].imin,
                    (long long)rc->rng[c].imax);
        } else if (ci->phys == PQ_DOUBLE && rc->rng[c].any && !rc->rng[c].nan &&
                   stt->min_value.set && stt->min_value.len == 8 && stt->max_value.set &&
                   stt->max_value.len == 8) {
            double smin, smax;
            int64_t a = le64(stt->min_value.ptr), bb = le64(stt->max_value.ptr);
            memcpy(&smin, &a, 8);
            memcpy(&smax, &bb, 8);
            /* == also equates -0.0 and +0.0, which writers use for zero bounds */
            if (!(smin == rc->rng[c].dmin) || !(smax == rc->rng[c].dmax)) {
                col = ci->name;
                FMT_MSG(msg, "%s: row group %zu, column '%s': the footer's statistics say min %.17g "
                             "max %.17g, the pages hold %.17g .. %.17g",
                        vf->key, g, ci->name, smin, smax, rc->rng[c].dmin, rc->rng[c].dmax);
            }
        } else if ((long)c == rc->time_col && rc->tany && ci->phys == PQ_INT64 && ci->unit_ns > 0 &&
                   stt->min_value.set && stt->min_value.len == 8 && stt->max_value.set &&
                   stt->max_value.len == 8) {
            int64_t smin = le64(stt->min_value.ptr), smax = le64(stt->max_value.ptr);
            if (smin != rc->tmin / ci->unit_ns || smax != rc->tmax / ci->unit_ns) {
                col = ci->name;
                FMT_MSG(msg, "%s: row group %zu, column '%s': the footer's statistics say min %lld "
                             "max %lld, the pages hold %lld .. %lld",
                        vf->key, g, ci->name, (long long)smin, (long long)smax,
                        (long long)(rc->tmin / ci->unit_ns), (long long)(rc->tmax / ci->unit_ns));
            }
        }
    }
    if (!col) return TS_OK;
    rc->reported = true;
    return add_full(&vf->local, ARC_F_STATS_MISMATCH, false, vf->db->name, vf->t->name, vf->key,
                    col, (long long)g, -1, -1, msg, err);
}

static uint64_t count_valid(const uint8_t *bits, size_t n)
{
    uint64_t v = 0;
    size_t full = n / 8;
    for (size_t i = 0; i < full; i++) v += (uint64_t)__builtin_popcount(bits[i]);
    if (n % 8) v += (uint64_t)__builtin_popcount(bits[full] & ((1u << (n % 8)) - 1));
    return v;
}

/* Full decode: every page of every column, then counts and times. A
 * non-fatal reader error becomes a finding; a fatal one is returned. */
static ts_status decode_file(vrun *run, vfile *vf, ts_input *in, ts_error *err)
{
    char msg[2048];
    pq_reader_opts po;
    pq_reader_opts_default(&po);
    po.verify_crc = true;
    pq_reader *r = NULL;
    ts_error e;
    ts_err_clear(&e);
    ts_status st = pq_reader_open(in, &po, &r, &e);
    if (st != TS_OK) {
        if (arc_verify_status_fatal(st)) {
            *err = e;
            return st;
        }
        return decode_finding(vf, in, &e, err);
    }
    st = check_schema(vf, r, err);
    const ts_schema *s = pq_reader_schema(r);
    long tcol = vf->t->time_ns ? ts_schema_find(s, "time_ns") : ts_schema_find(s, "time");
    long ucol = vf->t->time_ns ? ts_schema_find(s, "time") : -1;
    uint64_t rows = 0, time_bad = 0, first_bad_row = 0;
    int64_t mn = 0, mx = 0;
    bool any = false;
    const ts_batch *b;
    const pq_file_meta *fm = pq_reader_meta(r);
    size_t ncol = pq_reader_ncolumns(r), g = 0;
    uint64_t in_g = 0;
    rg_check rc = {.nulls = ts_calloc(ncol ? ncol : 1, sizeof *rc.nulls),
                   .rng = ts_calloc(ncol ? ncol : 1, sizeof *rc.rng),
                   .time_col = ts_schema_find(s, "time")};
    if ((!rc.nulls || !rc.rng) && st == TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    while (st == TS_OK) {
        if (run->o->cancel && *run->o->cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        ts_err_clear(&e);
        ts_status rs = pq_reader_next(r, &b, &e);
        if (rs != TS_OK) {
            if (arc_verify_status_fatal(rs)) {
                *err = e;
                st = rs;
            } else {
                st = decode_finding(vf, in, &e, err);
                any = false; /* counts of a file that does not decode mean nothing */
                rows = UINT64_MAX;
            }
            break;
        }
        if (!b) break;
        if (tcol >= 0) {
            const int64_t *v = b->cols[tcol].v.i64;
            for (size_t i = 0; i < b->nrows; i++) {
                if (!ts_batch_valid(b, (size_t)tcol, i)) continue;
                if (!any || v[i] < mn) mn = v[i];
                if (!any || v[i] > mx) mx = v[i];
                any = true;
            }
            if (ucol >= 0) {
                const int64_t *u = b->cols[ucol].v.i64;
                for (size_t i = 0; i < b->nrows; i++) {
                    int64_t want = v[i] - ((v[i] % 1000 + 1000) % 1000);
                    if (u[i] != want) {
                        if (!time_bad++) first_bad_row = rows + i;
                    }
                }
            }
        }
        rows += b->nrows;
        /* footer statistics, row group by row group (a batch never spans two) */
        for (size_t c = 0; c < ncol && c < b->schema->ncols; c++) {
            rc.nulls[c] += b->nrows - count_valid(b->cols[c].validity, b->nrows);
            const pq_column_info *ci = pq_reader_column(r, c);
            col_range *cr = &rc.rng[c];
            if (ci->kind == PQ_VK_INT && ci->phys == PQ_INT64) {
                const int64_t *v = b->cols[c].v.i64;
                for (size_t i = 0; i < b->nrows; i++) {
                    if (!ts_batch_valid(b, c, i)) continue;
                    if (!cr->any || v[i] < cr->imin) cr->imin = v[i];
                    if (!cr->any || v[i] > cr->imax) cr->imax = v[i];
                    cr->any = true;
                }
            } else if (ci->phys == PQ_DOUBLE) {
                const double *v = b->cols[c].v.f64;
                for (size_t i = 0; i < b->nrows; i++) {
                    if (!ts_batch_valid(b, c, i)) continue;
                    if (v[i] != v[i]) {
                        cr->nan = true;
                        continue;
                    }
                    if (!cr->any || v[i] < cr->dmin) cr->dmin = v[i];
                    if (!cr->any || v[i] > cr->dmax) cr->dmax = v[i];
                    cr->any = true;
                }
            }
        }
        if (rc.time_col >= 0 && b->nrows) {
            const int64_t *v = b->cols[rc.time_col].v.i64;
            for (size_t i = 0; i < b->nrows; i++) {
                if (!rc.tany || v[i] < rc.tmin) rc.tmin = v[i];
                if (!rc.tany || v[i] > rc.tmax) rc.tmax = v[i];
                rc.tany = true;
            }
        }
        in_g += b->nrows;
        while (st == TS_OK && g < fm->nrow_groups && in_g >= (uint64_t)fm->row_groups[g].num_rows) {
            st = check_rg_stats(vf, r, g, &rc, err);
            in_g -= (uint64_t)fm->row_groups[g].num_rows;
            memset(rc.nulls, 0, ncol * sizeof *rc.nulls);
            memset(rc.rng, 0, ncol * sizeof *rc.rng);
            rc.tany = false;
            g++;
        }
    }
    ts_free(rc.nulls);
    ts_free(rc.rng);
    if (st == TS_OK && rows != UINT64_MAX) {
        const arc_file *f = vf->f;
        int64_t footer = pq_reader_footer_rows(r);
        if (rows != f->records || (uint64_t)footer != rows) {
            FMT_MSG(msg, "%s: decoded %llu rows; the manifest lists %llu, the Parquet footer %lld",
                    vf->key, (unsigned long long)rows, (unsigned long long)f->records,
                    (long long)footer);
            st = add_full(&vf->local, ARC_F_COUNT_MISMATCH, false, vf->db->name, vf->t->name,
                          vf->key, NULL, -1, -1, -1, msg, err);
        }
        if (st == TS_OK && any && f->records && (mn != f->min_time || mx != f->max_time)) {
            char a[TS_TIME_STR_MAX], bb[TS_TIME_STR_MAX], c[TS_TIME_STR_MAX], d[TS_TIME_STR_MAX];
            ts_time_format(mn, a);
            ts_time_format(mx, bb);
            ts_time_format(f->min_time, c);
            ts_time_format(f->max_time, d);
            FMT_MSG(msg, "%s: rows span %s .. %s; the manifest lists %s .. %s", vf->key, a, bb, c,
                    d);
            st = add_full(&vf->local, ARC_F_TIME_MISMATCH, false, vf->db->name, vf->t->name,
                          vf->key, vf->t->time_ns ? "time_ns" : "time", -1, -1, -1, msg, err);
        }
        if (st == TS_OK && time_bad) {
            FMT_MSG(msg, "%s: %llu rows have a \"time\" that is not floor(time_ns / 1000) "
                         "microseconds (first at row %llu)",
                    vf->key, (unsigned long long)time_bad, (unsigned long long)first_bad_row);
            st = add_full(&vf->local, ARC_F_TIME_MISMATCH, false, vf->db->name, vf->t->name,
                          vf->key, "time", -1, -1, -1, msg, err);
        }
        if (st == TS_OK && any && vf->has_month && (mn < vf->window.lo || mx > vf->window.hi)) {
            char w[128], a[TS_TIME_STR_MAX], bb[TS_TIME_STR_MAX];
            fmt_window(vf->window, w, sizeof w);
            ts_time_format(mn, a);
            ts_time_format(mx, bb);
            FMT_MSG(msg, "%s: rows span %s .. %s, outside the folder's month %s", vf->key, a, bb,
                    w);
            st = add_full(&vf->local, ARC_F_PARTITION_MISMATCH, false, vf->db->name, vf->t->name,
                          vf->key, NULL, -1, -1, -1, msg, err);
        }
    }
    pq_reader_free(r);
    return st;
}

/* Reads `in` sequentially into the hash. */
static ts_status hash_input(vrun *run, ts_input *in, uint8_t *buf, uint8_t out[TS_SHA256_LEN],
                            ts_error *err)
{
    ts_sha256 *h = ts_sha256_new();
    if (!h) return ts_err_set(err, TS_ERR_NOMEM, "out of memory for a hash");
    ts_status st = TS_OK;
    for (uint64_t off = 0; off < in->size && st == TS_OK;) {
        if (run->o->cancel && *run->o->cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        size_t n = in->size - off > HASH_CHUNK ? HASH_CHUNK : (size_t)(in->size - off);
        st = ts_input_read_at(in, off, buf, n, err);
        if (st != TS_OK) break;
        ts_sha256_update(h, buf, n);
        off += n;
        add_progress(run, n, 0);
    }
    if (st == TS_OK) ts_sha256_final(h, out);
    ts_sha256_free(h);
    return st;
}

static ts_status check_file(vrun *run, arc_storage *s, vfile *vf, uint8_t *buf, ts_error *err)
{
    char msg[2048];
    const arc_file *f = vf->f;
    if (vf->actual_size != f->size) {
        FMT_MSG(msg, "%s: %llu bytes, the manifest lists %llu (%s)", vf->key,
                (unsigned long long)vf->actual_size, (unsigned long long)f->size,
                vf->actual_size < f->size ? "truncated" : "longer than written");
        TS_TRY(add_full(&vf->local, ARC_F_SIZE_MISMATCH, false, vf->db->name, vf->t->name,
                        vf->key, NULL, -1, -1, -1, msg, err));
    }
    uint8_t digest[TS_SHA256_LEN];
    ts_input *in = NULL;
    char tmp[4096] = "";
    int fd = -1;
    ts_status st;
    bool local = strcmp(s->ops->scheme, "file") == 0;
    if (local) {
        st = arc_storage_open_input(s, vf->key, &in, err);
        if (st == TS_OK) st = hash_input(run, in, buf, digest, err);
    } else {
        /* one download: hashed on the way into a temp file the decoder reads */
        hash_sink hs = {.base = {.ops = &hash_sink_ops}, .run = run, .h = ts_sha256_new()};
        st = hs.h ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory for a hash");
        if (st == TS_OK && !run->o->quick) {
            const char *td = getenv("TMPDIR");
            snprintf(tmp, sizeof tmp, "%s/tsarchive-verify-XXXXXX", td && *td ? td : "/tmp");
            fd = mkstemp(tmp);
            if (fd < 0) st = ts_err_errno(err, TS_ERR_IO, errno, "cannot create a temp file in %s",
                                          td && *td ? td : "/tmp");
            else unlink(tmp); /* gone when closed, whatever happens */
            if (st == TS_OK) st = ts_output_fd(fd, "temp copy", &hs.inner, err);
        }
        if (st == TS_OK) st = arc_storage_get_to(s, vf->key, &hs.base, err);
        if (st == TS_OK) st = hs_commit(&hs.base, err);
        if (st == TS_OK) ts_sha256_final(hs.h, digest);
        ts_output_close(hs.inner);
        ts_sha256_free(hs.h);
        if (st == TS_OK && fd >= 0) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
            st = ts_input_file(path, &in, err);
            char url[ARC_PATH_MAX + 512];
            arc_storage_key_url(s, vf->key, url, sizeof url);
            char *nm = st == TS_OK ? ts_strdup(url) : NULL;
            if (nm) { /* messages name the object, not the temp copy */
                ts_free(in->name);
                in->name = nm;
            }
        }
    }
    if (st == TS_ERR_NOT_FOUND) {
        ts_input_close(in);
        if (fd >= 0) close(fd);
        FMT_MSG(msg, "%s: listed in the manifest but disappeared while being checked", vf->key);
        return add_full(&vf->local, ARC_F_MISSING_FILE, false, vf->db->name, vf->t->name, vf->key,
                        NULL, -1, -1, -1, msg, err);
    }
    if (st == TS_OK) {
        char hex[TS_SHA256_HEX_LEN];
        ts_hex(digest, TS_SHA256_LEN, hex);
        if (strcmp(hex, f->sha256) != 0) {
            FMT_MSG(msg, "%s: SHA-256 %s, the manifest lists %s", vf->key, hex, f->sha256);
            st = add_full(&vf->local, ARC_F_CHECKSUM_MISMATCH, false, vf->db->name, vf->t->name,
                          vf->key, NULL, -1, -1, -1, msg, err);
        }
    }
    if (st == TS_OK && !run->o->quick) st = decode_file(run, vf, in, err);
    ts_input_close(in);
    if (fd >= 0) close(fd);
    if (st != TS_OK) ts_err_context(err, "%s", vf->key);
    return st;
}

typedef struct worker {
    vrun *run;
    arc_storage *storage; /* own, or the main one */
    aws_client *client;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    vrun *run = w->run;
    uint8_t *buf = ts_malloc(HASH_CHUNK);
    for (;;) {
        pthread_mutex_lock(&run->mu);
        size_t i = run->next++;
        bool stop = run->failed || i >= run->nfiles || !buf;
        if (!buf && !run->failed) {
            run->failed = true;
            ts_err_clear(&run->fail_err);
            ts_err_set(&run->fail_err, TS_ERR_NOMEM, "out of memory for a read buffer");
        }
        pthread_mutex_unlock(&run->mu);
        if (stop) break;
        vfile *vf = &run->files[i];
        if (!vf->present) continue;
        ts_error e;
        ts_err_clear(&e);
        ts_status st = check_file(run, w->storage, vf, buf, &e);
        if (st != TS_OK) {
            pthread_mutex_lock(&run->mu);
            if (!run->failed) {
                run->failed = true;
                run->fail_err = e;
            }
            pthread_mutex_unlock(&run->mu);
            break;
        }
        add_progress(run, 0, 1);
    }
    ts_free(buf);
    return NULL;
}

/* ---- the run ---- */

static ts_status merge_local(arc_verify_report *rep, arc_verify_report *local, ts_error *err)
{
    for (size_t i = 0; i < local->nfindings; i++) {
        ts_status st = report_push(rep, &local->findings[i], err);
        local->findings[i] = (arc_finding){0};
        if (st != TS_OK) return st;
    }
    local->nfindings = 0;
    return TS_OK;
}

static bool wanted_db(const arc_verify_opts *o, const char *name)
{
    if (!o->ndatabases) return true;
    for (size_t i = 0; i < o->ndatabases; i++)
        if (strcmp(o->databases[i], name) == 0) return true;
    return false;
}

/* Temp files of interrupted local writes, which the storage listing hides. */
static ts_status find_leftovers(const char *dir, const char *rel, vdb *d, arc_verify_report *rep,
                                int depth, ts_error *err)
{
    if (depth > 8) return TS_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *dh = opendir(path);
    if (!dh) return TS_OK;
    ts_status st = TS_OK;
    struct dirent *e;
    while (st == TS_OK && (e = readdir(dh)) != NULL) {
        const char *nm = e->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) continue;
        char crel[4096];
        snprintf(crel, sizeof crel, "%s%s%s", rel, *rel ? "/" : "", nm);
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, crel);
        struct stat sb;
        if (lstat(full, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            st = find_leftovers(dir, crel, d, rep, depth + 1, err);
        } else if (strncmp(nm, ".tmp-", 5) == 0) {
            char msg[8192 + 128];
            FMT_MSG(msg, "%s/%s: temp file of an interrupted write (%lld bytes); not data — "
                         "delete it or re-run the export",
                    d->name, crel, (long long)sb.st_size);
            st = arc_verify_add(rep, ARC_F_LEFTOVER_TEMP, true, d->name, NULL, full, msg, err);
        }
    }
    closedir(dh);
    return st;
}

static ts_status add_table_summary(arc_verify_report *rep, const vdb *d, const arc_table *t,
                                   ts_error *err)
{
    if (rep->ntables == rep->tables_cap) {
        size_t nc = rep->tables_cap ? rep->tables_cap * 2 : 16;
        arc_verify_table *nv = ts_realloc(rep->tables, nc * sizeof *nv);
        if (!nv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        rep->tables = nv;
        rep->tables_cap = nc;
    }
    arc_verify_table *vt = &rep->tables[rep->ntables];
    memset(vt, 0, sizeof *vt);
    vt->database = ts_strdup(d->name);
    vt->table = ts_strdup(t->name);
    if (!vt->database || !vt->table) {
        ts_free(vt->database);
        ts_free(vt->table);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    vt->files = t->nfiles;
    vt->records = t->records;
    vt->min_time = t->min_time;
    vt->max_time = t->max_time;
    for (size_t i = 0; i < t->nfiles; i++) vt->bytes += t->files[i].size;
    rep->ntables++;
    return TS_OK;
}

static ts_status run_workers(vrun *run, ts_error *err)
{
    const arc_verify_opts *o = run->o;
    int jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
    if ((size_t)jobs > run->nfiles) jobs = run->nfiles ? (int)run->nfiles : 1;
    bool s3 = strcmp(run->main_storage->ops->scheme, "file") != 0;
    worker ws[64];
    pthread_t th[64];
    memset(ws, 0, sizeof ws);
    ts_status st = TS_OK;
    for (int i = 0; i < jobs && st == TS_OK; i++) {
        ws[i].run = run;
        ws[i].storage = run->main_storage;
        if (s3 && i > 0) { /* an aws_client is not shared between threads */
            if (!o->aws) return ts_err_set(err, TS_ERR_INTERNAL, "verify: S3 without a config");
            st = aws_client_new(o->aws, &ws[i].client, err);
            if (st == TS_OK) st = arc_storage_open(o->root, ws[i].client, &ws[i].storage, err);
        }
    }
    int started = 0;
    for (int i = 0; i < jobs && st == TS_OK; i++) {
        if (i == 0 && jobs == 1) break;
        if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0) {
            st = ts_err_set(err, TS_ERR_INTERNAL, "cannot start a worker thread");
            pthread_mutex_lock(&run->mu);
            run->failed = true;
            ts_err_clear(&run->fail_err);
            ts_err_set(&run->fail_err, st, "cannot start a worker thread");
            pthread_mutex_unlock(&run->mu);
            break;
        }
        started++;
    }
    if (st == TS_OK && jobs == 1) worker_main(&ws[0]);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < jobs; i++) {
        if (ws[i].storage && ws[i].storage != run->main_storage) arc_storage_free(ws[i].storage);
        aws_client_free(ws[i].client);
    }
    if (st == TS_OK && run->failed) {
        *err = run->fail_err;
        st = err->code ? err->code : TS_ERR_INTERNAL;
    }
    return st;
}

ts_status arc_verify_run(arc_storage *storage, const arc_verify_opts *o, arc_verify_report *rep,
                         ts_error *err)
{
    char msg[4096];
    listing l = {0};
    vdb *dbs = NULL;
    size_t ndbs = 0;
    vrun run = {.o = o, .main_storage = storage};
    pthread_mutex_init(&run.mu, NULL);
    const char *prefix = o->prefix ? o->prefix : ARC_DEFAULT_PREFIX;
    size_t pl = strlen(prefix);
    ts_status st = arc_storage_list(storage, prefix, list_cb, &l, err);
    char where[ARC_PATH_MAX + 512];
    arc_storage_key_url(storage, prefix, where, sizeof where);
    if (st != TS_OK) ts_err_context(err, "listing %s", where);
    if (st == TS_OK && l.n) qsort(l.v, l.n, sizeof *l.v, cmp_lkey);
    rep->objects = l.n;

    /* databases: first segment under the prefix, "_audit" aside */
    for (size_t i = 0; st == TS_OK && i < l.n; i++) {
        const char *rest = l.v[i].key + pl;
        const char *slash = strchr(rest, '/');
        if (!slash) continue; /* an object right under the prefix: not a database */
        size_t nl = (size_t)(slash - rest);
        if (nl == strlen(ARC_AUDIT_DIR) && strncmp(rest, ARC_AUDIT_DIR, nl) == 0) continue;
        if (ndbs && strlen(dbs[ndbs - 1].name) == nl && strncmp(dbs[ndbs - 1].name, rest, nl) == 0)
            continue;
        char name[ARC_NAME_MAX + 1];
        if (nl > ARC_NAME_MAX) nl = ARC_NAME_MAX;
        memcpy(name, rest, nl);
        name[nl] = '\0';
        if (!wanted_db(o, name)) continue;
        vdb *nv = ts_realloc(dbs, (ndbs + 1) * sizeof *nv);
        if (!nv) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            break;
        }
        dbs = nv;
        memset(&dbs[ndbs], 0, sizeof dbs[ndbs]);
        arc_manifest_init(&dbs[ndbs].m);
        dbs[ndbs].name = ts_strdup(name);
        if (!dbs[ndbs].name) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        snprintf(dbs[ndbs].dir, sizeof dbs[ndbs].dir, "%s%s/", prefix, name);
        ndbs++;
    }
    for (size_t i = 0; st == TS_OK && i < o->ndatabases; i++) {
        bool found = false;
        for (size_t k = 0; k < ndbs; k++)
            if (strcmp(dbs[k].name, o->databases[i]) == 0) found = true;
        if (!found)
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "no database \"%s\" under %s", o->databases[i],
                            where);
    }
    if (st == TS_OK && ndbs == 0)
        st = ts_err_set(err, TS_ERR_NOT_FOUND,
                        "no archive under %s (no database folder with files); check the root "
                        "and --prefix",
                        where);
    rep->databases = ndbs;

    /* manifests, then the files they list, then what they do not list */
    size_t nfiles = 0;
    for (size_t i = 0; st == TS_OK && i < ndbs; i++) {
        st = load_manifest(storage, &dbs[i], rep, err);
        if (st == TS_OK && dbs[i].have_manifest)
            for (size_t t = 0; t < dbs[i].m.ntables; t++) nfiles += dbs[i].m.tables[t].nfiles;
    }
    if (st == TS_OK && nfiles) {
        run.files = ts_calloc(nfiles, sizeof *run.files);
        if (!run.files) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; st == TS_OK && i < ndbs; i++) {
        vdb *d = &dbs[i];
        if (!d->have_manifest) continue;
        for (size_t t = 0; st == TS_OK && t < d->m.ntables; t++) {
            const arc_table *tb = &d->m.tables[t];
            st = add_table_summary(rep, d, tb, err);
            for (size_t k = 0; st == TS_OK && k < tb->nfiles; k++) {
                vfile *vf = &run.files[run.nfiles++];
                vf->db = d;
                vf->t = tb;
                vf->f = &tb->files[k];
                st = arc_join(vf->key, sizeof vf->key, err, d->dir, vf->f->path, NULL);
                if (st != TS_OK) break;
                lkey *lk = listing_find(&l, vf->key);
                if (lk) {
                    lk->seen = true;
                    vf->present = true;
                    vf->actual_size = lk->size;
                    run.prog.files_total++;
                    run.prog.bytes_total += lk->size;
                } else {
                    FMT_MSG(msg, "%s: listed in the manifest (%llu records, %llu bytes) but "
                                 "not in the archive",
                            vf->key, (unsigned long long)vf->f->records,
                            (unsigned long long)vf->f->size);
                    st = add_full(&vf->local, ARC_F_MISSING_FILE, false, d->name, tb->name,
                                  vf->key, NULL, -1, -1, -1, msg, err);
                }
                if (st == TS_OK) st = check_partition(vf, err);
            }
        }
    }
    rep->files = run.nfiles;
    for (size_t i = 0; st == TS_OK && i < ndbs; i++) {
        vdb *d = &dbs[i];
        size_t dl = strlen(d->dir);
        for (size_t k = 0; st == TS_OK && k < l.n; k++) {
            lkey *lk = &l.v[k];
            if (lk->seen || strncmp(lk->key, d->dir, dl) != 0) continue;
            const char *rel = lk->key + dl;
            if (strcmp(rel, ARC_MANIFEST_NAME) == 0) continue;
            if (strcmp(rel, ARC_STATE_NAME) == 0) {
                FMT_MSG(msg, "%s: %s is present: an export of this database did not finish "
                             "(re-run it to complete the archive)",
                        d->name, ARC_STATE_NAME);
                st = arc_verify_add(rep, ARC_F_UNFINISHED_EXPORT, true, d->name, NULL, lk->key,
                                    msg, err);
                continue;
            }
            size_t rl = strlen(rel);
            bool pq = rl > 8 && strcmp(rel + rl - 8, ".parquet") == 0;
            if (!d->have_manifest && !pq) continue;
            FMT_MSG(msg, "%s: %s (%llu bytes) is in the archive but not in the manifest%s",
                    lk->key, pq ? "a Parquet file" : "an object", (unsigned long long)lk->size,
                    pq ? ": data the archive cannot vouch for" : "");
            const char *slash = strchr(rel, '/');
            char tname[ARC_NAME_MAX + 1] = "";
            if (slash && (size_t)(slash - rel) <= ARC_NAME_MAX) {
                memcpy(tname, rel, (size_t)(slash - rel));
                tname[slash - rel] = '\0';
            }
            st = arc_verify_add(rep, ARC_F_UNLISTED_FILE, !pq, d->name, *tname ? tname : NULL,
                                lk->key, msg, err);
        }
        if (st == TS_OK && strcmp(storage->ops->scheme, "file") == 0) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s%s", storage->url, prefix, d->name);
            st = find_leftovers(dir, "", d, rep, 0, err);
        }
    }

    if (st == TS_OK) st = run_workers(&run, err);
    for (size_t i = 0; i < run.nfiles; i++) {
        vfile *vf = &run.files[i];
        if (st == TS_OK) {
            size_t errors = 0;
            for (size_t k = 0; k < vf->local.nfindings; k++)
                if (!vf->local.findings[k].warning) errors++;
            for (size_t t = 0; !errors && t < rep->ntables; t++) {
                arc_verify_table *vt = &rep->tables[t];
                if (strcmp(vt->database, vf->db->name) == 0 && strcmp(vt->table, vf->t->name) == 0)
                    vt->files_ok++;
            }
            if (vf->present) {
                rep->files_checked++;
                rep->bytes_checked += vf->actual_size;
                if (!o->quick && !errors) rep->rows_decoded += vf->f->records;
            }
            st = merge_local(rep, &vf->local, err);
        }
        arc_verify_report_free(&vf->local);
    }
    /* a table's errors: every finding naming it (file or table level) */
    for (size_t t = 0; st == TS_OK && t < rep->ntables; t++) {
        arc_verify_table *vt = &rep->tables[t];
        for (size_t k = 0; k < rep->nfindings; k++) {
            const arc_finding *f = &rep->findings[k];
            if (!f->warning && f->database && f->table && strcmp(f->database, vt->database) == 0 &&
                strcmp(f->table, vt->table) == 0)
                vt->errors++;
        }
    }
    ts_free(run.files);
    for (size_t i = 0; i < ndbs; i++) {
        ts_free(dbs[i].name);
        arc_manifest_free(&dbs[i].m);
    }
    ts_free(dbs);
    listing_free(&l);
    pthread_mutex_destroy(&run.mu);
    return st;
}
