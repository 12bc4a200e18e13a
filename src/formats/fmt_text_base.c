/* The plumbing the CSV and JSON Lines sources and sinks share: allocation,
 * the options and table name a source reads with, its batch, and a sink's
 * row loop, so each format's file keeps only its syntax. */
#include <string.h>

#include "core/ts_alloc.h"
#include "formats/fmt.h"
#include "formats/fmt_internal.h"

/* ---- sources ---- */

void *fmt_source_alloc(size_t size, const ts_source_ops *ops, fmt_text_in *in, ts_error *err)
{
    fmt_source_base *s = ts_calloc(1, size);
    if (!s) {
        fmt_text_in_free(in);
        ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->base.ops = ops;
    return s;
}

/* "dir/energy.csv.gz" -> "energy"; "data" for standard input. */
static char *table_from_name(const char *name)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    size_t n = strcspn(b, ".");
    if (n == 0 || strcmp(name, "standard input") == 0) return ts_strdup("data");
    return ts_strndup(b, n);
}

ts_status fmt_source_opts(const fmt_read_opts *o, const fmt_text_in *in, fmt_read_opts *dst, char **table,
                          ts_error *err)
{
    if (o)
        *dst = *o;
    else
        fmt_read_opts_init(dst);
    if (!dst->infer_rows) dst->infer_rows = FMT_DEFAULT_INFER_ROWS;
    *table = dst->table ? ts_strdup(dst->table) : table_from_name(fmt_text_in_name(in));
    if (!*table) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    dst->table = *table;
    return TS_OK;
}

ts_status fmt_source_batch(ts_batch *b, const ts_schema *schema, const fmt_read_opts *o, const char *table,
                           bool *has_batch, ts_error *err)
{
    size_t cap = o->batch_rows ? o->batch_rows : TS_BATCH_DEFAULT_ROWS;
    if (ts_batch_init(b, schema, cap) != TS_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory for a batch of %zu rows", cap);
    *has_batch = true;
    b->table = table;
    return TS_OK;
}

/* ---- sinks ---- */

void *fmt_text_sink_alloc(size_t size, const ts_sink_ops *ops, fmt_text_out *out, ts_error *err)
{
    fmt_text_sink *s = ts_calloc(1, size);
    if (!s) {
        fmt_text_out_free(out);
        ts_err_set(err, TS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->b.base.ops = ops;
    s->out = out;
    ts_buf_init(&s->line, TS_MAX_LINE);
    return s;
}

ts_status fmt_text_sink_rows(fmt_text_sink *s, const ts_batch *b, fmt_record_fn fn, const char *format_name,
                             ts_error *err)
{
    fmt_row x = {s, b, 0};
    for (size_t r = 0; r < b->nrows; r++) {
        x.r = r;
        ts_status st = fmt_text_out_record(s->out, &s->line, fn, &x, err);
        if (st == TS_ERR_LIMIT || st == TS_ERR_NOMEM)
            return ts_err_set(err, st, "row too large for %s output", format_name);
        if (st != TS_OK) return st;
        s->b.counts.rows++;
    }
    return TS_OK;
}

ts_status fmt_text_sink_finish(ts_sink *sk, ts_error *err)
{
    return fmt_text_out_finish(((fmt_text_sink *)sk)->out, err);
}

void fmt_text_sink_release(fmt_text_sink *s)
{
    fmt_text_out_free(s->out);
    ts_buf_free(&s->line);
}
