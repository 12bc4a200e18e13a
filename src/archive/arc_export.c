/* Export from Timestream into archive format 1: plan each table (DESCRIBE,
 * monthly counts, sub-microsecond check), then export table-months in
 * parallel, each counted against Timestream, hashed while written and
 * committed atomically; a checkpoint after every file makes it resumable. */
#include "arc_export_int.h"

#include <fnmatch.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_audit.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"
#include "aws/aws.h"
#include "aws/aws_timestream.h"
#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"
#include "parquet/pq_writer.h"
#include "ts_version.h"

#define DEFAULT_MAX_ROWS_PER_QUERY 5000000ULL
#define DEFAULT_BATCH_ROWS 8192
#define DEFAULT_ROW_GROUP_BYTES ((size_t)64 << 20)
#define PARTITION_ATTEMPTS 3
#define SQL_MAX 65536

/* ---- a table's plan ---- */

typedef struct exp_table {
    char *db, *name;
    ts_schema schema;      /* archive columns, file order */
    arc_column *cols;      /* same order, for the manifest */
    size_t ncols;
    char **qnames;         /* query columns (source names) */
    long *map;             /* query column → schema column */
    size_t nq;
    long time_ns_col;      /* schema index of time_ns, or -1 */
    bool time_ns;
    const char *time_unit; /* "us", "ns", "ms" */
    char *select_sql;      /* "SELECT … FROM "db"."t"" */
    char *order_sql;       /* " ORDER BY …" */
    char *qualified;       /* "db"."t" */
    char *columns_kv;      /* tsarchive.columns JSON */
    uint64_t records;      /* Timestream's count(*) */
    bool failed;
    char error[512];
    arc_export_tally n;
} exp_table;

typedef struct exp_part {
    exp_table *t;
    arc_month m;
    uint64_t count;
    int64_t lo, hi; /* Timestream's min/max time in the month */
    int64_t wlo, whi; /* what is read: the month, cut by --since/--until (inclusive) */
    bool cut;         /* --since/--until cut the month: the file holds part of it */
    char path[ARC_PATH_MAX]; /* relative to the database directory */
    const arc_file *prev;    /* earlier record (state or manifest), or NULL */
} exp_part;

/* ---- the run ---- */

typedef struct exp_run {
    arc_export_core c; /* first: the runner's callbacks cast it back */
    const aws_config *aws;
    exp_part *parts;
    size_t nparts;
    char export_id[33];
    int64_t started_at;
} exp_run;

/* The checkpoint is rewritten at most this often (it grows with the files). */
#define STATE_INTERVAL_NS (INT64_C(3) * 1000000000)

static void table_free(exp_table *t)
{
    if (!t) return;
    ts_free(t->db);
    ts_free(t->name);
    ts_schema_free(&t->schema);
    arc_export_columns_free(t->cols, t->ncols);
    aws_ts_names_free(t->qnames, t->nq);
    ts_free(t->map);
    ts_free(t->select_sql);
    ts_free(t->order_sql);
    ts_free(t->qualified);
    ts_free(t->columns_kv);
}

static void table_fail(exp_table *t, const ts_error *e)
{
    if (t->failed) return;
    t->failed = true;
    ts_err_format(e, t->error, sizeof t->error);
}

static ts_status add_col(exp_table *t, const char *name, arc_col_role role, const char *stype,
                         ts_type type, bool nullable, ts_error *err)
{
    return arc_export_add_column(&t->schema, &t->cols, &t->ncols, name, role, stype, type,
                                 nullable, err);
}

static int cmp_col_name(const void *a, const void *b)
{
    const aws_ts_column *x = *(const aws_ts_column *const *)a;
    const aws_ts_column *y = *(const aws_ts_column *const *)b;
    return strcmp(x->name, y->name);
}

static ts_status append_ident(ts_buf *b, const char *name, ts_error *err)
{
    char q[1100];
    TS_TRY(aws_ts_quote_ident(name, q, sizeof q, err));
    if (ts_buf_append_str(b, q) != TS_OK) return ts_err_set(err, TS_ERR_LIMIT, "query too long");
    return TS_OK;
}

static char *buf_take(ts_buf *b)
{
    if (ts_buf_nul(b) != TS_OK) return NULL;
    size_t n;
    return (char *)ts_buf_detach(b, &n);
}

/* Archive columns from DESCRIBE: time, [time_ns], dimensions by name,
 * measure_name, measures in DESCRIBE order; and the query that reads them. */
