/* FileMetaData / PageHeader encode and validating decode over pq_thrift.
 * Field ids follow parquet.thrift; unknown fields and union members are
 * skipped so newer writers' files still read. */
#include "pq_meta.h"

#include <string.h>

#include "pq_thrift.h"

/* ======================= decode ======================= */

typedef struct dec {
    pq_tr r;
    ts_arena *a;       /* NULL for page headers: binaries point into the buffer */
    size_t mem_start;  /* arena->used_total when decoding began */
    ts_error *err;
} dec;

static ts_status bad(dec *d, const char *fmt_what, const char *field)
{
    return ts_err_set(d->err, TS_ERR_CORRUPT, "parquet metadata: %s %s at byte offset %llu",
                      field, fmt_what, (unsigned long long)(d->r.file_off + pq_tr_pos(&d->r)));
}

static ts_status need_nonneg(dec *d, int64_t v, const char *field)
{
    if (v < 0) return bad(d, "is negative", field);
    return TS_OK;
}

static void *dalloc(dec *d, size_t n)
{
    if (d->a->used_total - d->mem_start > PQ_META_MAX_MEM) {
        ts_err_set(d->err, TS_ERR_LIMIT,
                   "parquet metadata needs more than %zu MiB of memory; refusing the footer",
                   PQ_META_MAX_MEM >> 20);
        return NULL;
    }
    void *p = ts_arena_alloc(d->a, n ? n : 1);
    if (!p) ts_err_set(d->err, TS_ERR_NOMEM, "out of memory decoding parquet metadata");
    return p;
}

/* Array growth inside the arena: start small and double, so a list header
 * claiming many elements costs memory only as elements actually decode. */
static ts_status arr_grow(dec *d, void **arr, size_t *cap, size_t used, size_t total, size_t elsize)
{
    if (used < *cap) return TS_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > total) ncap = total;
    if (ncap <= used) ncap = used + 1;
    void *p = dalloc(d, ncap * elsize);
    if (!p) return d->err->code;
    if (used) memcpy(p, *arr, used * elsize);
    *arr = p;
    *cap = ncap;
    return TS_OK;
}

static ts_status rd_i32(dec *d, pq_ttype t, const char *what, int32_t *v)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_I32, what, d->err));
    return pq_tr_i32(&d->r, v, d->err);
}

static ts_status rd_i64(dec *d, pq_ttype t, const char *what, int64_t *v)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_I64, what, d->err));
    return pq_tr_i64(&d->r, v, d->err);
}

static ts_status rd_bool(dec *d, pq_ttype t, const char *what, bool *v)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_TRUE, what, d->err));
    *v = t == PQ_TT_TRUE;
    return TS_OK;
}

static ts_status rd_bin(dec *d, pq_ttype t, const char *what, pq_bytes *out)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_BINARY, what, d->err));
    const uint8_t *p;
    size_t n;
    TS_TRY(pq_tr_binary(&d->r, &p, &n, d->err));
    if (d->a) {
        uint8_t *c = dalloc(d, n);
        if (!c) return d->err->code;
        if (n) memcpy(c, p, n);
        p = c;
    }
    out->ptr = p;
    out->len = n;
    out->set = true;
    return TS_OK;
}

static ts_status rd_str_raw(dec *d, const char **out)
{
    const uint8_t *p;
    size_t n;
    TS_TRY(pq_tr_binary(&d->r, &p, &n, d->err));
    char *s = dalloc(d, n + 1);
    if (!s) return d->err->code;
    if (n) memcpy(s, p, n);
    s[n] = 0;
    *out = s;
    return TS_OK;
}

static ts_status rd_str(dec *d, pq_ttype t, const char *what, const char **out)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_BINARY, what, d->err));
    return rd_str_raw(d, out);
}

static ts_status rd_list(dec *d, pq_ttype t, pq_ttype want, const char *what, size_t *n)
{
    TS_TRY(pq_tr_expect(&d->r, t, PQ_TT_LIST, what, d->err));
    pq_ttype et;
    TS_TRY(pq_tr_list(&d->r, &et, n, d->err));
    if (*n) TS_TRY(pq_tr_expect(&d->r, et, want, what, d->err));
    return TS_OK;
}

/* Iterates the fields of a struct the reader has just entered. */
#define FIELDS_BEGIN(d)                                                  \
    TS_TRY(pq_tr_struct_begin(&(d)->r, (d)->err));                       \
    for (;;) {                                                           \
        int16_t fid;                                                     \
        pq_ttype ft;                                                     \
        TS_TRY(pq_tr_field(&(d)->r, &fid, &ft, (d)->err));               \
        if (ft == PQ_TT_STOP) break;                                     \
        switch (fid) {
#define FIELDS_END(d)                                                    \
        default: TS_TRY(pq_tr_skip(&(d)->r, ft, (d)->err)); break;      \
        }                                                                \
    }                                                                    \
    pq_tr_struct_end(&(d)->r);

static ts_status expect_struct(dec *d, pq_ttype t, const char *what)
{
    return pq_tr_expect(&d->r, t, PQ_TT_STRUCT, what, d->err);
}

