/* Test-only: an independent, strict reader for the flat files our writer
 * produces, checking the layout rules (CRCs, sizes, offsets, counts) while
 * it decodes every value. Included by the writer tests. */
#ifndef PQ_READBACK_H
#define PQ_READBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_arena.h"
#include "core/ts_hash.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_meta.h"
#include "parquet/pq_rle.h"

typedef struct rb_col {
    size_t n;          /* rows read */
    size_t cap;
    bool *valid;
    int64_t *i;        /* INT64 and BOOLEAN */
    double *d;
    const char **s;    /* strings (copies in the arena) */
    size_t *slen;
    int dict_pages, dict_data_pages, plain_pages;
} rb_col;

typedef struct rb_file {
    ts_arena arena;
    pq_file_meta meta;
    rb_col *cols;
    size_t ncols;
    char why[512];     /* first failed check */
} rb_file;

static uint32_t rb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rb_le64(const uint8_t *p) { return (uint64_t)rb_le32(p) | (uint64_t)rb_le32(p + 4) << 32; }

#define RB_CHECK(f, cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            snprintf((f)->why, sizeof (f)->why, __VA_ARGS__);                  \
            return false;                                                      \
        }                                                                      \
    } while (0)

static bool rb_push(rb_file *f, rb_col *c)
{
    if (c->n < c->cap) return true;
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    c->valid = ts_realloc(c->valid, ncap * sizeof *c->valid);
    c->i = ts_realloc(c->i, ncap * sizeof *c->i);
    c->d = ts_realloc(c->d, ncap * sizeof *c->d);
    c->s = ts_realloc(c->s, ncap * sizeof *c->s);
    c->slen = ts_realloc(c->slen, ncap * sizeof *c->slen);
    RB_CHECK(f, c->valid && c->i && c->d && c->s && c->slen, "out of memory");
    c->cap = ncap;
    return true;
}

/* Decodes PLAIN value k of `type` at *p (advancing). */
static bool rb_plain(rb_file *f, rb_col *c, pq_type type, const uint8_t **p, const uint8_t *end,
                     size_t bool_idx)
{
    size_t k = c->n;
    switch (type) {
    case PQ_INT64:
        RB_CHECK(f, end - *p >= 8, "PLAIN int64 past the page");
        c->i[k] = (int64_t)rb_le64(*p);
        *p += 8;
        break;
    case PQ_DOUBLE: {
        RB_CHECK(f, end - *p >= 8, "PLAIN double past the page");
        uint64_t b = rb_le64(*p);
        memcpy(&c->d[k], &b, 8);
        *p += 8;
        break;
    }
    case PQ_BYTE_ARRAY: {
        RB_CHECK(f, end - *p >= 4, "PLAIN length past the page");
        uint32_t n = rb_le32(*p);
        RB_CHECK(f, (size_t)(end - *p - 4) >= n, "PLAIN string past the page");
        char *s = ts_arena_strndup(&f->arena, (const char *)*p + 4, n);
        c->s[k] = s;
        c->slen[k] = n;
        *p += 4 + n;
        break;
    }
    case PQ_BOOLEAN:
        RB_CHECK(f, (size_t)(end - *p) > bool_idx / 8, "PLAIN bool past the page");
        c->i[k] = ((*p)[bool_idx / 8] >> (bool_idx % 8)) & 1;
        break;
    default: RB_CHECK(f, 0, "unexpected type");
    }
    return true;
}

