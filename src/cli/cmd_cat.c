/* tsarchive cat: print the rows of a Parquet file as canonical JSON Lines
 * or CSV, streaming batch by batch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_io.h"
#include "parquet/pq_reader.h"
#include "pq_text.h"

static const cli_opt opts[] = {
    {.name = "format", .short_name = 'f', .metavar = "jsonl|csv",
     .help = "output format (default jsonl)"},
    {.name = "limit", .short_name = 'n', .metavar = "N", .help = "stop after N rows"},
    {.name = "columns", .short_name = 'c', .metavar = "A,B,...",
     .help = "only these top-level columns, in this order"},
    {.name = "skip-nested", .help = "leave out nested (list/map/struct) columns instead of failing"},
    {.name = "no-verify-crc", .help = "do not check page CRCs"},
    {0},
};

#define FLUSH_AT ((size_t)1 << 16)

static ts_status flush(ts_buf *b, cli_ctx *ctx, ts_error *err)
{
    if (b->len && fwrite(b->data, 1, b->len, ctx->out) != b->len)
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot write to standard output");
    ts_buf_clear(b);
    return TS_OK;
}

static bool csv_needs_quotes(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r') return true;
    return false;
}

static ts_status csv_field(ts_buf *b, const char *p, size_t n)
{
    if (!csv_needs_quotes(p, n)) return ts_buf_append(b, p, n);
    TS_TRY(ts_buf_append_byte(b, '"'));
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') TS_TRY(ts_buf_append_byte(b, '"'));
        TS_TRY(ts_buf_append_byte(b, (uint8_t)p[i]));
    }
    return ts_buf_append_byte(b, '"');
}

/* Splits "a,b,c" into a NUL-separated copy and pointers into it. */
static size_t split_columns(char *s, const char **out, size_t max)
{
    size_t n = 0;
    char *p = s;
    while (n < max) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        out[n++] = p;
        if (!comma) break;
        p = comma + 1;
    }
    return n;
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    ts_error err;
    ts_err_clear(&err);
    const char *fmt = cli_get(a, "format");
    bool csv = false;
    if (fmt && strcmp(fmt, "csv") == 0) csv = true;
    else if (fmt && strcmp(fmt, "jsonl") != 0)
        return cli_usage_error(ctx, a->cmd, "unknown --format '%s' (jsonl or csv)", fmt);
    uint64_t limit = UINT64_MAX;
    if (cli_get(a, "limit") && !cli_get_size(a, ctx, "limit", UINT64_MAX, &limit))
        return CLI_EXIT_USAGE;

    pq_reader_opts o;
    pq_reader_opts_default(&o);
    o.flat_only_projection = cli_flag(a, "skip-nested");
    o.verify_crc = !cli_flag(a, "no-verify-crc");
    char *colbuf = NULL;
    const char *cols[256];
    if (cli_get(a, "columns")) {
        colbuf = ts_strdup(cli_get(a, "columns"));
        if (!colbuf) return CLI_EXIT_ERROR;
        o.ncolumns = split_columns(colbuf, cols, 256);
        o.columns = cols;
    }

    ts_input *in = NULL;
    pq_reader *r = NULL;
    ts_buf out;
    ts_buf_init(&out, (size_t)1 << 30);
    int rc = CLI_EXIT_OK;
    ts_status st = ts_input_file(a->pos[0], &in, &err);
    if (st == TS_OK) st = pq_reader_open(in, &o, &r, &err);
    if (st != TS_OK) goto fail;

    size_t ncol = pq_reader_ncolumns(r);
    const ts_schema *sc = pq_reader_schema(r);
    /* JSON keys are the same for every row: render them once. */
    ts_buf keys;
    ts_buf_init(&keys, (size_t)64 << 20);
    size_t *koff = ts_calloc(ncol + 1, sizeof *koff);
    if (!koff) {
        st = ts_err_set(&err, TS_ERR_NOMEM, "out of memory");
        ts_buf_free(&keys);
        goto fail;
    }
    for (size_t i = 0; i < ncol && st == TS_OK; i++) {
        koff[i] = keys.len;
        st = ts_buf_append_str(&keys, i ? "," : "{");
        if (st == TS_OK) st = pqt_json_str(&keys, sc->fields[i].name, strlen(sc->fields[i].name));
        if (st == TS_OK) st = ts_buf_append_byte(&keys, ':');
    }
    koff[ncol] = keys.len;
    if (csv && st == TS_OK) {
        for (size_t i = 0; i < ncol && st == TS_OK; i++) {
            if (i) st = ts_buf_append_byte(&out, ',');
            if (st == TS_OK) st = csv_field(&out, sc->fields[i].name, strlen(sc->fields[i].name));
        }
        if (st == TS_OK) st = ts_buf_append(&out, "\r\n", 2);
    }
    ts_buf cell;
    ts_buf_init(&cell, (size_t)1 << 30);
    uint64_t rows = 0;
    while (st == TS_OK && rows < limit) {
        if (ctx->cancel && *ctx->cancel) {
            st = ts_err_set(&err, TS_ERR_CANCELLED, "interrupted");
            break;
        }
        const ts_batch *b;
        st = pq_reader_next(r, &b, &err);
        if (st != TS_OK || !b) break;
        for (size_t row = 0; row < b->nrows && rows < limit && st == TS_OK; row++, rows++) {
            for (size_t i = 0; i < ncol && st == TS_OK; i++) {
                const pq_column_info *ci = pq_reader_column(r, i);
                if (csv) {
                    if (i) st = ts_buf_append_byte(&out, ',');
                    if (ci->type == TS_TYPE_STRING && ci->kind != PQ_VK_BINARY &&
                        ts_batch_valid(b, i, row)) {
                        const ts_str *s = &b->cols[i].v.str[row];
                        if (st == TS_OK) st = csv_field(&out, s->ptr, s->len);
                    } else if (st == TS_OK) {
                        st = pqt_cell(&out, b, i, row, ci, false);
                    }
                } else {
                    st = ts_buf_append(&out, keys.data + koff[i], koff[i + 1] - koff[i]);
                    if (st == TS_OK) st = pqt_cell(&out, b, i, row, ci, true);
                }
            }
            if (st == TS_OK) st = csv ? ts_buf_append(&out, "\r\n", 2)
                                      : ts_buf_append(&out, ncol ? "}\n" : "{}\n", ncol ? 2 : 3);
            if (st == TS_OK && out.len >= FLUSH_AT) st = flush(&out, ctx, &err);
        }
        if (st != TS_OK && err.code == TS_OK) ts_err_set(&err, st, "cannot format rows");
    }
    if (st == TS_OK) st = flush(&out, ctx, &err);
    if (st == TS_OK && fflush(ctx->out) != 0)
        st = ts_err_errno(&err, TS_ERR_IO, errno, "cannot write to standard output");
    if (st == TS_OK && rows < limit && pq_reader_footer_rows(r) != (int64_t)pq_reader_rows_read(r))
        fprintf(ctx->err, "%s cat: warning: the footer says %lld rows but the row groups held %llu\n",
                ctx->prog, (long long)pq_reader_footer_rows(r),
                (unsigned long long)pq_reader_rows_read(r));
    if (st == TS_OK && pq_reader_warnings(r))
        fprintf(ctx->err, "%s cat: warning: %llu timestamp/date values outside the int64-nanosecond "
                "range (years 1677..2262) were printed as null\n", ctx->prog,
                (unsigned long long)pq_reader_warnings(r));
    ts_buf_free(&cell);
    ts_buf_free(&keys);
    ts_free(koff);