static ts_status rd_statistics(dec *d, pq_statistics *s)
{
    memset(s, 0, sizeof *s);
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_bin(d, ft, "Statistics.max", &s->max)); break;
    case 2: TS_TRY(rd_bin(d, ft, "Statistics.min", &s->min)); break;
    case 3:
        TS_TRY(rd_i64(d, ft, "Statistics.null_count", &s->null_count));
        s->has_null_count = s->null_count >= 0; /* statistics are hints: drop nonsense */
        break;
    case 4:
        TS_TRY(rd_i64(d, ft, "Statistics.distinct_count", &s->distinct_count));
        s->has_distinct_count = s->distinct_count >= 0;
        break;
    case 5: TS_TRY(rd_bin(d, ft, "Statistics.max_value", &s->max_value)); break;
    case 6: TS_TRY(rd_bin(d, ft, "Statistics.min_value", &s->min_value)); break;
    case 7:
        TS_TRY(rd_bool(d, ft, "Statistics.is_max_value_exact", &s->is_max_value_exact));
        s->has_is_max_value_exact = true;
        break;
    case 8:
        TS_TRY(rd_bool(d, ft, "Statistics.is_min_value_exact", &s->is_min_value_exact));
        s->has_is_min_value_exact = true;
        break;
    case 9:
        TS_TRY(rd_i64(d, ft, "Statistics.nan_count", &s->nan_count));
        s->has_nan_count = s->nan_count >= 0;
        break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_time_unit(dec *d, pq_time_unit *u)
{
    *u = 0;
    FIELDS_BEGIN(d)
    case 1: case 2: case 3:
        TS_TRY(expect_struct(d, ft, "TimeUnit member"));
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        *u = (pq_time_unit)fid;
        break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_time_type(dec *d, pq_logical *lt, const char *what)
{
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_bool(d, ft, what, &lt->utc)); break;
    case 2:
        TS_TRY(expect_struct(d, ft, what));
        TS_TRY(rd_time_unit(d, &lt->unit));
        break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_decimal(dec *d, pq_logical *lt)
{
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_i32(d, ft, "DecimalType.scale", &lt->scale)); break;
    case 2: TS_TRY(rd_i32(d, ft, "DecimalType.precision", &lt->precision)); break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_int_type(dec *d, pq_logical *lt)
{
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(pq_tr_expect(&d->r, ft, PQ_TT_I8, "IntType.bitWidth", d->err));
        TS_TRY(pq_tr_i8(&d->r, &lt->bit_width, d->err));
        break;
    case 2: TS_TRY(rd_bool(d, ft, "IntType.isSigned", &lt->is_signed)); break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_logical(dec *d, pq_logical *lt)
{
    memset(lt, 0, sizeof *lt);
    FIELDS_BEGIN(d)
    case 5:
        TS_TRY(expect_struct(d, ft, "LogicalType.DECIMAL"));
        lt->kind = PQ_LT_DECIMAL;
        TS_TRY(rd_decimal(d, lt));
        break;
    case 7:
    case 8:
        TS_TRY(expect_struct(d, ft, "LogicalType.TIME/TIMESTAMP"));
        lt->kind = (pq_logical_kind)fid;
        TS_TRY(rd_time_type(d, lt, fid == 7 ? "TimeType" : "TimestampType"));
        break;
    case 10:
        TS_TRY(expect_struct(d, ft, "LogicalType.INTEGER"));
        lt->kind = PQ_LT_INTEGER;
        TS_TRY(rd_int_type(d, lt));
        break;
    case 1: case 2: case 3: case 4: case 6: case 11: case 12: case 13: case 14: case 15:
    case 16: case 17: case 18:
        lt->kind = (pq_logical_kind)fid;
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        break;
    default:
        lt->kind = PQ_LT_OTHER;
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        break;
    }
    } /* FIELDS_END without its default: the union's unknown members set OTHER */
    pq_tr_struct_end(&d->r);
    return TS_OK;
}

static ts_status rd_schema_element(dec *d, pq_schema_element *e)
{
    memset(e, 0, sizeof *e);
    int32_t v;
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(rd_i32(d, ft, "SchemaElement.type", &v));
        if (v < 0 || v > 7) return bad(d, "is not a known physical type", "SchemaElement.type");
        e->type = (pq_type)v;
        e->has_type = true;
        break;
    case 2:
        TS_TRY(rd_i32(d, ft, "SchemaElement.type_length", &e->type_length));
        TS_TRY(need_nonneg(d, e->type_length, "SchemaElement.type_length"));
        e->has_type_length = true;
        break;
    case 3:
        TS_TRY(rd_i32(d, ft, "SchemaElement.repetition_type", &v));
        if (v < 0 || v > 2) return bad(d, "is not REQUIRED/OPTIONAL/REPEATED", "SchemaElement.repetition_type");
        e->repetition = (pq_repetition)v;
        e->has_repetition = true;
        break;
    case 4: TS_TRY(rd_str(d, ft, "SchemaElement.name", &e->name)); break;
    case 5:
        TS_TRY(rd_i32(d, ft, "SchemaElement.num_children", &e->num_children));
        TS_TRY(need_nonneg(d, e->num_children, "SchemaElement.num_children"));
        e->has_num_children = true;
        break;
    case 6:
        TS_TRY(rd_i32(d, ft, "SchemaElement.converted_type", &v));
        e->converted_type = (pq_converted_type)v;
        e->has_converted_type = true;
        break;
    case 7: TS_TRY(rd_i32(d, ft, "SchemaElement.scale", &e->scale)); e->has_scale = true; break;
    case 8: TS_TRY(rd_i32(d, ft, "SchemaElement.precision", &e->precision)); e->has_precision = true; break;
    case 9: TS_TRY(rd_i32(d, ft, "SchemaElement.field_id", &e->field_id)); e->has_field_id = true; break;
    case 10:
        TS_TRY(expect_struct(d, ft, "SchemaElement.logicalType"));
        TS_TRY(rd_logical(d, &e->logical));
        break;
    FIELDS_END(d)
    if (!e->name) return bad(d, "is missing", "SchemaElement.name");
    return TS_OK;
}

