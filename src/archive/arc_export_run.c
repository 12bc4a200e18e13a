/* The steps every export source (Timestream, InfluxDB, file) takes the same
 * way (one archive file hashed and committed atomically, the manifest's head
 * and finish, checkpoints, audit entries, summary lines) and the partition
 * runner whose per-source parts are a const arc_export_source. */
#include "arc_export_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "arc_audit.h"
#include "arc_storage.h"
#include "core/ts_alloc.h"
#include "core/ts_time.h"
#include "ts_version.h"

ts_status arc_export_codec(const char *name, pq_codec *out, ts_error *err)
{
    if (strcmp(name, "zstd") == 0) *out = PQ_CODEC_ZSTD;
    else if (strcmp(name, "snappy") == 0) *out = PQ_CODEC_SNAPPY;
    else if (strcmp(name, "gzip") == 0) *out = PQ_CODEC_GZIP;
    else if (strcmp(name, "none") == 0) *out = PQ_CODEC_UNCOMPRESSED;
    else return ts_err_set(err, TS_ERR_USAGE, "codec \"%s\": use zstd, snappy, gzip or none", name);
    return TS_OK;
}

ts_status arc_export_start(const arc_export_opts *opts, arc_export_opts *o, pq_codec *codec,
                           arc_export_result *res, ts_error *err)
{
    memset(res, 0, sizeof *res);
    *o = *opts;
    if (!o->prefix) o->prefix = ARC_DEFAULT_PREFIX;
    if (!o->codec) o->codec = "zstd";
    return arc_export_codec(o->codec, codec, err);
}

ts_status arc_export_storage_open(const arc_export_opts *o, aws_client *client,
                                  arc_storage **out, ts_error *err)
{
    TS_TRY(arc_storage_open(o->root, client, out, err));
    if (o->lock_mode) TS_TRY(arc_storage_set_object_lock(*out, o->lock_mode, o->lock_until, err));
    return TS_OK;
}

const char *arc_export_unit_name(arc_time_unit u)
{
    return u == ARC_TIME_NS ? "ns" : u == ARC_TIME_MS ? "ms" : "us";
}

