/* Export of a line-protocol, CSV or Parquet file into archive format 1: pass 1
 * spills each table-month into temp Parquet files (rows in any time order,
 * memory bounded by the open spill writers), pass 2 writes each table-month's
 * archive file from its spill parts, then the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arc_audit.h"
#include "arc_export_int.h"
#include "arc_layout.h"
#include "arc_manifest.h"
#include "arc_storage.h"
#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_time.h"
#include "formats/fmt.h"
#include "parquet/pq_reader.h"
#include "parquet/pq_writer.h"
#include "ts_version.h"

#define SPILL_ROW_GROUP_BYTES ((size_t)1 << 20)
#define DEFAULT_MAX_OPEN 16

typedef struct xf_part {
    arc_month m;
    uint64_t count;
    int64_t lo, hi;
    char **spills; /* spill file paths, in write order */
    size_t nspills;
    ts_output *out; /* open spill, or NULL */
    int fd;         /* its descriptor (spills need no fsync: they die with the run) */
    pq_writer *w;
    uint64_t last_use;
} xf_part;

typedef struct xf_table {
    char *name;
    ts_schema in;     /* the source's schema for this table (first batch) */
    ts_schema schema; /* archive order, time NANOS, no time_ns */
    size_t *map;      /* archive column → source column */
    uint64_t count;
    int64_t lo, hi;
    bool need_ns;
    xf_part *parts;
    size_t nparts;
    ts_schema fin;    /* the archive file's schema (with time_ns when needed) */
    char *kvjson;     /* its tsarchive.columns */
} xf_table;

typedef struct xf_run {
    const arc_export_file_opts *fo;
    const arc_export_opts *o;
    char tmp[4096];
    bool have_tmp;
    xf_table *tables;
    size_t ntables;
    size_t open, max_open;
    uint64_t tick, spill_seq;
    /* pass 2: resume */
    arc_manifest prev;  /* earlier checkpoint/manifest of the database */
    bool prev_ok;
    int64_t state_written;
    bool state_dirty;
} xf_run;

/* files are written fast: a checkpoint every second keeps a resume's redo small */
#define STATE_INTERVAL_NS (INT64_C(1) * 1000000000)

typedef struct ord {
    size_t col;
    int rank;
    const char *name;
} ord;

static int cmp_ord(const void *a, const void *b)
{
    const ord *x = a, *y = b;
    if (x->rank != y->rank) return x->rank - y->rank;
    if (x->rank == 1) return strcmp(x->name, y->name); /* dimensions by name */
    return x->col < y->col ? -1 : x->col > y->col;       /* others keep their order */
}

