/* Flat Parquet reader: footer validation, schema mapping, and a page loop
 * per column that decodes straight into row-group-aligned batches. Every
 * size read from the file is checked against the column chunk and the file
 * before it is used; every count is cross-checked. */
#include "parquet/pq_reader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_decode.h"
#include "parquet/pq_le.h"
#include "parquet/pq_rle.h"

#define MAX_BATCH_ROWS 65536u
/* A page header (with statistics) larger than this is refused. */
#define MAX_PAGE_HEADER ((size_t)16 << 20)
#define FIRST_HEADER_WINDOW ((size_t)16 << 10)

typedef struct col_state {
    pq_column_info info;
    int32_t type_len;
    /* current column chunk */
    const pq_column_chunk *cc;
    uint64_t chunk_end, off;   /* file offsets: end of chunk, next page header */
    pq_codec codec;
    int64_t values_seen;       /* sum of data page num_values */
    size_t page_no;            /* pages read in this chunk (1-based once read) */
    uint64_t page_off;         /* offset of the current page's header */
    bool data_seen;            /* a data page was read in this chunk */
    /* dictionary of the current chunk */
    bool has_dict;
    size_t dict_n;
    ts_buf dict_vals;          /* typed values (ts_str for byte arrays) */
    ts_buf dict_bytes;         /* page bytes the ts_str entries point into */
    /* current data page */
    ts_buf hdr, raw, page;
    uint64_t page_left;        /* level entries not yet consumed */
    bool def_rle;              /* def levels: RLE hybrid (else deprecated BIT_PACKED) */
    pq_rle_dec def;
    const uint8_t *bp_levels;  /* BIT_PACKED levels */
    size_t bp_len;
    uint64_t bp_pos;
    pq_dec dec;
    bool dec_live;
    ts_buf scratch;
    /* per-batch scratch */
    uint32_t *levels;
    void *vals;
} col_state;

struct pq_reader {
    ts_input *in;
    pq_reader_opts opts;
    ts_arena arena;
    pq_file_meta meta;
    uint64_t data_end;         /* where column data must end: start of the footer */
    ts_schema schema;
    col_state *cols;
    size_t ncols, skipped;
    ts_batch batch;
    bool batch_init;
    size_t rg;                 /* next row group to open */
    uint64_t rg_left;
    bool rg_open;
    uint64_t rows_read;
    int64_t rg_rows_total;
    uint64_t warnings;
    ts_status failed;
    pq_codec_ctx *codec;
};

void pq_reader_opts_default(pq_reader_opts *o)
{
    memset(o, 0, sizeof *o);
    o->verify_crc = true;
    o->batch_rows = MAX_BATCH_ROWS;
}

/* ---- small helpers ---- */

bool pq_int96_to_ns(const uint8_t *p, int64_t *ns)
{
    int64_t nanos = (int64_t)pq_le64(p);
    int64_t jd = (int32_t)pq_le32(p + 8);
    int64_t days = jd - 2440588, r;
    if (__builtin_mul_overflow(days, TS_NS_PER_DAY, &r)) return false;
    if (__builtin_add_overflow(r, nanos, &r)) return false;
    *ns = r;
    return true;
}

size_t pq_decimal_text(const uint8_t *be, size_t len, int32_t scale, char *out, size_t outsz)
{
    uint8_t mag[32];
    char digits[96];
    if (len == 0 || len > sizeof mag) return 0;
    bool neg = be[0] & 0x80;
    memcpy(mag, be, len);
    if (neg) { /* two's complement negate */
        unsigned carry = 1;
        for (size_t i = len; i-- > 0;) {
            unsigned v = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    size_t nd = 0;
    for (;;) { /* repeated division by 10, most significant byte first */
        unsigned rem = 0;
        bool nonzero = false;
        for (size_t i = 0; i < len; i++) {
            unsigned cur = rem * 256 + mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (mag[i]) nonzero = true;
        }
        digits[nd++] = (char)('0' + rem);
        if (!nonzero) break;
    }
    /* digits are reversed; pad so that there is one digit before the point */
    if (scale > 0)
        while (nd < (size_t)scale + 1 && nd < sizeof digits) digits[nd++] = '0';
    size_t need = nd + (neg ? 1 : 0) + (scale > 0 ? 1 : 0);
    if (need + 1 > outsz || (scale > 0 && (size_t)scale >= nd)) return 0;
    size_t o = 0;
    if (neg) out[o++] = '-';
    for (size_t i = nd; i-- > 0;) {
        out[o++] = digits[i];
        if (scale > 0 && i == (size_t)scale) out[o++] = '.';
    }
    out[o] = 0;
    return o;
}

size_t pq_decimal_text_i64(int64_t v, int32_t scale, char *out, size_t outsz)
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    return pq_decimal_text(be, 8, scale, out, outsz);
}

/* ---- schema mapping ---- */

static bool is_group(const pq_schema_element *se)
{
    return !se->has_type || (se->has_num_children && se->num_children > 0);
}

/* Index one past the subtree rooted at idx. */
static size_t subtree_end(const pq_file_meta *m, size_t idx)
{
    size_t j = idx;
    uint64_t pending = 1;
    while (pending > 0 && j < m->nschema) {
        pending--;
        if (is_group(&m->schema[j]) && m->schema[j].has_num_children && m->schema[j].num_children > 0)
            pending += (uint64_t)m->schema[j].num_children;
        j++;
    }
    return j;
}

static size_t leaves_in(const pq_file_meta *m, size_t idx, size_t end)
{
    size_t n = 0;
    for (size_t j = idx; j < end; j++)
        if (!is_group(&m->schema[j])) n++;
    return n;
}

/* "a.list.element": names down the first-child chain. */
static void nested_path(const pq_file_meta *m, size_t idx, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t j = idx; j < m->nschema; j++) {
        int w = snprintf(out + o, outsz - o, "%s%s", o ? "." : "", m->schema[j].name);
        if (w < 0 || (size_t)w >= outsz - o) break;
        o += (size_t)w;
        if (!is_group(&m->schema[j])) break;
    }
}

static void set_kind(pq_column_info *ci, pq_value_kind kind, ts_type type, int64_t unit_ns)
{
    ci->kind = kind;
    ci->type = type;
    ci->unit_ns = unit_ns;
}

