/* Export from InfluxDB (v1 /query, or v2 through its v1-compatible /query)
 * into archive format 1: each measurement a table (tags → dimensions, a
 * `measure_name` tag → measure_name, fields → typed measures), cut into
 * calendar months, each month's per-field counts and first/last time checked
 * against InfluxDB, resumable and parallel like the Timestream export. */
#include <fnmatch.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc_audit.h"
#include "arc_export_int.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "core/ts_time.h"
#include "formats/fmt.h"
#include "influx/influx.h"
#include "parquet/pq_reader.h"
#include "parquet/pq_writer.h"
#include "ts_version.h"

#define DEFAULT_BATCH_ROWS 8192
#define DEFAULT_ROW_GROUP_BYTES ((size_t)64 << 20)
#define PARTITION_ATTEMPTS 3
#define STATE_INTERVAL_NS (INT64_C(3) * 1000000000)
/* InfluxDB's own time limits (models.MinNanoTime / MaxNanoTime) */
#define INFLUX_MIN_NS (INT64_C(-9223372036854775806))
#define INFLUX_MAX_NS (INT64_C(9223372036854775806))

typedef struct ix_table {
    char *name;             /* measurement = archive table */
    char **tags;            /* dimension tag keys, sorted (without measure_name) */
    size_t ntags;
    bool has_mname;         /* a tag called measure_name */
    char **fields;          /* field keys as SHOW FIELD KEYS lists them (by name) */
    char **ftypes;          /* their InfluxDB types */
    size_t nfields;
    bool time_ns;           /* current choice (us unit only) */
    bool flip;              /* saw a sub-microsecond time while time_ns was off */
    ts_schema schema;
    arc_column *cols;
    size_t ncols;
    long time_ns_col;
    char *select_sql;       /* SELECT "f"::field, …, "t"::tag FROM "m" */
    char *columns_kv;
    uint64_t points;        /* InfluxDB's count (max over fields) in the range */
    bool failed;
    char error[512];
    arc_export_tally n;     /* files written/kept this run */
    uint64_t months;
} ix_table;

typedef struct ix_part {
    ix_table *t;
    arc_month m;
    int64_t lo, hi;         /* query window, inclusive */
    influx_count live;      /* per-field counts, first/last time (planning) */
    char path[ARC_PATH_MAX];
    const arc_file *prev;
    bool redo;              /* round 2: its table switched to time_ns */
} ix_part;

typedef struct ix_run {
    arc_export_core c; /* first: the runner's callbacks cast it back */
    const arc_export_influx_opts *io;
    ix_table *tables;
    size_t ntables;
    ix_part *parts;
    size_t nparts;
    int round;
} ix_run;

typedef struct ix_worker {
    ix_run *run;
    aws_client *client;
    arc_storage *storage;
    influx_reader *reader;
    influx_querier *q;
} ix_worker;

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) ts_free(v[i]);
    ts_free(v);
}

static void table_clear_schema(ix_table *t)
{
    ts_schema_free(&t->schema);
    arc_export_columns_free(t->cols, t->ncols);
    t->cols = NULL;
    t->ncols = 0;
    ts_free(t->columns_kv);
    t->columns_kv = NULL;
}

static void table_free(ix_table *t)
{
    ts_free(t->name);
    names_free(t->tags, t->ntags);
    names_free(t->fields, t->nfields);
    names_free(t->ftypes, t->nfields);
    table_clear_schema(t);
    ts_free(t->select_sql);
}

static void table_fail(ix_table *t, const ts_error *e)
{
    if (t->failed) return;
    t->failed = true;
    ts_err_format(e, t->error, sizeof t->error);
}

static ts_status add_col(ix_table *t, const char *name, arc_col_role role, ts_type type,
                         ts_error *err)
{
    bool is_time = role == ARC_ROLE_TIME || role == ARC_ROLE_TIME_NS;
    return arc_export_add_column(&t->schema, &t->cols, &t->ncols, name, role,
                                 role == ARC_ROLE_TIME_NS ? "TIMESTAMP" : fmt_timestream_type(type),
                                 type, !is_time, err);
}

static bool ftype_parse(const char *s, ts_type *out)
{
    if (!strcmp(s, "float")) *out = TS_TYPE_DOUBLE;
    else if (!strcmp(s, "integer") || !strcmp(s, "unsigned")) *out = TS_TYPE_INT64;
    else if (!strcmp(s, "string")) *out = TS_TYPE_STRING;
    else if (!strcmp(s, "boolean")) *out = TS_TYPE_BOOL;
    else return false;
    return true;
}

