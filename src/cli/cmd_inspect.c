/* tsarchive inspect: everything the footer of a Parquet file says (schema,
 * row groups, column chunks, statistics decoded per type), optionally page
 * headers, as text or JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_io.h"
#include "core/ts_time.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_pages.h"
#include "parquet/pq_reader.h"
#include "pq_text.h"

static const cli_opt opts[] = {
    {.name = "json", .help = "machine-readable JSON instead of text"},
    {.name = "pages", .help = "also list every page header of every column chunk"},
    {0},
};

static const char *const CT_NAMES[] = {
    "UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
    "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
    "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};

static const char *unit_name(pq_time_unit u)
{
    return u == PQ_UNIT_MILLIS ? "MILLIS" : u == PQ_UNIT_MICROS ? "MICROS"
           : u == PQ_UNIT_NANOS ? "NANOS" : "?";
}

/* "TIMESTAMP(MICROS,utc)", "DECIMAL(10,2)", "STRING", ... or NULL. */
static json_t *logical_json(const pq_logical *lt)
{
    char t[96];
    switch (lt->kind) {
    case PQ_LT_NONE: return json_null();
    case PQ_LT_STRING: return json_string("STRING");
    case PQ_LT_MAP: return json_string("MAP");
    case PQ_LT_LIST: return json_string("LIST");
    case PQ_LT_ENUM: return json_string("ENUM");
    case PQ_LT_DECIMAL:
        snprintf(t, sizeof t, "DECIMAL(%d,%d)", (int)lt->precision, (int)lt->scale);
        return json_string(t);
    case PQ_LT_DATE: return json_string("DATE");
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        snprintf(t, sizeof t, "%s(%s,%s)", lt->kind == PQ_LT_TIME ? "TIME" : "TIMESTAMP",
                 unit_name(lt->unit), lt->utc ? "utc" : "local");
        return json_string(t);
    case PQ_LT_INTEGER:
        snprintf(t, sizeof t, "INTEGER(%d,%s)", (int)lt->bit_width, lt->is_signed ? "signed" : "unsigned");
        return json_string(t);
    case PQ_LT_UNKNOWN: return json_string("UNKNOWN");
    case PQ_LT_JSON: return json_string("JSON");
    case PQ_LT_BSON: return json_string("BSON");
    case PQ_LT_UUID: return json_string("UUID");
    case PQ_LT_FLOAT16: return json_string("FLOAT16");
    case PQ_LT_VARIANT: return json_string("VARIANT");
    case PQ_LT_GEOMETRY: return json_string("GEOMETRY");
    case PQ_LT_GEOGRAPHY: return json_string("GEOGRAPHY");
    default: return json_string("OTHER");
    }
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    ts_buf b;
    ts_buf_init(&b, (size_t)64 << 20);
    ts_buf_append(&b, "hex:", 4);
    for (size_t i = 0; i < n; i++) {
        ts_buf_append_byte(&b, (uint8_t)hx[p[i] >> 4]);
        ts_buf_append_byte(&b, (uint8_t)hx[p[i] & 15]);
    }
    json_t *j = json_stringn((const char *)b.data, b.len);
    ts_buf_free(&b);
    return j;
}

static json_t *ts_json(int64_t ns)
{
    char t[TS_TIME_STR_MAX];
    size_t n = pqt_time(ns, t);
    return json_stringn(t, n);
}

static json_t *double_json(double d)
{
    if (d != d) return json_string("NaN");
    if (d > 1.7976931348623157e308) return json_string("Infinity");
    if (d < -1.7976931348623157e308) return json_string("-Infinity");
    return json_real(d);
}