static ts_status map_column(col_state *c, const pq_schema_element *se, ts_error *err)
{
    pq_column_info *ci = &c->info;
    const pq_logical *lt = &se->logical;
    int ct = se->has_converted_type ? (int)se->converted_type : -1;
    ci->phys = se->type;
    c->type_len = se->has_type_length ? se->type_length : 0;
    ci->max_def = se->has_repetition && se->repetition == PQ_OPTIONAL ? 1 : 0;
    bool decimal = lt->kind == PQ_LT_DECIMAL || ct == PQ_CT_DECIMAL;
    if (decimal) ci->scale = lt->kind == PQ_LT_DECIMAL ? lt->scale : (se->has_scale ? se->scale : 0);
    if (decimal && (ci->scale < 0 || ci->scale > 76))
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "DECIMAL scale %d is not supported", (int)ci->scale);
    bool ts_ann = lt->kind == PQ_LT_TIMESTAMP || ct == PQ_CT_TIMESTAMP_MILLIS ||
                  ct == PQ_CT_TIMESTAMP_MICROS;
    bool time_ann = lt->kind == PQ_LT_TIME || ct == PQ_CT_TIME_MILLIS || ct == PQ_CT_TIME_MICROS;
    bool date_ann = lt->kind == PQ_LT_DATE || ct == PQ_CT_DATE;
    int64_t unit_ns = 0;
    if (lt->kind == PQ_LT_TIMESTAMP || lt->kind == PQ_LT_TIME) {
        unit_ns = lt->unit == PQ_UNIT_MILLIS ? 1000000 : lt->unit == PQ_UNIT_MICROS ? 1000
                  : lt->unit == PQ_UNIT_NANOS ? 1 : 0;
        if (!unit_ns)
            return ts_err_set(err, TS_ERR_UNSUPPORTED, "unknown TIMESTAMP/TIME unit");
    } else if (ct == PQ_CT_TIMESTAMP_MILLIS || ct == PQ_CT_TIME_MILLIS) {
        unit_ns = 1000000;
    } else if (ct == PQ_CT_TIMESTAMP_MICROS || ct == PQ_CT_TIME_MICROS) {
        unit_ns = 1000;
    }
    bool uns = (lt->kind == PQ_LT_INTEGER && !lt->is_signed) ||
               (ct >= PQ_CT_UINT_8 && ct <= PQ_CT_UINT_64);
    switch (se->type) {
    case PQ_BOOLEAN:
        set_kind(ci, PQ_VK_BOOL, TS_TYPE_BOOL, 0);
        break;
    case PQ_INT32:
    case PQ_INT64: {
        /* The same annotations on both widths, but for TIMESTAMP (INT64
         * only), DATE (INT32 only) and unsigned 64-bit values. */
        bool i64 = se->type == PQ_INT64;
        if (i64 ? date_ann : ts_ann)
            return ts_err_set(err, TS_ERR_UNSUPPORTED,
                              "invalid annotation: %s on an %s column (must be %s)",
                              i64 ? "DATE" : "TIMESTAMP", i64 ? "INT64" : "INT32", i64 ? "INT32" : "INT64");
        if (date_ann)
            set_kind(ci, PQ_VK_DATE, TS_TYPE_TIMESTAMP, TS_NS_PER_DAY);
        else if (ts_ann)
            set_kind(ci, PQ_VK_TIMESTAMP, TS_TYPE_TIMESTAMP, unit_ns);
        else if (decimal)
            set_kind(ci, PQ_VK_DECIMAL, TS_TYPE_STRING, 0);
        else if (time_ann)
            set_kind(ci, PQ_VK_TIME, TS_TYPE_INT64, unit_ns);
        else if (uns && i64) { /* as text, exact whatever the value: above 2^63-1 does not fit INT64 */
            set_kind(ci, PQ_VK_UINT64, TS_TYPE_STRING, 0);
            ci->is_unsigned = true;
        } else {
            set_kind(ci, PQ_VK_INT, TS_TYPE_INT64, 0);
            ci->is_unsigned = uns;
        }
        break;
    }
    case PQ_INT96:
        set_kind(ci, PQ_VK_TIMESTAMP, TS_TYPE_TIMESTAMP, 1);
        break;
    case PQ_FLOAT:
    case PQ_DOUBLE:
        set_kind(ci, PQ_VK_DOUBLE, TS_TYPE_DOUBLE, 0);
        break;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (c->type_len <= 0)
            return ts_err_set(err, TS_ERR_CORRUPT, "FIXED_LEN_BYTE_ARRAY without a type_length");
        /* fall through */
    case PQ_BYTE_ARRAY:
        ci->type = TS_TYPE_STRING;
        if (decimal) {
            ci->kind = PQ_VK_DECIMAL;
        } else if (lt->kind == PQ_LT_STRING || lt->kind == PQ_LT_ENUM || lt->kind == PQ_LT_JSON ||
                   ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON) {
            ci->kind = PQ_VK_STRING;
        } else {
            ci->kind = PQ_VK_BINARY;
        }
        break;
    default:
        return ts_err_set(err, TS_ERR_CORRUPT, "unknown physical type %d", (int)se->type);
    }
    return TS_OK;
}

ts_status pq_describe_column(const pq_schema_element *se, pq_column_info *out, ts_error *err)
{
    col_state c;
    memset(&c, 0, sizeof c);
    c.info.name = se->name;
    c.info.se = se;
    ts_status st = map_column(&c, se, err);
    *out = c.info;
    return st;
}

static ts_role guess_role(const pq_column_info *ci)
{
    if (ci->type == TS_TYPE_TIMESTAMP && strcmp(ci->name, "time") == 0) return TS_ROLE_TIME;
    if (strcmp(ci->name, "measure_name") == 0) return TS_ROLE_MEASURE_NAME;
    if (ci->kind == PQ_VK_STRING) return TS_ROLE_DIMENSION;
    return TS_ROLE_MEASURE;
}

/* ---- open ---- */

static const uint8_t MAGIC[4] = {'P', 'A', 'R', '1'};

