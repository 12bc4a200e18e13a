/* Opening a source or sink by format for a path, and the splitting sink that
 * writes one file per table when the output name holds "{table}". */
#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

ts_status fmt_source_open(const char *path, fmt_kind kind, const fmt_read_opts *o, ts_source **out,
                          ts_error *err)
{
    *out = NULL;
    if (kind == FMT_NONE) kind = fmt_kind_from_path(path, NULL);
    if (kind == FMT_PARQUET) return fmt_parquet_source_open(path, o, out, err);
    fmt_text_in *in;
    /* Every text reader may read twice (LP's schema pass, type inference),
     * so standard input is spooled to a temp file. */
    TS_TRY(fmt_text_in_open(path, true, &in, err));
    if (kind == FMT_NONE) {
        const uint8_t *p;
        size_t n;
        ts_status st = fmt_text_in_peek(in, &p, &n, err);
        if (st != TS_OK) {
            fmt_text_in_free(in);
            return st;
        }
        kind = fmt_kind_sniff(p, n);
        if (kind == FMT_PARQUET && strcmp(path, "-") != 0) {
            fmt_text_in_free(in);
            return fmt_parquet_source_open(path, o, out, err);
        }
        if (kind == FMT_NONE || kind == FMT_PARQUET) {
            fmt_text_in_free(in);
            return ts_err_set(err, TS_ERR_USAGE,
                              "cannot tell the format of %s from its name; pass --from-format "
                              "parquet|lp|csv|jsonl",
                              path);
        }
    }
    switch (kind) {
    case FMT_LP: return lp_source_new(in, o, out, err);
    case FMT_CSV: return csv_source_new(in, o, out, err);
    case FMT_JSONL: return jsonl_source_new(in, o, out, err);
    case FMT_PARQUET:
    case FMT_NONE: break;
    }
    fmt_text_in_free(in);
    return ts_err_set(err, TS_ERR_INTERNAL, "unhandled format");
}

ts_status fmt_sink_open(const char *path, fmt_kind kind, fmt_compress comp, const fmt_write_opts *o,
                        ts_sink **out, ts_error *err)
{
    *out = NULL;
    if (kind == FMT_PARQUET) return fmt_parquet_sink_open(path, o, out, err);
    ts_output *raw;
    TS_TRY(fmt_output_open(path, &raw, err));
    fmt_text_out *t;
    TS_TRY(fmt_text_out_new(raw, comp, &t, err));
    ts_status st = fmt_text_out_start_thread(t, err);
    if (st != TS_OK) {
        fmt_text_out_free(t);
        return st;
    }
    switch (kind) {
    case FMT_LP: return lp_sink_new(t, o, out, err);
    case FMT_CSV: return csv_sink_new(t, o, out, err);
    case FMT_JSONL: return jsonl_sink_new(t, o, out, err);
    case FMT_PARQUET:
    case FMT_NONE: break;
    }
    fmt_text_out_free(t);
    return ts_err_set(err, TS_ERR_USAGE, "cannot tell the output format of %s; pass --to-format", path);
}

/* ---- one file per table ---- */

typedef struct split_child {
    char *table;
    ts_sink *sink;
} split_child;

typedef struct split_sink {
    fmt_sink_base b;
    char *pattern;
    fmt_kind kind;
    fmt_compress comp;
    fmt_write_opts o;
    split_child *c;
    size_t n, cap;
} split_sink;

#define SPLIT_MAX_OPEN 1024

static void split_sum(split_sink *s)
{
    fmt_counts t = {0};
    for (size_t i = 0; i < s->n; i++) {
        const fmt_counts *k = fmt_sink_counts(s->c[i].sink);
        if (!k) continue;
        t.rows += k->rows;
        t.bad_lines += k->bad_lines;
        t.all_null_rows += k->all_null_rows;
        t.bad_rows += k->bad_rows;
    }
    s->b.counts = t;
}

/* A table name as a file-name piece: '/' and control bytes become '_', and
 * a name of only dots is refused, so no table can climb out of the directory. */
