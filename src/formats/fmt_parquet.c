/* Parquet as a source and sink of the batch pipeline, over the reader and
 * writer of src/parquet. The sink writes the archive's column order and
 * records each column's role in the footer ("tsarchive.columns"); the
 * source reads roles back from it and folds an archive's `time_ns` into
 * `time`, so a round trip through Parquet keeps exact times and roles. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"
#include "parquet/pq_reader.h"
#include "parquet/pq_writer.h"
#include "ts_version.h"

#define FMT_PQ_COLUMNS_KEY "tsarchive.columns"

/* ======================= source ======================= */

typedef struct pq_source {
    fmt_source_base b;
    ts_input *in;
    pq_reader *r;
    char *table;
    ts_schema schema; /* what we hand out: roles fixed, time_ns folded */
    size_t *map;      /* out column → reader column */
    long time_col, time_ns_col; /* reader columns */
    ts_batch view;    /* shares the reader batch's arrays */
    ts_column *cols;
} pq_source;

/* "gen_20240101_20240131" → "gen": an archive file's table name. */
static char *table_from_path(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strcspn(b, ".");
    if (n >= 18) {
        const char *t = b + n - 18;
        bool dated = t[0] == '_' && t[9] == '_';
        for (int i = 1; i < 18 && dated; i++)
            if (i != 9 && (t[i] < '0' || t[i] > '9')) dated = false;
        if (dated && n > 18) n -= 18;
    }
    return n ? ts_strndup(b, n) : ts_strdup("data");
}

/* Roles written by our sink (or the archive); NULL when absent or unreadable. */
static json_t *roles_from_footer(const pq_reader *r)
{
    const pq_file_meta *m = pq_reader_meta(r);
    for (size_t i = 0; i < m->nkv; i++)
        if (m->kv[i].key && strcmp(m->kv[i].key, FMT_PQ_COLUMNS_KEY) == 0 && m->kv[i].value)
            return json_loads(m->kv[i].value, 0, NULL);
    return NULL;
}

static bool role_of(json_t *roles, const char *name, ts_role *out)
{
    if (json_is_object(roles)) roles = json_object_get(roles, "columns"); /* the archive's form */
    if (!json_is_array(roles)) return false;
    size_t i;
    json_t *e;
    json_array_foreach(roles, i, e) {
        json_t *n = json_object_get(e, "name"), *r = json_object_get(e, "role");
        if (json_is_string(n) && json_is_string(r) && strcmp(json_string_value(n), name) == 0)
            return ts_role_parse(json_string_value(r), out);
    }
    return false;
}

static ts_status pqs_next(ts_source *src, const ts_batch **out, ts_error *err)
{
    pq_source *s = (pq_source *)src;
    *out = NULL;
    const ts_batch *b;
    TS_TRY(pq_reader_next(s->r, &b, err));
    if (!b) return TS_OK;
    ts_batch *v = &s->view;
    v->schema = &s->schema;
    v->table = s->table;
    v->nrows = b->nrows;
    v->capacity = b->capacity;
    v->cols = s->cols;
    for (size_t c = 0; c < s->schema.ncols; c++) s->cols[c] = b->cols[s->map[c]];
    if (s->time_ns_col >= 0) {
        /* exact nanoseconds from time_ns; where time_ns is NULL keep time */
        ts_column *t = &s->cols[0];
        const ts_column *ns = &b->cols[s->time_ns_col];
        for (size_t r = 0; r < b->nrows; r++)
            if (ts_batch_valid(b, (size_t)s->time_ns_col, r)) {
                t->v.i64[r] = ns->v.i64[r];
                t->validity[r >> 3] |= (uint8_t)(1u << (r & 7));
            }
    }
    s->b.counts.rows += b->nrows;
    *out = v;
    return TS_OK;
}

static void pqs_close(ts_source *src)
{
    pq_source *s = (pq_source *)src;
    if (!s) return;
    pq_reader_free(s->r);
    ts_input_close(s->in);
    ts_schema_free(&s->schema);
    ts_free(s->map);
    ts_free(s->cols);
    ts_free(s->table);
    ts_free(s);
}