/* Archive order: time, dimensions by name, measure_name, measures as they came. */
static ts_status plan_table(xf_table *t, const ts_schema *in, ts_error *err)
{
    size_t n = in->ncols;
    ord *o = ts_calloc(n + 1, sizeof *o);
    t->map = ts_calloc(n + 1, sizeof *t->map);
    if (!o || !t->map) {
        ts_free(o);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    bool have_time = false;
    for (size_t c = 0; c < n; c++) {
        const ts_field *f = &in->fields[c];
        if (strcmp(f->name, "time_ns") == 0) {
            ts_free(o);
            return ts_err_set(err, TS_ERR_UNSUPPORTED,
                              "table %s has a column named \"time_ns\", which archive format 1 "
                              "reserves for exact nanosecond times; rename it before exporting",
                              t->name);
        }
        int rank = 3;
        if (f->role == TS_ROLE_TIME && f->type == TS_TYPE_TIMESTAMP && !have_time)
            rank = 0, have_time = true;
        else if (f->role == TS_ROLE_DIMENSION) rank = 1;
        else if (f->role == TS_ROLE_MEASURE_NAME) rank = 2;
        o[c] = (ord){.col = c, .rank = rank, .name = f->name};
    }
    if (!have_time) {
        ts_free(o);
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "table %s has no time column (a TIMESTAMP with the role time); name "
                          "it with --schema",
                          t->name);
    }
    if (n) qsort(o, n, sizeof *o, cmp_ord);
    ts_schema_init(&t->schema);
    ts_status st = TS_OK;
    for (size_t k = 0; k < n && st == TS_OK; k++) {
        const ts_field *f = &in->fields[o[k].col];
        t->map[k] = o[k].col;
        ts_role role = k == 0 ? TS_ROLE_TIME : (f->role == TS_ROLE_TIME ? TS_ROLE_MEASURE : f->role);
        if (ts_schema_add(&t->schema, k == 0 ? "time" : f->name, f->type, role, k != 0) != TS_OK)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_free(o);
    if (st == TS_OK && ts_schema_copy(&t->in, in) != TS_OK)
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    return st;
}

static ts_status find_table(xf_run *run, const ts_batch *b, xf_table **out, ts_error *err)
{
    const char *name = b->table ? b->table : "";
    for (size_t i = 0; i < run->ntables; i++)
        if (strcmp(run->tables[i].name, name) == 0) {
            xf_table *t = &run->tables[i];
            if (!ts_schema_equal(&t->in, b->schema))
                return ts_err_set(err, TS_ERR_UNSUPPORTED,
                                  "the columns of table %s changed within the input", name);
            *out = t;
            return TS_OK;
        }
    if (!arc_name_ok(name))
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "table name \"%s\" cannot be an archive directory ([A-Za-z0-9_.-], "
                          "not starting with '.' or '_')",
                          name);
    xf_table *v = ts_realloc(run->tables, (run->ntables + 1) * sizeof *v);
    if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    run->tables = v;
    xf_table *t = &v[run->ntables++];
    memset(t, 0, sizeof *t);
    ts_schema_init(&t->in);
    ts_schema_init(&t->schema);
    if (!(t->name = ts_strdup(name))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    TS_TRY(plan_table(t, b->schema, err));
    *out = t;
    return TS_OK;
}

static void part_close_spill(xf_part *p, ts_status *st, ts_error *err)
{
    if (p->w) {
        if (*st == TS_OK) *st = pq_writer_close(p->w, err);
        pq_writer_free(p->w);
        p->w = NULL;
    }
    if (p->out) {
        if (*st == TS_OK) *st = ts_output_commit(p->out, err);
        else ts_output_abort(p->out);
        ts_output_close(p->out);
        p->out = NULL;
    }
    if (p->fd >= 0) {
        if (close(p->fd) != 0 && *st == TS_OK && err)
            *st = ts_err_errno(err, TS_ERR_IO, errno, "writing a spill file");
        p->fd = -1;
    }
}

/* The open spill writer of p, opening a new spill part (and closing the
 * least recently used writer when too many are open). */
static ts_status part_writer(xf_run *run, xf_table *t, xf_part *p, ts_error *err)
{
    p->last_use = ++run->tick;
    if (p->w) return TS_OK;
    if (run->open >= run->max_open) {
        xf_part *lru = NULL;
        for (size_t i = 0; i < run->ntables; i++)
            for (size_t j = 0; j < run->tables[i].nparts; j++) {
                xf_part *q = &run->tables[i].parts[j];
                if (q->w && (!lru || q->last_use < lru->last_use)) lru = q;
            }
        if (lru) {
            ts_status st = TS_OK;
            part_close_spill(lru, &st, err);
            run->open--;
            TS_TRY(st);
        }
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/spill-%06llu.parquet", run->tmp,
             (unsigned long long)run->spill_seq++);
    char **sv = ts_realloc(p->spills, (p->nspills + 1) * sizeof *sv);
    if (!sv) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    p->spills = sv;
    if (!(sv[p->nspills] = ts_strdup(path))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    p->nspills++;
    p->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (p->fd < 0) return ts_err_errno(err, TS_ERR_IO, errno, "cannot create spill file %s", path);
    TS_TRY(ts_output_fd(p->fd, path, &p->out, err));
    pq_writer_opts po;
    pq_writer_opts_default(&po);
    po.codec = PQ_CODEC_ZSTD;
    po.level = 1;
    po.row_group_bytes = SPILL_ROW_GROUP_BYTES;
    po.time_unit = PQ_UNIT_NANOS;
    TS_TRY(pq_writer_new(p->out, &t->schema, &po, &p->w, err));
    run->open++;
    return TS_OK;
}

static ts_status find_part(xf_table *t, arc_month m, xf_part **out, ts_error *err)
{
    for (size_t i = t->nparts; i-- > 0;)
        if (arc_month_cmp(t->parts[i].m, m) == 0) {
            *out = &t->parts[i];
            return TS_OK;
        }
    xf_part *v = ts_realloc(t->parts, (t->nparts + 1) * sizeof *v);
    if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    t->parts = v;
    memset(&v[t->nparts], 0, sizeof *v);
    v[t->nparts].m = m;
    v[t->nparts].fd = -1;
    *out = &v[t->nparts++];
    return TS_OK;
}

/* Copies the rows of b whose month is m (in order) into s, in archive order. */
static ts_status gather(ts_batch *s, xf_table *t, const ts_batch *b, const arc_month *months,
                        arc_month m, ts_error *err)
{
    ts_batch_reset(s);
    s->table = t->name;
    size_t k = 0;
    for (size_t r = 0; r < b->nrows; r++) {
        if (arc_month_cmp(months[r], m) != 0) continue;
        for (size_t c = 0; c < t->schema.ncols; c++) {
            size_t ic = t->map[c];
            if (!ts_batch_valid(b, ic, r)) {
                ts_batch_set_null(s, c, k);
                continue;
            }
            const ts_column *col = &b->cols[ic];
            switch (t->schema.fields[c].type) {
            case TS_TYPE_TIMESTAMP:
            case TS_TYPE_INT64: ts_batch_set_i64(s, c, k, col->v.i64[r]); break;
            case TS_TYPE_DOUBLE: ts_batch_set_f64(s, c, k, col->v.f64[r]); break;
            case TS_TYPE_BOOL: ts_batch_set_bool(s, c, k, col->v.b8[r]); break;
            case TS_TYPE_STRING:
                if (ts_batch_set_str(s, c, k, col->v.str[r].ptr, col->v.str[r].len) != TS_OK)
                    return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
                break;
            }
        }
        k++;
    }
    s->nrows = k;
    return TS_OK;
}

static ts_status spill_batch(xf_run *run, const ts_batch *b, arc_month **months, size_t *mcap,
                             ts_error *err)
{
    if (!b->nrows) return TS_OK;
    xf_table *t = NULL;
    TS_TRY(find_table(run, b, &t, err));
    if (*mcap < b->nrows) {
        arc_month *v = ts_realloc(*months, b->nrows * sizeof *v);
        if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        *months = v;
        *mcap = b->nrows;
    }
    size_t tc = t->map[0];
    for (size_t r = 0; r < b->nrows; r++) {
        if (!ts_batch_valid(b, tc, r))
            return ts_err_set(err, TS_ERR_CORRUPT, "table %s: a row without a time (row %llu of the table)",
                              t->name, (unsigned long long)(t->count + r + 1));
        (*months)[r] = arc_month_of(b->cols[tc].v.i64[r]);
    }
    /* the scratch batch lives for this call only: t->schema moves when the
     * table list grows */
    ts_batch scratch;
    if (ts_batch_init(&scratch, &t->schema, b->nrows) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = TS_OK;
    /* each distinct month of the batch, in order of first appearance */
    arc_month *distinct = ts_calloc(b->nrows, sizeof *distinct);
    size_t nd = 0;
    if (!distinct) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    for (size_t r = 0; st == TS_OK && r < b->nrows; r++) {
        bool seen = false;
        for (size_t q = nd; q-- > 0 && !seen;) seen = arc_month_cmp(distinct[q], (*months)[r]) == 0;
        if (!seen) distinct[nd++] = (*months)[r];
    }
    for (size_t d = 0; st == TS_OK && d < nd; d++) {
        xf_part *p = NULL;
        st = find_part(t, distinct[d], &p, err);
        if (st == TS_OK) st = gather(&scratch, t, b, *months, distinct[d], err);
        if (st != TS_OK) break;
        ts_batch *s = &scratch;
        for (size_t i = 0; i < s->nrows; i++) {
            int64_t v = s->cols[0].v.i64[i];
            if (p->count + i == 0 || v < p->lo) p->lo = v;
            if (p->count + i == 0 || v > p->hi) p->hi = v;
            if (t->count + i == 0 || v < t->lo) t->lo = v;
            if (t->count + i == 0 || v > t->hi) t->hi = v;
            if (v % 1000 != 0) t->need_ns = true;
        }
        st = part_writer(run, t, p, err);
        if (st == TS_OK) st = pq_writer_write(p->w, s, err);
        if (st != TS_OK) break;
        p->count += s->nrows;
        t->count += s->nrows;
    }
    ts_free(distinct);
    ts_batch_free(&scratch);
    return st;
}

static bool o_cancelled(const xf_run *run) { return run->o->cancel && *run->o->cancel; }

static int cmp_part_m(const void *a, const void *b)
{
    return arc_month_cmp(((const xf_part *)a)->m, ((const xf_part *)b)->m);
}

static int cmp_table_name(const void *a, const void *b)
{
    return strcmp(((const xf_table *)a)->name, ((const xf_table *)b)->name);
}

/* One archive file from a table-month's spill parts. */
static ts_status write_partition(xf_run *run, arc_storage *sto, const char *dbdir, xf_table *t,
                                 xf_part *p, const ts_schema *fin, const char *kvjson,
                                 pq_codec codec, arc_file *rec, char *path, size_t pathsz,
                                 ts_error *err)
{
    const arc_export_opts *o = run->o;
    char key[ARC_PATH_MAX];
    TS_TRY(arc_partition_path(t->name, p->m, path, pathsz, err));
    TS_TRY(arc_join(key, sizeof key, err, dbdir, path, NULL));
    arc_export_writer w;
    memset(&w, 0, sizeof w);
    ts_column *cols = ts_calloc(fin->ncols + 1, sizeof *cols);
    ts_status st = !cols ? ts_err_set(err, TS_ERR_NOMEM, "out of memory") : TS_OK;
    bool with_ns = o->time_unit == ARC_TIME_US && t->need_ns;
    if (st == TS_OK) {
        arc_export_writer_opts wo = {.codec = codec, .row_group_bytes = o->row_group_bytes,
                                     .time_unit = o->time_unit, .time_ns = with_ns,
                                     .columns_kv = kvjson};
        st = arc_export_writer_open(&w, sto, key, fin, &wo, err);
    }
    for (size_t i = 0; st == TS_OK && i < p->nspills; i++) {
        ts_input *in = NULL;
        pq_reader *r = NULL;
        st = ts_input_file(p->spills[i], &in, err);
        if (st == TS_OK) st = pq_reader_open(in, NULL, &r, err);
        while (st == TS_OK) {
            if (o->cancel && *o->cancel) {
                st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
                break;
            }
            const ts_batch *b;
            st = pq_reader_next(r, &b, err);
            if (st != TS_OK || !b) break;
            ts_batch v = *b;
            v.schema = fin;
            v.cols = cols;
            v.table = t->name;
            size_t k = 0;
            for (size_t c = 0; c < b->schema->ncols && k < fin->ncols; c++) {
                cols[k++] = b->cols[c];
                if (c == 0 && with_ns) cols[k++] = b->cols[0]; /* exact ns, unconverted */
            }
            st = arc_export_writer_write(&w, &v, err);
        }
        pq_reader_free(r);
        ts_input_close(in);
    }
    if (st == TS_OK && w.rows != p->count)
        st = ts_err_set(err, TS_ERR_INTERNAL, "table %s: spilled %llu rows but read back %llu",
                        t->name, (unsigned long long)p->count, (unsigned long long)w.rows);
    st = arc_export_writer_finish(&w, st, path, rec, err);
    if (st == TS_OK) {
        /* the spill's own min/max (pass 1 saw every row) */
        rec->min_time = p->lo;
        rec->max_time = p->hi;
    }
    ts_free(cols);
    if (st != TS_OK) ts_err_context(err, "%s", key);
    return st;
}

/* Pass 2, first step for one table: its archive schema, its columns in the
 * manifest (every table is listed before any file is written, so a
 * checkpoint always names them all) and its footer key-value JSON. */
static ts_status prepare_table(xf_run *run, xf_table *t, arc_manifest *man, ts_error *err)
{
    const arc_export_opts *o = run->o;
    bool with_ns = o->time_unit == ARC_TIME_US && t->need_ns;
    arc_table *mt;
    if (arc_manifest_add_table(man, t->name, &mt) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    ts_schema_init(&t->fin);
    ts_status st = TS_OK;
    for (size_t c = 0; c < t->schema.ncols && st == TS_OK; c++) {
        const ts_field *f = &t->schema.fields[c];
        arc_col_role role = c == 0                             ? ARC_ROLE_TIME
                            : f->role == TS_ROLE_DIMENSION     ? ARC_ROLE_DIMENSION
                            : f->role == TS_ROLE_MEASURE_NAME  ? ARC_ROLE_MEASURE_NAME
                                                               : ARC_ROLE_MEASURE;
        if (ts_schema_add(&t->fin, f->name, f->type, f->role, f->nullable) != TS_OK ||
            arc_table_add_column(mt, f->name, role, fmt_timestream_type(f->type), f->type) != TS_OK)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        if (st == TS_OK && c == 0 && with_ns &&
            (ts_schema_add(&t->fin, "time_ns", TS_TYPE_INT64, TS_ROLE_TIME, false) != TS_OK ||
             arc_table_add_column(mt, "time_ns", ARC_ROLE_TIME_NS, "TIMESTAMP", TS_TYPE_INT64) !=
                 TS_OK))
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (st == TS_OK && arc_set_str(&mt->time_unit, arc_export_unit_name(o->time_unit)) != TS_OK)
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    mt->time_ns = with_ns;
    if (st == TS_OK) st = arc_columns_kv(mt->cols, mt->ncols, &t->kvjson, err);
    if (t->nparts) qsort(t->parts, t->nparts, sizeof *t->parts, cmp_part_m);
    return st;
}

/* The earlier table's columns, time unit and time_ns choice equal mt's. */
static bool same_table_columns(const arc_table *a, const arc_table *b)
{
    return arc_export_same_columns(a, b->cols, b->ncols, b->time_unit, b->time_ns);
}

/* Pass 2 for one table: each month's file, skipped when the earlier run's
 * record (same columns, count, min/max) still matches the stored object;
 * the checkpoint is rewritten after new files (at most every 3 s). */
static ts_status write_table(xf_run *run, arc_storage *sto, const char *dbdir, arc_audit *audit,
                             xf_table *t, arc_manifest *man, pq_codec codec,
                             arc_export_result *res, ts_error *err)
{
    ts_status st = TS_OK;
    arc_table *mt = arc_manifest_find_table(man, t->name);
    arc_table *pt = run->prev_ok ? arc_manifest_find_table(&run->prev, t->name) : NULL;
    if (pt && (!mt || !same_table_columns(pt, mt))) pt = NULL;
    uint64_t files = 0, skipped = 0;
    for (size_t i = 0; st == TS_OK && i < t->nparts; i++) {
        xf_part *p = &t->parts[i];
        arc_file rec;
        char path[ARC_PATH_MAX], key[ARC_PATH_MAX];
        if (o_cancelled(run)) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        st = arc_partition_path(t->name, p->m, path, sizeof path, err);
        if (st == TS_OK) st = arc_join(key, sizeof key, err, dbdir, path, NULL);
        if (st != TS_OK) break;
        const arc_file *prev = pt ? arc_table_find_file(pt, path) : NULL;
        bool skip = prev && prev->records == p->count && prev->min_time == p->lo &&
                    prev->max_time == p->hi && arc_object_matches(sto, key, prev);
        if (skip) {
            rec = *prev;
        } else {
            st = write_partition(run, sto, dbdir, t, p, &t->fin, t->kvjson, codec, &rec, path,
                                 sizeof path, err);
            if (st != TS_OK) break;
        }
        mt = arc_manifest_find_table(man, t->name);
        if (arc_table_put_file(mt, &rec) != TS_OK) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        arc_export_audit_file(audit, run->fo->database, t->name, &rec, skip);
        if (skip) {
            skipped++;
            res->files_skipped++;
        } else {
            files++;
            res->files++;
            res->rows += rec.records;
            res->bytes += rec.size;
            run->state_dirty = true;
        }
        if (st == TS_OK && run->state_dirty &&
            ts_mono_ns() - run->state_written >= STATE_INTERVAL_NS) {
            st = arc_export_state_store(sto, dbdir, man, err);
            run->state_written = ts_mono_ns();
            run->state_dirty = false;
        }
    }
    arc_export_table_result *tr =
        arc_export_result_add(res, run->fo->database, t->name, t->count, st == TS_OK, NULL);
    if (tr) {
        tr->files = files;
        tr->files_skipped = skipped;
        if (st != TS_OK) ts_err_format(err, tr->error, sizeof tr->error);
    }
    res->tables++;
    if (st != TS_OK) res->tables_failed++;
    return st;
}

/* Earlier files this input does not cover (other tables, other months) stay
 * listed while intact and of the same columns: a file export adds to the
 * database's manifest instead of replacing it. */
static ts_status keep_earlier(xf_run *run, arc_storage *sto, const char *dbdir, arc_manifest *man,
                              ts_error *err)
{
    if (!run->prev_ok) return TS_OK;
    for (size_t i = 0; i < run->prev.ntables; i++) {
        arc_table *pt = &run->prev.tables[i];
        arc_table *mt = arc_manifest_find_table(man, pt->name);
        if (mt && !same_table_columns(pt, mt)) continue; /* the new columns win */
        for (size_t j = 0; j < pt->nfiles; j++) {
            if (mt && arc_table_find_file(mt, pt->files[j].path)) continue;
            char key[ARC_PATH_MAX];
            TS_TRY(arc_join(key, sizeof key, err, dbdir, pt->files[j].path, NULL));
            if (!arc_object_matches(sto, key, &pt->files[j])) continue;
            /* with an earlier --since/--until export's window */
            if (!mt) TS_TRY(arc_export_table_copy(man, pt, &mt, err));
            if (arc_table_put_file(mt, &pt->files[j]) != TS_OK)
                return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        }
    }
    return TS_OK;
}

static void run_free(xf_run *run)
{
    for (size_t i = 0; i < run->ntables; i++) {
        xf_table *t = &run->tables[i];
        for (size_t j = 0; j < t->nparts; j++) {
            xf_part *p = &t->parts[j];
            ts_status st = TS_ERR_CANCELLED;
            part_close_spill(p, &st, NULL);
            for (size_t k = 0; k < p->nspills; k++) {
                unlink(p->spills[k]);
                ts_free(p->spills[k]);
            }
            ts_free(p->spills);
        }
        ts_free(t->parts);
        ts_free(t->name);
        ts_free(t->map);
        ts_schema_free(&t->in);
        ts_schema_free(&t->schema);
        ts_schema_free(&t->fin);
        ts_free(t->kvjson);
    }
    ts_free(run->tables);
    if (run->have_tmp) rmdir(run->tmp);
}

ts_status arc_export_file(const arc_export_file_opts *fo, const arc_export_opts *opts,
                          arc_audit *audit, arc_export_result *res, ts_error *err)
{
    arc_export_opts o;
    pq_codec codec;
    TS_TRY(arc_export_start(opts, &o, &codec, res, err));
    if (!fo->database || !arc_name_ok(fo->database))
        return ts_err_set(err, TS_ERR_USAGE,
                          "--database \"%s\" cannot be an archive directory ([A-Za-z0-9_.-], not "
                          "starting with '.' or '_')",
                          fo->database ? fo->database : "");
    xf_run run;
    memset(&run, 0, sizeof run);
    run.fo = fo;
    run.o = &o;
    run.max_open = fo->max_open ? fo->max_open : DEFAULT_MAX_OPEN;
    const char *td = fo->tmpdir ? fo->tmpdir : getenv("TMPDIR");
    if (!td || !*td) td = "/tmp";
    snprintf(run.tmp, sizeof run.tmp, "%s/tsarchive-export-XXXXXX", td);
    if (!mkdtemp(run.tmp)) return ts_err_errno(err, TS_ERR_IO, errno, "creating a temp directory in %s", td);
    run.have_tmp = true;
    int64_t started = o.started_at ? o.started_at : ts_now_ns();

    /* pass 1: read once, spill per table-month */
    fmt_read_opts ro;
    fmt_read_opts_init(&ro);
    ro.batch_rows = o.batch_rows;
    ro.cancel = o.cancel;
    ro.schema = fo->schema;
    if (fo->precision > 0) ro.precision = (ts_epoch_unit)(fo->precision - 1);
    if (fo->time_format > 0) ro.time_format = (fmt_time_format)fo->time_format;
    ts_source *src = NULL;
    ts_status st = fmt_source_open(fo->path, FMT_NONE, &ro, &src, err);
    arc_month *months = NULL;
    size_t mcap = 0;
    while (st == TS_OK) {
        if (o.cancel && *o.cancel) {
            st = ts_err_set(err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        const ts_batch *b;
        st = ts_source_next(src, &b, err);
        if (st != TS_OK || !b) break;
        st = spill_batch(&run, b, &months, &mcap, err);
    }
    ts_free(months);
    ts_source_close(src);
    for (size_t i = 0; i < run.ntables; i++)
        for (size_t j = 0; j < run.tables[i].nparts; j++) {
            if (run.tables[i].parts[j].w) run.open--;
            part_close_spill(&run.tables[i].parts[j], &st, err);
        }
    if (st != TS_OK && !strstr(err->msg, fo->path) && !strstr(err->ctx, fo->path))
        ts_err_context(err, "%s", fo->path);
    /* one "read" entry per table, as the Timestream export writes after planning */
    for (size_t i = 0; st == TS_OK && audit && i < run.ntables; i++) {
        json_t *f = json_pack("{s:s,s:s,s:s,s:I,s:b,s:s}", "database", fo->database, "table",
                              run.tables[i].name, "source", fo->path, "records",
                              (json_int_t)run.tables[i].count, "time_ns", run.tables[i].need_ns,
                              "outcome", "planned");
        ts_error ae;
        ts_err_clear(&ae);
        arc_audit_add(audit, "read", f, &ae);
    }
    if (st == TS_OK && run.ntables == 0)
        st = ts_err_set(err, TS_ERR_USAGE, "%s holds no rows; nothing to export", fo->path);

    /* pass 2: the archive files, table by table, month by month */
    arc_storage *sto = NULL;
    char dbdir[ARC_PATH_MAX];
    arc_manifest man;
    arc_manifest_init(&man);
    if (st == TS_OK) st = arc_join(dbdir, sizeof dbdir, err, o.prefix, fo->database, NULL);
    arc_storage *own = NULL;
    if (st == TS_OK && !fo->storage) st = arc_storage_open(o.root, NULL, &own, err);
    sto = fo->storage ? fo->storage : own;
    if (st == TS_OK) {
        char id[33];
        st = arc_random_id(id, err);
        if (st == TS_OK)
            st = arc_export_manifest_begin(&man, fo->database, o.codec, "file", fo->path, id,
                                           started, &o, err);
        if (st == TS_OK && o.lock_mode)
            st = arc_storage_set_object_lock(sto, o.lock_mode, o.lock_until, err);
    }
    if (st == TS_OK && run.ntables) qsort(run.tables, run.ntables, sizeof *run.tables, cmp_table_name);
    arc_manifest_init(&run.prev);
    if (st == TS_OK) st = arc_export_prev_read(sto, dbdir, o.codec, &run.prev, &run.prev_ok, err);
    res->databases = 1;
    for (size_t i = 0; st == TS_OK && i < run.ntables; i++)
        st = prepare_table(&run, &run.tables[i], &man, err);
    run.state_written = ts_mono_ns();
    for (size_t i = 0; st == TS_OK && i < run.ntables; i++)
        st = write_table(&run, sto, dbdir, audit, &run.tables[i], &man, codec, res, err);
    if (st == TS_OK) st = keep_earlier(&run, sto, dbdir, &man, err);
    if (st != TS_OK && run.state_dirty && sto) {
        /* stopping short: leave the checkpoint complete for the next run */
        ts_error se;
        ts_err_clear(&se);
        arc_export_state_store(sto, dbdir, &man, &se);
    }
    if (st == TS_OK) /* the run is complete: the manifest, then its checkpoint goes */
        st = arc_export_manifest_finish(sto, dbdir, fo->database, &man, audit, err);
    arc_manifest_free(&man);
    arc_manifest_free(&run.prev);
    arc_storage_free(own);
    run_free(&run);
    return st;
}