static ts_status rd_kv(dec *d, pq_kv *kv)
{
    memset(kv, 0, sizeof *kv);
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_str(d, ft, "KeyValue.key", &kv->key)); break;
    case 2: TS_TRY(rd_str(d, ft, "KeyValue.value", &kv->value)); break;
    FIELDS_END(d)
    if (!kv->key) return bad(d, "is missing", "KeyValue.key");
    return TS_OK;
}

static ts_status rd_kv_list(dec *d, pq_ttype ft, const char *what, pq_kv **out, size_t *nout)
{
    size_t n, cap = 0;
    TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, what, &n));
    pq_kv *arr = NULL;
    for (size_t i = 0; i < n; i++) {
        TS_TRY(arr_grow(d, (void **)&arr, &cap, i, n, sizeof *arr));
        TS_TRY(rd_kv(d, &arr[i]));
    }
    *out = arr;
    *nout = n;
    return TS_OK;
}

static ts_status rd_encoding_stats(dec *d, pq_page_encoding_stats *es)
{
    memset(es, 0, sizeof *es);
    int32_t v;
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_i32(d, ft, "PageEncodingStats.page_type", &v)); es->page_type = (pq_page_type)v; break;
    case 2: TS_TRY(rd_i32(d, ft, "PageEncodingStats.encoding", &v)); es->encoding = (pq_encoding)v; break;
    case 3: TS_TRY(rd_i32(d, ft, "PageEncodingStats.count", &es->count)); break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_column_meta(dec *d, pq_column_meta *m)
{
    memset(m, 0, sizeof *m);
    unsigned seen = 0;
    int32_t v;
    size_t n, cap;
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(rd_i32(d, ft, "ColumnMetaData.type", &v));
        if (v < 0 || v > 7) return bad(d, "is not a known physical type", "ColumnMetaData.type");
        m->type = (pq_type)v;
        seen |= 1u << 1;
        break;
    case 2:
        TS_TRY(rd_list(d, ft, PQ_TT_I32, "ColumnMetaData.encodings", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->encodings, &cap, i, n, sizeof *m->encodings));
            TS_TRY(pq_tr_i32(&d->r, &v, d->err));
            m->encodings[i] = (pq_encoding)v;
        }
        m->nencodings = n;
        break;
    case 3:
        TS_TRY(rd_list(d, ft, PQ_TT_BINARY, "ColumnMetaData.path_in_schema", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->path, &cap, i, n, sizeof *m->path));
            TS_TRY(rd_str_raw(d, &m->path[i]));
        }
        m->npath = n;
        seen |= 1u << 3;
        break;
    case 4:
        TS_TRY(rd_i32(d, ft, "ColumnMetaData.codec", &m->codec));
        seen |= 1u << 4;
        break;
    case 5:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.num_values", &m->num_values));
        TS_TRY(need_nonneg(d, m->num_values, "ColumnMetaData.num_values"));
        seen |= 1u << 5;
        break;
    case 6:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.total_uncompressed_size", &m->total_uncompressed_size));
        TS_TRY(need_nonneg(d, m->total_uncompressed_size, "ColumnMetaData.total_uncompressed_size"));
        break;
    case 7:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.total_compressed_size", &m->total_compressed_size));
        TS_TRY(need_nonneg(d, m->total_compressed_size, "ColumnMetaData.total_compressed_size"));
        seen |= 1u << 7;
        break;
    case 8: TS_TRY(rd_kv_list(d, ft, "ColumnMetaData.key_value_metadata", &m->kv, &m->nkv)); break;
    case 9:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.data_page_offset", &m->data_page_offset));
        TS_TRY(need_nonneg(d, m->data_page_offset, "ColumnMetaData.data_page_offset"));
        seen |= 1u << 9;
        break;
    case 10:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.index_page_offset", &m->index_page_offset));
        m->has_index_page_offset = true;
        break;
    case 11:
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.dictionary_page_offset", &m->dictionary_page_offset));
        TS_TRY(need_nonneg(d, m->dictionary_page_offset, "ColumnMetaData.dictionary_page_offset"));
        m->has_dictionary_page_offset = true;
        break;
    case 12:
        TS_TRY(expect_struct(d, ft, "ColumnMetaData.statistics"));
        TS_TRY(rd_statistics(d, &m->statistics));
        m->has_statistics = true;
        break;
    case 13:
        TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, "ColumnMetaData.encoding_stats", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->encoding_stats, &cap, i, n, sizeof *m->encoding_stats));
            TS_TRY(rd_encoding_stats(d, &m->encoding_stats[i]));
        }
        m->nencoding_stats = n;
        break;
    /* Fields 14+ are newer than some writers that used those ids for other
     * things: a type we do not expect there is skipped, not an error. */
    case 14:
        if (ft != PQ_TT_I64) {
            TS_TRY(pq_tr_skip(&d->r, ft, d->err));
            break;
        }
        TS_TRY(rd_i64(d, ft, "ColumnMetaData.bloom_filter_offset", &m->bloom_filter_offset));
        m->has_bloom_filter = true;
        break;
    case 15:
        if (ft != PQ_TT_I32) {
            TS_TRY(pq_tr_skip(&d->r, ft, d->err));
            break;
        }
        TS_TRY(rd_i32(d, ft, "ColumnMetaData.bloom_filter_length", &m->bloom_filter_length));
        break;
    FIELDS_END(d)
    static const struct { int id; const char *name; } req[] = {
        {1, "ColumnMetaData.type"}, {3, "ColumnMetaData.path_in_schema"}, {4, "ColumnMetaData.codec"},
        {5, "ColumnMetaData.num_values"}, {7, "ColumnMetaData.total_compressed_size"},
        {9, "ColumnMetaData.data_page_offset"}};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (!(seen & (1u << req[i].id))) return bad(d, "is missing", req[i].name);
    return TS_OK;
}