ts_status arc_export_add_column(ts_schema *schema, arc_column **cols, size_t *ncols,
                                const char *name, arc_col_role role, const char *stype,
                                ts_type type, bool nullable, ts_error *err)
{
    ts_role r = role == ARC_ROLE_TIME || role == ARC_ROLE_TIME_NS ? TS_ROLE_TIME
                : role == ARC_ROLE_DIMENSION                     ? TS_ROLE_DIMENSION
                : role == ARC_ROLE_MEASURE_NAME                  ? TS_ROLE_MEASURE_NAME
                                                                 : TS_ROLE_MEASURE;
    if (ts_schema_add(schema, name, type, r, nullable) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    arc_column *c = ts_realloc(*cols, (*ncols + 1) * sizeof *c);
    if (!c) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    *cols = c;
    c = &c[(*ncols)++];
    *c = (arc_column){.name = ts_strdup(name), .source_type = ts_strdup(stype), .role = role,
                      .type = type};
    if (!c->name || !c->source_type) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

void arc_export_columns_free(arc_column *cols, size_t ncols)
{
    for (size_t i = 0; cols && i < ncols; i++) {
        ts_free(cols[i].name);
        ts_free(cols[i].source_type);
    }
    ts_free(cols);
}

bool arc_export_same_columns(const arc_table *p, const arc_column *cols, size_t ncols,
                             const char *unit, bool time_ns)
{
    if (p->ncols != ncols || p->time_ns != time_ns || !p->time_unit || !unit ||
        strcmp(p->time_unit, unit) != 0)
        return false;
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(p->cols[i].name, cols[i].name) != 0 || p->cols[i].role != cols[i].role ||
            p->cols[i].type != cols[i].type ||
            strcmp(p->cols[i].source_type, cols[i].source_type) != 0)
            return false;
    return true;
}

/* ---- one archive file ---- */

ts_status arc_export_writer_open(arc_export_writer *w, arc_storage *s, const char *key,
                                 const ts_schema *schema, const arc_export_writer_opts *wo,
                                 ts_error *err)
{
    memset(w, 0, sizeof *w);
    ts_output *inner = NULL;
    TS_TRY(arc_storage_create(s, key, &inner, err));
    TS_TRY(arc_hash_output_new(inner, &w->h, err)); /* owns inner (closed on failure) */
    bool *floor = ts_calloc(schema->ncols + 1, sizeof *floor);
    if (!floor) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    pq_writer_opts po;
    pq_writer_opts_default(&po);
    po.codec = wo->codec;
    if (wo->row_group_bytes) po.row_group_bytes = wo->row_group_bytes;
    po.time_unit = wo->time_unit == ARC_TIME_NS   ? PQ_UNIT_NANOS
                   : wo->time_unit == ARC_TIME_MS ? PQ_UNIT_MILLIS
                                                  : PQ_UNIT_MICROS;
    floor[0] = wo->time_ns; /* time = floor(time_ns / 1000) by design */
    po.time_floor = floor;
    pq_kv kv[1] = {{.key = "tsarchive.columns", .value = wo->columns_kv}};
    po.kv = kv;
    po.nkv = 1;
    po.created_by = TS_CREATED_BY;
    ts_status st = pq_writer_new(w->h, schema, &po, &w->pw, err);
    ts_free(floor);
    return st;
}

ts_status arc_export_writer_write(arc_export_writer *w, const ts_batch *b, ts_error *err)
{
    for (size_t r = 0; r < b->nrows; r++) {
        int64_t v = b->cols[0].v.i64[r];
        if (w->rows + r == 0 || v < w->mn) w->mn = v;
        if (w->rows + r == 0 || v > w->mx) w->mx = v;
    }
    TS_TRY(pq_writer_write(w->pw, b, err));
    w->rows += b->nrows;
    return TS_OK;
}

ts_status arc_export_writer_finish(arc_export_writer *w, ts_status st, char *path,
                                   arc_file *rec, ts_error *err)
{
    if (st == TS_OK) st = pq_writer_close(w->pw, err);
    if (st == TS_OK) st = ts_output_commit(w->h, err);
    if (st == TS_OK) {
        memset(rec, 0, sizeof *rec);
        rec->path = path;
        rec->records = w->rows;
        rec->min_time = w->mn;
        rec->max_time = w->mx;
        rec->size = w->h->written;
        arc_hash_output_hex(w->h, rec->sha256);
    } else if (w->h) {
        ts_output_abort(w->h);
    }
    pq_writer_free(w->pw);
    ts_output_close(w->h);
    w->pw = NULL;
    w->h = NULL;
    return st;
}

/* ---- manifest, checkpoint, audit, summary ---- */

ts_status arc_export_manifest_begin(arc_manifest *m, const char *db, const char *codec,
                                    const char *source_kind, const char *source_database,
                                    const char *export_id, int64_t started_at,
                                    const arc_export_opts *o, ts_error *err)
{
    if (arc_set_str(&m->database, db) != TS_OK || arc_set_str(&m->compression, codec) != TS_OK ||
        arc_set_str(&m->source_kind, source_kind) != TS_OK ||
        arc_set_str(&m->source_database, source_database) != TS_OK ||
        arc_set_str(&m->tool_version, TS_VERSION) != TS_OK ||
        arc_set_str(&m->tool_build, TS_BUILD) != TS_OK ||
        arc_set_str(&m->export_id, export_id) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    m->started_at = started_at;
    if (o->lock_mode && (arc_set_str(&m->lock_mode, o->lock_mode) != TS_OK ||
                         arc_set_str(&m->lock_until, o->lock_until) != TS_OK))
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

ts_status arc_export_state_store(arc_storage *s, const char *dbdir, const arc_manifest *done,
                                 ts_error *err)
{
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, dbdir, ARC_STATE_NAME, NULL));
    return arc_manifest_store(s, key, done, NULL, NULL, err);
}

ts_status arc_export_manifest_finish(arc_storage *s, const char *dbdir, const char *db,
                                     arc_manifest *done, arc_audit *audit, ts_error *err)
{
    char key[ARC_PATH_MAX], sha[TS_SHA256_HEX_LEN];
    uint64_t size = 0;
    TS_TRY(arc_join(key, sizeof key, err, dbdir, ARC_MANIFEST_NAME, NULL));
    done->finished_at = ts_now_ns();
    ts_status st = arc_manifest_store(s, key, done, sha, &size, err);
    if (st == TS_OK) {
        char skey[ARC_PATH_MAX];
        if (arc_join(skey, sizeof skey, err, dbdir, ARC_STATE_NAME, NULL) == TS_OK)
            st = arc_storage_delete(s, skey, err);
    }
    if (audit) {
        arc_totals tot;
        arc_manifest_totals(done, &tot);
        json_t *f = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "database", db, "path", key,
                              "sha256", st == TS_OK ? sha : "", "size", (json_int_t)size,
                              "tables", (json_int_t)tot.tables, "files", (json_int_t)tot.files,
                              "records", (json_int_t)tot.records);
        ts_error ae;
        ts_err_clear(&ae);
        arc_audit_add(audit, "write-manifest", f, &ae);
    }
    return st;
}