/* A statistics value decoded per the column's type. */
static json_t *stat_json(const pq_schema_element *se, const pq_column_info *ci, bool ci_ok,
                         const pq_bytes *v)
{
    const uint8_t *p = v->ptr;
    size_t n = v->len;
    char t[128];
    switch (se->type) {
    case PQ_BOOLEAN:
        if (n >= 1) return json_boolean(p[0] & 1);
        break;
    case PQ_INT32: {
        if (n != 4) break;
        int32_t x = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        if (ci_ok && ci->kind == PQ_VK_DATE) {
            int64_t y;
            unsigned m, d;
            ts_civil_from_days(x, &y, &m, &d);
            snprintf(t, sizeof t, "%04lld-%02u-%02u", (long long)y, m, d);
            return json_string(t);
        }
        if (ci_ok && ci->kind == PQ_VK_DECIMAL && pq_decimal_text_i64(x, ci->scale, t, sizeof t))
            return json_string(t);
        if (ci_ok && ci->is_unsigned) return json_integer((json_int_t)(uint32_t)x);
        return json_integer(x);
    }
    case PQ_INT64: {
        if (n != 8) break;
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
        int64_t x = (int64_t)u;
        if (ci_ok && ci->kind == PQ_VK_TIMESTAMP) {
            int64_t ns;
            if (!__builtin_mul_overflow(x, ci->unit_ns, &ns)) return ts_json(ns);
            return json_integer(x);
        }
        if (ci_ok && ci->kind == PQ_VK_DECIMAL && pq_decimal_text_i64(x, ci->scale, t, sizeof t))
            return json_string(t);
        if (ci_ok && ci->kind == PQ_VK_UINT64) {
            if (x >= 0) return json_integer(x);
            snprintf(t, sizeof t, "%" PRIu64, u);
            return json_string(t);
        }
        return json_integer(x);
    }
    case PQ_INT96: {
        int64_t ns;
        if (n == 12 && pq_int96_to_ns(p, &ns)) return ts_json(ns);
        break;
    }
    case PQ_FLOAT: {
        if (n != 4) break;
        float f;
        memcpy(&f, p, 4);
        return double_json((double)f);
    }
    case PQ_DOUBLE: {
        if (n != 8) break;
        double d;
        memcpy(&d, p, 8);
        return double_json(d);
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (ci_ok && ci->kind == PQ_VK_DECIMAL && n && pq_decimal_text(p, n, ci->scale, t, sizeof t))
            return json_string(t);
        if (ci_ok && ci->kind == PQ_VK_STRING) {
            json_t *s = json_stringn((const char *)p, n); /* NULL when not valid UTF-8 */
            if (s) return s;
        }
        break;
    }
    return hex_json(p, n);
}

static json_t *stats_json(const pq_schema_element *se, const pq_statistics *s)
{
    pq_column_info ci;
    ts_error e;
    ts_err_clear(&e);
    bool ci_ok = se && pq_describe_column(se, &ci, &e) == TS_OK;
    json_t *o = json_object();
    if (s->has_null_count) json_object_set_new(o, "null_count", json_integer(s->null_count));
    if (s->has_distinct_count) json_object_set_new(o, "distinct_count", json_integer(s->distinct_count));
    if (s->has_nan_count) json_object_set_new(o, "nan_count", json_integer(s->nan_count));
    const pq_bytes *mn = s->min_value.set ? &s->min_value : s->min.set ? &s->min : NULL;
    const pq_bytes *mx = s->max_value.set ? &s->max_value : s->max.set ? &s->max : NULL;
    if (se && mn) json_object_set_new(o, "min", stat_json(se, &ci, ci_ok, mn));
    if (se && mx) json_object_set_new(o, "max", stat_json(se, &ci, ci_ok, mx));
    if ((mn && !s->min_value.set) || (mx && !s->max_value.set))
        json_object_set_new(o, "legacy_min_max", json_true());
    if (s->has_is_min_value_exact) json_object_set_new(o, "min_exact", json_boolean(s->is_min_value_exact));
    if (s->has_is_max_value_exact) json_object_set_new(o, "max_exact", json_boolean(s->is_max_value_exact));
    return o;
}

static json_t *encodings_json(const pq_encoding *e, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(pq_encoding_name(e[i])));
    return a;
}

typedef struct page_walk {
    json_t *pages;
    const pq_schema_element *se;
} page_walk;