static ts_status build_schema(exp_table *t, aws_ts_column *dc, size_t nd, bool need_time_ns,
                              ts_error *err)
{
    ts_schema_init(&t->schema);
    t->time_ns_col = -1;
    const aws_ts_column *time_c = NULL, *mname = NULL;
    const aws_ts_column **dims = ts_calloc(nd ? nd : 1, sizeof *dims);
    const aws_ts_column **meas = ts_calloc(nd ? nd : 1, sizeof *meas);
    size_t ndim = 0, nmeas = 0;
    ts_status st = (!dims || !meas) ? ts_err_set(err, TS_ERR_NOMEM, "out of memory") : TS_OK;
    for (size_t i = 0; st == TS_OK && i < nd; i++) {
        if (strcmp(dc[i].name, "time_ns") == 0) {
            st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                            "table %s.%s has a column named \"time_ns\", which archive format 1 "
                            "reserves for exact nanosecond times; rename it before exporting",
                            t->db, t->name);
            break;
        }
        switch (dc[i].role) {
        case TS_ROLE_TIME:
            if (time_c || dc[i].type != AWS_TS_TIMESTAMP)
                st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                "table %s.%s: unexpected time column \"%s\"", t->db, t->name,
                                dc[i].name);
            time_c = &dc[i];
            break;
        case TS_ROLE_DIMENSION: dims[ndim++] = &dc[i]; break;
        case TS_ROLE_MEASURE_NAME: mname = &dc[i]; break;
        case TS_ROLE_MEASURE: meas[nmeas++] = &dc[i]; break;
        }
    }
    if (st == TS_OK && !time_c)
        st = ts_err_set(err, TS_ERR_UNSUPPORTED, "table %s.%s: DESCRIBE shows no time column",
                        t->db, t->name);
    if (st == TS_OK && ndim) qsort(dims, ndim, sizeof *dims, cmp_col_name);
    t->nq = 1 + ndim + (mname ? 1 : 0) + nmeas;
    t->qnames = ts_calloc(t->nq, sizeof *t->qnames);
    t->map = ts_calloc(t->nq, sizeof *t->map);
    if (st == TS_OK && (!t->qnames || !t->map)) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    size_t q = 0;
    /* the query asks for "time" by its source name; the archive calls it time */
    if (st == TS_OK) st = add_col(t, "time", ARC_ROLE_TIME, "TIMESTAMP", TS_TYPE_TIMESTAMP, false, err);
    if (st == TS_OK) {
        t->qnames[q] = ts_strdup(time_c->name);
        t->map[q++] = 0;
    }
    if (st == TS_OK && need_time_ns) {
        t->time_ns_col = (long)t->schema.ncols;
        t->time_ns = true;
        st = add_col(t, "time_ns", ARC_ROLE_TIME_NS, "TIMESTAMP", TS_TYPE_INT64, false, err);
    }
    for (size_t i = 0; st == TS_OK && i < ndim; i++) {
        t->map[q] = (long)t->schema.ncols;
        t->qnames[q++] = ts_strdup(dims[i]->name);
        st = add_col(t, dims[i]->name, ARC_ROLE_DIMENSION, aws_ts_scalar_name(dims[i]->type),
                     aws_ts_scalar_type(dims[i]->type), true, err);
    }
    if (st == TS_OK && mname) {
        t->map[q] = (long)t->schema.ncols;
        t->qnames[q++] = ts_strdup(mname->name);
        st = add_col(t, mname->name, ARC_ROLE_MEASURE_NAME, aws_ts_scalar_name(mname->type),
                     aws_ts_scalar_type(mname->type), true, err);
    }
    for (size_t i = 0; st == TS_OK && i < nmeas; i++) {
        if (ts_schema_find(&t->schema, meas[i]->name) >= 0) {
            st = ts_err_set(err, TS_ERR_UNSUPPORTED, "table %s.%s: column \"%s\" appears twice",
                            t->db, t->name, meas[i]->name);
            break;
        }
        t->map[q] = (long)t->schema.ncols;
        t->qnames[q++] = ts_strdup(meas[i]->name);
        st = add_col(t, meas[i]->name, ARC_ROLE_MEASURE, aws_ts_scalar_name(meas[i]->type),
                     aws_ts_scalar_type(meas[i]->type), true, err);
    }
    for (size_t i = 0; st == TS_OK && i < q; i++)
        if (!t->qnames[i]) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    /* SELECT list, ORDER BY (a total order: time, measure_name, dimensions) */
    ts_buf sel, ord;
    ts_buf_init(&sel, SQL_MAX);
    ts_buf_init(&ord, SQL_MAX);
    if (st == TS_OK && ts_buf_append_str(&sel, "SELECT ") != TS_OK) st = TS_ERR_LIMIT;
    for (size_t i = 0; st == TS_OK && i < q; i++) {
        if (i && ts_buf_append_str(&sel, ", ") != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
        if (st == TS_OK) st = append_ident(&sel, t->qnames[i], err);
    }
    ts_buf qual;
    ts_buf_init(&qual, 4096);
    if (st == TS_OK) st = append_ident(&qual, t->db, err);
    if (st == TS_OK && ts_buf_append_byte(&qual, '.') != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "name too long");
    if (st == TS_OK) st = append_ident(&qual, t->name, err);
    if (st == TS_OK && (ts_buf_append_str(&sel, " FROM ") != TS_OK ||
                        ts_buf_append(&sel, qual.data, qual.len) != TS_OK))
        st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st == TS_OK && ts_buf_append_str(&ord, " ORDER BY ") != TS_OK) st = TS_ERR_LIMIT;
    if (st == TS_OK) st = append_ident(&ord, time_c->name, err);
    if (st == TS_OK && mname) {
        ts_buf_append_str(&ord, ", ");
        st = append_ident(&ord, mname->name, err);
    }
    for (size_t i = 0; st == TS_OK && i < ndim; i++) {
        ts_buf_append_str(&ord, ", ");
        st = append_ident(&ord, dims[i]->name, err);
    }
    if (st == TS_OK) {
        t->select_sql = buf_take(&sel);
        t->order_sql = buf_take(&ord);
        t->qualified = buf_take(&qual);
        if (!t->select_sql || !t->order_sql || !t->qualified)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_buf_free(&sel);
    ts_buf_free(&ord);
    ts_buf_free(&qual);
    ts_free(dims);
    ts_free(meas);
    if (st == TS_ERR_LIMIT) st = ts_err_set(err, TS_ERR_LIMIT, "table %s.%s: query too long", t->db, t->name);
    return st;
}

/* tsarchive.columns: role and Timestream type of each column, in file order. */
ts_status arc_columns_kv(const arc_column *cols, size_t ncols, char **out, ts_error *err)
{
    *out = NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < ncols; i++) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "name", cols[i].name, "role",
                              arc_role_name(cols[i].role), "timestream_type",
                              cols[i].source_type);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    ts_buf b;
    ts_buf_init(&b, (size_t)1 << 20);
    int rc = -1;
    if (arr) {
        json_t *root = json_pack("{s:i,s:o}", "format_version", ARC_FORMAT_VERSION, "columns", arr);
        if (root) {
            char *s = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
            if (s) {
                rc = ts_buf_append_str(&b, s) == TS_OK ? 0 : -1;
                free(s); /* jansson's allocation */
            }
            json_decref(root);
        }
    }
    if (rc != 0 || !(*out = buf_take(&b))) {
        ts_buf_free(&b);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_buf_free(&b);
    return TS_OK;
}

static ts_status build_columns_kv(exp_table *t, ts_error *err)
{
    return arc_columns_kv(t->cols, t->ncols, &t->columns_kv, err);
}

static ts_status count_query(aws_ts *ts, const char *sql, uint64_t *count, ts_error *err)
{
    char **cells;
    TS_TRY(aws_ts_query_one_row(ts, sql, 1, &cells, err));
    int64_t v = -1;
    char *end = NULL;
    if (cells[0]) v = strtoll(cells[0], &end, 10);
    bool ok = cells[0] && end && *end == '\0' && v >= 0;
    aws_ts_names_free(cells, 1);
    if (!ok) return ts_err_set(err, TS_ERR_REMOTE, "count query answered no count: %.200s", sql);
    *count = (uint64_t)v;
    return TS_OK;
}

/* --since/--until as SQL: " <kw> time >= from_nanoseconds(S) AND time <
 * from_nanoseconds(U)" (kw "WHERE" or "AND"); "" when neither is set. */