static ts_status rd_column_chunk(dec *d, pq_column_chunk *c)
{
    memset(c, 0, sizeof *c);
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_str(d, ft, "ColumnChunk.file_path", &c->file_path)); break;
    case 2: TS_TRY(rd_i64(d, ft, "ColumnChunk.file_offset", &c->file_offset)); break;
    case 3:
        TS_TRY(expect_struct(d, ft, "ColumnChunk.meta_data"));
        TS_TRY(rd_column_meta(d, &c->meta));
        c->has_meta = true;
        break;
    case 4:
        TS_TRY(rd_i64(d, ft, "ColumnChunk.offset_index_offset", &c->offset_index_offset));
        c->has_offset_index = true;
        break;
    case 5: TS_TRY(rd_i32(d, ft, "ColumnChunk.offset_index_length", &c->offset_index_length)); break;
    case 6:
        TS_TRY(rd_i64(d, ft, "ColumnChunk.column_index_offset", &c->column_index_offset));
        c->has_column_index = true;
        break;
    case 7: TS_TRY(rd_i32(d, ft, "ColumnChunk.column_index_length", &c->column_index_length)); break;
    case 8:
    case 9:
        c->encrypted = true;
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_row_group(dec *d, pq_row_group *g)
{
    memset(g, 0, sizeof *g);
    unsigned seen = 0;
    size_t n, cap = 0;
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, "RowGroup.columns", &n));
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&g->columns, &cap, i, n, sizeof *g->columns));
            TS_TRY(rd_column_chunk(d, &g->columns[i]));
        }
        g->ncolumns = n;
        seen |= 2;
        break;
    case 2:
        TS_TRY(rd_i64(d, ft, "RowGroup.total_byte_size", &g->total_byte_size));
        TS_TRY(need_nonneg(d, g->total_byte_size, "RowGroup.total_byte_size"));
        break;
    case 3:
        TS_TRY(rd_i64(d, ft, "RowGroup.num_rows", &g->num_rows));
        TS_TRY(need_nonneg(d, g->num_rows, "RowGroup.num_rows"));
        seen |= 8;
        break;
    case 5:
        TS_TRY(rd_i64(d, ft, "RowGroup.file_offset", &g->file_offset));
        g->has_file_offset = true;
        break;
    case 6:
        TS_TRY(rd_i64(d, ft, "RowGroup.total_compressed_size", &g->total_compressed_size));
        g->has_total_compressed_size = true;
        break;
    case 7:
        TS_TRY(pq_tr_expect(&d->r, ft, PQ_TT_I16, "RowGroup.ordinal", d->err));
        TS_TRY(pq_tr_i16(&d->r, &g->ordinal, d->err));
        g->has_ordinal = true;
        break;
    FIELDS_END(d)
    if (!(seen & 2)) return bad(d, "is missing", "RowGroup.columns");
    if (!(seen & 8)) return bad(d, "is missing", "RowGroup.num_rows");
    return TS_OK;
}

/* Walks the depth-first schema list with an explicit stack of "children
 * still to come", so a hostile num_children cannot recurse or overrun. */
static ts_status check_schema(dec *d, pq_file_meta *m)
{
    if (m->nschema == 0) return bad(d, "is empty", "FileMetaData.schema");
    const pq_schema_element *root = &m->schema[0];
    if (root->has_type) return bad(d, "root is a leaf", "FileMetaData.schema");
    int64_t stack[PQ_THRIFT_MAX_DEPTH];
    int sp = 0;
    stack[0] = root->has_num_children ? root->num_children : 0;
    size_t i = 1, leaves = 0;
    while (sp >= 0) {
        if (stack[sp] == 0) {
            sp--;
            continue;
        }
        if (i >= m->nschema)
            return bad(d, "has fewer elements than num_children says", "FileMetaData.schema");
        stack[sp]--;
        const pq_schema_element *e = &m->schema[i++];
        if (!e->has_type) {
            if (sp + 1 >= PQ_THRIFT_MAX_DEPTH) return bad(d, "is nested too deeply", "FileMetaData.schema");
            stack[++sp] = e->has_num_children ? e->num_children : 0;
        } else {
            if (e->has_num_children && e->num_children > 0)
                return bad(d, "has a leaf with children", "FileMetaData.schema");
            leaves++;
        }
    }
    if (i != m->nschema) return bad(d, "has elements outside the tree", "FileMetaData.schema");
    m->nleaves = leaves;
    return TS_OK;
}

static ts_status rd_column_order(dec *d, pq_column_order *o)
{
    *o = PQ_ORDER_UNKNOWN;
    FIELDS_BEGIN(d)
    case 1: case 2: case 3:
        *o = (pq_column_order)fid;
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        break;
    FIELDS_END(d)
    return TS_OK;
}