static ts_status page_cb(const pq_page_info *pi, void *ud, ts_error *err)
{
    (void)err;
    page_walk *w = ud;
    const pq_page_header *h = pi->h;
    json_t *o = json_object();
    json_object_set_new(o, "offset", json_integer((json_int_t)pi->offset));
    json_object_set_new(o, "type", json_string(pq_page_type_name(h->type)));
    json_object_set_new(o, "header_bytes", json_integer((json_int_t)pi->header_len));
    json_object_set_new(o, "compressed", json_integer(h->compressed_page_size));
    json_object_set_new(o, "uncompressed", json_integer(h->uncompressed_page_size));
    if (h->has_crc) {
        char t[16];
        snprintf(t, sizeof t, "%08x", h->crc);
        json_object_set_new(o, "crc", json_string(t));
    }
    if (h->has_data_page) {
        json_object_set_new(o, "num_values", json_integer(h->data_page.num_values));
        json_object_set_new(o, "encoding", json_string(pq_encoding_name(h->data_page.encoding)));
        json_object_set_new(o, "def_level_encoding",
                            json_string(pq_encoding_name(h->data_page.definition_level_encoding)));
        if (h->data_page.has_statistics)
            json_object_set_new(o, "statistics", stats_json(w->se, &h->data_page.statistics));
    } else if (h->has_data_page_v2) {
        const pq_data_page_header_v2 *v = &h->data_page_v2;
        json_object_set_new(o, "num_values", json_integer(v->num_values));
        json_object_set_new(o, "num_nulls", json_integer(v->num_nulls));
        json_object_set_new(o, "num_rows", json_integer(v->num_rows));
        json_object_set_new(o, "encoding", json_string(pq_encoding_name(v->encoding)));
        json_object_set_new(o, "def_levels_bytes", json_integer(v->definition_levels_byte_length));
        json_object_set_new(o, "rep_levels_bytes", json_integer(v->repetition_levels_byte_length));
        json_object_set_new(o, "is_compressed", json_boolean(v->is_compressed));
        if (v->has_statistics) json_object_set_new(o, "statistics", stats_json(w->se, &v->statistics));
    } else if (h->has_dict_page) {
        json_object_set_new(o, "num_values", json_integer(h->dict_page.num_values));
        json_object_set_new(o, "encoding", json_string(pq_encoding_name(h->dict_page.encoding)));
    }
    json_array_append_new(w->pages, o);
    return TS_OK;
}

/* Leaf schema elements in leaf order, with their dotted paths. */
static ts_status collect(const pq_file_meta *m, json_t *schema, const pq_schema_element **leaves,
                         ts_error *err)
{
    /* stack of (remaining children, path length) for the dotted names */
    char path[1024];
    size_t plen[64];
    int64_t remain[64];
    int depth = 0;
    size_t nleaf = 0;
    path[0] = 0;
    plen[0] = 0;
    remain[0] = m->schema[0].has_num_children ? m->schema[0].num_children : 0;
    for (size_t i = 1; i < m->nschema; i++) {
        while (depth > 0 && remain[depth] == 0) depth--;
        if (remain[depth] == 0) break;
        remain[depth]--;
        const pq_schema_element *se = &m->schema[i];
        size_t base = plen[depth];
        int w = snprintf(path + base, sizeof path - base, "%s%s", base ? "." : "", se->name);
        size_t len = w < 0 ? base : base + (size_t)w;
        if (len >= sizeof path) len = sizeof path - 1;
        json_t *o = json_object();
        json_t *jn = json_string(se->name), *jp = json_stringn(path, len);
        json_object_set_new(o, "name", jn ? jn : hex_json((const uint8_t *)se->name, strlen(se->name)));
        json_object_set_new(o, "path", jp ? jp : json_string("?"));
        json_object_set_new(o, "depth", json_integer(depth));
        if (se->has_type) json_object_set_new(o, "physical", json_string(pq_type_name(se->type)));
        if (se->has_type_length) json_object_set_new(o, "type_length", json_integer(se->type_length));
        if (se->has_repetition)
            json_object_set_new(o, "repetition", json_string(se->repetition == PQ_REQUIRED ? "REQUIRED"
                                                             : se->repetition == PQ_OPTIONAL ? "OPTIONAL" : "REPEATED"));
        if (se->has_converted_type && (unsigned)se->converted_type < sizeof CT_NAMES / sizeof CT_NAMES[0])
            json_object_set_new(o, "converted", json_string(CT_NAMES[se->converted_type]));
        json_object_set_new(o, "logical", logical_json(&se->logical));
        if (se->has_scale) json_object_set_new(o, "scale", json_integer(se->scale));
        if (se->has_precision) json_object_set_new(o, "precision", json_integer(se->precision));
        bool group = !se->has_type || (se->has_num_children && se->num_children > 0);
        if (group) {
            json_object_set_new(o, "num_children", json_integer(se->has_num_children ? se->num_children : 0));
            if (depth + 1 < 64 && se->has_num_children && se->num_children > 0) {
                depth++;
                remain[depth] = se->num_children;
                plen[depth] = len;
            }
        } else {
            pq_column_info ci;
            ts_error e;
            ts_err_clear(&e);
            if (depth == 0 && !(se->has_repetition && se->repetition == PQ_REPEATED) &&
                pq_describe_column(se, &ci, &e) == TS_OK)
                json_object_set_new(o, "reads_as", json_string(ts_type_name(ci.type)));
            else
                json_object_set_new(o, "reads_as", json_string(depth ? "unsupported (nested)" : "unsupported"));
            if (nleaf < m->nleaves) leaves[nleaf++] = se;
        }
        json_array_append_new(schema, o);
    }
    if (nleaf != m->nleaves)
        return ts_err_set(err, TS_ERR_CORRUPT, "schema has %zu leaves, footer says %zu", nleaf, m->nleaves);
    return TS_OK;
}