static void range_sql(const arc_export_opts *o, const char *kw, char *buf, size_t n)
{
    buf[0] = '\0';
    if (o->has_since && o->has_until)
        snprintf(buf, n, " %s time >= from_nanoseconds(%lld) AND time < from_nanoseconds(%lld)",
                 kw, (long long)o->since, (long long)o->until);
    else if (o->has_since)
        snprintf(buf, n, " %s time >= from_nanoseconds(%lld)", kw, (long long)o->since);
    else if (o->has_until)
        snprintf(buf, n, " %s time < from_nanoseconds(%lld)", kw, (long long)o->until);
}

/* ---- hashing output: passes bytes through and hashes them ---- */

typedef struct hash_out {
    ts_output base;
    ts_output *inner;
    ts_sha256 *h;
} hash_out;

static ts_status hash_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    hash_out *h = (hash_out *)o;
    if (h->inner) TS_TRY(ts_output_write(h->inner, p, n, err));
    ts_sha256_update(h->h, p, n);
    return TS_OK;
}
static ts_status hash_commit(ts_output *o, ts_error *err)
{
    hash_out *h = (hash_out *)o;
    return h->inner ? ts_output_commit(h->inner, err) : TS_OK;
}
static void hash_abort(ts_output *o)
{
    hash_out *h = (hash_out *)o;
    if (h->inner) ts_output_abort(h->inner);
}
static void hash_close(ts_output *o)
{
    hash_out *h = (hash_out *)o;
    ts_output_close(h->inner);
    ts_sha256_free(h->h);
    ts_free(h);
}
static const ts_output_ops hash_ops = {
    .write = hash_write, .commit = hash_commit, .abort = hash_abort, .close = hash_close};

/* inner may be NULL: hash only. Takes ownership of inner. */
static ts_status hash_out_new(ts_output *inner, hash_out **out, ts_error *err)
{
    hash_out *h = ts_calloc(1, sizeof *h);
    if (h) h->h = ts_sha256_new();
    if (!h || !h->h) {
        if (h) ts_free(h);
        ts_output_close(inner);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    h->base.ops = &hash_ops;
    h->base.name = inner ? inner->name : NULL;
    h->inner = inner;
    *out = h;
    return TS_OK;
}

static void hash_hex(hash_out *h, char hex[TS_SHA256_HEX_LEN])
{
    uint8_t d[TS_SHA256_LEN];
    ts_sha256_final(h->h, d);
    ts_hex(d, sizeof d, hex);
}

ts_status arc_hash_output_new(ts_output *inner, ts_output **out, ts_error *err)
{
    hash_out *h;
    *out = NULL;
    TS_TRY(hash_out_new(inner, &h, err));
    *out = &h->base;
    return TS_OK;
}

void arc_hash_output_hex(ts_output *o, char hex[TS_SHA256_HEX_LEN])
{
    hash_hex((hash_out *)o, hex);
}

/* ---- per-thread resources ---- */

typedef struct worker {
    exp_run *run;
    aws_client *client;
    aws_ts *ts;
    arc_storage *storage;
} worker;

static ts_status worker_open(arc_export_core *c, void *wv, ts_error *err)
{
    exp_run *run = (exp_run *)c;
    worker *w = wv;
    memset(w, 0, sizeof *w);
    w->run = run;
    TS_TRY(aws_client_new(run->aws, &w->client, err));
    TS_TRY(aws_ts_new(w->client, &w->ts, err));
    TS_TRY(arc_export_storage_open(run->c.o, w->client, &w->storage, err));
    return TS_OK;
}

static void worker_close(void *wv)
{
    worker *w = wv;
    arc_storage_free(w->storage);
    aws_ts_free(w->ts);
    aws_client_free(w->client);
}

/* ---- checkpoint and manifest ---- */

static ts_status write_doc(arc_storage *s, const char *key, const arc_manifest *m,
                           char sha_hex[TS_SHA256_HEX_LEN], uint64_t *size, ts_error *err)
{
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_status st = arc_manifest_to_json(m, &b, err);
    ts_output *o = NULL;
    if (st == TS_OK) st = arc_storage_create(s, key, &o, err);
    if (st == TS_OK) st = ts_output_write(o, b.data, b.len, err);
    if (st == TS_OK) st = ts_output_commit(o, err);
    ts_output_close(o);
    if (st == TS_OK && sha_hex) {
        uint8_t d[TS_SHA256_LEN];
        ts_sha256_once(b.data, b.len, d);
        ts_hex(d, sizeof d, sha_hex);
        *size = b.len;
    }
    ts_buf_free(&b);
    if (st != TS_OK) ts_err_context(err, "writing %s", key);
    return st;
}

static ts_status read_doc(arc_storage *s, const char *key, arc_manifest *m, bool *found,
                          ts_error *err)
{
    *found = false;
    arc_manifest_init(m);
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_error e2;
    ts_err_clear(&e2);
    ts_status st = arc_storage_read_all(s, key, &b, TS_MAX_MANIFEST, &e2);
    if (st == TS_ERR_NOT_FOUND) {
        ts_buf_free(&b);
        return TS_OK;
    }
    if (st != TS_OK) {
        ts_buf_free(&b);
        *err = e2;
        return st;
    }
    /* an unreadable earlier state only costs re-exporting */
    st = arc_manifest_parse(b.len ? (const char *)b.data : "", b.len, m, &e2);
    ts_buf_free(&b);
    if (st == TS_OK) *found = true;
    return TS_OK;
}

ts_status arc_doc_read(arc_storage *s, const char *key, arc_manifest *m, bool *found,
                       ts_error *err)
{
    return read_doc(s, key, m, found, err);
}

ts_status arc_export_prev_read(arc_storage *s, const char *dbdir, const char *codec,
                               arc_manifest *prev, bool *usable, ts_error *err)
{
    char key[ARC_PATH_MAX];
    bool found = false, man_found = false;
    arc_manifest man;
    *usable = false;
    arc_manifest_init(prev);
    TS_TRY(arc_join(key, sizeof key, err, dbdir, ARC_STATE_NAME, NULL));
    TS_TRY(read_doc(s, key, prev, &found, err));
    TS_TRY(arc_join(key, sizeof key, err, dbdir, ARC_MANIFEST_NAME, NULL));
    TS_TRY(read_doc(s, key, &man, &man_found, err));
    if (!found && man_found) {
        arc_manifest_free(prev);
        *prev = man;
        found = true;
    } else {
        if (found && man_found)
            for (size_t i = 0; i < man.ntables; i++) {
                arc_table *st_t = arc_manifest_find_table(prev, man.tables[i].name);
                /* a table only the manifest lists (one a --table run left out) stays known */
                if (!st_t && arc_export_table_copy(prev, &man.tables[i], &st_t, err) != TS_OK) {
                    arc_manifest_free(&man);
                    return err->code;
                }
                for (size_t j = 0; j < man.tables[i].nfiles; j++)
                    if (!arc_table_find_file(st_t, man.tables[i].files[j].path))
                        arc_table_put_file(st_t, &man.tables[i].files[j]);
            }
        arc_manifest_free(&man);
    }
    *usable = found && prev->compression && strcmp(prev->compression, codec) == 0;
    return TS_OK;
}

ts_status arc_manifest_store(arc_storage *s, const char *key, const arc_manifest *m,
                             char sha_hex[TS_SHA256_HEX_LEN], uint64_t *size, ts_error *err)
{
    return write_doc(s, key, m, sha_hex, size, err);
}

/* ---- one partition ---- */

static bool same_columns(const exp_table *t, const arc_table *p)
{
    return arc_export_same_columns(p, t->cols, t->ncols, t->time_unit, t->time_ns);
}

/* The stored object's size and SHA-256 equal the record's. */
bool arc_object_matches(arc_storage *s, const char *key, const arc_file *f)
{
    ts_error e;
    ts_err_clear(&e);
    arc_object_info info;
    if (arc_storage_head(s, key, &info, &e) != TS_OK || info.size != f->size) return false;
    if (info.has_sha256) { /* the store kept a whole-object SHA-256: no need to read it back */
        char hex[TS_SHA256_HEX_LEN];
        ts_hex(info.sha256, sizeof info.sha256, hex);
        return strcmp(hex, f->sha256) == 0;
    }
    hash_out *h;
    if (hash_out_new(NULL, &h, &e) != TS_OK) return false;
    bool ok = arc_storage_get_to(s, key, &h->base, &e) == TS_OK;
    char hex[TS_SHA256_HEX_LEN];
    hash_hex(h, hex);
    ts_output_close(&h->base);
    return ok && strcmp(hex, f->sha256) == 0;
}

static bool object_matches(worker *w, const char *key, const arc_file *f)
{
    return arc_object_matches(w->storage, key, f);
}

typedef struct window_list {
    arc_window *v;
    size_t n, cap;
} window_list;

static ts_status push_window(window_list *l, arc_window w, ts_error *err)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        arc_window *x = ts_realloc(l->v, nc * sizeof *x);
        if (!x) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        l->v = x;
        l->cap = nc;
    }
    l->v[l->n++] = w;
    return TS_OK;
}