static ts_status read_footer(pq_reader *r, ts_error *err)
{
    ts_input *in = r->in;
    if (in->size < 12)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "not a Parquet file: %" PRIu64 " bytes is too short", in->size);
    uint8_t tail[8], head[4];
    TS_TRY(ts_input_read_at(in, in->size - 8, tail, 8, err));
    TS_TRY(ts_input_read_at(in, 0, head, 4, err));
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "encrypted Parquet files are not supported");
    if (memcmp(tail + 4, MAGIC, 4) != 0)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "not a Parquet file: no PAR1 magic at the end (truncated or another format)");
    if (memcmp(head, MAGIC, 4) != 0)
        return ts_err_set(err, TS_ERR_CORRUPT, "not a Parquet file: no PAR1 magic at the start");
    uint32_t flen = pq_le32(tail);
    if (flen == 0 || (uint64_t)flen > in->size - 12)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "footer length %u does not fit in the %" PRIu64 "-byte file", flen,
                          in->size);
    if (flen > TS_MAX_PQ_FOOTER)
        return ts_err_set(err, TS_ERR_LIMIT, "footer of %u bytes is above the %zu-byte limit",
                          flen, (size_t)TS_MAX_PQ_FOOTER);
    uint8_t *buf = ts_malloc(flen);
    if (!buf) return ts_err_set(err, TS_ERR_NOMEM, "out of memory for a %u-byte footer", flen);
    uint64_t foff = in->size - 8 - flen;
    ts_status st = ts_input_read_at(in, foff, buf, flen, err);
    if (st == TS_OK) {
        st = pq_meta_decode_file(buf, flen, &r->meta, &r->arena, err);
        if (st != TS_OK) ts_err_context(err, "footer at offset %" PRIu64, foff);
    }
    ts_free(buf);
    r->data_end = foff;
    /* A plaintext footer with encryption fields: plaintext columns stay
     * readable; encrypted column chunks are refused when reached. */
    return st;
}

static ts_status build_columns(pq_reader *r, ts_error *err)
{
    const pq_file_meta *m = &r->meta;
    if (m->nschema < 1 || !is_group(&m->schema[0]))
        return ts_err_set(err, TS_ERR_CORRUPT, "schema has no root group");
    size_t ntop = m->schema[0].has_num_children && m->schema[0].num_children > 0
                      ? (size_t)m->schema[0].num_children : 0;
    /* top-level fields: schema index + leaf index, nested or not */
    size_t *top_idx = ts_calloc(ntop ? ntop : 1, sizeof *top_idx);
    size_t *top_leaf = ts_calloc(ntop ? ntop : 1, sizeof *top_leaf);
    bool *top_nested = ts_calloc(ntop ? ntop : 1, sizeof *top_nested);
    ts_status st = TS_OK;
    if (!top_idx || !top_leaf || !top_nested) {
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory mapping the schema");
        goto done;
    }
    size_t j = 1, leaf = 0;
    for (size_t t = 0; t < ntop; t++) {
        if (j >= m->nschema) {
            st = ts_err_set(err, TS_ERR_CORRUPT, "schema tree ends early");
            goto done;
        }
        size_t end = subtree_end(m, j);
        const pq_schema_element *se = &m->schema[j];
        top_idx[t] = j;
        top_leaf[t] = leaf;
        top_nested[t] = is_group(se) || (se->has_repetition && se->repetition == PQ_REPEATED);
        if (top_nested[t] && !r->opts.flat_only_projection && !r->opts.columns) {
            char path[512];
            nested_path(m, j, path, sizeof path);
            st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                            "not supported: nested column '%s' (lists, maps, structs and repeated "
                            "fields); this reader reads flat columns only (--columns can pick the "
                            "flat ones)", path);
            goto done;
        }
        leaf += leaves_in(m, j, end);
        j = end;
    }
    if (leaf != m->nleaves) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "schema tree has %zu leaves, footer says %zu", leaf,
                        m->nleaves);
        goto done;
    }
    /* which top-level fields, in which order */
    size_t want = r->opts.columns ? r->opts.ncolumns : ntop;
    r->cols = ts_calloc(want ? want : 1, sizeof *r->cols);
    if (!r->cols) {
        st = ts_err_set(err, TS_ERR_NOMEM, "out of memory mapping the schema");
        goto done;
    }
    for (size_t w = 0; w < want; w++) {
        size_t t;
        if (r->opts.columns) {
            for (t = 0; t < ntop; t++)
                if (strcmp(m->schema[top_idx[t]].name, r->opts.columns[w]) == 0) break;
            if (t == ntop) {
                st = ts_err_set(err, TS_ERR_NOT_FOUND, "no column named '%s' in the file",
                                r->opts.columns[w]);
                goto done;
            }
            if (top_nested[t]) {
                char path[512];
                nested_path(m, top_idx[t], path, sizeof path);
                st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                                "not supported: nested column '%s' (lists, maps, structs and "
                                "repeated fields)", path);
                goto done;
            }
        } else {
            t = w;
            if (top_nested[t]) {
                r->skipped++;
                continue;
            }
        }
        col_state *c = &r->cols[r->ncols];
        const pq_schema_element *se = &m->schema[top_idx[t]];
        c->info.name = se->name;
        c->info.leaf = top_leaf[t];
        c->info.se = se;
        st = map_column(c, se, err);
        if (st != TS_OK) {
            ts_err_context(err, "column '%s'", se->name);
            goto done;
        }
        r->ncols++;
        st = ts_schema_add(&r->schema, se->name, c->info.type, guess_role(&c->info),
                           c->info.max_def > 0);
        if (st != TS_OK) {
            ts_err_set(err, st, "cannot add column '%s' to the schema", se->name);
            goto done;
        }
    }
done:
    ts_free(top_idx);
    ts_free(top_leaf);
    ts_free(top_nested);
    return st;
}