static ts_status build(const char *file, bool pages, json_t **out, ts_error *err)
{
    ts_input *in = NULL;
    pq_reader *r = NULL;
    pq_reader_opts o;
    pq_reader_opts_default(&o);
    o.metadata_only = true;
    TS_TRY(ts_input_file(file, &in, err));
    ts_status st = pq_reader_open(in, &o, &r, err);
    if (st != TS_OK) {
        ts_input_close(in);
        return st;
    }
    const pq_file_meta *m = pq_reader_meta(r);
    json_t *root = json_object();
    json_t *jf = json_string(file);
    json_object_set_new(root, "file", jf ? jf : json_string("?"));
    json_object_set_new(root, "size", json_integer((json_int_t)in->size));
    json_t *jcb = m->created_by ? json_string(m->created_by) : NULL;
    json_object_set_new(root, "created_by", jcb ? jcb : json_null());
    json_object_set_new(root, "version", json_integer(m->version));
    json_object_set_new(root, "num_rows", json_integer(m->num_rows));
    json_object_set_new(root, "row_group_rows", json_integer(pq_reader_row_group_rows(r)));
    json_object_set_new(root, "num_row_groups", json_integer((json_int_t)m->nrow_groups));
    json_object_set_new(root, "encrypted_footer_fields", json_boolean(m->encrypted));
    json_t *kv = json_array();
    for (size_t i = 0; i < m->nkv; i++) {
        json_t *e = json_object();
        json_t *k = json_string(m->kv[i].key);
        json_object_set_new(e, "key", k ? k : hex_json((const uint8_t *)m->kv[i].key, strlen(m->kv[i].key)));
        json_t *v = m->kv[i].value ? json_string(m->kv[i].value) : json_null();
        json_object_set_new(e, "value", v ? v : hex_json((const uint8_t *)m->kv[i].value, strlen(m->kv[i].value)));
        json_array_append_new(kv, e);
    }
    json_object_set_new(root, "key_value_metadata", kv);
    json_t *schema = json_array();
    json_object_set_new(root, "schema", schema);
    const pq_schema_element **leaves = ts_calloc(m->nleaves ? m->nleaves : 1, sizeof *leaves);
    if (!leaves) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (st == TS_OK) st = collect(m, schema, leaves, err);
    json_t *rgs = json_array();
    json_object_set_new(root, "row_groups", rgs);
    for (size_t g = 0; st == TS_OK && g < m->nrow_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        json_t *jg = json_object();
        json_object_set_new(jg, "index", json_integer((json_int_t)g));
        json_object_set_new(jg, "num_rows", json_integer(rg->num_rows));
        json_object_set_new(jg, "total_byte_size", json_integer(rg->total_byte_size));
        if (rg->has_total_compressed_size)
            json_object_set_new(jg, "total_compressed_size", json_integer(rg->total_compressed_size));
        if (rg->has_file_offset) json_object_set_new(jg, "file_offset", json_integer(rg->file_offset));
        json_t *cols = json_array();
        json_object_set_new(jg, "columns", cols);
        for (size_t c = 0; c < rg->ncolumns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            json_t *jc = json_object();
            const pq_schema_element *se = c < m->nleaves ? leaves[c] : NULL;
            if (cc->has_meta) {
                const pq_column_meta *md = &cc->meta;
                ts_buf p;
                ts_buf_init(&p, 1 << 20);
                for (size_t k = 0; k < md->npath; k++) {
                    if (k) ts_buf_append_byte(&p, '.');
                    ts_buf_append_str(&p, md->path[k]);
                }
                json_t *js = json_stringn((const char *)p.data, p.len);
                json_object_set_new(jc, "path", js ? js : hex_json(p.data, p.len));
                ts_buf_free(&p);
                json_object_set_new(jc, "physical", json_string(pq_type_name(md->type)));
                json_object_set_new(jc, "codec", md->codec >= 0 && md->codec <= 7
                                                     ? json_string(pq_codec_name((pq_codec)md->codec))
                                                     : json_integer(md->codec));
                json_object_set_new(jc, "encodings", encodings_json(md->encodings, md->nencodings));
                json_object_set_new(jc, "compressed", json_integer(md->total_compressed_size));
                json_object_set_new(jc, "uncompressed", json_integer(md->total_uncompressed_size));
                json_object_set_new(jc, "num_values", json_integer(md->num_values));
                if (md->has_dictionary_page_offset)
                    json_object_set_new(jc, "dictionary_page_offset", json_integer(md->dictionary_page_offset));
                json_object_set_new(jc, "data_page_offset", json_integer(md->data_page_offset));
                if (md->has_statistics) json_object_set_new(jc, "statistics", stats_json(se, &md->statistics));
                if (md->nencoding_stats) {
                    json_t *es = json_array();
                    for (size_t k = 0; k < md->nencoding_stats; k++) {
                        json_t *e = json_object();
                        json_object_set_new(e, "page_type", json_string(pq_page_type_name(md->encoding_stats[k].page_type)));
                        json_object_set_new(e, "encoding", json_string(pq_encoding_name(md->encoding_stats[k].encoding)));
                        json_object_set_new(e, "count", json_integer(md->encoding_stats[k].count));
                        json_array_append_new(es, e);
                    }
                    json_object_set_new(jc, "encoding_stats", es);
                }
            }
            if (cc->has_column_index) json_object_set_new(jc, "column_index_offset", json_integer(cc->column_index_offset));
            if (cc->has_offset_index) json_object_set_new(jc, "offset_index_offset", json_integer(cc->offset_index_offset));
            if (cc->encrypted) json_object_set_new(jc, "encrypted", json_true());
            if (pages && cc->has_meta && !cc->encrypted && !cc->file_path && rg->num_rows > 0) {
                page_walk w = {.pages = json_array(), .se = se};
                ts_error e2;
                ts_err_clear(&e2);
                if (pq_walk_pages(in, cc, pq_reader_data_end(r), page_cb, &w, &e2) != TS_OK)
                    json_object_set_new(jc, "pages_error", json_string(e2.msg));
                json_object_set_new(jc, "pages", w.pages);
            }
            json_array_append_new(cols, jc);
        }
        json_array_append_new(rgs, jg);
    }
    ts_free(leaves);
    pq_reader_free(r);
    ts_input_close(in);
    if (st != TS_OK) {
        json_decref(root);
        return st;
    }
    *out = root;
    return TS_OK;
}