void arc_export_audit_file(arc_audit *audit, const char *db, const char *table,
                           const arc_file *rec, bool skipped)
{
    if (!audit) return;
    json_t *f = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "database", db, "table", table, "path",
                          rec->path, "records", (json_int_t)rec->records, "size",
                          (json_int_t)rec->size, "sha256", rec->sha256);
    ts_error ae;
    ts_err_clear(&ae);
    arc_audit_add(audit, skipped ? "verified-existing" : "write", f, &ae);
}

arc_export_table_result *arc_export_result_add(arc_export_result *res, const char *db,
                                               const char *table, uint64_t records, bool ok,
                                               const char *error)
{
    arc_export_table_result *tr = ts_realloc(res->tables_v, (res->ntables_v + 1) * sizeof *tr);
    if (!tr) return NULL;
    res->tables_v = tr;
    tr = &tr[res->ntables_v++];
    memset(tr, 0, sizeof *tr);
    snprintf(tr->database, sizeof tr->database, "%s", db);
    snprintf(tr->table, sizeof tr->table, "%s", table);
    tr->records = records;
    tr->ok = ok;
    snprintf(tr->error, sizeof tr->error, "%s", error ? error : "");
    return tr;
}

/* ---- the partition runner ---- */

typedef struct pool_thread {
    arc_export_core *c;
    const arc_export_source *src;
    void *w;
} pool_thread;

static void *pool_loop(void *arg)
{
    pool_thread *pt = arg;
    arc_export_core *c = pt->c;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        void *p = pt->src->next_part(c);
        bool stop = c->first_st == TS_ERR_CANCELLED || (c->o->cancel && *c->o->cancel);
        pthread_mutex_unlock(&c->mu);
        if (!p || stop) break;
        ts_error e;
        ts_err_clear(&e);
        ts_status st = pt->src->do_part(pt->w, p, &e);
        if (st != TS_OK) {
            pthread_mutex_lock(&c->mu);
            pt->src->part_failed(p, &e);
            if (c->first_st == TS_OK) {
                c->first_st = st;
                c->first_err = e;
            }
            pthread_mutex_unlock(&c->mu);
        }
    }
    return NULL;
}