ts_status pq_reader_open(ts_input *in, const pq_reader_opts *opts, pq_reader **out, ts_error *err)
{
    *out = NULL;
    pq_reader *r = ts_calloc(1, sizeof *r);
    if (!r) return ts_err_set(err, TS_ERR_NOMEM, "out of memory opening a Parquet reader");
    r->in = in;
    if (opts) r->opts = *opts;
    else pq_reader_opts_default(&r->opts);
    if (r->opts.batch_rows == 0 || r->opts.batch_rows > MAX_BATCH_ROWS)
        r->opts.batch_rows = MAX_BATCH_ROWS;
    ts_arena_init(&r->arena, 64 * 1024);
    ts_schema_init(&r->schema);
    ts_status st = read_footer(r, err);
    if (st == TS_OK && !r->opts.metadata_only) st = build_columns(r, err);
    if (st == TS_OK) {
        for (size_t g = 0; g < r->meta.nrow_groups; g++) {
            int64_t n = r->meta.row_groups[g].num_rows;
            if (n < 0) {
                st = ts_err_set(err, TS_ERR_CORRUPT, "row group %zu has %" PRId64 " rows", g, n);
                break;
            }
            if (__builtin_add_overflow(r->rg_rows_total, n, &r->rg_rows_total)) {
                st = ts_err_set(err, TS_ERR_CORRUPT, "row group row counts overflow");
                break;
            }
        }
    }
    if (st == TS_OK) st = pq_codec_ctx_new(&r->codec, err);
    if (st == TS_OK) {
        /* Capacity: a batch never spans row groups, so small files get small batches. */
        uint64_t cap = 1;
        for (size_t g = 0; g < r->meta.nrow_groups; g++)
            if ((uint64_t)r->meta.row_groups[g].num_rows > cap)
                cap = (uint64_t)r->meta.row_groups[g].num_rows;
        if (cap > r->opts.batch_rows) cap = r->opts.batch_rows;
        if (ts_batch_init(&r->batch, &r->schema, (size_t)cap) != TS_OK)
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory for a batch");
        r->batch_init = true;
        for (size_t i = 0; st == TS_OK && i < r->ncols; i++) {
            col_state *c = &r->cols[i];
            ts_buf_init(&c->hdr, MAX_PAGE_HEADER + TS_MAX_PQ_PAGE);
            ts_buf_init(&c->raw, TS_MAX_PQ_PAGE);
            ts_buf_init(&c->page, TS_MAX_PQ_PAGE);
            ts_buf_init(&c->dict_vals, (size_t)4 << 30);
            ts_buf_init(&c->dict_bytes, TS_MAX_PQ_PAGE);
            ts_buf_init(&c->scratch, (size_t)64 << 20);
            c->levels = ts_malloc((size_t)cap * sizeof *c->levels);
            c->vals = ts_malloc((size_t)cap * 16);
            if (!c->levels || !c->vals) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory for column buffers");
        }
        if (st == TS_OK) r->batch.table = NULL;
    }
    if (st != TS_OK) {
        ts_err_context(err, "%s", in->name ? in->name : "parquet");
        pq_reader_free(r);
        return st;
    }
    *out = r;
    return TS_OK;
}

/* ---- column chunks and pages ---- */

static ts_status open_chunk(pq_reader *r, col_state *c, size_t g, ts_error *err)
{
    const pq_row_group *rg = &r->meta.row_groups[g];
    if (c->info.leaf >= rg->ncolumns)
        return ts_err_set(err, TS_ERR_CORRUPT, "row group %zu has no chunk for column '%s'", g,
                          c->info.name);
    const pq_column_chunk *cc = &rg->columns[c->info.leaf];
    c->cc = cc;
    if (cc->encrypted)
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "encrypted column '%s' is not supported", c->info.name);
    if (cc->file_path)
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "column '%s' in row group %zu is stored in another file ('%s'): not supported",
                          c->info.name, g, cc->file_path);
    if (!cc->has_meta)
        return ts_err_set(err, TS_ERR_CORRUPT, "column '%s' in row group %zu has no metadata",
                          c->info.name, g);
    const pq_column_meta *md = &cc->meta;
    if (md->type != c->info.phys)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "column '%s' in row group %zu is %s in its chunk but %s in the schema",
                          c->info.name, g, pq_type_name(md->type), pq_type_name(c->info.phys));
    c->codec = (pq_codec)md->codec;
    bool codec_ok = c->codec == PQ_CODEC_UNCOMPRESSED || c->codec == PQ_CODEC_SNAPPY ||
                    c->codec == PQ_CODEC_GZIP || c->codec == PQ_CODEC_ZSTD;
#ifdef HAVE_LZ4
    codec_ok = codec_ok || c->codec == PQ_CODEC_LZ4 || c->codec == PQ_CODEC_LZ4_RAW;
#endif
#ifdef HAVE_BROTLI
    codec_ok = codec_ok || c->codec == PQ_CODEC_BROTLI;
#endif
    if (!codec_ok) {
        if ((unsigned)md->codec <= PQ_CODEC_LZ4_RAW)
            return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported codec %s in column '%s', row group %zu",
                              pq_codec_name(c->codec), c->info.name, g);
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported codec %d in column '%s', row group %zu",
                          (int)md->codec, c->info.name, g);
    }
    int64_t start = md->data_page_offset;
    if (md->has_dictionary_page_offset && md->dictionary_page_offset > 0 &&
        md->dictionary_page_offset < start)
        start = md->dictionary_page_offset;
    if (start < 4 || md->total_compressed_size < 0 || (uint64_t)start > r->data_end ||
        (uint64_t)md->total_compressed_size > r->data_end - (uint64_t)start)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "column '%s' in row group %zu: chunk at offset %" PRId64 " of %" PRId64
                          " bytes lies outside the data area (4..%" PRIu64 ")",
                          c->info.name, g, start, md->total_compressed_size, r->data_end);
    c->off = (uint64_t)start;
    c->chunk_end = (uint64_t)start + (uint64_t)md->total_compressed_size;
    c->values_seen = 0;
    c->page_no = 0;
    c->page_left = 0;
    c->has_dict = false;
    c->dict_n = 0;
    c->data_seen = false;
    if (c->dec_live) pq_dec_free(&c->dec);
    c->dec_live = false;
    return TS_OK;
}

#define PAGE_ERR(c, r, code, ...)                                                          \
    page_err((c), (r), (code), err, __VA_ARGS__)

static ts_status page_err(col_state *c, pq_reader *r, ts_status code, ts_error *err,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static ts_status page_err(col_state *c, pq_reader *r, ts_status code, ts_error *err,
                          const char *fmt, ...)
{
    if (err && err->code != TS_OK) {
        /* A lower layer already said what; add where. */
        ts_err_context(err, "column '%s', row group %zu, page %zu (offset %" PRIu64 ")",
                       c->info.name, r->rg - 1, c->page_no, c->page_off);
        return err->code;
    }
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ts_err_set(err, code, "%s in column '%s', row group %zu, page %zu (offset %" PRIu64 ")",
                      msg, c->info.name, r->rg - 1, c->page_no, c->page_off);
}

/* Decodes a dictionary page's entries into c->dict_vals. */
static ts_status load_dict(pq_reader *r, col_state *c, const pq_page_header *h, const uint8_t *p,
                           size_t n, ts_error *err)
{
    if (c->has_dict || c->data_seen)
        return PAGE_ERR(c, r, TS_ERR_CORRUPT, "a second dictionary page, or one after data pages");
    int32_t nv = h->dict_page.num_values;
    if (nv < 0) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "dictionary page with %d entries", (int)nv);
    if (h->dict_page.encoding != PQ_ENC_PLAIN && h->dict_page.encoding != PQ_ENC_PLAIN_DICTIONARY)
        return PAGE_ERR(c, r, TS_ERR_UNSUPPORTED, "dictionary page encoding %s",
                        pq_encoding_name(h->dict_page.encoding));
    /* Every entry takes at least one bit; more entries than that is a lie. */
    if ((uint64_t)nv > (uint64_t)n * 8)
        return PAGE_ERR(c, r, TS_ERR_CORRUPT, "dictionary claims %d entries in %zu bytes", (int)nv, n);
    size_t es = pq_dec_elem_size(c->info.phys, false);
    ts_buf_clear(&c->dict_vals);
    TS_TRY(ts_buf_reserve(&c->dict_vals, (size_t)nv * es + 1));
    pq_dec d;
    ts_status st = pq_dec_init(&d, PQ_ENC_PLAIN, c->info.phys, c->type_len, p, n, &c->scratch, err);
    if (st == TS_OK) st = pq_dec_read(&d, c->dict_vals.data, (size_t)nv, NULL, err);
    pq_dec_free(&d);
    if (st != TS_OK) {
        ts_err_context(err, "dictionary page %zu of column '%s', row group %zu", c->page_no,
                       c->info.name, r->rg - 1);
        return st;
    }
    c->dict_n = (size_t)nv;
    c->has_dict = true;
    return TS_OK;
}