static void print_kv_line(FILE *f, const char *indent, json_t *o, const char *const *skip)
{
    const char *key;
    json_t *v;
    fputs(indent, f);
    bool first = true;
    json_object_foreach(o, key, v) {
        bool s = false;
        for (size_t i = 0; skip && skip[i]; i++)
            if (strcmp(skip[i], key) == 0) s = true;
        if (s) continue;
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        fprintf(f, "%s%s=%s", first ? "" : "  ", key, t ? t : "?");
        free(t);
        first = false;
    }
    fputc('\n', f);
}

static void print_text(FILE *f, json_t *root)
{
    char *cb = json_dumps(json_object_get(root, "created_by"), JSON_ENCODE_ANY);
    fprintf(f, "file:        %s (%" JSON_INTEGER_FORMAT " bytes)\n", json_string_value(json_object_get(root, "file")),
            json_integer_value(json_object_get(root, "size")));
    fprintf(f, "created_by:  %s\n", cb ? cb : "null");
    free(cb);
    fprintf(f, "version:     %" JSON_INTEGER_FORMAT "\n", json_integer_value(json_object_get(root, "version")));
    json_int_t fr = json_integer_value(json_object_get(root, "num_rows"));
    json_int_t rr = json_integer_value(json_object_get(root, "row_group_rows"));
    fprintf(f, "num_rows:    %" JSON_INTEGER_FORMAT "%s\n", fr, fr == rr ? "" : "  (row groups say otherwise, see below)");
    if (fr != rr) fprintf(f, "row groups:  %" JSON_INTEGER_FORMAT " rows in total\n", rr);
    size_t i;
    json_t *v;
    json_t *kv = json_object_get(root, "key_value_metadata");
    if (json_array_size(kv)) {
        fprintf(f, "key_value_metadata:\n");
        json_array_foreach(kv, i, v) {
            json_t *val = json_object_get(v, "value");
            const char *s = json_string_value(val);
            size_t n = s ? strlen(s) : 0;
            fprintf(f, "  %s = %.*s%s\n", json_string_value(json_object_get(v, "key")),
                    (int)(n > 200 ? 200 : n), s ? s : "(absent)", n > 200 ? "…" : "");
        }
    }
    fprintf(f, "schema:\n");
    json_array_foreach(json_object_get(root, "schema"), i, v) {
        json_int_t d = json_integer_value(json_object_get(v, "depth"));
        const char *phys = json_string_value(json_object_get(v, "physical"));
        const char *lt = json_string_value(json_object_get(v, "logical"));
        const char *ct = json_string_value(json_object_get(v, "converted"));
        const char *rep = json_string_value(json_object_get(v, "repetition"));
        const char *ra = json_string_value(json_object_get(v, "reads_as"));
        fprintf(f, "  %*s%s: %s%s%s%s%s%s %s%s%s\n", (int)(2 * d), "", json_string_value(json_object_get(v, "name")),
                phys ? phys : "group", lt ? " " : "", lt ? lt : "", ct ? " [" : "", ct ? ct : "", ct ? "]" : "",
                rep ? rep : "", ra ? " -> " : "", ra ? ra : "");
    }
    json_array_foreach(json_object_get(root, "row_groups"), i, v) {
        static const char *const skipg[] = {"columns", "index", NULL};
        fprintf(f, "row group %zu:\n", i);
        print_kv_line(f, "  ", v, skipg);
        size_t c;
        json_t *cv;
        json_array_foreach(json_object_get(v, "columns"), c, cv) {
            static const char *const skipc[] = {"path", "statistics", "pages", "encoding_stats", NULL};
            fprintf(f, "  column %s:\n", json_string_value(json_object_get(cv, "path")));
            print_kv_line(f, "    ", cv, skipc);
            json_t *st = json_object_get(cv, "statistics");
            if (st) print_kv_line(f, "    statistics: ", st, NULL);
            size_t p;
            json_t *pv;
            json_array_foreach(json_object_get(cv, "pages"), p, pv) {
                static const char *const skipp[] = {"statistics", NULL};
                char ind[32];
                snprintf(ind, sizeof ind, "    page %zu: ", p);
                print_kv_line(f, ind, pv, skipp);
            }
        }
    }
}