static ts_status path_for(const split_sink *s, const char *table, ts_buf *out, ts_error *err)
{
    ts_buf_clear(out);
    const char *p = s->pattern;
    const char *hit;
    while ((hit = strstr(p, "{table}")) != NULL) {
        TS_TRY(ts_buf_append(out, p, (size_t)(hit - p)));
        bool dots = true;
        for (const char *t = table; *t; t++) {
            unsigned char ch = (unsigned char)*t;
            if (ch != '.') dots = false;
            TS_TRY(ts_buf_append_byte(out, (ch == '/' || ch == '\\' || ch < 0x20) ? '_' : ch));
        }
        if (dots)
            return ts_err_set(err, TS_ERR_USAGE, "table name '%s' cannot be used as a file name", table);
        p = hit + 7;
    }
    TS_TRY(ts_buf_append_str(out, p));
    return ts_buf_nul(out);
}

static ts_status split_write(ts_sink *sk, const ts_batch *b, ts_error *err)
{
    split_sink *s = (split_sink *)sk;
    const char *table = b->table ? b->table : "data";
    split_child *ch = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->c[i].table, table) == 0) ch = &s->c[i];
    if (!ch) {
        if (s->n >= SPLIT_MAX_OPEN)
            return ts_err_set(err, TS_ERR_LIMIT, "more than %d tables to split into files", SPLIT_MAX_OPEN);
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 8;
            split_child *a = ts_realloc(s->c, nc * sizeof *a);
            if (!a) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            s->c = a;
            s->cap = nc;
        }
        ts_buf path;
        ts_buf_init(&path, 8192);
        ts_status st = path_for(s, table, &path, err);
        ch = &s->c[s->n];
        ch->table = ts_strdup(table);
        ch->sink = NULL;
        if (st == TS_OK && !ch->table) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        /* the pattern may put tables in directories ("out/{table}/data.parquet") */
        char *slash = st == TS_OK ? strrchr((char *)path.data, '/') : NULL;
        if (slash && slash != (char *)path.data) {
            *slash = 0;
            st = ts_mkdirs((const char *)path.data, err);
            *slash = '/';
        }
        if (st == TS_OK) st = fmt_sink_open((const char *)path.data, s->kind, s->comp, &s->o, &ch->sink, err);
        ts_buf_free(&path);
        if (st != TS_OK) {
            ts_free(ch->table);
            return st;
        }
        s->n++;
    }
    ts_status st = ts_sink_write(ch->sink, b, err);
    split_sum(s);
    return st;
}

static ts_status split_finish(ts_sink *sk, ts_error *err)
{
    split_sink *s = (split_sink *)sk;
    for (size_t i = 0; i < s->n; i++) {
        ts_status st = ts_sink_finish(s->c[i].sink, err);
        if (st != TS_OK) return st;
    }
    split_sum(s);
    return TS_OK;
}

static void split_close(ts_sink *sk)
{
    split_sink *s = (split_sink *)sk;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        ts_sink_close(s->c[i].sink);
        ts_free(s->c[i].table);
    }
    ts_free(s->c);
    ts_free(s->pattern);
    ts_free((char *)s->o.measurement);
    ts_free((char *)s->o.measurement_column);
    ts_free((char *)s->o.codec);
    ts_free(s);
}

static const ts_sink_ops split_ops = {
    .kind = "split", .write = split_write, .finish = split_finish, .close = split_close};

ts_status fmt_split_sink_new(const char *pattern, fmt_kind kind, fmt_compress comp,
                             const fmt_write_opts *o, ts_sink **out, ts_error *err)
{
    *out = NULL;
    split_sink *s = ts_calloc(1, sizeof *s);
    if (!s) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    s->b.base.ops = &split_ops;
    s->kind = kind;
    s->comp = comp;
    if (o) s->o = *o;
    s->o.measurement = o && o->measurement ? ts_strdup(o->measurement) : NULL;
    s->o.measurement_column = o && o->measurement_column ? ts_strdup(o->measurement_column) : NULL;
    s->o.codec = o && o->codec ? ts_strdup(o->codec) : NULL;
    s->pattern = ts_strdup(pattern);
    if (!s->pattern) {
        split_close(&s->b.base);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    *out = &s->b.base;
    return TS_OK;
}