/* Refuses a page whose header claims more bytes than its payload can hold
 * under the codec, before anything is allocated for it. */
static ts_status check_bound(pq_reader *r, col_state *c, const uint8_t *src, size_t n, size_t want,
                             ts_error *err)
{
    size_t bound = pq_decompress_bound(c->codec, src, n);
    if (want > bound)
        return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                        "page claims %zu bytes uncompressed but its %zu %s bytes hold at most %zu",
                        want, n, pq_codec_name(c->codec), bound);
    return TS_OK;
}

/* Reads pages until a data page is loaded (*got = true) or the chunk ends. */
static ts_status next_page(pq_reader *r, col_state *c, bool *got, ts_error *err)
{
    *got = false;
    for (;;) {
        if (c->off >= c->chunk_end) return TS_OK;
        uint64_t remaining = c->chunk_end - c->off;
        size_t window = remaining < FIRST_HEADER_WINDOW ? (size_t)remaining : FIRST_HEADER_WINDOW;
        pq_page_header h;
        size_t hlen = 0;
        c->page_no++;
        c->page_off = c->off;
        for (;;) {
            ts_buf_clear(&c->hdr);
            TS_TRY(ts_buf_reserve(&c->hdr, window));
            TS_TRY(ts_input_read_at(r->in, c->off, c->hdr.data, window, err));
            c->hdr.len = window;
            ts_error e2;
            ts_err_clear(&e2);
            ts_status st = pq_page_header_decode_at(c->hdr.data, window, c->off, &h, &hlen, &e2);
            if (st == TS_OK) break;
            if (st == TS_ERR_CORRUPT && window < remaining && window < MAX_PAGE_HEADER) {
                window = remaining < (uint64_t)window * 8 ? (size_t)remaining : window * 8;
                if (window > MAX_PAGE_HEADER) window = MAX_PAGE_HEADER;
                continue;
            }
            ts_err_set(err, st, "unreadable page header: %s", e2.msg);
            return PAGE_ERR(c, r, st, "unreadable page header");
        }
        uint64_t cs = (uint64_t)h.compressed_page_size, us = (uint64_t)h.uncompressed_page_size;
        if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 || cs > remaining - hlen)
            return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                            "page of %d bytes overruns its column chunk (%" PRIu64 " bytes left)",
                            h.compressed_page_size, remaining - hlen);
        if (us > TS_MAX_PQ_PAGE)
            return PAGE_ERR(c, r, TS_ERR_LIMIT, "page of %" PRIu64 " bytes is above the limit", us);
        const uint8_t *payload;
        if (hlen + cs <= window) {
            payload = c->hdr.data + hlen;
        } else {
            ts_buf_clear(&c->raw);
            TS_TRY(ts_buf_reserve(&c->raw, (size_t)cs));
            TS_TRY(ts_input_read_at(r->in, c->off + hlen, c->raw.data, (size_t)cs, err));
            payload = c->raw.data;
        }
        c->off += hlen + cs;
        if (h.has_crc && r->opts.verify_crc) {
            uint32_t crc = ts_crc32(0, payload, (size_t)cs);
            if (crc != h.crc)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "page CRC mismatch in column '%s', row group %zu, page %zu (offset %"
                                  PRIu64 "): stored %08x, computed %08x; the file is damaged "
                                  "(--no-verify-crc reads it anyway)",
                                  c->info.name, r->rg - 1, c->page_no, c->page_off, h.crc, crc);
        }
        if (h.type == PQ_PAGE_DICTIONARY) {
            if (!h.has_dict_page) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "dictionary page without its header");
            TS_TRY(check_bound(r, c, payload, (size_t)cs, (size_t)us, err));
            ts_buf_clear(&c->dict_bytes);
            TS_TRY(ts_buf_reserve(&c->dict_bytes, (size_t)us + 1));
            ts_status st = pq_decompress_ctx(r->codec, c->codec, payload, (size_t)cs,
                                             c->dict_bytes.data, (size_t)us, err);
            if (st != TS_OK) return PAGE_ERR(c, r, st, "cannot decompress the dictionary page");
            c->dict_bytes.len = (size_t)us;
            TS_TRY(load_dict(r, c, &h, c->dict_bytes.data, (size_t)us, err));
            continue;
        }
        if (h.type != PQ_PAGE_DATA && h.type != PQ_PAGE_DATA_V2) continue; /* index pages etc. */
        c->data_seen = true;
        const uint8_t *body;
        size_t body_len;
        int32_t nvals;
        pq_encoding enc;
        const uint8_t *lv = NULL;
        size_t lv_len = 0;
        bool lv_prefixed = false;
        pq_encoding def_enc = PQ_ENC_RLE;
        if (h.type == PQ_PAGE_DATA) {
            if (!h.has_data_page) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "data page without its header");
            nvals = h.data_page.num_values;
            enc = h.data_page.encoding;
            def_enc = h.data_page.definition_level_encoding;
            if (c->codec == PQ_CODEC_UNCOMPRESSED) {
                if (cs != us)
                    return PAGE_ERR(c, r, TS_ERR_CORRUPT, "uncompressed page sizes differ (%" PRIu64
                                    " vs %" PRIu64 ")", cs, us);
                body = payload;
            } else {
                TS_TRY(check_bound(r, c, payload, (size_t)cs, (size_t)us, err));
                ts_buf_clear(&c->page);
                TS_TRY(ts_buf_reserve(&c->page, (size_t)us + 1));
                ts_status st = pq_decompress_ctx(r->codec, c->codec, payload, (size_t)cs,
                                                 c->page.data, (size_t)us, err);
                if (st != TS_OK) return PAGE_ERR(c, r, st, "cannot decompress the page");
                body = c->page.data;
            }
            body_len = (size_t)us;
            if (c->info.max_def > 0) {
                lv = body;
                lv_len = body_len;
                lv_prefixed = true;
            }
        } else {
            if (!h.has_data_page_v2) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "data page v2 without its header");
            const pq_data_page_header_v2 *v2 = &h.data_page_v2;
            nvals = v2->num_values;
            enc = v2->encoding;
            int32_t rl = v2->repetition_levels_byte_length, dl = v2->definition_levels_byte_length;
            if (rl < 0 || dl < 0 || (uint64_t)rl + (uint64_t)dl > cs || (uint64_t)rl + (uint64_t)dl > us)
                return PAGE_ERR(c, r, TS_ERR_CORRUPT, "level lengths %d + %d exceed the page", (int)rl, (int)dl);
            size_t lvl = (size_t)rl + (size_t)dl;
            const uint8_t *vsrc = payload + lvl;
            size_t vcs = (size_t)cs - lvl, vus = (size_t)us - lvl;
            if (c->info.max_def > 0) {
                lv = payload + rl;
                lv_len = (size_t)dl;
            }
            if (v2->is_compressed && c->codec != PQ_CODEC_UNCOMPRESSED && vus > 0) {
                TS_TRY(check_bound(r, c, vsrc, vcs, vus, err));
                ts_buf_clear(&c->page);
                TS_TRY(ts_buf_reserve(&c->page, vus + 1));
                ts_status st = pq_decompress_ctx(r->codec, c->codec, vsrc, vcs, c->page.data, vus, err);
                if (st != TS_OK) return PAGE_ERR(c, r, st, "cannot decompress the page values");
                body = c->page.data;
            } else {
                if (vcs != vus && !(v2->is_compressed && vus == 0))
                    return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                                    "value section sizes differ (%zu stored vs %zu)", vcs, vus);
                body = vsrc;
            }
            body_len = vus;
        }
        if (nvals < 0) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "page with %d values", (int)nvals);
        /* Levels. */
        if (c->info.max_def > 0) {
            if (def_enc == PQ_ENC_RLE) {
                size_t llen = lv_len;
                const uint8_t *lp = lv;
                if (lv_prefixed) {
                    if (lv_len < 4) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "definition levels: missing length");
                    llen = pq_le32(lv);
                    if (llen > lv_len - 4)
                        return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                                        "definition levels of %zu bytes overrun the page", llen);
                    lp = lv + 4;
                    body = lp + llen;
                    body_len = lv_len - 4 - llen;
                }
                TS_TRY(pq_rle_dec_init(&c->def, lp, llen, 1, err));
                c->def_rle = true;
            } else if (def_enc == PQ_ENC_BIT_PACKED && lv_prefixed) {
                size_t llen = ((size_t)nvals + 7) / 8;
                if (llen > lv_len) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "BIT_PACKED levels overrun the page");
                c->bp_levels = lv;
                c->bp_len = llen;
                c->bp_pos = 0;
                c->def_rle = false;
                body = lv + llen;
                body_len = lv_len - llen;
            } else {
                return PAGE_ERR(c, r, TS_ERR_UNSUPPORTED, "definition level encoding %s",
                                pq_encoding_name(def_enc));
            }
        }
        if (c->dec_live) pq_dec_free(&c->dec);
        c->dec_live = false;
        ts_status st = pq_dec_init(&c->dec, enc, c->info.phys, c->type_len, body, body_len,
                                   &c->scratch, err);
        if (st != TS_OK) return PAGE_ERR(c, r, st, "cannot start decoding %s values", pq_encoding_name(enc));
        c->dec_live = true;
        if (pq_dec_is_dict(&c->dec) && !c->has_dict)
            return PAGE_ERR(c, r, TS_ERR_CORRUPT, "dictionary-encoded page but the chunk has no dictionary");
        c->page_left = (uint64_t)nvals;
        c->values_seen += nvals;
        if (nvals == 0) continue;
        *got = true;
        return TS_OK;
    }
}