static int run(const cli_args *a, cli_ctx *ctx)
{
    ts_error err;
    ts_err_clear(&err);
    json_t *root = NULL;
    ts_status st = build(a->pos[0], cli_flag(a, "pages"), &root, &err);
    if (st != TS_OK) return cli_fail(ctx, &err);
    if (cli_flag(a, "json")) {
        json_dumpf(root, ctx->out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', ctx->out);
    } else {
        print_text(ctx->out, root);
    }
    json_decref(root);
    if (fflush(ctx->out) != 0) {
        ts_err_errno(&err, TS_ERR_IO, errno, "cannot write to standard output");
        return cli_fail(ctx, &err);
    }
    return CLI_EXIT_OK;
}

const cli_cmd cmd_inspect = {
    .name = "inspect",
    .summary = "Show a Parquet file's metadata: schema, row groups, column chunks, statistics.",
    .usage = "[--json] [--pages] FILE.parquet",
    .description =
        "Reads only the footer of FILE.parquet (and, with --pages, the page headers)\n"
        "and prints: file size, created_by, format version, num_rows from the footer\n"
        "and the sum over row groups (they can differ in damaged files), key/value\n"
        "metadata, the schema tree (physical type, logical and converted annotations,\n"
        "repetition, and the batch type `cat` reads each flat column as), then per row\n"
        "group its rows and sizes and per column chunk: codec, encodings, compressed and\n"
        "uncompressed sizes, num_values, dictionary/data page offsets, page index\n"
        "offsets and statistics (null_count, distinct_count, min, max decoded per type:\n"
        "timestamps as RFC 3339, dates as YYYY-MM-DD, decimals as exact text, strings as\n"
        "text, other bytes as hex:...; legacy_min_max marks the deprecated fields).\n"
        "\n"
        "--pages lists every page header: offset, type, header and payload sizes,\n"
        "CRC, value/null/row counts, encodings.\n"
        "--json prints the same as one JSON document (ASCII, indented).\n"
        "\n"
        "Nested and encrypted-column files can be inspected. Exit codes: 0 ok, 1\n"
        "unreadable or damaged footer, 2 usage, 4 file not found.\n"
        "\n"
        "Examples:\n"
        "  tsarchive inspect data.parquet\n"
        "  tsarchive inspect --json --pages data.parquet | jq '.row_groups[0].columns[0]'\n",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