/* Archive columns: time, [time_ns], tags by name, measure_name, fields by name. */
static ts_status build_schema(ix_run *run, ix_table *t, ts_error *err)
{
    table_clear_schema(t);
    ts_schema_init(&t->schema);
    t->time_ns_col = -1;
    TS_TRY(add_col(t, "time", ARC_ROLE_TIME, TS_TYPE_TIMESTAMP, err));
    if (t->time_ns && run->c.o->time_unit == ARC_TIME_US) {
        t->time_ns_col = (long)t->schema.ncols;
        TS_TRY(add_col(t, "time_ns", ARC_ROLE_TIME_NS, TS_TYPE_INT64, err));
    }
    for (size_t i = 0; i < t->ntags; i++)
        TS_TRY(add_col(t, t->tags[i], ARC_ROLE_DIMENSION, TS_TYPE_STRING, err));
    if (t->has_mname) TS_TRY(add_col(t, "measure_name", ARC_ROLE_MEASURE_NAME, TS_TYPE_STRING, err));
    for (size_t i = 0; i < t->nfields; i++) {
        ts_type ty;
        if (!ftype_parse(t->ftypes[i], &ty))
            return ts_err_set(err, TS_ERR_UNSUPPORTED, "measurement %s: field \"%s\" has type \"%s\"",
                              t->name, t->fields[i], t->ftypes[i]);
        TS_TRY(add_col(t, t->fields[i], ARC_ROLE_MEASURE, ty, err));
    }
    return arc_columns_kv(t->cols, t->ncols, &t->columns_kv, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static ts_status ql_printf_ident(ts_buf *b, const char *name, const char *suffix, ts_error *err)
{
    if (influx_ql_ident(b, name) != TS_OK || (suffix && ts_buf_append_str(b, suffix) != TS_OK))
        return ts_err_set(err, TS_ERR_LIMIT, "query too long");
    return TS_OK;
}

/* SHOW TAG KEYS / FIELD KEYS of one measurement, and its SELECT. */
static ts_status describe_table(ix_worker *w, ix_table *t, ts_error *err)
{
    ts_buf ql;
    ts_buf_init(&ql, 1 << 16);
    char **cells = NULL;
    size_t n = 0;
    ts_status st = ts_buf_append_str(&ql, "SHOW TAG KEYS FROM ") == TS_OK
                       ? ql_printf_ident(&ql, t->name, NULL, err)
                       : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK && ts_buf_nul(&ql) != TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) st = influx_reader_strings(w->reader, (const char *)ql.data, 1, &cells, &n, err);
    if (st == TS_OK) {
        t->tags = ts_calloc(n + 1, sizeof *t->tags);
        if (!t->tags) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; st == TS_OK && i < n; i++) {
            if (strcmp(cells[i], "measure_name") == 0) {
                t->has_mname = true;
                continue;
            }
            if (strcmp(cells[i], "time_ns") == 0 || strcmp(cells[i], "time") == 0) {
                st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                "measurement %s has a tag named \"%s\", which archive format 1 "
                                "reserves for the time columns",
                                t->name, cells[i]);
                break;
            }
            t->tags[t->ntags++] = cells[i];
            cells[i] = NULL;
        }
        influx_strings_free(cells, n);
        cells = NULL;
        if (st == TS_OK && t->ntags) qsort(t->tags, t->ntags, sizeof *t->tags, cmp_str);
    }
    ts_buf_clear(&ql);
    if (st == TS_OK && (ts_buf_append_str(&ql, "SHOW FIELD KEYS FROM ") != TS_OK ||
                        ql_printf_ident(&ql, t->name, NULL, err) != TS_OK || ts_buf_nul(&ql) != TS_OK))
        st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st == TS_OK) st = influx_reader_strings(w->reader, (const char *)ql.data, 2, &cells, &n, err);
    if (st == TS_OK) {
        t->fields = ts_calloc(n + 1, sizeof *t->fields);
        t->ftypes = ts_calloc(n + 1, sizeof *t->ftypes);
        if (!t->fields || !t->ftypes) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; st == TS_OK && i < n; i++) {
            const char *fk = cells[2 * i], *ft = cells[2 * i + 1];
            for (size_t j = 0; j < t->nfields && st == TS_OK; j++)
                if (strcmp(t->fields[j], fk) == 0)
                    st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                    "measurement %s: field \"%s\" is %s in some shards and %s in "
                                    "others; an archive column has one type (export the time "
                                    "ranges apart with --since/--until, or cast the field into a "
                                    "new measurement with SELECT … INTO)",
                                    t->name, fk, t->fields[j] ? t->ftypes[j] : "?", ft);
            if (st != TS_OK) break;
            if (strcmp(fk, "time_ns") == 0 || strcmp(fk, "time") == 0) {
                st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                "measurement %s has a field named \"%s\", which archive format 1 "
                                "reserves for the time columns",
                                t->name, fk);
                break;
            }
            for (size_t j = 0; j < t->ntags && st == TS_OK; j++)
                if (strcmp(t->tags[j], fk) == 0)
                    st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                    "measurement %s: \"%s\" is both a tag and a field; an archive "
                                    "column has one name",
                                    t->name, fk);
            if (st == TS_OK && t->has_mname && strcmp(fk, "measure_name") == 0)
                st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                "measurement %s: \"measure_name\" is both a tag and a field", t->name);
            if (st != TS_OK) break;
            ts_type ty;
            if (!ftype_parse(ft, &ty)) {
                st = ts_err_set(err, TS_ERR_UNSUPPORTED, "measurement %s: field \"%s\" has type \"%s\"",
                                t->name, fk, ft);
                break;
            }
            t->fields[t->nfields] = cells[2 * i];
            t->ftypes[t->nfields++] = cells[2 * i + 1];
            cells[2 * i] = cells[2 * i + 1] = NULL;
        }
        influx_strings_free(cells, 2 * n);
        if (st == TS_OK && t->nfields == 0)
            st = ts_err_set(err, TS_ERR_NOT_FOUND, "measurement %s has no field keys", t->name);
    }
    /* the SELECT: every field and tag by name, cast so a tag and a field are never confused */
    ts_buf_clear(&ql);
    if (st == TS_OK && ts_buf_append_str(&ql, "SELECT ") != TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == TS_OK && i < t->nfields; i++) {
        if (i) ts_buf_append_str(&ql, ", ");
        st = ql_printf_ident(&ql, t->fields[i], "::field", err);
    }
    for (size_t i = 0; st == TS_OK && i < t->ntags; i++) {
        ts_buf_append_str(&ql, ", ");
        st = ql_printf_ident(&ql, t->tags[i], "::tag", err);
    }
    if (st == TS_OK && t->has_mname) {
        ts_buf_append_str(&ql, ", ");
        st = ql_printf_ident(&ql, "measure_name", "::tag", err);
    }
    if (st == TS_OK && ts_buf_append_str(&ql, " FROM ") != TS_OK) st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
    if (st == TS_OK) st = ql_printf_ident(&ql, t->name, NULL, err);
    if (st == TS_OK) {
        if (ts_buf_nul(&ql) != TS_OK || !(t->select_sql = ts_strdup((const char *)ql.data)))
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_buf_free(&ql);
    return st;
}