/* Definition levels for the next m entries into c->levels; *nn = non-null count. */
static ts_status read_levels(pq_reader *r, col_state *c, size_t m, size_t *nn, ts_error *err)
{
    uint32_t *lv = c->levels;
    if (c->def_rle) {
        size_t got = 0;
        TS_TRY(pq_rle_dec_next(&c->def, lv, m, &got, err));
        if (got != m)
            return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                            "definition levels end %zu entries before the page's value count", m - got);
    } else {
        if ((c->bp_pos + m + 7) / 8 > c->bp_len)
            return PAGE_ERR(c, r, TS_ERR_CORRUPT, "BIT_PACKED definition levels end early");
        for (size_t i = 0; i < m; i++, c->bp_pos++) /* MSB-first, the deprecated order */
            lv[i] = (c->bp_levels[c->bp_pos >> 3] >> (7 - (c->bp_pos & 7))) & 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < m; i++) {
        if (lv[i] > 1) return PAGE_ERR(c, r, TS_ERR_CORRUPT, "definition level %u above the maximum 1", lv[i]);
        n += lv[i];
    }
    *nn = n;
    return TS_OK;
}

static inline void set_valid(ts_column *col, size_t row)
{
    col->validity[row >> 3] |= (uint8_t)(1u << (row & 7));
}

/* Scales v by unit_ns into *ns; false on overflow. */
static inline bool scale_ns(int64_t v, int64_t unit, int64_t *ns)
{
    if (unit == 1) {
        *ns = v;
        return true;
    }
    return !__builtin_mul_overflow(v, unit, ns);
}

/* Replaces the nn dictionary indices in c->vals by the entries they name,
 * in place: entries narrower than an index (booleans) from the front, wider
 * ones from the back, so no index is overwritten before it is read. */