static bool rb_chunk(rb_file *f, const uint8_t *file, size_t len, const pq_schema_element *se,
                     const pq_column_chunk *cc, rb_col *c, int64_t rg_rows)
{
    const pq_column_meta *m = &cc->meta;
    RB_CHECK(f, cc->has_meta, "no ColumnMetaData");
    RB_CHECK(f, m->type == se->type, "chunk type differs from the schema");
    int64_t start = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
    if (m->has_dictionary_page_offset)
        RB_CHECK(f, m->dictionary_page_offset < m->data_page_offset, "dictionary page after data");
    RB_CHECK(f, start >= 4 && (uint64_t)(start + m->total_compressed_size) <= len - 8, "chunk out of the file");
    const uint8_t *p = file + start, *end = p + m->total_compressed_size;
    int64_t unc = 0, values = 0;
    bool optional = se->repetition == PQ_OPTIONAL;
    /* dictionary values */
    rb_col dict = {0};
    bool have_dict = false;
    int page_no = 0;
    while (p < end) {
        pq_page_header h;
        size_t used;
        ts_error e;
        ts_err_clear(&e);
        RB_CHECK(f, pq_page_header_decode(p, (size_t)(end - p), &h, &used, &e) == TS_OK, "page header: %s", e.msg);
        if (page_no == 0 && m->has_dictionary_page_offset)
            RB_CHECK(f, h.type == PQ_PAGE_DICTIONARY, "first page is not the dictionary");
        if (h.type == PQ_PAGE_DATA && values == 0)
            RB_CHECK(f, (int64_t)(p - file) == m->data_page_offset, "data_page_offset is not the first data page");
        p += used;
        RB_CHECK(f, (size_t)(end - p) >= (size_t)h.compressed_page_size, "page body past the chunk");
        RB_CHECK(f, h.has_crc, "page without CRC");
        RB_CHECK(f, ts_crc32(0, p, (size_t)h.compressed_page_size) == h.crc, "page CRC mismatch");
        uint8_t *body = ts_malloc((size_t)h.uncompressed_page_size + 1);
        RB_CHECK(f, pq_decompress((pq_codec)m->codec, p, (size_t)h.compressed_page_size, body,
                                  (size_t)h.uncompressed_page_size, &e) == TS_OK,
                 "decompress: %s", e.msg);
        unc += (int64_t)used + h.uncompressed_page_size;
        p += h.compressed_page_size;
        const uint8_t *b = body, *bend = body + h.uncompressed_page_size;
        if (h.type == PQ_PAGE_DICTIONARY) {
            RB_CHECK(f, !have_dict && page_no == 0, "second or late dictionary page");
            RB_CHECK(f, h.dict_page.encoding == PQ_ENC_PLAIN, "dictionary page not PLAIN");
            have_dict = true;
            c->dict_pages++;
            for (int32_t k = 0; k < h.dict_page.num_values; k++) {
                if (!rb_push(f, &dict)) return false;
                if (!rb_plain(f, &dict, se->type, &b, bend, 0)) return false;
                dict.n++;
            }
            RB_CHECK(f, b == bend, "dictionary page has trailing bytes");
        } else {
            RB_CHECK(f, h.type == PQ_PAGE_DATA, "not a v1 data page");
            int32_t nv = h.data_page.num_values;
            values += nv;
            bool *defs = ts_malloc((size_t)nv + 1);
            size_t nonnull = 0;
            if (optional) {
                RB_CHECK(f, bend - b >= 4, "no level length");
                uint32_t ll = rb_le32(b);
                RB_CHECK(f, (size_t)(bend - b - 4) >= ll, "levels past the page");
                uint32_t *lv = ts_malloc(((size_t)nv + 1) * sizeof *lv);
                RB_CHECK(f, pq_rle_decode(b + 4, ll, 1, lv, (size_t)nv, NULL, &e) == TS_OK, "levels: %s", e.msg);
                for (int32_t k = 0; k < nv; k++) {
                    RB_CHECK(f, lv[k] <= 1, "level > 1");
                    defs[k] = lv[k];
                    nonnull += lv[k];
                }
                ts_free(lv);
                b += 4 + ll;
            } else {
                for (int32_t k = 0; k < nv; k++) defs[k] = true;
                nonnull = (size_t)nv;
            }
            uint32_t *ix = NULL;
            if (h.data_page.encoding == PQ_ENC_RLE_DICTIONARY) {
                RB_CHECK(f, have_dict, "dictionary data page without a dictionary");
                c->dict_data_pages++;
                RB_CHECK(f, bend - b >= 1, "no bit width");
                int bw = *b++;
                ix = ts_malloc((nonnull + 1) * sizeof *ix);
                RB_CHECK(f, pq_rle_decode(b, (size_t)(bend - b), bw, ix, nonnull, NULL, &e) == TS_OK, "indices: %s", e.msg);
            } else {
                RB_CHECK(f, h.data_page.encoding == PQ_ENC_PLAIN, "unexpected encoding %d", h.data_page.encoding);
                c->plain_pages++;
            }
            size_t vi = 0;
            for (int32_t k = 0; k < nv; k++) {
                if (!rb_push(f, c)) return false;
                c->valid[c->n] = defs[k];
                if (defs[k]) {
                    if (ix) {
                        RB_CHECK(f, ix[vi] < dict.n, "index past the dictionary");
                        c->i[c->n] = dict.i[ix[vi]];
                        c->d[c->n] = dict.d[ix[vi]];
                        c->s[c->n] = dict.s[ix[vi]];
                        c->slen[c->n] = dict.slen[ix[vi]];
                    } else if (!rb_plain(f, c, se->type, &b, bend, vi)) {
                        return false;
                    }
                    vi++;
                }
                c->n++;
            }
            if (!ix && se->type == PQ_BOOLEAN) b += (vi + 7) / 8;
            if (!ix) RB_CHECK(f, b == bend, "data page has %zu trailing bytes", (size_t)(bend - b));
            ts_free(ix);
            ts_free(defs);
        }
        ts_free(body);
        page_no++;
    }
    RB_CHECK(f, values == m->num_values, "num_values %lld but pages hold %lld", (long long)m->num_values, (long long)values);
    RB_CHECK(f, values == rg_rows, "column has %lld values, row group %lld rows", (long long)values, (long long)rg_rows);
    RB_CHECK(f, unc == m->total_uncompressed_size, "total_uncompressed_size %lld, pages %lld",
             (long long)m->total_uncompressed_size, (long long)unc);
    ts_free(dict.valid);
    ts_free(dict.i);
    ts_free(dict.d);
    ts_free(dict.s);
    ts_free(dict.slen);
    return true;
}