void arc_export_pool_run(arc_export_core *c, const arc_export_source *src, void *w0,
                         size_t nparts)
{
    int jobs = c->o->jobs < 1 ? 1 : c->o->jobs;
    if ((size_t)jobs > nparts) jobs = nparts ? (int)nparts : 1;
    c->next_part = 0;
    unsigned char *ws = ts_calloc((size_t)jobs, src->worker_size);
    pool_thread *pt = ts_calloc((size_t)jobs, sizeof *pt);
    pthread_t *th = ts_calloc((size_t)jobs, sizeof *th);
    bool *live = ts_calloc((size_t)jobs, sizeof *live);
    if (!ws || !pt || !th || !live) jobs = 1; /* this thread alone */
    for (int i = 1; i < jobs; i++) {
        void *w = ws + (size_t)i * src->worker_size;
        ts_error e;
        ts_err_clear(&e);
        if (src->worker_open(c, w, &e) != TS_OK) {
            src->worker_close(w);
            continue;
        }
        pt[i] = (pool_thread){.c = c, .src = src, .w = w};
        live[i] = pthread_create(&th[i], NULL, pool_loop, &pt[i]) == 0;
        if (!live[i]) src->worker_close(w);
    }
    pool_thread p0 = {.c = c, .src = src, .w = w0};
    pool_loop(&p0);
    for (int i = 1; i < jobs; i++)
        if (live[i]) {
            pthread_join(th[i], NULL);
            src->worker_close(ws + (size_t)i * src->worker_size);
        }
    ts_free(ws);
    ts_free(pt);
    ts_free(th);
    ts_free(live);
}

void arc_export_add_rows(arc_export_core *c, uint64_t rows)
{
    pthread_mutex_lock(&c->mu);
    c->prog.rows += rows;
    if (c->o->progress) c->o->progress(c->o->user, &c->prog);
    pthread_mutex_unlock(&c->mu);
}

void arc_export_add_bytes(arc_export_core *c, uint64_t bytes)
{
    pthread_mutex_lock(&c->mu);
    c->prog.bytes += bytes;
    pthread_mutex_unlock(&c->mu);
}

ts_status arc_export_record(arc_export_core *c, arc_storage *s, const char *table,
                            arc_export_tally *tally, const arc_file *rec, bool skipped,
                            int64_t interval_ns, ts_error *err)
{
    ts_status st = TS_OK;
    pthread_mutex_lock(&c->mu);
    arc_table *mt = arc_manifest_find_table(&c->done, table);
    if (!mt || arc_table_put_file(mt, rec) != TS_OK)
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (skipped) {
        tally->skipped++;
    } else {
        tally->files++;
        tally->rows += rec->records;
        tally->bytes += rec->size;
    }
    c->prog.partitions_done++;
    if (skipped) c->prog.partitions_skipped++;
    if (c->o->progress) c->o->progress(c->o->user, &c->prog);
    if (!skipped) c->state_dirty = true;
    if (st == TS_OK && c->state_dirty && ts_mono_ns() - c->state_written >= interval_ns) {
        st = arc_export_state_store(s, c->dbdir, &c->done, err);
        c->state_written = ts_mono_ns();
        c->state_dirty = false;
    }
    arc_export_audit_file(c->audit, c->db, table, rec, skipped);
    pthread_mutex_unlock(&c->mu);
    return st;
}

void arc_export_keep_unplanned(const arc_export_core *c, arc_storage *s, const arc_table *pt,
                               arc_table *mt, bool (*planned)(const void *u, const char *path),
                               const void *u)
{
    for (size_t i = 0; pt && mt && i < pt->nfiles; i++) {
        if (planned(u, pt->files[i].path)) continue;
        char key[ARC_PATH_MAX];
        ts_error e;
        ts_err_clear(&e);
        if (arc_join(key, sizeof key, &e, c->dbdir, pt->files[i].path, NULL) == TS_OK &&
            arc_object_matches(s, key, &pt->files[i]))
            arc_table_put_file(mt, &pt->files[i]);
    }
}

ts_status arc_export_db_end(arc_export_core *c, arc_storage *s, bool complete, ts_error *err)
{
    if (complete) return arc_export_manifest_finish(s, c->dbdir, c->db, &c->done, c->audit, err);
    if (c->state_dirty) {
        /* stopping short: leave the checkpoint complete for the next run */
        ts_error se;
        ts_err_clear(&se);
        arc_export_state_store(s, c->dbdir, &c->done, &se);
        c->state_dirty = false;
    }
    return TS_OK;
}