static ts_status gather_dict(pq_reader *r, col_state *c, size_t nn, ts_error *err)
{
    const uint32_t *idx = c->vals;
    for (size_t i = 0; i < nn; i++)
        if (idx[i] >= c->dict_n)
            return PAGE_ERR(c, r, TS_ERR_CORRUPT,
                            "dictionary index %u out of range (dictionary has %zu entries)",
                            idx[i], c->dict_n);
    size_t es = pq_dec_elem_size(c->info.phys, false);
    const uint8_t *dict = c->dict_vals.data;
    uint8_t *out = c->vals;
    switch (es) {
    case 1:
        for (size_t k = 0; k < nn; k++) {
            uint8_t v = dict[idx[k]];
            out[k] = v;
        }
        break;
    case 4: {
        uint32_t *o = c->vals;
        const uint32_t *d = (const uint32_t *)(const void *)dict;
        for (size_t k = nn; k-- > 0;) o[k] = d[idx[k]];
        break;
    }
    case 8: {
        uint64_t *o = c->vals;
        const uint64_t *d = (const uint64_t *)(const void *)dict;
        for (size_t k = nn; k-- > 0;) o[k] = d[idx[k]];
        break;
    }
    default: {
        ts_str *o = c->vals;
        const ts_str *d = (const ts_str *)(const void *)dict;
        for (size_t k = nn; k-- > 0;) {
            ts_str v = d[idx[k]];
            o[k] = v;
        }
        break;
    }
    }
    return TS_OK;
}

/* How a fixed-width decoded value becomes a batch value. */
typedef enum conv { CV_I64, CV_I32, CV_U32, CV_F64, CV_F32, CV_B8 } conv;

/* Copies the decoded values (vals) to the rows [row0, row0+m) that have one
 * (all of them unless nullable, else those whose level is 1). Always inlined
 * with a constant cv: one loop per conversion, no per-value switch. */
static inline __attribute__((always_inline)) void scatter_fixed(ts_column *col, const void *vals,
                                                                const uint32_t *lv, bool nullable,
                                                                size_t row0, size_t m, conv cv)
{
    size_t vi = 0;
    for (size_t i = 0; i < m; i++) {
        if (nullable && !lv[i]) continue;
        size_t row = row0 + i, k = vi++;
        switch (cv) {
        case CV_I64: col->v.i64[row] = ((const int64_t *)vals)[k]; break;
        case CV_I32: col->v.i64[row] = ((const int32_t *)vals)[k]; break;
        case CV_U32: col->v.i64[row] = (uint32_t)((const int32_t *)vals)[k]; break;
        case CV_F64: col->v.f64[row] = ((const double *)vals)[k]; break;
        case CV_F32: col->v.f64[row] = ((const float *)vals)[k]; break;
        case CV_B8: col->v.b8[row] = ((const uint8_t *)vals)[k]; break;
        }
        set_valid(col, row);
    }
}

/* Null/valid bookkeeping for one row; returns true when the row has a value. */
#define ROW_PRESENT(i) (!nullable || lv[i])

/* Writes nn decoded values (vals) into batch rows [row0, row0+m) per levels. */
static ts_status scatter(pq_reader *r, col_state *c, size_t ci, size_t row0, size_t m, size_t nn,
                         ts_error *err)
{
    ts_batch *b = &r->batch;
    ts_column *col = &b->cols[ci];
    const uint32_t *lv = c->levels;
    bool dict = pq_dec_is_dict(&c->dec);
    const pq_column_info *info = &c->info;
    if (dict) TS_TRY(gather_dict(r, c, nn, err));
    /* Strings that already live long enough: dictionary entries (kept until
     * the row group ends) and values decoded into the batch arena. */
    bool str_ref = dict || c->dec.enc == PQ_ENC_DELTA_BYTE_ARRAY ||
                   (c->dec.enc == PQ_ENC_BYTE_STREAM_SPLIT && info->phys == PQ_FIXED_LEN_BYTE_ARRAY);
    size_t vi = 0;
    bool nullable = info->max_def > 0;
    if (nullable) col->null_count += m - nn;
    /* Fast paths for the common kinds: one loop per type, no per-value switch. */
    switch (info->kind) {
    case PQ_VK_INT:
    case PQ_VK_TIME: /* in its unit, as stored */
        if (info->phys == PQ_INT64)
            scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_I64);
        else if (info->is_unsigned)
            scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_U32);
        else
            scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_I32);
        return TS_OK;
    case PQ_VK_DOUBLE:
        if (info->phys == PQ_DOUBLE)
            scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_F64);
        else
            scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_F32);
        return TS_OK;
    case PQ_VK_BOOL:
        scatter_fixed(col, c->vals, lv, nullable, row0, m, CV_B8);
        return TS_OK;
    case PQ_VK_STRING:
    case PQ_VK_BINARY: {
        const ts_str *v = c->vals;
        for (size_t i = 0; i < m; i++)
            if (ROW_PRESENT(i)) {
                const ts_str *s = &v[vi++];
                if (str_ref) ts_batch_set_str_ref(b, ci, row0 + i, s->ptr, s->len);
                else if (ts_batch_set_str(b, ci, row0 + i, s->ptr, s->len) != TS_OK)
                    return ts_err_set(err, TS_ERR_NOMEM, "out of memory copying strings");
            }
        return TS_OK;
    }
    case PQ_VK_TIMESTAMP:
    case PQ_VK_DATE:
        for (size_t i = 0; i < m; i++) {
            if (!ROW_PRESENT(i)) continue;
            size_t k = vi++;
            int64_t ns;
            bool ok;
            if (info->phys == PQ_INT96) {
                ok = pq_int96_to_ns((const uint8_t *)((const ts_str *)c->vals)[k].ptr, &ns);
            } else if (info->phys == PQ_INT32) {
                ok = scale_ns(((const int32_t *)c->vals)[k], info->unit_ns, &ns);
            } else {
                ok = scale_ns(((const int64_t *)c->vals)[k], info->unit_ns, &ns);
            }
            if (!ok) { /* outside int64 ns: NULL and counted, the row stays */
                c->info.out_of_range++;
                r->warnings++;
                col->null_count++;
                continue;
            }
            col->v.i64[row0 + i] = ns;
            set_valid(col, row0 + i);
        }
        return TS_OK;
    case PQ_VK_DECIMAL:
    case PQ_VK_UINT64:
        for (size_t i = 0; i < m; i++) {
            if (!ROW_PRESENT(i)) continue;
            size_t k = vi++;
            char t[100];
            size_t n = 0;
            if (info->kind == PQ_VK_UINT64) {
                n = (size_t)snprintf(t, sizeof t, "%" PRIu64, (uint64_t)((const int64_t *)c->vals)[k]);
            } else if (info->phys == PQ_INT32) {
                n = pq_decimal_text_i64(((const int32_t *)c->vals)[k], info->scale, t, sizeof t);
            } else if (info->phys == PQ_INT64) {
                n = pq_decimal_text_i64(((const int64_t *)c->vals)[k], info->scale, t, sizeof t);
            } else {
                const ts_str *s = &((const ts_str *)c->vals)[k];
                n = s->len ? pq_decimal_text((const uint8_t *)s->ptr, s->len, info->scale, t, sizeof t) : 0;
            }
            if (!n)
                return PAGE_ERR(c, r, TS_ERR_CORRUPT, "DECIMAL value cannot be converted to text");
            TS_TRY(ts_batch_set_str(b, ci, row0 + i, t, n));
        }
        return TS_OK;
    }
    return ts_err_set(err, TS_ERR_INTERNAL, "column '%s': no mapping", info->name);
}
#undef ROW_PRESENT