static bool same_columns(const ix_table *t, const arc_table *p, const char *unit)
{
    return arc_export_same_columns(p, t->cols, t->ncols, unit, t->time_ns_col > 0);
}

static const char *unit_name(const arc_export_opts *o)
{
    return arc_export_unit_name(o->time_unit);
}

/* ---- workers ---- */

static ts_status worker_open(arc_export_core *c, void *wv, ts_error *err)
{
    ix_run *run = (ix_run *)c;
    ix_worker *w = wv;
    memset(w, 0, sizeof *w);
    w->run = run;
    if (run->io->aws) TS_TRY(aws_client_new(run->io->aws, &w->client, err));
    TS_TRY(arc_export_storage_open(run->c.o, w->client, &w->storage, err));
    TS_TRY(influx_reader_new(run->io->target, run->io->chunk_size, &w->reader, err));
    return influx_querier_new(run->io->target, &w->q, err);
}

static void worker_close(void *wv)
{
    ix_worker *w = wv;
    influx_querier_free(w->q);
    influx_reader_free(w->reader);
    arc_storage_free(w->storage);
    aws_client_free(w->client);
    memset(w, 0, sizeof *w);
}

/* The stored file's footer: rows and, per measure, non-NULL values equal the
 * live counts of InfluxDB (what a resume trusts besides size + SHA-256). */
static bool footer_matches(ix_worker *w, const char *key, const ix_part *p)
{
    ts_error e;
    ts_err_clear(&e);
    ts_input *in = NULL;
    pq_reader *r = NULL;
    bool ok = false;
    pq_reader_opts ro;
    pq_reader_opts_default(&ro);
    ro.metadata_only = true;
    if (arc_storage_open_input(w->storage, key, &in, &e) != TS_OK) return false;
    if (pq_reader_open(in, &ro, &r, &e) == TS_OK) {
        const pq_file_meta *fm = pq_reader_meta(r);
        const ix_table *t = p->t;
        ok = fm->num_rows >= 0 && (uint64_t)fm->num_rows == p->prev->records;
        for (size_t c = 0; ok && c < t->ncols; c++) {
            if (t->cols[c].role != ARC_ROLE_MEASURE) continue;
            uint64_t nonnull = 0;
            for (size_t g = 0; ok && g < fm->nrow_groups; g++) {
                const pq_row_group *rg = &fm->row_groups[g];
                if (c >= rg->ncolumns || !rg->columns[c].has_meta ||
                    !rg->columns[c].meta.has_statistics ||
                    !rg->columns[c].meta.statistics.has_null_count) {
                    ok = false;
                    break;
                }
                nonnull += (uint64_t)(rg->num_rows - rg->columns[c].meta.statistics.null_count);
            }
            if (ok && nonnull != influx_count_field(&p->live, t->cols[c].name)) ok = false;
        }
    }
    pq_reader_free(r);
    ts_input_close(in);
    return ok;
}