static const ts_source_ops pq_source_ops = {.kind = "parquet", .next = pqs_next, .close = pqs_close};

ts_status fmt_parquet_source_open(const char *path, const fmt_read_opts *o, ts_source **out,
                                  ts_error *err)
{
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return ts_err_set(err, TS_ERR_USAGE, "Parquet input must be a file (it is read from the end)");
    pq_source *s = ts_calloc(1, sizeof *s);
    if (!s) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->b.base.ops = &pq_source_ops;
    ts_schema_init(&s->schema);
    ts_status st = ts_input_file(path, &s->in, err);
    pq_reader_opts ro;
    pq_reader_opts_default(&ro);
    if (o && o->batch_rows) ro.batch_rows = o->batch_rows;
    if (st == TS_OK) st = pq_reader_open(s->in, &ro, &s->r, err);
    if (st != TS_OK) {
        ts_err_context(err, "%s", path);
        pqs_close(&s->b.base);
        return st;
    }
    s->table = o && o->table ? ts_strdup(o->table) : table_from_path(path);
    const ts_schema *rs = pq_reader_schema(s->r);
    s->map = ts_calloc(rs->ncols + 1, sizeof *s->map);
    s->cols = ts_calloc(rs->ncols + 1, sizeof *s->cols);
    if (!s->table || !s->map || !s->cols) {
        pqs_close(&s->b.base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    json_t *roles = roles_from_footer(s->r);
    s->time_col = -1;
    s->time_ns_col = -1;
    long t = ts_schema_find(rs, "time"), tn = ts_schema_find(rs, "time_ns");
    if (t >= 0 && tn >= 0 && rs->fields[t].type == TS_TYPE_TIMESTAMP && rs->fields[tn].type == TS_TYPE_INT64) {
        s->time_col = t;
        s->time_ns_col = tn;
    }
    /* time first when the archive layout folds time_ns into it */
    size_t k = 0;
    if (s->time_ns_col >= 0) {
        s->map[k++] = (size_t)t;
        st = ts_schema_add(&s->schema, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, rs->fields[t].nullable);
    }
    for (size_t c = 0; st == TS_OK && c < rs->ncols; c++) {
        if ((long)c == s->time_col || (long)c == s->time_ns_col) continue;
        ts_role role = rs->fields[c].role;
        role_of(roles, rs->fields[c].name, &role);
        if (role == TS_ROLE_TIME && rs->fields[c].type != TS_TYPE_TIMESTAMP) role = TS_ROLE_MEASURE;
        s->map[k++] = c;
        st = ts_schema_add(&s->schema, rs->fields[c].name, rs->fields[c].type, role, rs->fields[c].nullable);
    }
    json_decref(roles);
    if (st != TS_OK) {
        pqs_close(&s->b.base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = &s->b.base;
    return TS_OK;
}

/* ======================= sink ======================= */

typedef struct pq_sink {
    fmt_sink_base b;
    char *path;
    ts_output *out;
    pq_writer *w;
    pq_writer_opts wo;
    char *roles_json;
    pq_kv kv;
    const ts_schema *in_schema; /* last input schema seen (pointer) */
    ts_schema in_copy;          /* the first input schema, to compare later ones */
    char *table;
    ts_schema schema;           /* archive order */
    size_t *map;                /* out column → input column */
    ts_column *cols;
    bool finished;
    /* --time-unit archive: rows are staged in a NANOS file, then rewritten
     * as TIMESTAMP(MICROS) time (+ exact time_ns when any time needs it) */
    bool archive;
    bool need_ns;
    long time_col;
    char *stage_path;
} pq_sink;

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

const char *fmt_timestream_type(ts_type t)
{
    switch (t) {
    case TS_TYPE_TIMESTAMP: return "TIMESTAMP";
    case TS_TYPE_STRING: return "VARCHAR";
    case TS_TYPE_DOUBLE: return "DOUBLE";
    case TS_TYPE_INT64: return "BIGINT";
    case TS_TYPE_BOOL: return "BOOLEAN";
    }
    return "VARCHAR";
}

/* The footer's tsarchive.columns for schema sc, in the archive's shape:
 * {"columns":[{"name","role","timestream_type"}],"format_version":1};
 * column ns_col (or SIZE_MAX) has the role "time_ns". */
static ts_status roles_json(const ts_schema *sc, size_t ns_col, char **out, ts_error *err)
{
    ts_buf j;
    ts_buf_init(&j, (size_t)1 << 20);
    ts_status st = ts_buf_append_str(&j, "{\"columns\":[");
    for (size_t k = 0; k < sc->ncols && st == TS_OK; k++) {
        const ts_field *f = &sc->fields[k];
        json_t *name = json_string(f->name);
        char *nj = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL;
        json_decref(name);
        st = ts_buf_printf(&j, "%s{\"name\":%s,\"role\":\"%s\",\"timestream_type\":\"%s\"}", k ? "," : "",
                           nj ? nj : "\"\"", k == ns_col ? "time_ns" : ts_role_name(f->role),
                           k == ns_col ? "BIGINT" : fmt_timestream_type(f->type));
        free(nj);
    }
    if (st == TS_OK) st = ts_buf_append_str(&j, "],\"format_version\":1}");
    if (st == TS_OK) st = ts_buf_nul(&j);
    if (st != TS_OK) {
        ts_buf_free(&j);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = (char *)ts_buf_detach(&j, NULL);
    return TS_OK;
}

/* Archive order: time, dimensions by name, measure_name, measures as they came. */
static ts_status plan_sink(pq_sink *s, const ts_batch *b, ts_error *err)
{
    const ts_schema *in = b->schema;
    size_t n = in->ncols;
    ord *o = ts_calloc(n + 1, sizeof *o);
    s->map = ts_calloc(n + 1, sizeof *s->map);
    s->cols = ts_calloc(n + 1, sizeof *s->cols);
    if (!o || !s->map || !s->cols) {
        ts_free(o);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    bool have_time = false;
    for (size_t c = 0; c < n; c++) {
        const ts_field *f = &in->fields[c];
        int rank = 3;
        if (f->role == TS_ROLE_TIME && !have_time) rank = 0, have_time = true;
        else if (f->role == TS_ROLE_DIMENSION) rank = 1;
        else if (f->role == TS_ROLE_MEASURE_NAME) rank = 2;
        o[c] = (ord){.col = c, .rank = rank, .name = f->name};
    }
    if (n) qsort(o, n, sizeof *o, cmp_ord);
    ts_status st = TS_OK;
    for (size_t k = 0; k < n && st == TS_OK; k++) {
        const ts_field *f = &in->fields[o[k].col];
        s->map[k] = o[k].col;
        ts_role role = (o[k].rank == 0) ? TS_ROLE_TIME : (f->role == TS_ROLE_TIME ? TS_ROLE_MEASURE : f->role);
        if (ts_schema_add(&s->schema, f->name, f->type, role, role == TS_ROLE_TIME ? f->nullable : true) != TS_OK)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_free(o);
    if (st == TS_OK) st = roles_json(&s->schema, SIZE_MAX, &s->roles_json, err);
    if (st != TS_OK) return st;
    s->time_col = have_time && s->schema.fields[0].role == TS_ROLE_TIME ? 0 : -1;
    if (s->archive && s->time_col < 0)
        return ts_err_set(err, TS_ERR_USAGE, "--time-unit archive needs a time column");
    if (s->archive && ts_schema_find(&s->schema, "time_ns") >= 0)
        return ts_err_set(err, TS_ERR_USAGE,
                          "the input already has a column named time_ns, which the archive layout adds");
    s->kv = (pq_kv){.key = FMT_PQ_COLUMNS_KEY, .value = s->roles_json};
    s->wo.kv = &s->kv;
    s->wo.nkv = 1;
    return TS_OK;
}

static ts_status pqk_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    pq_sink *s = (pq_sink *)sk;
    if (!s->w) {
        TS_TRY(plan_sink(s, b, err));
        if (ts_schema_copy(&s->in_copy, b->schema) != TS_OK) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        if (b->table && !(s->table = ts_strdup(b->table))) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        ts_status st;
        if (s->archive) {
            /* the stage is an ordinary temp file beside the output, committed under
             * a ".tmp-" name that readers skip and that is removed at the end */
            size_t n = strlen(s->path) + 32;
            s->stage_path = ts_malloc(n);
            if (!s->stage_path) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            const char *slash = strrchr(s->path, '/');
            int dl = slash ? (int)(slash - s->path + 1) : 0;
            snprintf(s->stage_path, n, "%.*s.tmp-stage-%s", dl, s->path, slash ? slash + 1 : s->path);
            st = ts_output_file_atomic(s->stage_path, &s->out, err);
            s->wo.time_unit = PQ_UNIT_NANOS;
        } else {
            st = fmt_output_open(s->path, &s->out, err);
        }
        if (st != TS_OK) return st;
        st = pq_writer_new(s->out, &s->schema, &s->wo, &s->w, err);
        if (st != TS_OK) {
            ts_err_context(err, "%s", s->path);
            return st;
        }
        s->in_schema = b->schema;
    } else {
        bool same_table = (!b->table && !s->table) || (b->table && s->table && strcmp(b->table, s->table) == 0);
        if (!same_table)
            return ts_err_set(err, TS_ERR_USAGE,
                              "the input has several tables ('%s' and '%s') but a Parquet file holds "
                              "one: pick one with --table NAME or put {table} in the output name",
                              s->table ? s->table : "", b->table ? b->table : "");
        if (b->schema != s->in_schema) {
            if (!ts_schema_equal(b->schema, &s->in_copy))
                return ts_err_set(err, TS_ERR_USAGE,
                                  "the columns of table '%s' changed within the input; a Parquet file has one schema",
                                  b->table ? b->table : "");
            s->in_schema = b->schema;
        }
    }
    ts_batch v = *b;
    v.schema = &s->schema;
    v.cols = s->cols;
    for (size_t c = 0; c < s->schema.ncols; c++) s->cols[c] = b->cols[s->map[c]];
    if (s->archive && !s->need_ns) {
        const ts_column *t = &s->cols[0];
        for (size_t r = 0; r < b->nrows && !s->need_ns; r++)
            if ((t->validity[r >> 3] >> (r & 7) & 1) && t->v.i64[r] % 1000 != 0) s->need_ns = true;
    }
    ts_status st = pq_writer_write(s->w, &v, err);
    if (st != TS_OK) {
        ts_err_context(err, "%s", s->path);
        return st;
    }
    s->b.counts.rows += b->nrows;
    return TS_OK;
}

/* Second stage of --time-unit archive: the staged NANOS file becomes time as
 * TIMESTAMP(MICROS) (floored) plus, when some time has sub-microsecond
 * digits, time_ns (INT64, exact) right after it, as DESIGN.md's archive has. */
static ts_status rewrite_archive(pq_sink *s, ts_error *err)
{
    ts_input *in = NULL;
    pq_reader *r = NULL;
    ts_output *out = NULL;
    pq_writer *w = NULL;
    ts_schema fin;
    ts_schema_init(&fin);
    ts_column *cols = NULL;
    char *rj = NULL;
    bool floor0[FMT_MAX_COLUMNS + 1] = {false};
    ts_status st = ts_input_file(s->stage_path, &in, err);
    if (st == TS_OK) st = pq_reader_open(in, NULL, &r, err);
    for (size_t c = 0; st == TS_OK && c < s->schema.ncols; c++) {
        const ts_field *f = &s->schema.fields[c];
        if (ts_schema_add(&fin, f->name, f->type, f->role, f->nullable) != TS_OK) st = TS_ERR_NOMEM;
        if (st == TS_OK && c == 0 && s->need_ns &&
            ts_schema_add(&fin, "time_ns", TS_TYPE_INT64, TS_ROLE_MEASURE, f->nullable) != TS_OK)
            st = TS_ERR_NOMEM;
    }
    if (st == TS_ERR_NOMEM) st = ts_err_set(err, st, "out of memory");
    if (st == TS_OK) st = roles_json(&fin, s->need_ns ? 1 : SIZE_MAX, &rj, err);
    cols = ts_calloc(fin.ncols + 1, sizeof *cols);
    if (st == TS_OK && !cols) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    pq_writer_opts wo = s->wo;
    pq_kv kv = {.key = FMT_PQ_COLUMNS_KEY, .value = rj};
    wo.kv = &kv;
    wo.nkv = 1;
    wo.time_unit = PQ_UNIT_MICROS;
    floor0[0] = s->need_ns; /* time_ns keeps the digits time drops */
    wo.time_floor = floor0;
    if (st == TS_OK) st = fmt_output_open(s->path, &out, err);
    if (st == TS_OK) st = pq_writer_new(out, &fin, &wo, &w, err);
    while (st == TS_OK) {
        const ts_batch *b;
        st = pq_reader_next(r, &b, err);
        if (st != TS_OK || !b) break;
        ts_batch v = *b;
        v.schema = &fin;
        v.cols = cols;
        size_t k = 0;
        for (size_t c = 0; c < b->schema->ncols; c++) {
            cols[k++] = b->cols[c];
            if (c == 0 && s->need_ns) cols[k++] = b->cols[0]; /* the same int64 ns, unconverted */
        }
        st = pq_writer_write(w, &v, err);
    }
    if (st == TS_OK) st = pq_writer_close(w, err);
    if (st == TS_OK) st = ts_output_commit(out, err);
    if (st != TS_OK) ts_err_context(err, "%s", s->path);
    pq_writer_free(w);
    if (out) {
        if (st != TS_OK) ts_output_abort(out);
        ts_output_close(out);
    }
    pq_reader_free(r);
    ts_input_close(in);
    unlink(s->stage_path);
    ts_schema_free(&fin);
    ts_free(cols);
    ts_free(rj);
    return st;
}

static ts_status pqk_finish(ts_sink *sk, ts_error *err)
{
    pq_sink *s = (pq_sink *)sk;
    if (!s->w)
        return ts_err_set(err, TS_ERR_USAGE,
                          "the input has no rows, so there is no schema for %s (Parquet needs one)", s->path);
    TS_TRY(pq_writer_close(s->w, err));
    TS_TRY(ts_output_commit(s->out, err));
    if (s->archive) TS_TRY(rewrite_archive(s, err));
    s->finished = true;
    return TS_OK;
}

static void pqk_close(ts_sink *sk)
{
    pq_sink *s = (pq_sink *)sk;
    if (!s) return;
    pq_writer_free(s->w);
    if (s->out) {
        if (!s->finished) ts_output_abort(s->out);
        ts_output_close(s->out);
    }
    ts_schema_free(&s->schema);
    ts_schema_free(&s->in_copy);
    ts_free(s->map);
    ts_free(s->cols);
    ts_free(s->roles_json);
    ts_free(s->table);
    ts_free(s->path);
    if (s->stage_path) unlink(s->stage_path); /* committed stage of a failed run */
    ts_free(s->stage_path);
    ts_free(s);
}

static const ts_sink_ops pq_sink_ops = {
    .kind = "parquet", .write = pqk_write, .finish = pqk_finish, .close = pqk_close};

ts_status fmt_parquet_sink_open(const char *path, const fmt_write_opts *o, ts_sink **out,
                                ts_error *err)
{
    *out = NULL;
    pq_sink *s = ts_calloc(1, sizeof *s);
    if (!s) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->b.base.ops = &pq_sink_ops;
    ts_schema_init(&s->schema);
    ts_schema_init(&s->in_copy);
    pq_writer_opts_default(&s->wo);
    s->wo.created_by = TS_CREATED_BY;
    s->wo.time_unit = PQ_UNIT_NANOS;
    if (o && o->time_unit > 0) s->wo.time_unit = (pq_time_unit)o->time_unit;
    s->archive = o && o->time_unit < 0;
    if (o && o->codec) {
        const char *c = strcasecmp(o->codec, "none") == 0 ? "uncompressed" : o->codec;
        if (!pq_codec_parse(c, &s->wo.codec) || !pq_codec_can_write(s->wo.codec)) {
            pqk_close(&s->b.base);
            return ts_err_set(err, TS_ERR_USAGE, "Parquet codec '%s' cannot be written (zstd, snappy, gzip, none)",
                              o->codec);
        }
    }
    s->path = ts_strdup(path);
    if (!s->path) {
        pqk_close(&s->b.base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = &s->b.base;
    return TS_OK;
}