static ts_status rd_file_meta(dec *d, pq_file_meta *m)
{
    unsigned seen = 0;
    size_t n, cap;
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_i32(d, ft, "FileMetaData.version", &m->version)); seen |= 2; break;
    case 2:
        TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, "FileMetaData.schema", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->schema, &cap, i, n, sizeof *m->schema));
            TS_TRY(rd_schema_element(d, &m->schema[i]));
        }
        m->nschema = n;
        seen |= 4;
        break;
    case 3:
        TS_TRY(rd_i64(d, ft, "FileMetaData.num_rows", &m->num_rows));
        TS_TRY(need_nonneg(d, m->num_rows, "FileMetaData.num_rows"));
        seen |= 8;
        break;
    case 4:
        TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, "FileMetaData.row_groups", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->row_groups, &cap, i, n, sizeof *m->row_groups));
            TS_TRY(rd_row_group(d, &m->row_groups[i]));
        }
        m->nrow_groups = n;
        seen |= 16;
        break;
    case 5: TS_TRY(rd_kv_list(d, ft, "FileMetaData.key_value_metadata", &m->kv, &m->nkv)); break;
    case 6: TS_TRY(rd_str(d, ft, "FileMetaData.created_by", &m->created_by)); break;
    case 7:
        TS_TRY(rd_list(d, ft, PQ_TT_STRUCT, "FileMetaData.column_orders", &n));
        cap = 0;
        for (size_t i = 0; i < n; i++) {
            TS_TRY(arr_grow(d, (void **)&m->column_orders, &cap, i, n, sizeof *m->column_orders));
            TS_TRY(rd_column_order(d, &m->column_orders[i]));
        }
        m->ncolumn_orders = n;
        break;
    case 8:
    case 9:
        m->encrypted = true;
        TS_TRY(pq_tr_skip(&d->r, ft, d->err));
        break;
    FIELDS_END(d)
    if (!(seen & 2)) return bad(d, "is missing", "FileMetaData.version");
    if (!(seen & 4)) return bad(d, "is missing", "FileMetaData.schema");
    if (!(seen & 8)) return bad(d, "is missing", "FileMetaData.num_rows");
    if (!(seen & 16)) return bad(d, "is missing", "FileMetaData.row_groups");
    TS_TRY(check_schema(d, m));
    for (size_t g = 0; g < m->nrow_groups; g++) {
        if (m->row_groups[g].ncolumns != m->nleaves)
            return ts_err_set(d->err, TS_ERR_CORRUPT,
                              "parquet metadata: row group %zu has %zu column chunks but the schema "
                              "has %zu leaf columns",
                              g, m->row_groups[g].ncolumns, m->nleaves);
    }
    if (m->ncolumn_orders && m->ncolumn_orders != m->nleaves)
        m->ncolumn_orders = 0; /* meaningless when it does not match: treat as absent */
    return TS_OK;
}

ts_status pq_meta_decode_file(const uint8_t *p, size_t n, pq_file_meta *out, ts_arena *arena,
                              ts_error *err)
{
    memset(out, 0, sizeof *out);
    dec d = {.a = arena, .mem_start = arena->used_total, .err = err};
    pq_tr_init(&d.r, p, n, 0);
    return rd_file_meta(&d, out);
}

static ts_status rd_data_page(dec *d, pq_data_page_header *h)
{
    memset(h, 0, sizeof *h);
    h->definition_level_encoding = h->repetition_level_encoding = PQ_ENC_RLE;
    unsigned seen = 0;
    int32_t v;
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(rd_i32(d, ft, "DataPageHeader.num_values", &h->num_values));
        TS_TRY(need_nonneg(d, h->num_values, "DataPageHeader.num_values"));
        seen |= 2;
        break;
    case 2: TS_TRY(rd_i32(d, ft, "DataPageHeader.encoding", &v)); h->encoding = (pq_encoding)v; seen |= 4; break;
    case 3: TS_TRY(rd_i32(d, ft, "DataPageHeader.definition_level_encoding", &v)); h->definition_level_encoding = (pq_encoding)v; break;
    case 4: TS_TRY(rd_i32(d, ft, "DataPageHeader.repetition_level_encoding", &v)); h->repetition_level_encoding = (pq_encoding)v; break;
    case 5:
        TS_TRY(expect_struct(d, ft, "DataPageHeader.statistics"));
        TS_TRY(rd_statistics(d, &h->statistics));
        h->has_statistics = true;
        break;
    FIELDS_END(d)
    if (!(seen & 2)) return bad(d, "is missing", "DataPageHeader.num_values");
    if (!(seen & 4)) return bad(d, "is missing", "DataPageHeader.encoding");
    return TS_OK;
}

static ts_status rd_data_page_v2(dec *d, pq_data_page_header_v2 *h)
{
    memset(h, 0, sizeof *h);
    h->is_compressed = true;
    unsigned seen = 0;
    int32_t v;
    FIELDS_BEGIN(d)
    case 1: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.num_values", &h->num_values)); TS_TRY(need_nonneg(d, h->num_values, "DataPageHeaderV2.num_values")); seen |= 2; break;
    case 2: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.num_nulls", &h->num_nulls)); TS_TRY(need_nonneg(d, h->num_nulls, "DataPageHeaderV2.num_nulls")); seen |= 4; break;
    case 3: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.num_rows", &h->num_rows)); TS_TRY(need_nonneg(d, h->num_rows, "DataPageHeaderV2.num_rows")); seen |= 8; break;
    case 4: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.encoding", &v)); h->encoding = (pq_encoding)v; seen |= 16; break;
    case 5: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.definition_levels_byte_length", &h->definition_levels_byte_length)); TS_TRY(need_nonneg(d, h->definition_levels_byte_length, "DataPageHeaderV2.definition_levels_byte_length")); seen |= 32; break;
    case 6: TS_TRY(rd_i32(d, ft, "DataPageHeaderV2.repetition_levels_byte_length", &h->repetition_levels_byte_length)); TS_TRY(need_nonneg(d, h->repetition_levels_byte_length, "DataPageHeaderV2.repetition_levels_byte_length")); seen |= 64; break;
    case 7: TS_TRY(rd_bool(d, ft, "DataPageHeaderV2.is_compressed", &h->is_compressed)); break;
    case 8:
        TS_TRY(expect_struct(d, ft, "DataPageHeaderV2.statistics"));
        TS_TRY(rd_statistics(d, &h->statistics));
        h->has_statistics = true;
        break;
    FIELDS_END(d)
    static const char *const names[] = {NULL, "num_values", "num_nulls", "num_rows", "encoding",
                                        "definition_levels_byte_length", "repetition_levels_byte_length"};
    for (int i = 1; i <= 6; i++)
        if (!(seen & (1u << i)))
            return ts_err_set(d->err, TS_ERR_CORRUPT,
                              "parquet page header: DataPageHeaderV2.%s is missing at byte offset %llu",
                              names[i], (unsigned long long)(d->r.file_off + pq_tr_pos(&d->r)));
    return TS_OK;
}