/* Reads a whole file; false with f->why on the first violated rule. */
static bool rb_read(rb_file *f, const uint8_t *file, size_t len)
{
    memset(f, 0, sizeof *f);
    ts_arena_init(&f->arena, 0);
    RB_CHECK(f, len >= 12 && !memcmp(file, "PAR1", 4) && !memcmp(file + len - 4, "PAR1", 4), "magic");
    uint32_t flen = rb_le32(file + len - 8);
    RB_CHECK(f, flen <= len - 12, "footer length");
    ts_error e;
    ts_err_clear(&e);
    RB_CHECK(f, pq_meta_decode_file(file + len - 8 - flen, flen, &f->meta, &f->arena, &e) == TS_OK, "footer: %s", e.msg);
    pq_file_meta *m = &f->meta;
    RB_CHECK(f, m->version == 1, "version %d", m->version);
    RB_CHECK(f, m->ncolumn_orders == m->nleaves, "column_orders");
    f->ncols = m->nleaves;
    f->cols = ts_calloc(f->ncols + 1, sizeof *f->cols);
    int64_t rows = 0;
    int64_t expect_off = 4;
    for (size_t g = 0; g < m->nrow_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        int64_t tot_unc = 0, tot_comp = 0;
        for (size_t c = 0; c < f->ncols; c++) {
            const pq_column_meta *cm = &rg->columns[c].meta;
            int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset : cm->data_page_offset;
            RB_CHECK(f, start == expect_off, "row group %zu column %zu starts at %lld, expected %lld", g, c,
                     (long long)start, (long long)expect_off);
            if (c == 0) RB_CHECK(f, rg->has_file_offset && rg->file_offset == start, "RowGroup.file_offset");
            expect_off = start + cm->total_compressed_size;
            tot_unc += cm->total_uncompressed_size;
            tot_comp += cm->total_compressed_size;
            if (!rb_chunk(f, file, len, &m->schema[c + 1], &rg->columns[c], &f->cols[c], rg->num_rows)) {
                char tmp[512];
                snprintf(tmp, sizeof tmp, "row group %zu column %zu: %s", g, c, f->why);
                memcpy(f->why, tmp, sizeof tmp);
                return false;
            }
        }
        RB_CHECK(f, rg->total_byte_size == tot_unc, "RowGroup.total_byte_size");
        RB_CHECK(f, rg->has_total_compressed_size && rg->total_compressed_size == tot_comp, "RowGroup.total_compressed_size");
        RB_CHECK(f, rg->has_ordinal && rg->ordinal == (int16_t)g, "RowGroup.ordinal");
        rows += rg->num_rows;
    }
    RB_CHECK(f, expect_off == (int64_t)(len - 8 - flen), "bytes between the last chunk and the footer");
    RB_CHECK(f, rows == m->num_rows, "num_rows %lld, row groups %lld", (long long)m->num_rows, (long long)rows);
    return true;
}

static void rb_free(rb_file *f)
{
    for (size_t c = 0; f->cols && c < f->ncols; c++) {
        ts_free(f->cols[c].valid);
        ts_free(f->cols[c].i);
        ts_free(f->cols[c].d);
        ts_free(f->cols[c].s);
        ts_free(f->cols[c].slen);
    }
    ts_free(f->cols);
    ts_arena_free(&f->arena);
}

#endif