static ts_status window_count(worker *w, exp_table *t, arc_window win, uint64_t *count,
                              ts_error *err)
{
    char sql[4096];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s WHERE time >= from_nanoseconds(%lld) AND time <= "
             "from_nanoseconds(%lld)",
             t->qualified, (long long)win.lo, (long long)win.hi);
    return count_query(w->ts, sql, count, err);
}

/* Splits [lo, hi] until each window holds at most max rows (by count). */
static ts_status plan_windows(worker *w, exp_part *p, window_list *out, ts_error *err)
{
    uint64_t max = w->run->c.o->max_rows_per_query;
    /* the whole calendar month (cut by --since/--until): rows that appear
     * after counting are read too, so the count check notices them */
    arc_window whole = {.lo = p->wlo, .hi = p->whi};
    if (p->count <= max) return push_window(out, whole, err);
    /* depth-first, left to right, so windows come out in time order */
    struct item { arc_window w; uint64_t n; } stack[128];
    size_t sp = 0;
    stack[sp++] = (struct item){whole, p->count};
    while (sp) {
        struct item it = stack[--sp];
        arc_window l, r;
        if (it.n <= max || !arc_window_split(it.w, &l, &r) || sp + 2 > 128) {
            TS_TRY(push_window(out, it.w, err));
            continue;
        }
        uint64_t nl;
        TS_TRY(window_count(w, p->t, l, &nl, err));
        uint64_t nr = it.n >= nl ? it.n - nl : 0;
        if (nr) stack[sp++] = (struct item){r, nr};
        if (nl) stack[sp++] = (struct item){l, nl};
    }
    return TS_OK;
}

static ts_status export_partition_once(worker *w, exp_part *p, arc_file *rec, ts_error *err)
{
    exp_run *run = w->run;
    exp_table *t = p->t;
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, run->c.dbdir, p->path, NULL));
    window_list wl = {0};
    ts_status st = plan_windows(w, p, &wl, err);
    arc_export_writer fw = {0};
    if (st == TS_OK) {
        arc_export_writer_opts wo = {.codec = run->c.codec,
                                     .row_group_bytes = run->c.o->row_group_bytes,
                                     .time_unit = run->c.o->time_unit,
                                     .time_ns = t->time_ns,
                                     .columns_kv = t->columns_kv};
        st = arc_export_writer_open(&fw, w->storage, key, &t->schema, &wo, err);
    }
    for (size_t i = 0; st == TS_OK && i < wl.n; i++) {
        char sql[SQL_MAX + 256];
        int n = snprintf(sql, sizeof sql,
                         "%s WHERE time >= from_nanoseconds(%lld) AND time <= "
                         "from_nanoseconds(%lld)%s",
                         t->select_sql, (long long)wl.v[i].lo, (long long)wl.v[i].hi, t->order_sql);
        if (n < 0 || (size_t)n >= sizeof sql) {
            st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
            break;
        }
        ts_source *src = NULL;
        st = aws_ts_source_new(w->ts, sql, &t->schema, t->name, t->map,
                               (const char *const *)t->qnames, t->nq, 0, t->time_ns_col,
                               run->c.o->batch_rows, &src, err);
        while (st == TS_OK) {
            if (run->c.o->cancel && *run->c.o->cancel) {
                st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
                break;
            }
            const ts_batch *b;
            st = ts_source_next(src, &b, err);
            if (st != TS_OK || !b) break;
            /* rows arrive in time order; min/max from the exact ns values */
            st = arc_export_writer_write(&fw, b, err);
            if (st == TS_OK) arc_export_add_rows(&run->c, b->nrows);
        }
        ts_source_close(src);
    }
    ts_free(wl.v);
    if (st == TS_OK && fw.rows != p->count)
        st = ts_err_set(err, TS_ERR_MISMATCH,
                        "table %s.%s month %04lld-%02u: Timestream counted %llu rows but the "
                        "export read %llu (the table changed during the export?); the month's "
                        "file was not written",
                        t->db, t->name, (long long)p->m.year, p->m.month,
                        (unsigned long long)p->count, (unsigned long long)fw.rows);
    if (st == TS_OK && (fw.mn != p->lo || fw.mx != p->hi))
        st = ts_err_set(err, TS_ERR_MISMATCH,
                        "table %s.%s month %04lld-%02u: the rows read span other times than "
                        "Timestream's min/max for the month",
                        t->db, t->name, (long long)p->m.year, p->m.month);
    st = arc_export_writer_finish(&fw, st, p->path, rec, err);
    if (st == TS_OK) arc_export_add_bytes(&run->c, rec->size);
    if (st != TS_OK) ts_err_context(err, "%s", key);
    return st;
}