fail:
    if (st != TS_OK) {
        (void)flush(&out, ctx, &err);
        fflush(ctx->out);
        rc = cli_fail(ctx, &err);
    }
    ts_buf_free(&out);
    pq_reader_free(r);
    ts_input_close(in);
    ts_free(colbuf);
    return rc;
}

const cli_cmd cmd_cat = {
    .name = "cat",
    .summary = "Print the rows of a Parquet file as JSON Lines or CSV.",
    .usage = "[--format jsonl|csv] [--limit N] [--columns A,B] FILE.parquet",
    .description =
        "Reads FILE.parquet and prints its rows, streaming (memory follows one batch of\n"
        "up to 65536 rows and one page per column, not the file).\n"
        "\n"
        "--format jsonl (the default) prints one JSON object per row, keys in column\n"
        "order, in the canonical encoding our tests compare against other readers:\n"
        "null; true/false; integers as numbers when |v| < 2^53, else as strings of\n"
        "digits; doubles in their shortest round-trip form (\"NaN\", \"Infinity\",\n"
        "\"-Infinity\" as strings); timestamps as RFC 3339 UTC strings with 9 fraction\n"
        "digits; DATE columns as \"YYYY-MM-DD\"; DECIMAL columns as exact decimal text;\n"
        "strings as ASCII-only JSON (non-ASCII as \\u escapes, invalid UTF-8 bytes as\n"
        "\\ufffd); binary columns without a string annotation as \"hex:<hex digits>\".\n"
        "--format csv prints RFC 4180 CSV with a header line and CRLF line ends; NULL\n"
        "is an empty field, string bytes are written as stored.\n"
        "\n"
        "Flat schemas only: a file with list, map, struct or repeated columns is refused\n"
        "(exit 1, \"not supported: nested column ...\") unless --skip-nested or --columns\n"
        "names only flat columns. INT96 and millisecond/microsecond timestamps outside\n"
        "the int64-nanosecond range (years 1677..2262) print as null with a warning.\n"
        "UINT_64 values above 2^63-1 are refused. Page CRCs are verified when present.\n"
        "\n"
        "Exit codes: 0 ok, 1 unreadable/damaged/unsupported file, 2 usage,\n"
        "4 file not found.\n"
        "\n"
        "Examples:\n"
        "  tsarchive cat data.parquet | head\n"
        "  tsarchive cat --format csv --columns time,value --limit 100 data.parquet\n",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