static ts_status rd_dict_page(dec *d, pq_dict_page_header *h)
{
    memset(h, 0, sizeof *h);
    bool seen = false;
    int32_t v;
    FIELDS_BEGIN(d)
    case 1:
        TS_TRY(rd_i32(d, ft, "DictionaryPageHeader.num_values", &h->num_values));
        TS_TRY(need_nonneg(d, h->num_values, "DictionaryPageHeader.num_values"));
        seen = true;
        break;
    case 2: TS_TRY(rd_i32(d, ft, "DictionaryPageHeader.encoding", &v)); h->encoding = (pq_encoding)v; break;
    case 3: TS_TRY(rd_bool(d, ft, "DictionaryPageHeader.is_sorted", &h->is_sorted)); h->has_is_sorted = true; break;
    FIELDS_END(d)
    if (!seen) return bad(d, "is missing", "DictionaryPageHeader.num_values");
    return TS_OK;
}

ts_status pq_page_header_decode_at(const uint8_t *p, size_t avail, uint64_t file_off,
                                   pq_page_header *h, size_t *consumed, ts_error *err)
{
    memset(h, 0, sizeof *h);
    dec d = {.a = NULL, .err = err};
    pq_tr_init(&d.r, p, avail, file_off);
    unsigned seen = 0;
    int32_t v;
    FIELDS_BEGIN(&d)
    case 1: TS_TRY(rd_i32(&d, ft, "PageHeader.type", &v)); h->type = (pq_page_type)v; seen |= 2; break;
    case 2:
        TS_TRY(rd_i32(&d, ft, "PageHeader.uncompressed_page_size", &h->uncompressed_page_size));
        TS_TRY(need_nonneg(&d, h->uncompressed_page_size, "PageHeader.uncompressed_page_size"));
        seen |= 4;
        break;
    case 3:
        TS_TRY(rd_i32(&d, ft, "PageHeader.compressed_page_size", &h->compressed_page_size));
        TS_TRY(need_nonneg(&d, h->compressed_page_size, "PageHeader.compressed_page_size"));
        seen |= 8;
        break;
    case 4:
        TS_TRY(rd_i32(&d, ft, "PageHeader.crc", &v));
        h->crc = (uint32_t)v;
        h->has_crc = true;
        break;
    case 5:
        TS_TRY(expect_struct(&d, ft, "PageHeader.data_page_header"));
        TS_TRY(rd_data_page(&d, &h->data_page));
        h->has_data_page = true;
        break;
    case 6:
        TS_TRY(expect_struct(&d, ft, "PageHeader.index_page_header"));
        TS_TRY(pq_tr_skip(&d.r, ft, err));
        h->has_index_page = true;
        break;
    case 7:
        TS_TRY(expect_struct(&d, ft, "PageHeader.dictionary_page_header"));
        TS_TRY(rd_dict_page(&d, &h->dict_page));
        h->has_dict_page = true;
        break;
    case 8:
        TS_TRY(expect_struct(&d, ft, "PageHeader.data_page_header_v2"));
        TS_TRY(rd_data_page_v2(&d, &h->data_page_v2));
        h->has_data_page_v2 = true;
        break;
    FIELDS_END(&d)
    if (!(seen & 2)) return bad(&d, "is missing", "PageHeader.type");
    if (!(seen & 4)) return bad(&d, "is missing", "PageHeader.uncompressed_page_size");
    if (!(seen & 8)) return bad(&d, "is missing", "PageHeader.compressed_page_size");
    if (h->type == PQ_PAGE_DATA && !h->has_data_page)
        return bad(&d, "is missing for a DATA_PAGE", "PageHeader.data_page_header");
    if (h->type == PQ_PAGE_DICTIONARY && !h->has_dict_page)
        return bad(&d, "is missing for a DICTIONARY_PAGE", "PageHeader.dictionary_page_header");
    if (h->type == PQ_PAGE_DATA_V2 && !h->has_data_page_v2)
        return bad(&d, "is missing for a DATA_PAGE_V2", "PageHeader.data_page_header_v2");
    *consumed = pq_tr_pos(&d.r);
    return TS_OK;
}

ts_status pq_page_header_decode(const uint8_t *p, size_t avail, pq_page_header *out,
                                size_t *consumed, ts_error *err)
{
    return pq_page_header_decode_at(p, avail, 0, out, consumed, err);
}

/* ======================= encode ======================= */