static ts_status record_file(worker *w, exp_part *p, const arc_file *rec, bool skipped,
                             ts_error *err)
{
    return arc_export_record(&w->run->c, w->storage, p->t->name, &p->t->n, rec, skipped,
                             STATE_INTERVAL_NS, err);
}

static ts_status do_partition(void *wv, void *pv, ts_error *err)
{
    worker *w = wv;
    exp_part *p = pv;
    exp_run *run = w->run;
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, run->c.dbdir, p->path, NULL));
    if (p->prev && p->prev->records == p->count && p->prev->min_time == p->lo &&
        p->prev->max_time == p->hi && object_matches(w, key, p->prev))
        return record_file(w, p, p->prev, true, err);
    if (p->prev && p->cut && (p->prev->min_time < p->wlo || p->prev->max_time > p->whi) &&
        object_matches(w, key, p->prev)) {
        /* The archived file holds rows outside --since/--until (an earlier
         * export of more of the month): a filtered export never replaces it
         * by a part. It stays when it still holds every row Timestream has
         * over its own time range, which includes the rows selected now. */
        if (p->prev->min_time <= p->lo && p->prev->max_time >= p->hi) {
            uint64_t n = 0;
            arc_window pw = {.lo = p->prev->min_time, .hi = p->prev->max_time};
            TS_TRY(window_count(w, p->t, pw, &n, err));
            if (n == p->prev->records) return record_file(w, p, p->prev, true, err);
        }
        char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
        ts_time_format(p->prev->min_time, a);
        ts_time_format(p->prev->max_time, b);
        return ts_err_set(err, TS_ERR_REFUSED,
                          "table %s.%s month %04lld-%02u: the archived file holds %llu rows from "
                          "%s to %s, beyond this export's --since/--until, and Timestream's rows "
                          "differ from it; a filtered export does not replace it with part of "
                          "the month (export the whole month without --since/--until)",
                          p->t->db, p->t->name, (long long)p->m.year, p->m.month,
                          (unsigned long long)p->prev->records, a, b);
    }
    if (p->prev && p->prev->records > p->count && object_matches(w, key, p->prev))
        return ts_err_set(err, TS_ERR_REFUSED,
                          "table %s.%s month %04lld-%02u: the archive holds %llu rows but "
                          "Timestream now has %llu (retention expiry?); not overwriting the "
                          "archived file",
                          p->t->db, p->t->name, (long long)p->m.year, p->m.month,
                          (unsigned long long)p->prev->records, (unsigned long long)p->count);
    ts_status st = TS_OK;
    arc_file rec;
    for (int attempt = 1; attempt <= PARTITION_ATTEMPTS; attempt++) {
        ts_error e;
        ts_err_clear(&e);
        st = export_partition_once(w, p, &rec, &e);
        if (st == TS_OK) break;
        bool transient = st == TS_ERR_NETWORK || st == TS_ERR_REMOTE;
        if (!transient || attempt == PARTITION_ATTEMPTS) {
            *err = e;
            return st;
        }
    }
    return record_file(w, p, &rec, false, err);
}

/* ---- the runner's callbacks ---- */

static void *next_part(arc_export_core *c)
{
    exp_run *run = (exp_run *)c;
    while (c->next_part < run->nparts) {
        exp_part *p = &run->parts[c->next_part++];
        if (!p->t->failed) return p;
    }
    return NULL;
}

static void part_failed(void *p, const ts_error *e) { table_fail(((exp_part *)p)->t, e); }

static const arc_export_source timestream_source = {
    .worker_size = sizeof(worker),
    .worker_open = worker_open,
    .worker_close = worker_close,
    .next_part = next_part,
    .do_part = do_partition,
    .part_failed = part_failed,
};

/* ---- planning ---- */

static ts_status plan_table(worker *w, exp_run *run, exp_table *t, ts_error *err)
{
    aws_ts_column *dc = NULL;
    size_t nd = 0;
    TS_TRY(aws_ts_describe(w->ts, t->db, t->name, &dc, &nd, err));
    ts_status st = TS_OK;
    /* exact time: does any row have digits below the unit the file keeps? */
    char q[2048], sql[4096];
    st = aws_ts_quote_ident(t->db, q, sizeof q / 2, err);
    size_t ql = strlen(q);
    if (st == TS_OK) {
        q[ql++] = '.';
        st = aws_ts_quote_ident(t->name, q + ql, sizeof q - ql, err);
    }
    uint64_t sub = 0;
    if (st == TS_OK && run->c.o->time_unit != ARC_TIME_NS) {
        long long unit = run->c.o->time_unit == ARC_TIME_MS ? 1000000 : 1000;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE to_nanoseconds(time) %% %lld <> 0",
                 q, unit);
        st = count_query(w->ts, sql, &sub, err);
        if (st == TS_OK && sub && run->c.o->time_unit == ARC_TIME_MS)
            st = ts_err_set(err, TS_ERR_REFUSED,
                            "table %s.%s: %llu rows have times finer than milliseconds; "
                            "--time-unit ms would lose digits (use us or ns)",
                            t->db, t->name, (unsigned long long)sub);
    }
    if (st == TS_OK)
        st = build_schema(t, dc, nd, run->c.o->time_unit == ARC_TIME_US && sub > 0, err);
    aws_ts_columns_free(dc, nd);
    t->time_unit = arc_export_unit_name(run->c.o->time_unit);
    if (st == TS_OK) st = build_columns_kv(t, err);
    return st;
}