static ts_status fill_column(pq_reader *r, col_state *c, size_t ci, size_t k, ts_error *err)
{
    size_t filled = 0;
    while (filled < k) {
        if (c->page_left == 0) {
            bool got;
            TS_TRY(next_page(r, c, &got, err));
            if (!got)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "column '%s' in row group %zu ends after %" PRId64
                                  " values but the row group has %" PRId64 " rows",
                                  c->info.name, r->rg - 1, c->values_seen,
                                  r->meta.row_groups[r->rg - 1].num_rows);
        }
        size_t m = k - filled;
        if (m > c->page_left) m = (size_t)c->page_left;
        size_t nn = m;
        if (c->info.max_def > 0) TS_TRY(read_levels(r, c, m, &nn, err));
        ts_status st = pq_dec_read(&c->dec, c->vals, nn, &r->batch.strings, err);
        if (st != TS_OK) return PAGE_ERR(c, r, st, "cannot decode values");
        TS_TRY(scatter(r, c, ci, filled, m, nn, err));
        filled += m;
        c->page_left -= m;
    }
    return TS_OK;
}

/* After the last row of a row group: nothing may be left in the chunk. */
static ts_status finish_chunk(pq_reader *r, col_state *c, ts_error *err)
{
    if (c->page_left)
        return PAGE_ERR(c, r, TS_ERR_CORRUPT, "page holds %" PRIu64 " values beyond the row group's rows",
                        c->page_left);
    bool got;
    TS_TRY(next_page(r, c, &got, err));
    if (got)
        return PAGE_ERR(c, r, TS_ERR_CORRUPT, "column chunk holds more values than the row group's %" PRId64 " rows",
                        r->meta.row_groups[r->rg - 1].num_rows);
    if (c->values_seen != c->cc->meta.num_values)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "column '%s' in row group %zu: pages hold %" PRId64
                          " values but the column metadata says %" PRId64,
                          c->info.name, r->rg - 1, c->values_seen, c->cc->meta.num_values);
    return TS_OK;
}

static ts_status next_inner(pq_reader *r, const ts_batch **out, ts_error *err)
{
    ts_batch_reset(&r->batch);
    if (r->opts.metadata_only) {
        *out = NULL;
        return TS_OK;
    }
    while (r->rg_left == 0) {
        if (r->rg_open) {
            for (size_t i = 0; i < r->ncols; i++) TS_TRY(finish_chunk(r, &r->cols[i], err));
            r->rg_open = false;
        }
        if (r->rg >= r->meta.nrow_groups) {
            *out = NULL;
            return TS_OK;
        }
        size_t g = r->rg++;
        /* A row group without rows has nothing to read; writers leave its
         * chunk offsets at 0 (pandas, column_chunk_key_value_metadata). */
        if (r->meta.row_groups[g].num_rows == 0) continue;
        for (size_t i = 0; i < r->ncols; i++) TS_TRY(open_chunk(r, &r->cols[i], g, err));
        r->rg_open = true;
        r->rg_left = (uint64_t)r->meta.row_groups[g].num_rows;
    }
    size_t k = r->rg_left < r->batch.capacity ? (size_t)r->rg_left : r->batch.capacity;
    for (size_t i = 0; i < r->ncols; i++) TS_TRY(fill_column(r, &r->cols[i], i, k, err));
    r->batch.nrows = k;
    r->rg_left -= k;
    r->rows_read += k;
    *out = &r->batch;
    return TS_OK;
}

ts_status pq_reader_next(pq_reader *r, const ts_batch **out, ts_error *err)
{
    *out = NULL;
    if (r->failed)
        return ts_err_set(err, r->failed, "the Parquet reader failed earlier and cannot continue");
    ts_status st = next_inner(r, out, err);
    if (st != TS_OK) {
        r->failed = st;
        *out = NULL;
        ts_err_context(err, "%s", r->in->name ? r->in->name : "parquet");
    }
    return st;
}

const pq_file_meta *pq_reader_meta(const pq_reader *r) { return &r->meta; }
const ts_schema *pq_reader_schema(const pq_reader *r) { return &r->schema; }
size_t pq_reader_ncolumns(const pq_reader *r) { return r->ncols; }
const pq_column_info *pq_reader_column(const pq_reader *r, size_t i)
{
    return i < r->ncols ? &r->cols[i].info : NULL;
}
size_t pq_reader_skipped_columns(const pq_reader *r) { return r->skipped; }
uint64_t pq_reader_rows_read(const pq_reader *r) { return r->rows_read; }
int64_t pq_reader_footer_rows(const pq_reader *r) { return r->meta.num_rows; }
int64_t pq_reader_row_group_rows(const pq_reader *r) { return r->rg_rows_total; }
uint64_t pq_reader_warnings(const pq_reader *r) { return r->warnings; }
uint64_t pq_reader_data_end(const pq_reader *r) { return r->data_end; }

void pq_reader_free(pq_reader *r)
{
    if (!r) return;
    for (size_t i = 0; r->cols && i < r->ncols; i++) {
        col_state *c = &r->cols[i];
        if (c->dec_live) pq_dec_free(&c->dec);
        ts_buf_free(&c->hdr);
        ts_buf_free(&c->raw);
        ts_buf_free(&c->page);
        ts_buf_free(&c->dict_vals);
        ts_buf_free(&c->dict_bytes);
        ts_buf_free(&c->scratch);
        ts_free(c->levels);
        ts_free(c->vals);
    }
    ts_free(r->cols);
    if (r->batch_init) ts_batch_free(&r->batch);
    ts_schema_free(&r->schema);
    pq_codec_ctx_free(r->codec);
    ts_arena_free(&r->arena);
    ts_free(r);
}