static void wr_statistics(pq_tw *w, int16_t id, const pq_statistics *s)
{
    pq_tw_struct_begin(w, id);
    if (s->max.set) pq_tw_binary(w, 1, s->max.ptr, s->max.len);
    if (s->min.set) pq_tw_binary(w, 2, s->min.ptr, s->min.len);
    if (s->has_null_count) pq_tw_i64(w, 3, s->null_count);
    if (s->has_distinct_count) pq_tw_i64(w, 4, s->distinct_count);
    if (s->max_value.set) pq_tw_binary(w, 5, s->max_value.ptr, s->max_value.len);
    if (s->min_value.set) pq_tw_binary(w, 6, s->min_value.ptr, s->min_value.len);
    if (s->has_is_max_value_exact) pq_tw_bool(w, 7, s->is_max_value_exact);
    if (s->has_is_min_value_exact) pq_tw_bool(w, 8, s->is_min_value_exact);
    if (s->has_nan_count) pq_tw_i64(w, 9, s->nan_count);
    pq_tw_struct_end(w);
}

static void wr_empty_struct(pq_tw *w, int16_t id)
{
    pq_tw_struct_begin(w, id);
    pq_tw_struct_end(w);
}

static void wr_logical(pq_tw *w, const pq_logical *lt)
{
    pq_tw_struct_begin(w, 10);
    switch (lt->kind) {
    case PQ_LT_DECIMAL:
        pq_tw_struct_begin(w, PQ_LT_DECIMAL);
        pq_tw_i32(w, 1, lt->scale);
        pq_tw_i32(w, 2, lt->precision);
        pq_tw_struct_end(w);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        pq_tw_struct_begin(w, (int16_t)lt->kind);
        pq_tw_bool(w, 1, lt->utc);
        pq_tw_struct_begin(w, 2);
        wr_empty_struct(w, (int16_t)lt->unit);
        pq_tw_struct_end(w);
        pq_tw_struct_end(w);
        break;
    case PQ_LT_INTEGER:
        pq_tw_struct_begin(w, PQ_LT_INTEGER);
        pq_tw_i8(w, 1, lt->bit_width);
        pq_tw_bool(w, 2, lt->is_signed);
        pq_tw_struct_end(w);
        break;
    default:
        wr_empty_struct(w, (int16_t)lt->kind);
        break;
    }
    pq_tw_struct_end(w);
}

static void wr_schema_element(pq_tw *w, const pq_schema_element *e)
{
    pq_tw_elem_struct_begin(w);
    if (e->has_type) pq_tw_i32(w, 1, e->type);
    if (e->has_type_length) pq_tw_i32(w, 2, e->type_length);
    if (e->has_repetition) pq_tw_i32(w, 3, e->repetition);
    pq_tw_string(w, 4, e->name ? e->name : "");
    if (e->has_num_children) pq_tw_i32(w, 5, e->num_children);
    if (e->has_converted_type) pq_tw_i32(w, 6, e->converted_type);
    if (e->has_scale) pq_tw_i32(w, 7, e->scale);
    if (e->has_precision) pq_tw_i32(w, 8, e->precision);
    if (e->has_field_id) pq_tw_i32(w, 9, e->field_id);
    if (e->logical.kind != PQ_LT_NONE && e->logical.kind != PQ_LT_OTHER) wr_logical(w, &e->logical);
    pq_tw_struct_end(w);
}

static void wr_kv_list(pq_tw *w, int16_t id, const pq_kv *kv, size_t n)
{
    pq_tw_list_begin(w, id, PQ_TT_STRUCT, n);
    for (size_t i = 0; i < n; i++) {
        pq_tw_elem_struct_begin(w);
        pq_tw_string(w, 1, kv[i].key);
        if (kv[i].value) pq_tw_string(w, 2, kv[i].value);
        pq_tw_struct_end(w);
    }
}

static void wr_column_meta(pq_tw *w, const pq_column_meta *m)
{
    pq_tw_struct_begin(w, 3);
    pq_tw_i32(w, 1, m->type);
    pq_tw_list_begin(w, 2, PQ_TT_I32, m->nencodings);
    for (size_t i = 0; i < m->nencodings; i++) pq_tw_elem_i32(w, m->encodings[i]);
    pq_tw_list_begin(w, 3, PQ_TT_BINARY, m->npath);
    for (size_t i = 0; i < m->npath; i++) pq_tw_elem_string(w, m->path[i]);
    pq_tw_i32(w, 4, m->codec);
    pq_tw_i64(w, 5, m->num_values);
    pq_tw_i64(w, 6, m->total_uncompressed_size);
    pq_tw_i64(w, 7, m->total_compressed_size);
    if (m->nkv) wr_kv_list(w, 8, m->kv, m->nkv);
    pq_tw_i64(w, 9, m->data_page_offset);
    if (m->has_index_page_offset) pq_tw_i64(w, 10, m->index_page_offset);
    if (m->has_dictionary_page_offset) pq_tw_i64(w, 11, m->dictionary_page_offset);
    if (m->has_statistics) wr_statistics(w, 12, &m->statistics);
    if (m->nencoding_stats) {
        pq_tw_list_begin(w, 13, PQ_TT_STRUCT, m->nencoding_stats);
        for (size_t i = 0; i < m->nencoding_stats; i++) {
            pq_tw_elem_struct_begin(w);
            pq_tw_i32(w, 1, m->encoding_stats[i].page_type);
            pq_tw_i32(w, 2, m->encoding_stats[i].encoding);
            pq_tw_i32(w, 3, m->encoding_stats[i].count);
            pq_tw_struct_end(w);
        }
    }
    if (m->has_bloom_filter) {
        pq_tw_i64(w, 14, m->bloom_filter_offset);
        pq_tw_i32(w, 15, m->bloom_filter_length);
    }
    pq_tw_struct_end(w);
}