static ts_status add_parts(worker *w, exp_run *run, exp_table *t, ts_error *err)
{
    /* monthly counts in one query; date_trunc is UTC like the archive's months.
     * Both counts take --since/--until, so the months' check compares like
     * with like. */
    char sql[4096], range[256];
    range_sql(run->c.o, "WHERE", range, sizeof range);
    snprintf(sql, sizeof sql,
             "SELECT count(*), min(time), max(time) FROM %s%s", t->qualified, range);
    char **cells;
    TS_TRY(aws_ts_query_one_row(w->ts, sql, 3, &cells, err));
    uint64_t total = cells[0] ? strtoull(cells[0], NULL, 10) : 0;
    int64_t tmin = 0, tmax = 0;
    bool have = total > 0 && cells[1] && cells[2] &&
                ts_time_parse(cells[1], strlen(cells[1]), &tmin) &&
                ts_time_parse(cells[2], strlen(cells[2]), &tmax);
    aws_ts_names_free(cells, 3);
    t->records = total;
    if (total > 0 && !have)
        return ts_err_set(err, TS_ERR_REMOTE, "table %s.%s: min/max(time) unreadable", t->db, t->name);
    if (total == 0) return TS_OK;
    snprintf(sql, sizeof sql,
             "SELECT date_trunc('month', time) AS m, count(*), min(time), max(time) FROM %s%s "
             "GROUP BY date_trunc('month', time) ORDER BY 1",
             t->qualified, range);
    aws_ts_query *qq;
    TS_TRY(aws_ts_query_start(w->ts, sql, &qq, err));
    aws_ts_page page = {0};
    ts_status st = TS_OK;
    uint64_t sum = 0;
    arc_table *prev_t = run->c.prev_ok ? arc_manifest_find_table(&run->c.prev, t->name) : NULL;
    if (prev_t && !same_columns(t, prev_t)) prev_t = NULL;
    for (;;) {
        bool done;
        if ((st = aws_ts_query_next(qq, &page, &done, err)) != TS_OK || done) break;
        if (page.nrows && page.ncols != 4) {
            st = ts_err_set(err, TS_ERR_REMOTE, "monthly count answered %zu columns", page.ncols);
            break;
        }
        for (size_t r = 0; r < page.nrows && st == TS_OK; r++) {
            json_t *data = json_object_get(json_array_get(page.rows, r), "Data");
            const char *c1 = json_string_value(json_object_get(json_array_get(data, 1), "ScalarValue"));
            const char *c2 = json_string_value(json_object_get(json_array_get(data, 2), "ScalarValue"));
            const char *c3 = json_string_value(json_object_get(json_array_get(data, 3), "ScalarValue"));
            int64_t lo, hi;
            if (!c1 || !c2 || !c3 || !ts_time_parse(c2, strlen(c2), &lo) ||
                !ts_time_parse(c3, strlen(c3), &hi)) {
                st = ts_err_set(err, TS_ERR_REMOTE, "monthly count row %zu unreadable", r);
                break;
            }
            exp_part *np = ts_realloc(run->parts, (run->nparts + 1) * sizeof *np);
            if (!np) {
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            run->parts = np;
            exp_part *p = &np[run->nparts];
            memset(p, 0, sizeof *p);
            p->t = t;
            p->m = arc_month_of(lo);
            p->count = strtoull(c1, NULL, 10);
            p->lo = lo;
            p->hi = hi;
            if (arc_month_cmp(p->m, arc_month_of(hi)) != 0) {
                st = ts_err_set(err, TS_ERR_REMOTE, "monthly count row %zu spans two months", r);
                break;
            }
            arc_window mw = arc_month_window(p->m);
            p->wlo = mw.lo;
            p->whi = mw.hi;
            if (run->c.o->has_since && p->wlo < run->c.o->since) {
                p->wlo = run->c.o->since;
                p->cut = true;
            }
            if (run->c.o->has_until && p->whi >= run->c.o->until) {
                p->whi = run->c.o->until - 1;
                p->cut = true;
            }
            sum += p->count;
            st = arc_partition_path(t->name, p->m, p->path, sizeof p->path, err);
            if (st == TS_OK && prev_t) p->prev = arc_table_find_file(prev_t, p->path);
            if (st == TS_OK) run->nparts++;
        }
        if (st != TS_OK) break;
    }
    aws_ts_page_free(&page);
    aws_ts_query_free(qq);
    if (st == TS_OK && sum != total)
        st = ts_err_set(err, TS_ERR_MISMATCH,
                        "table %s.%s: monthly counts add up to %llu but count(*) is %llu (the "
                        "table changed while planning?)",
                        t->db, t->name, (unsigned long long)sum, (unsigned long long)total);
    return st;
}

typedef struct planned_ctx {
    const exp_run *run;
    const exp_table *t;
} planned_ctx;

static bool is_planned(const void *u, const char *path)
{
    const planned_ctx *pc = u;
    for (size_t j = 0; j < pc->run->nparts; j++)
        if (pc->run->parts[j].t == pc->t && strcmp(pc->run->parts[j].path, path) == 0) return true;
    return false;
}

/* Earlier records of a month that Timestream no longer holds (retention
 * expiry) stay in the manifest when their file is intact. */
static void keep_expired(worker *w, exp_run *run, exp_table *t)
{
    if (!run->c.prev_ok) return;
    arc_table *pt = arc_manifest_find_table(&run->c.prev, t->name);
    arc_table *mt = arc_manifest_find_table(&run->c.done, t->name);
    if (!pt || !mt || !same_columns(t, pt)) return;
    planned_ctx pc = {.run = run, .t = t};
    arc_export_keep_unplanned(&run->c, w->storage, pt, mt, is_planned, &pc);
}

static int cmp_part(const void *a, const void *b)
{
    const exp_part *x = a, *y = b;
    int c = strcmp(x->t->name, y->t->name);
    if (c) return c;
    return arc_month_cmp(x->m, y->m);
}

/* The summary line of table t, appended to res (or NULL: see arc_export_result_add). */
static arc_export_table_result *add_table_result(arc_export_result *res, const char *db,
                                                 const exp_table *t)
{
    return arc_export_result_add(res, db, t->name, t->records, !t->failed, t->error);
}

/* A dry run's months of table t (from the plan), into tr. */
static void dry_run_months(const exp_run *run, const exp_table *t, arc_export_table_result *tr)
{
    size_t n = 0;
    for (size_t j = 0; j < run->nparts; j++) n += run->parts[j].t == t;
    if (!n || !(tr->months = ts_calloc(n, sizeof *tr->months))) return;
    for (size_t j = 0; j < run->nparts; j++)
        if (run->parts[j].t == t)
            tr->months[tr->nmonths++] = (arc_export_month){
                .year = run->parts[j].m.year, .month = run->parts[j].m.month,
                .records = run->parts[j].count};
}

/* tables: the names to export (borrowed; --table already applied). */
static ts_status export_database(worker *mw, exp_run *run, const char *db, char **tables,
                                 size_t ntables, arc_export_result *res, ts_error *err)
{
    run->c.db = db;
    run->c.state_dirty = false;
    TS_TRY(arc_join(run->c.dbdir, sizeof run->c.dbdir, err, run->c.o->prefix, db, NULL));
    if (!arc_name_ok(db))
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "database name \"%s\" cannot be an archive directory", db);
    /* earlier state (a run that stopped) over the earlier manifest */
    TS_TRY(arc_export_prev_read(mw->storage, run->c.dbdir, run->c.o->codec, &run->c.prev,
                                &run->c.prev_ok, err));

    exp_table *tv = ts_calloc(ntables ? ntables : 1, sizeof *tv);
    if (!tv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    arc_manifest_init(&run->c.done);
    ts_status st = arc_export_manifest_begin(&run->c.done, db, run->c.o->codec, "timestream", db,
                                             run->export_id, run->started_at, run->c.o, err);
    if (st == TS_OK && arc_set_str(&run->c.done.source_region, run->aws->region) != TS_OK)
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st != TS_OK) {
        ts_free(tv);
        return st;
    }
    const char *ep = NULL;
    ts_error epe;
    ts_err_clear(&epe);
    if (aws_ts_query_endpoint(mw->ts, &ep, &epe) == TS_OK)
        arc_set_str(&run->c.done.source_endpoint, ep);
    for (size_t i = 0; i < ntables; i++) {
        exp_table *t = &tv[i];
        t->db = ts_strdup(db);
        t->name = ts_strdup(tables[i]);
        t->time_ns_col = -1;
        ts_error e;
        ts_err_clear(&e);
        ts_status ts_ = (!t->db || !t->name) ? ts_err_set(&e, TS_ERR_NOMEM, "out of memory") : TS_OK;
        if (ts_ == TS_OK && !arc_name_ok(t->name))
            ts_ = ts_err_set(&e, TS_ERR_UNSUPPORTED,
                             "table name \"%s\" cannot be an archive directory", t->name);
        if (ts_ == TS_OK) ts_ = plan_table(mw, run, t, &e);
        if (ts_ == TS_OK) ts_ = add_parts(mw, run, t, &e);
        if (ts_ == TS_OK) {
            arc_table *mt;
            if (arc_manifest_add_table(&run->c.done, t->name, &mt) != TS_OK) ts_ = TS_ERR_NOMEM;
            for (size_t c = 0; ts_ == TS_OK && c < t->ncols; c++)
                ts_ = arc_table_add_column(mt, t->cols[c].name, t->cols[c].role,
                                           t->cols[c].source_type, t->cols[c].type);
            if (ts_ == TS_OK) {
                arc_set_str(&mt->time_unit, t->time_unit);
                mt->time_ns = t->time_ns;
                /* the window read, widened to the earlier one whose files may stay */
                arc_table *pt =
                    run->c.prev_ok ? arc_manifest_find_table(&run->c.prev, t->name) : NULL;
                const arc_export_opts *o = run->c.o;
                arc_time_window rw = {.has_since = o->has_since, .has_until = o->has_until,
                                      .since = o->since, .until = o->until};
                arc_table_set_window(mt, pt && same_columns(t, pt) ? pt : NULL, &rw);
            } else {
                ts_ = ts_err_set(&e, TS_ERR_NOMEM, "out of memory");
            }
        }
        if (run->c.audit) {
            json_t *f = json_pack("{s:s,s:s,s:I,s:b,s:s}", "database", db, "table", t->name,
                                  "records", (json_int_t)t->records, "time_ns", t->time_ns,
                                  "outcome", ts_ == TS_OK ? "planned" : "failed");
            if (ts_ != TS_OK && f) json_object_set_new(f, "error", json_string(e.msg));
            ts_error ae;
            ts_err_clear(&ae);
            arc_audit_add(run->c.audit, "read", f, &ae);
        }
        if (ts_ != TS_OK) {
            if (!strstr(e.msg, t->name) && !strstr(e.ctx, t->name))
                ts_err_context(&e, "table %s.%s", db, t->name);
            table_fail(t, &e);
            if (st == TS_OK) {
                st = ts_;
                *err = e;
            }
        }
    }
    if (run->nparts) qsort(run->parts, run->nparts, sizeof *run->parts, cmp_part);
    run->c.prog.partitions_total += run->nparts;
    if (run->c.o->after_plan) run->c.o->after_plan(run->c.o->user, db);

    if (run->c.o->dry_run) {
        /* the plan is the answer: nothing is read beyond the counts, nothing written */
        for (size_t i = 0; i < ntables; i++) {
            exp_table *t = &tv[i];
            arc_export_table_result *tr = add_table_result(res, db, t);
            if (tr) {
                if (!t->failed) dry_run_months(run, t, tr);
                tr->files = tr->nmonths;
            }
            res->tables++;
            if (t->failed) res->tables_failed++;
            res->files += tr ? tr->nmonths : 0;
        }
        for (size_t i = 0; i < ntables; i++) table_free(&tv[i]);
        ts_free(tv);
        return st;
    }

    /* export the partitions */
    run->c.first_st = TS_OK;
    ts_err_clear(&run->c.first_err);
    arc_export_pool_run(&run->c, &timestream_source, mw, run->nparts);
    if (run->c.first_st != TS_OK && st == TS_OK) {
        st = run->c.first_st;
        *err = run->c.first_err;
    }
    bool all_ok = true;
    for (size_t i = 0; i < ntables; i++) {
        exp_table *t = &tv[i];
        if (!t->failed) keep_expired(mw, run, t);
        if (t->failed) all_ok = false;
        arc_export_table_result *tr = add_table_result(res, db, t);
        if (tr) {
            tr->files = t->n.files;
            tr->files_skipped = t->n.skipped;
        }
        res->tables++;
        if (t->failed) res->tables_failed++;
        res->files += t->n.files;
        res->files_skipped += t->n.skipped;
    }
    bool cancelled = run->c.o->cancel && *run->c.o->cancel;
    /* also before a checkpoint, so that a resumed run still knows them */
    if (!cancelled && (st == TS_OK || st == TS_ERR_MISMATCH || st == TS_ERR_REFUSED)) {
        ts_error ke;
        ts_err_clear(&ke);
        ts_status ks = run->c.prev_ok ? arc_export_keep_unselected(mw->storage, run->c.dbdir,
                                                                   &run->c.prev, &run->c.done,
                                                                   run->c.o->tables,
                                                                   run->c.o->ntables, &ke)
                                      : TS_OK;
        if (ks != TS_OK && st == TS_OK) {
            st = ks;
            *err = ke;
        }
    }
    /* every table matched: the manifest, then the checkpoint goes; else a
     * complete checkpoint for the next run */
    ts_status es =
        arc_export_db_end(&run->c, mw->storage, all_ok && !cancelled && st == TS_OK, err);
    if (st == TS_OK) st = es;
    for (size_t i = 0; i < ntables; i++) table_free(&tv[i]);
    ts_free(tv);
    return st;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* One database's tables as listed (and filtered by --table) before export. */
typedef struct db_tables {
    bool selected;  /* by --database / the name prefix */
    char **names;   /* aws_ts_names_free */
    size_t n;
    ts_status st;   /* listing failed: reported when the database's turn comes */
    ts_error err;
} db_tables;

static ts_status list_all_tables(worker *mw, const arc_export_opts *o, char **dbs, size_t ndbs,
                                 db_tables *dt, ts_error *err)
{
    bool *hit = ts_calloc(o->ntables + 1, sizeof *hit);
    if (!hit) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    char where[512] = "";
    size_t wl = 0;
    size_t nsel = 0;
    for (size_t i = 0; i < ndbs; i++) {
        dt[i].selected = o->ndatabases || !o->db_name_prefix || has_prefix(dbs[i], o->db_name_prefix);
        if (!dt[i].selected) continue;
        nsel++;
        if (wl < sizeof where) {
            int k = snprintf(where + wl, sizeof where - wl, "%s%s", nsel > 1 ? ", " : "", dbs[i]);
            wl = k < 0 ? sizeof where : wl + (size_t)k;
        }
        ts_err_clear(&dt[i].err);
        dt[i].st = aws_ts_list_tables(mw->ts, dbs[i], &dt[i].names, &dt[i].n, &dt[i].err);
        if (dt[i].st != TS_OK || !o->ntables) continue;
        size_t keep = 0;
        for (size_t k = 0; k < dt[i].n; k++) {
            bool want = false;
            for (size_t g = 0; g < o->ntables; g++)
                if (fnmatch(o->tables[g], dt[i].names[k], 0) == 0) want = hit[g] = true;
            if (want) dt[i].names[keep++] = dt[i].names[k];
            else ts_free(dt[i].names[k]);
        }
        dt[i].n = keep;
    }
    ts_status st = arc_export_glob_unmatched(o->tables, o->ntables, hit, "database", nsel, where,
                                             wl >= sizeof where, err);
    ts_free(hit);
    return st;
}

void arc_export_result_free(arc_export_result *r)
{
    if (!r) return;
    for (size_t i = 0; r->tables_v && i < r->ntables_v; i++) ts_free(r->tables_v[i].months);
    ts_free(r->tables_v);
    memset(r, 0, sizeof *r);
}

ts_status arc_export_timestream(const aws_config *aws, const arc_export_opts *opts,
                                arc_audit *audit, arc_export_result *res, ts_error *err)
{
    exp_run run;
    memset(&run, 0, sizeof run);
    arc_export_opts o;
    TS_TRY(arc_export_start(opts, &o, &run.c.codec, res, err));
    if (!o.max_rows_per_query) o.max_rows_per_query = DEFAULT_MAX_ROWS_PER_QUERY;
    if (!o.batch_rows) o.batch_rows = DEFAULT_BATCH_ROWS;
    if (!o.row_group_bytes) o.row_group_bytes = DEFAULT_ROW_GROUP_BYTES;
    run.aws = aws;
    run.c.o = &o;
    run.c.audit = audit;
    pthread_mutex_init(&run.c.mu, NULL);
    worker mw;
    ts_status st = worker_open(&run.c, &mw, err);
    char **dbs = NULL;
    size_t ndbs = 0;
    if (st == TS_OK) {
        if (o.ndatabases) {
            dbs = ts_calloc(o.ndatabases, sizeof *dbs);
            if (!dbs) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            for (size_t i = 0; st == TS_OK && i < o.ndatabases; i++) {
                if (!(dbs[i] = ts_strdup(o.databases[i]))) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                ndbs = i + 1;
            }
        } else {
            st = aws_ts_list_databases(mw.ts, &dbs, &ndbs, err);
        }
    }
    run.started_at = o.started_at ? o.started_at : ts_now_ns();
    if (st == TS_OK) st = arc_random_id(run.export_id, err);
    /* every selected database's tables first, --table applied, so that a glob
     * matching no table anywhere stops the run before anything is written */
    db_tables *dt = st == TS_OK ? ts_calloc(ndbs ? ndbs : 1, sizeof *dt) : NULL;
    if (st == TS_OK && !dt) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) st = list_all_tables(&mw, &o, dbs, ndbs, dt, err);
    ts_status first = st;
    for (size_t i = 0; st == TS_OK && i < ndbs; i++) {
        if (!dt[i].selected) continue;
        if (o.ntables && dt[i].st == TS_OK && dt[i].n == 0) continue; /* no table matched here */
        if (o.cancel && *o.cancel) {
            first = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        res->databases++;
        run.parts = NULL;
        run.nparts = 0;
        arc_manifest_init(&run.c.prev);
        ts_error e = dt[i].err;
        ts_status dst = dt[i].st;
        if (dst == TS_OK) dst = export_database(&mw, &run, dbs[i], dt[i].names, dt[i].n, res, &e);
        ts_free(run.parts);
        run.parts = NULL;
        run.nparts = 0;
        arc_manifest_free(&run.c.prev);
        arc_manifest_free(&run.c.done);
        if (audit) {
            ts_error fe;
            ts_err_clear(&fe);
            arc_audit_flush(audit, mw.storage, o.prefix, &fe);
        }
        if (dst != TS_OK) {
            /* other databases still get exported; the first error is returned */
            if (!strstr(e.ctx, dbs[i]) && !strstr(e.msg, dbs[i]))
                ts_err_context(&e, "database %s", dbs[i]);
            if (first == TS_OK) {
                first = dst;
                *err = e;
            }
            if (dst == TS_ERR_CANCELLED) break;
        }
    }
    if (first == TS_OK && res->tables_failed)
        first = ts_err_set(err, TS_ERR_MISMATCH, "%llu table(s) were not exported completely",
                           (unsigned long long)res->tables_failed);
    st = first;
    res->rows = run.c.prog.rows;
    res->bytes = run.c.prog.bytes;
    for (size_t i = 0; dt && i < ndbs; i++) aws_ts_names_free(dt[i].names, dt[i].n);
    ts_free(dt);
    aws_ts_names_free(dbs, ndbs);
    worker_close(&mw);
    pthread_mutex_destroy(&run.c.mu);
    return st;
}