typedef struct part_ctx {
    ix_worker *w;
    ix_part *p;
    arc_export_writer fw;
    uint64_t *nonnull;  /* per schema column */
    bool flip;          /* a sub-microsecond time while the table has no time_ns */
    bool sub_ms;
} part_ctx;

static ts_status on_batch(void *user, const ts_batch *b, ts_error *err)
{
    part_ctx *c = user;
    ix_run *run = c->w->run;
    if (run->c.o->cancel && *run->c.o->cancel)
        return ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    const ix_table *t = c->p->t;
    for (size_t r = 0; r < b->nrows; r++) {
        int64_t v = b->cols[0].v.i64[r];
        if (run->c.o->time_unit == ARC_TIME_US && !t->time_ns && v % 1000 != 0) c->flip = true;
        if (run->c.o->time_unit == ARC_TIME_MS && v % 1000000 != 0) c->sub_ms = true;
    }
    if (c->flip)
        return ts_err_set(err, TS_ERR_REFUSED, "table %s: sub-microsecond times (needs time_ns)",
                          t->name);
    if (c->sub_ms)
        return ts_err_set(err, TS_ERR_REFUSED,
                          "measurement %s has times finer than milliseconds; --time-unit ms would "
                          "lose digits (use us or ns)",
                          t->name);
    for (size_t col = 0; col < b->schema->ncols; col++)
        for (size_t r = 0; r < b->nrows; r++) c->nonnull[col] += ts_batch_valid(b, col, r);
    TS_TRY(arc_export_writer_write(&c->fw, b, err));
    arc_export_add_rows(&run->c, b->nrows);
    return TS_OK;
}

static ts_status export_partition_once(ix_worker *w, ix_part *p, arc_file *rec, bool *flip,
                                       ts_error *err)
{
    ix_run *run = w->run;
    ix_table *t = p->t;
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, run->c.dbdir, p->path, NULL));
    part_ctx c = {.w = w, .p = p};
    c.nonnull = ts_calloc(t->ncols + 1, sizeof *c.nonnull);
    ts_status st = !c.nonnull ? ts_err_set(err, TS_ERR_NOMEM, "out of memory") : TS_OK;
    if (st == TS_OK) {
        arc_export_writer_opts wo = {
            .codec = run->c.codec,
            .row_group_bytes = run->c.o->row_group_bytes ? run->c.o->row_group_bytes
                                                       : DEFAULT_ROW_GROUP_BYTES,
            .time_unit = run->c.o->time_unit, .time_ns = t->time_ns_col > 0,
            .columns_kv = t->columns_kv};
        st = arc_export_writer_open(&c.fw, w->storage, key, &t->schema, &wo, err);
    }
    if (st == TS_OK) {
        char ql[8192 + 128];
        ts_buf q;
        ts_buf_init(&q, (size_t)1 << 20);
        if (ts_buf_printf(&q, "%s WHERE time >= %lld AND time <= %lld", t->select_sql,
                          (long long)p->lo, (long long)p->hi) != TS_OK ||
            ts_buf_nul(&q) != TS_OK)
            st = ts_err_set(err, TS_ERR_LIMIT, "query too long");
        (void)ql;
        if (st == TS_OK)
            st = influx_reader_select(
                w->reader, (const char *)q.data, &t->schema, t->time_ns_col,
                run->c.o->batch_rows ? run->c.o->batch_rows : DEFAULT_BATCH_ROWS, t->name,
                on_batch, &c, NULL, err);
        ts_buf_free(&q);
    }
    *flip = c.flip;
    /* the check: every field's values, and the first/last time, as InfluxDB counted them */
    for (size_t col = 0; st == TS_OK && col < t->ncols; col++) {
        if (t->cols[col].role != ARC_ROLE_MEASURE) continue;
        uint64_t live = influx_count_field(&p->live, t->cols[col].name);
        if (c.nonnull[col] != live)
            st = ts_err_set(err, TS_ERR_MISMATCH,
                            "table %s month %04lld-%02u: InfluxDB counted %llu values of field "
                            "\"%s\" but the export read %llu (the measurement changed during the "
                            "export?); the month's file was not written",
                            t->name, (long long)p->m.year, p->m.month, (unsigned long long)live,
                            t->cols[col].name, (unsigned long long)c.nonnull[col]);
    }
    if (st == TS_OK &&
        (c.fw.rows < p->live.points ||
         (c.fw.rows && (c.fw.mn != p->live.min_time || c.fw.mx != p->live.max_time))))
        st = ts_err_set(err, TS_ERR_MISMATCH,
                        "table %s month %04lld-%02u: the %llu rows read span other times than "
                        "InfluxDB's first/last point of the month",
                        t->name, (long long)p->m.year, p->m.month, (unsigned long long)c.fw.rows);
    st = arc_export_writer_finish(&c.fw, st, p->path, rec, err);
    if (st == TS_OK) arc_export_add_bytes(&run->c, rec->size);
    ts_free(c.nonnull);
    if (st != TS_OK && !*flip) ts_err_context(err, "%s", key);
    return st;
}