static void wr_column_chunk(pq_tw *w, const pq_column_chunk *c)
{
    pq_tw_elem_struct_begin(w);
    if (c->file_path) pq_tw_string(w, 1, c->file_path);
    pq_tw_i64(w, 2, c->file_offset);
    if (c->has_meta) wr_column_meta(w, &c->meta);
    if (c->has_offset_index) {
        pq_tw_i64(w, 4, c->offset_index_offset);
        pq_tw_i32(w, 5, c->offset_index_length);
    }
    if (c->has_column_index) {
        pq_tw_i64(w, 6, c->column_index_offset);
        pq_tw_i32(w, 7, c->column_index_length);
    }
    pq_tw_struct_end(w);
}

ts_status pq_meta_encode_file(const pq_file_meta *m, ts_buf *out, ts_error *err)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_i32(&w, 1, m->version);
    pq_tw_list_begin(&w, 2, PQ_TT_STRUCT, m->nschema);
    for (size_t i = 0; i < m->nschema; i++) wr_schema_element(&w, &m->schema[i]);
    pq_tw_i64(&w, 3, m->num_rows);
    pq_tw_list_begin(&w, 4, PQ_TT_STRUCT, m->nrow_groups);
    for (size_t g = 0; g < m->nrow_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        pq_tw_elem_struct_begin(&w);
        pq_tw_list_begin(&w, 1, PQ_TT_STRUCT, rg->ncolumns);
        for (size_t c = 0; c < rg->ncolumns; c++) wr_column_chunk(&w, &rg->columns[c]);
        pq_tw_i64(&w, 2, rg->total_byte_size);
        pq_tw_i64(&w, 3, rg->num_rows);
        if (rg->has_file_offset) pq_tw_i64(&w, 5, rg->file_offset);
        if (rg->has_total_compressed_size) pq_tw_i64(&w, 6, rg->total_compressed_size);
        if (rg->has_ordinal) pq_tw_i16(&w, 7, rg->ordinal);
        pq_tw_struct_end(&w);
    }
    if (m->nkv) wr_kv_list(&w, 5, m->kv, m->nkv);
    if (m->created_by) pq_tw_string(&w, 6, m->created_by);
    if (m->ncolumn_orders) {
        pq_tw_list_begin(&w, 7, PQ_TT_STRUCT, m->ncolumn_orders);
        for (size_t i = 0; i < m->ncolumn_orders; i++) {
            pq_tw_elem_struct_begin(&w);
            wr_empty_struct(&w, (int16_t)(m->column_orders[i] ? m->column_orders[i] : PQ_ORDER_TYPE));
            pq_tw_struct_end(&w);
        }
    }
    pq_tw_struct_end(&w);
    ts_status st = pq_tw_status(&w);
    if (st != TS_OK) return ts_err_set(err, st, "cannot encode the parquet footer (%s)", ts_status_name(st));
    return TS_OK;
}

ts_status pq_page_header_encode(const pq_page_header *h, ts_buf *out, ts_error *err)
{
    pq_tw w;
    pq_tw_init(&w, out);
    pq_tw_i32(&w, 1, h->type);
    pq_tw_i32(&w, 2, h->uncompressed_page_size);
    pq_tw_i32(&w, 3, h->compressed_page_size);
    if (h->has_crc) pq_tw_i32(&w, 4, (int32_t)h->crc);
    if (h->has_data_page) {
        const pq_data_page_header *d = &h->data_page;
        pq_tw_struct_begin(&w, 5);
        pq_tw_i32(&w, 1, d->num_values);
        pq_tw_i32(&w, 2, d->encoding);
        pq_tw_i32(&w, 3, d->definition_level_encoding);
        pq_tw_i32(&w, 4, d->repetition_level_encoding);
        if (d->has_statistics) wr_statistics(&w, 5, &d->statistics);
        pq_tw_struct_end(&w);
    }
    if (h->has_index_page) wr_empty_struct(&w, 6);
    if (h->has_dict_page) {
        pq_tw_struct_begin(&w, 7);
        pq_tw_i32(&w, 1, h->dict_page.num_values);
        pq_tw_i32(&w, 2, h->dict_page.encoding);
        if (h->dict_page.has_is_sorted) pq_tw_bool(&w, 3, h->dict_page.is_sorted);
        pq_tw_struct_end(&w);
    }
    if (h->has_data_page_v2) {
        const pq_data_page_header_v2 *d = &h->data_page_v2;
        pq_tw_struct_begin(&w, 8);
        pq_tw_i32(&w, 1, d->num_values);
        pq_tw_i32(&w, 2, d->num_nulls);
        pq_tw_i32(&w, 3, d->num_rows);
        pq_tw_i32(&w, 4, d->encoding);
        pq_tw_i32(&w, 5, d->definition_levels_byte_length);
        pq_tw_i32(&w, 6, d->repetition_levels_byte_length);
        pq_tw_bool(&w, 7, d->is_compressed);
        if (d->has_statistics) wr_statistics(&w, 8, &d->statistics);
        pq_tw_struct_end(&w);
    }
    pq_tw_struct_end(&w);
    ts_status st = pq_tw_status(&w);
    if (st != TS_OK) return ts_err_set(err, st, "cannot encode a parquet page header (%s)", ts_status_name(st));
    return TS_OK;
}

/* ======================= names ======================= */

const char *pq_type_name(int t)
{
    static const char *const n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
                                    "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return t >= 0 && t < 8 ? n[t] : "?";
}

const char *pq_encoding_name(int e)
{
    static const char *const n[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
                                    "BIT_PACKED", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                                    "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT", "ALP"};
    return e >= 0 && e < 11 ? n[e] : "?";
}

const char *pq_page_type_name(int t)
{
    static const char *const n[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
    return t >= 0 && t < 4 ? n[t] : "?";
}