static ts_status record_file(ix_worker *w, ix_part *p, const arc_file *rec, bool skipped,
                             ts_error *err)
{
    return arc_export_record(&w->run->c, w->storage, p->t->name, &p->t->n, rec, skipped,
                             STATE_INTERVAL_NS, err);
}

static ts_status do_partition(void *wv, void *pv, ts_error *err)
{
    ix_worker *w = wv;
    ix_part *p = pv;
    ix_run *run = w->run;
    char key[ARC_PATH_MAX];
    TS_TRY(arc_join(key, sizeof key, err, run->c.dbdir, p->path, NULL));
    if (p->prev && p->prev->min_time == p->live.min_time && p->prev->max_time == p->live.max_time &&
        p->prev->records >= p->live.points && arc_object_matches(w->storage, key, p->prev) &&
        footer_matches(w, key, p))
        return record_file(w, p, p->prev, true, err);
    arc_window whole_month = arc_month_window(p->m);
    bool cut = p->lo > whole_month.lo || p->hi < whole_month.hi;
    if (p->prev && cut && (p->prev->min_time < p->lo || p->prev->max_time > p->hi) &&
        arc_object_matches(w->storage, key, p->prev)) {
        /* The archived file holds points outside --since/--until (an earlier
         * export of more of the month): a filtered export never replaces it
         * by a part. It stays when InfluxDB still holds exactly its points
         * over its own time range (per-field counts equal the footer's
         * non-NULL counts, same first/last time), which includes the points
         * selected now. */
        if (p->prev->min_time <= p->live.min_time && p->prev->max_time >= p->live.max_time) {
            influx_count c;
            TS_TRY(influx_count_range(w->q, p->t->name, p->prev->min_time, p->prev->max_time + 1,
                                      &c, err));
            ix_part whole = *p;
            whole.live = c;
            bool same = c.points > 0 && c.min_time == p->prev->min_time &&
                        c.max_time == p->prev->max_time && p->prev->records >= c.points &&
                        footer_matches(w, key, &whole);
            influx_count_free(&c);
            if (same) return record_file(w, p, p->prev, true, err);
        }
        char a[TS_TIME_STR_MAX], b[TS_TIME_STR_MAX];
        ts_time_format(p->prev->min_time, a);
        ts_time_format(p->prev->max_time, b);
        return ts_err_set(err, TS_ERR_REFUSED,
                          "measurement %s.%s month %04lld-%02u: the archived file holds %llu rows "
                          "from %s to %s, beyond this export's --since/--until, and InfluxDB's "
                          "points differ from it; a filtered export does not replace it with part "
                          "of the month (export the whole month without --since/--until)",
                          run->c.db, p->t->name, (long long)p->m.year, p->m.month,
                          (unsigned long long)p->prev->records, a, b);
    }
    ts_status st = TS_OK;
    arc_file rec;
    for (int attempt = 1; attempt <= PARTITION_ATTEMPTS; attempt++) {
        ts_error e;
        ts_err_clear(&e);
        bool flip = false;
        st = export_partition_once(w, p, &rec, &flip, &e);
        if (flip) {
            pthread_mutex_lock(&run->c.mu);
            p->t->flip = true;
            pthread_mutex_unlock(&run->c.mu);
            return TS_OK; /* round 2 redoes the table with time_ns */
        }
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
    ix_run *run = (ix_run *)c;
    while (c->next_part < run->nparts) {
        ix_part *p = &run->parts[c->next_part++];
        if (p->t->failed || p->t->flip) continue;
        if (run->round == 2 && !p->redo) continue;
        return p;
    }
    return NULL;
}

static void part_failed(void *p, const ts_error *e) { table_fail(((ix_part *)p)->t, e); }

static const arc_export_source influx_source = {
    .worker_size = sizeof(ix_worker),
    .worker_open = worker_open,
    .worker_close = worker_close,
    .next_part = next_part,
    .do_part = do_partition,
    .part_failed = part_failed,
};

/* ---- planning ---- */

static ts_status add_month_parts(ix_worker *w, ix_run *run, ix_table *t, ts_error *err)
{
    const arc_export_opts *o = run->c.o;
    int64_t lo = o->has_since ? o->since : INFLUX_MIN_NS;
    int64_t hi_excl = o->has_until ? o->until : INFLUX_MAX_NS;
    if (lo >= hi_excl) return TS_OK;
    influx_count all;
    TS_TRY(influx_count_range(w->q, t->name, lo, hi_excl, &all, err));
    t->points = 0;
    if (all.points == 0) {
        influx_count_free(&all);
        return TS_OK;
    }
    arc_month m = arc_month_of(all.min_time), last = arc_month_of(all.max_time);
    influx_count_free(&all);
    arc_table *prev_t = run->c.prev_ok ? arc_manifest_find_table(&run->c.prev, t->name) : NULL;
    if (prev_t && !same_columns(t, prev_t, unit_name(run->c.o))) prev_t = NULL;
    ts_status st = TS_OK;
    for (;; m = arc_month_next(m)) {
        arc_window win = arc_month_window(m);
        if (win.lo < lo) win.lo = lo;
        if (win.hi >= hi_excl) win.hi = hi_excl - 1;
        influx_count c;
        st = influx_count_range(w->q, t->name, win.lo, win.hi + 1, &c, err);
        if (st != TS_OK) break;
        if (c.points == 0) {
            influx_count_free(&c);
        } else {
            ix_part *np = ts_realloc(run->parts, (run->nparts + 1) * sizeof *np);
            if (!np) {
                influx_count_free(&c);
                st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
            run->parts = np;
            ix_part *p = &np[run->nparts];
            memset(p, 0, sizeof *p);
            p->t = t;
            p->m = m;
            p->lo = win.lo;
            p->hi = win.hi;
            p->live = c;
            run->nparts++;
            st = arc_partition_path(t->name, m, p->path, sizeof p->path, err);
            if (st != TS_OK) break;
            if (prev_t) p->prev = arc_table_find_file(prev_t, p->path);
            t->points += c.points;
            t->months++;
        }
        if (arc_month_cmp(m, last) >= 0) break;
    }
    return st;
}

static ts_status manifest_table(ix_run *run, ix_table *t, ts_error *err)
{
    arc_manifest_remove_table(&run->c.done, t->name);
    arc_table *mt;
    if (arc_manifest_add_table(&run->c.done, t->name, &mt) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < t->ncols; c++)
        if (arc_table_add_column(mt, t->cols[c].name, t->cols[c].role, t->cols[c].source_type,
                                 t->cols[c].type) != TS_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (arc_set_str(&mt->time_unit, unit_name(run->c.o)) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    mt->time_ns = t->time_ns_col > 0;
    /* the window read, widened to the earlier one whose files may stay */
    arc_table *pt = run->c.prev_ok ? arc_manifest_find_table(&run->c.prev, t->name) : NULL;
    arc_time_window rw = {.has_since = run->c.o->has_since, .has_until = run->c.o->has_until,
                          .since = run->c.o->since, .until = run->c.o->until};
    arc_table_set_window(mt, pt && same_columns(t, pt, unit_name(run->c.o)) ? pt : NULL, &rw);
    return TS_OK;
}

typedef struct planned_ctx {
    const ix_run *run;
    const ix_table *t;
} planned_ctx;

static bool is_planned(const void *u, const char *path)
{
    const planned_ctx *pc = u;
    for (size_t j = 0; j < pc->run->nparts; j++)
        if (pc->run->parts[j].t == pc->t && strcmp(pc->run->parts[j].path, path) == 0) return true;
    return false;
}

/* Earlier files of a month not planned this run (outside --since/--until, or
 * gone from InfluxDB by retention) stay in the manifest when intact. */
static void keep_unplanned(ix_worker *w, ix_run *run, ix_table *t)
{
    if (!run->c.prev_ok) return;
    arc_table *pt = arc_manifest_find_table(&run->c.prev, t->name);
    arc_table *mt = arc_manifest_find_table(&run->c.done, t->name);
    if (!pt || !mt || !same_columns(t, pt, unit_name(run->c.o))) return;
    planned_ctx pc = {.run = run, .t = t};
    arc_export_keep_unplanned(&run->c, w->storage, pt, mt, is_planned, &pc);
}

static int cmp_part(const void *a, const void *b)
{
    const ix_part *x = a, *y = b;
    int c = strcmp(x->t->name, y->t->name);
    return c ? c : arc_month_cmp(x->m, y->m);
}

static ts_status read_prev(ix_run *run, arc_storage *s, ts_error *err)
{
    return arc_export_prev_read(s, run->c.dbdir, run->c.o->codec, &run->c.prev, &run->c.prev_ok,
                                err);
}

void arc_export_influx_db_default(const influx_target *t, const char **name)
{
    *name = t->api == INFLUX_API_V2 ? t->bucket : t->db;
}

ts_status arc_export_influx(const arc_export_influx_opts *io, const arc_export_opts *opts,
                            arc_audit *audit, arc_export_result *res, ts_error *err)
{
    ix_run run;
    memset(&run, 0, sizeof run);
    arc_export_opts o;
    TS_TRY(arc_export_start(opts, &o, &run.c.codec, res, err));
    run.io = io;
    run.c.o = &o;
    run.c.audit = audit;
    const char *db = io->database;
    if (!db) arc_export_influx_db_default(io->target, &db);
    if (!db || !arc_name_ok(db))
        return ts_err_set(err, TS_ERR_USAGE,
                          "archive database \"%s\" cannot be an archive directory ([A-Za-z0-9_.-], "
                          "not starting with '.' or '_'); name it with --database",
                          db ? db : "");
    run.c.db = db;
    TS_TRY(arc_join(run.c.dbdir, sizeof run.c.dbdir, err, o.prefix, db, NULL));
    pthread_mutex_init(&run.c.mu, NULL);
    arc_manifest_init(&run.c.done);
    arc_manifest_init(&run.c.prev);
    ix_worker mw;
    int64_t started = o.started_at ? o.started_at : ts_now_ns();
    ts_status st = worker_open(&run.c, &mw, err);
    if (st == TS_OK) st = read_prev(&run, mw.storage, err);
    char id[33];
    if (st == TS_OK) st = arc_random_id(id, err);
    if (st == TS_OK) {
        ts_buf d;
        ts_buf_init(&d, 4096);
        influx_target_describe(io->target, &d);
        const char *src_db = io->target->api == INFLUX_API_V2 ? io->target->bucket : io->target->db;
        st = arc_export_manifest_begin(&run.c.done, db, o.codec,
                                       io->target->api == INFLUX_API_V2 ? "influx" : "influx1",
                                       src_db, id, started, &o, err);
        if (st == TS_OK &&
            arc_set_str(&run.c.done.source_endpoint, d.len ? (const char *)d.data : NULL) != TS_OK)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        ts_buf_free(&d);
    }
    /* the measurements and their columns */
    char **names = NULL;
    size_t nnames = 0;
    if (st == TS_OK) st = influx_reader_strings(mw.reader, "SHOW MEASUREMENTS", 1, &names, &nnames, err);
    if (st == TS_OK && nnames) qsort(names, nnames, sizeof *names, cmp_str);
    if (st == TS_OK) {
        run.tables = ts_calloc(nnames + 1, sizeof *run.tables);
        if (!run.tables) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    res->databases = 1;
    if (st == TS_OK && o.ntables) {
        /* every glob must match a measurement, named when one does not (as Timestream's) */
        bool *hit = ts_calloc(o.ntables, sizeof *hit);
        if (!hit) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; hit && i < nnames; i++)
            for (size_t g = 0; g < o.ntables; g++)
                if (arc_export_glob_wanted(&o.tables[g], 1, names[i])) hit[g] = true;
        bool v2 = io->target->api == INFLUX_API_V2;
        if (hit)
            st = arc_export_glob_unmatched(o.tables, o.ntables, hit, v2 ? "bucket" : "database",
                                           1, v2 ? io->target->bucket : io->target->db, false, err);
        ts_free(hit);
    }
    ts_status first = st;
    for (size_t i = 0; st == TS_OK && i < nnames; i++) {
        if (!arc_export_glob_wanted(o.tables, o.ntables, names[i])) continue;
        ix_table *t = &run.tables[run.ntables++];
        t->time_ns_col = -1;
        t->name = names[i];
        names[i] = NULL;
        ts_error e;
        ts_err_clear(&e);
        ts_status ts_ = TS_OK;
        if (!arc_name_ok(t->name))
            ts_ = ts_err_set(&e, TS_ERR_UNSUPPORTED,
                             "measurement name \"%s\" cannot be an archive directory "
                             "([A-Za-z0-9_.-], not starting with '.' or '_')",
                             t->name);
        if (ts_ == TS_OK) ts_ = describe_table(&mw, t, &e);
        if (ts_ == TS_OK && o.time_unit == ARC_TIME_US && run.c.prev_ok) {
            /* the earlier run's time_ns choice is the first guess */
            arc_table *pt = arc_manifest_find_table(&run.c.prev, t->name);
            t->time_ns = pt && pt->time_ns;
        }
        if (ts_ == TS_OK) ts_ = build_schema(&run, t, &e);
        if (ts_ == TS_OK) ts_ = add_month_parts(&mw, &run, t, &e);
        if (ts_ == TS_OK && !o.dry_run) ts_ = manifest_table(&run, t, &e);
        if (audit) {
            json_t *f = json_pack("{s:s,s:s,s:I,s:I,s:s}", "database", db, "table", t->name,
                                  "records", (json_int_t)t->points, "months", (json_int_t)t->months,
                                  "outcome", ts_ == TS_OK ? "planned" : "failed");
            if (ts_ != TS_OK && f) json_object_set_new(f, "error", json_string(e.msg));
            ts_error ae;
            ts_err_clear(&ae);
            arc_audit_add(audit, "read", f, &ae);
        }
        if (ts_ != TS_OK) {
            if (!strstr(e.msg, t->name) && !strstr(e.ctx, t->name))
                ts_err_context(&e, "measurement %s", t->name);
            table_fail(t, &e);
            if (first == TS_OK) {
                first = ts_;
                *err = e;
            }
            if (ts_ == TS_ERR_AUTH || ts_ == TS_ERR_NETWORK || ts_ == TS_ERR_NOT_FOUND) st = ts_;
        }
    }
    names_free(names, nnames);
    if (st == TS_OK && first == TS_OK && run.ntables == 0)
        st = first = ts_err_set(err, TS_ERR_NOT_FOUND, "%s %s has no measurements%s; nothing to export",
                                io->target->api == INFLUX_API_V2 ? "bucket" : "database",
                                io->target->api == INFLUX_API_V2 ? io->target->bucket : io->target->db,
                                o.ntables ? " matching --table" : "");
    if (st == TS_OK && run.nparts) qsort(run.parts, run.nparts, sizeof *run.parts, cmp_part);
    run.c.prog.partitions_total = run.nparts;
    if (st == TS_OK && o.after_plan) o.after_plan(o.user, db);

    if (st == TS_OK && !o.dry_run) {
        run.round = 1;
        run.c.first_st = TS_OK;
        arc_export_pool_run(&run.c, &influx_source, &mw, run.nparts);
        /* tables that turned out to need time_ns: again, with it */
        bool again = false;
        for (size_t i = 0; i < run.ntables; i++) {
            ix_table *t = &run.tables[i];
            if (!t->flip || t->failed) continue;
            ts_error e;
            ts_err_clear(&e);
            t->time_ns = true;
            t->flip = false;
            t->n = (arc_export_tally){0};
            ts_status ts_ = build_schema(&run, t, &e);
            if (ts_ == TS_OK) ts_ = manifest_table(&run, t, &e);
            arc_table *pt = run.c.prev_ok ? arc_manifest_find_table(&run.c.prev, t->name) : NULL;
            if (pt && !same_columns(t, pt, unit_name(&o))) pt = NULL;
            for (size_t j = 0; j < run.nparts; j++)
                if (run.parts[j].t == t) {
                    run.parts[j].redo = true;
                    run.parts[j].prev = pt ? arc_table_find_file(pt, run.parts[j].path) : NULL;
                    run.c.prog.partitions_total++;
                }
            if (ts_ != TS_OK) {
                table_fail(t, &e);
                if (first == TS_OK) {
                    first = ts_;
                    *err = e;
                }
            }
            again = true;
        }
        if (again && !(o.cancel && *o.cancel) && run.c.first_st != TS_ERR_CANCELLED) {
            run.round = 2;
            arc_export_pool_run(&run.c, &influx_source, &mw, run.nparts);
        }
        if (run.c.first_st != TS_OK && first == TS_OK) {
            first = run.c.first_st;
            *err = run.c.first_err;
        }
    }
    /* results */
    bool all_ok = st == TS_OK;
    for (size_t i = 0; i < run.ntables; i++) {
        ix_table *t = &run.tables[i];
        if (!t->failed && !o.dry_run && st == TS_OK) keep_unplanned(&mw, &run, t);
        if (t->failed || t->flip) all_ok = false;
        arc_export_table_result *tr =
            arc_export_result_add(res, db, t->name, t->points, !t->failed, t->error);
        if (tr) {
            tr->files = o.dry_run ? t->months : t->n.files;
            tr->files_skipped = t->n.skipped;
        }
        res->tables++;
        if (t->failed) res->tables_failed++;
        res->files += o.dry_run ? t->months : t->n.files;
        res->files_skipped += t->n.skipped;
        res->rows += t->n.rows;
        res->bytes += t->n.bytes;
    }
    if (first != TS_OK) all_ok = false;
    bool cancelled = o.cancel && *o.cancel;
    /* measurements --table leaves out stay listed with their intact files
     * (also in a checkpoint, so that a resumed run still knows them) */
    if (!o.dry_run && mw.storage && st == TS_OK && !cancelled && run.c.prev_ok) {
        ts_error ke;
        ts_err_clear(&ke);
        ts_status ks = arc_export_keep_unselected(mw.storage, run.c.dbdir, &run.c.prev,
                                                  &run.c.done, o.tables, o.ntables, &ke);
        if (ks != TS_OK) {
            all_ok = false;
            if (first == TS_OK) {
                first = ks;
                *err = ke;
            }
        }
    }
    if (cancelled && first == TS_OK) first = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
    if (!o.dry_run && mw.storage) {
        /* every table matched: the manifest, then the checkpoint goes; else
         * a complete checkpoint for the next run */
        ts_status ms = arc_export_db_end(&run.c, mw.storage, all_ok && !cancelled, err);
        if (first == TS_OK) first = ms;
    }
    if (first == TS_OK && res->tables_failed)
        first = ts_err_set(err, TS_ERR_MISMATCH, "%llu table(s) were not exported completely",
                           (unsigned long long)res->tables_failed);
    for (size_t i = 0; i < run.nparts; i++) influx_count_free(&run.parts[i].live);
    ts_free(run.parts);
    for (size_t i = 0; i < run.ntables; i++) table_free(&run.tables[i]);
    ts_free(run.tables);
    arc_manifest_free(&run.c.done);
    arc_manifest_free(&run.c.prev);
    worker_close(&mw);
    pthread_mutex_destroy(&run.c.mu);
    return first;
}
