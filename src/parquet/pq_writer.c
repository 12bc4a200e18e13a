/* Streaming Parquet writer: values go straight from batches into per-column
 * page buffers (dictionary indices or PLAIN bytes); full pages are
 * compressed into per-column chunk buffers; a full row group is written
 * column by column (dictionary page first); the footer at close. */
#include "pq_writer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_arena.h"
#include "core/ts_hash.h"
#include "core/ts_time.h"
#include "pq_le.h"
#include "pq_rle.h"

#define PAGE_MAX_ROWS 131072u     /* levels/indices arrays per column are this long */
#define RG_CHECK_ROWS 4096u       /* row-group size checks happen at this row spacing */
#define STEP_ROWS 4096u           /* page-size checks happen at least this often */
#define DICT_MAX_ENTRIES (1u << 20)
#define EARLY_CHECK_VALUES 32768 /* first-page cardinality check after this many values */
#define STAT_MAX_LEN 64           /* longer string min/max: statistics omitted */
#define DEFAULT_RG_BYTES ((size_t)128 << 20)
#define DEFAULT_RG_ROWS ((size_t)1 << 20)
#define DEFAULT_PAGE_BYTES ((size_t)1 << 20)
#define DEFAULT_DICT_BYTES ((size_t)1 << 20)

enum { EV_NONE, EV_DICT_FULL, EV_PAGE_FULL };

typedef struct colw {
    const char *name;
    ts_type type;
    pq_type ptype;
    bool optional;
    bool floor;          /* TIMESTAMP: floor sub-unit digits silently */
    int64_t div;         /* TIMESTAMP: ns per stored unit */
    /* current page */
    uint8_t *def;        /* definition levels (optional columns) */
    uint32_t *idx;       /* dictionary indices of non-null values */
    ts_buf plain;        /* PLAIN values (BOOL: bit-packed) */
    size_t page_rows, page_vals;
    bool page_dict;      /* the current page is dictionary-encoded */
    /* dictionary of the current chunk */
    bool dict_on;        /* still accepting entries */
    bool dict_used;      /* a written page refers to it */
    uint32_t *slots;     /* open addressing: entry index + 1, 0 = empty */
    size_t slot_mask;
    uint64_t *dkey;      /* value bits (INT64/DOUBLE) or hash (STRING) */
    uint32_t *doff, *dlen; /* STRING: entry bytes inside `dict` */
    size_t ndict, dcap;
    ts_buf dict;         /* PLAIN body of the dictionary page */
    /* chunk of the current row group */
    ts_buf chunk;        /* data pages, header + body, back to back */
    int64_t chunk_values, chunk_unc, chunk_comp;
    int32_t pages_dict, pages_plain;
    /* statistics of the chunk */
    int64_t nulls;
    bool has_mm;
    int64_t imin, imax;  /* INT64, TIMESTAMP (stored unit), BOOL */
    double dmin, dmax;   /* DOUBLE, NaN excluded */
    ts_buf smin, smax;   /* STRING */
} colw;

struct pq_writer {
    ts_output *out;
    ts_schema schema;
    pq_writer_opts o;
    char *created_by;
    pq_kv *kv;
    size_t nkv;
    colw *cols;
    size_t ncols;
    pq_codec_ctx *cctx;
    uint64_t pos;        /* bytes written to out */
    uint64_t rows;       /* rows accepted */
    size_t rg_rows;      /* rows in the open row group */
    ts_arena meta;       /* footer metadata of finished row groups */
    pq_row_group *rgs;
    size_t nrgs, caprgs;
    ts_buf body, cbody, hdr;
    bool failed, closed;
};

void pq_writer_opts_default(pq_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = PQ_CODEC_ZSTD;
    o->dictionary = true;
    o->time_unit = PQ_UNIT_MICROS;
}

uint64_t pq_writer_rows(const pq_writer *w) { return w->rows; }
uint64_t pq_writer_bytes(const pq_writer *w) { return w->pos; }

/* ---------------- helpers ---------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ (n * UINT64_C(0xff51afd7ed558ccd));
    while (n >= 8) {
        h = (h ^ (pq_le64(p) * UINT64_C(0x87c37b91114253d5))) * UINT64_C(0x4cf5ad432745937f);
        h = (h << 31) | (h >> 33);
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) t |= (uint64_t)p[i] << (8 * i);
    h ^= t * UINT64_C(0x87c37b91114253d5);
    return mix64(h);
}

static ts_status nomem(ts_error *err)
{
    return ts_err_set(err, TS_ERR_NOMEM, "out of memory in the parquet writer");
}

static ts_status buf_fail(ts_status st, ts_error *err, const char *what)
{
    if (st == TS_ERR_NOMEM) return nomem(err);
    return ts_err_set(err, st, "parquet writer: %s is too large", what);
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
 * Returns the offset of the first bad byte, or SIZE_MAX when valid. */
static size_t utf8_check(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!(x & UINT64_C(0x8080808080808080))) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return i;
        i += len;
    }
    return SIZE_MAX;
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static ts_status out_write(pq_writer *w, const void *p, size_t n, ts_error *err)
{
    TS_TRY(ts_output_write(w->out, p, n, err));
    w->pos += n;
    return TS_OK;
}

/* ---------------- statistics ---------------- */

static void stat_i64(colw *c, int64_t x)
{
    if (!c->has_mm) {
        c->imin = c->imax = x;
        c->has_mm = true;
    } else if (x < c->imin) {
        c->imin = x;
    } else if (x > c->imax) {
        c->imax = x;
    }
}

static void stat_f64(colw *c, double x)
{
    if (isnan(x)) return;
    if (!c->has_mm) {
        c->dmin = c->dmax = x;
        c->has_mm = true;
        return;
    }
    if (x < c->dmin || (x == 0 && c->dmin == 0 && signbit(x))) c->dmin = x;
    if (x > c->dmax || (x == 0 && c->dmax == 0 && !signbit(x))) c->dmax = x;
}

static ts_status stat_str(colw *c, const uint8_t *p, size_t n, ts_error *err)
{
    ts_status st = TS_OK;
    if (!c->has_mm) {
        c->has_mm = true;
        ts_buf_clear(&c->smin);
        ts_buf_clear(&c->smax);
        st = ts_buf_append(&c->smin, p, n);
        if (st == TS_OK) st = ts_buf_append(&c->smax, p, n);
    } else if (bytes_cmp(p, n, c->smin.data, c->smin.len) < 0) {
        ts_buf_clear(&c->smin);
        st = ts_buf_append(&c->smin, p, n);
    } else if (bytes_cmp(p, n, c->smax.data, c->smax.len) > 0) {
        ts_buf_clear(&c->smax);
        st = ts_buf_append(&c->smax, p, n);
    }
    return st == TS_OK ? TS_OK : buf_fail(st, err, "a string statistic");
}

/* ---------------- dictionary ---------------- */

static ts_status dict_init(colw *c, ts_error *err)
{
    c->slot_mask = 1023;
    c->slots = ts_calloc(c->slot_mask + 1, sizeof *c->slots);
    c->dcap = 512;
    c->dkey = ts_malloc(c->dcap * sizeof *c->dkey);
    if (c->type == TS_TYPE_STRING) {
        c->doff = ts_malloc(c->dcap * sizeof *c->doff);
        c->dlen = ts_malloc(c->dcap * sizeof *c->dlen);
        if (!c->doff || !c->dlen) return nomem(err);
    }
    if (!c->slots || !c->dkey) return nomem(err);
    return TS_OK;
}

static void dict_reset(colw *c)
{
    if (c->slots && c->ndict) memset(c->slots, 0, (c->slot_mask + 1) * sizeof *c->slots);
    c->ndict = 0;
    ts_buf_clear(&c->dict);
}

static ts_status dict_grow(colw *c, ts_error *err)
{
    if (c->ndict == c->dcap) {
        size_t ncap = c->dcap * 2;
        uint64_t *k = ts_realloc(c->dkey, ncap * sizeof *k);
        if (!k) return nomem(err);
        c->dkey = k;
        if (c->type == TS_TYPE_STRING) {
            uint32_t *o = ts_realloc(c->doff, ncap * sizeof *o);
            if (!o) return nomem(err);
            c->doff = o;
            uint32_t *l = ts_realloc(c->dlen, ncap * sizeof *l);
            if (!l) return nomem(err);
            c->dlen = l;
        }
        c->dcap = ncap;
    }
    if ((c->ndict + 1) * 2 > c->slot_mask + 1) {
        size_t nslots = (c->slot_mask + 1) * 2;
        uint32_t *s = ts_calloc(nslots, sizeof *s);
        if (!s) return nomem(err);
        size_t mask = nslots - 1;
        for (size_t i = 0; i < c->ndict; i++) {
            size_t h = (size_t)(c->type == TS_TYPE_STRING ? c->dkey[i] : mix64(c->dkey[i])) & mask;
            while (s[h]) h = (h + 1) & mask;
            s[h] = (uint32_t)(i + 1);
        }
        ts_free(c->slots);
        c->slots = s;
        c->slot_mask = mask;
    }
    return TS_OK;
}

/* Room for one more entry taking `bytes` of the dictionary page; when the
 * table grows, *h moves to a free slot for slot_hash in the new table. */
static inline ts_status dict_room(colw *c, uint64_t slot_hash, size_t bytes, size_t *h, ts_error *err)
{
    if (c->ndict == c->dcap || (c->ndict + 1) * 2 > c->slot_mask + 1) {
        TS_TRY(dict_grow(c, err));
        *h = (size_t)slot_hash & c->slot_mask;
        while (c->slots[*h]) *h = (*h + 1) & c->slot_mask;
    }
    ts_status st = ts_buf_reserve(&c->dict, bytes);
    return st == TS_OK ? TS_OK : buf_fail(st, err, "a dictionary");
}

/* Files the next entry (its bytes already in the page) under key and slot h;
 * returns its index. */
static inline uint32_t dict_add(colw *c, uint64_t key, size_t h)
{
    c->dkey[c->ndict] = key;
    c->slots[h] = (uint32_t)(c->ndict + 1);
    return (uint32_t)c->ndict++;
}

/* Finds or adds an 8-byte key. *full when a new entry would pass a limit. */
static inline ts_status dict_find64(colw *c, uint64_t key, size_t dict_max, uint32_t *id, bool *added,
                                    bool *full, ts_error *err)
{
    uint64_t hv = mix64(key);
    size_t h = (size_t)hv & c->slot_mask;
    uint32_t s;
    while ((s = c->slots[h]) != 0) {
        if (c->dkey[s - 1] == key) {
            *id = s - 1;
            *added = false;
            return TS_OK;
        }
        h = (h + 1) & c->slot_mask;
    }
    if (c->ndict >= DICT_MAX_ENTRIES || c->dict.len + 8 > dict_max) {
        *full = true;
        return TS_OK;
    }
    TS_TRY(dict_room(c, hv, 8, &h, err));
    pq_put_le64(c->dict.data + c->dict.len, key);
    c->dict.len += 8;
    *id = dict_add(c, key, h);
    *added = true;
    return TS_OK;
}

static inline ts_status dict_find_str(colw *c, const uint8_t *p, size_t n, size_t dict_max, uint32_t *id,
                                      bool *added, bool *full, ts_error *err)
{
    uint64_t hv = hash_bytes(p, n);
    size_t h = (size_t)hv & c->slot_mask;
    uint32_t s;
    while ((s = c->slots[h]) != 0) {
        uint32_t e = s - 1;
        if (c->dkey[e] == hv && c->dlen[e] == n && memcmp(c->dict.data + c->doff[e], p, n) == 0) {
            *id = e;
            *added = false;
            return TS_OK;
        }
        h = (h + 1) & c->slot_mask;
    }
    if (c->ndict >= DICT_MAX_ENTRIES || n > dict_max || c->dict.len + 4 + n > dict_max) {
        *full = true;
        return TS_OK;
    }
    TS_TRY(dict_room(c, hv, 4 + n, &h, err));
    pq_put_le32(c->dict.data + c->dict.len, (uint32_t)n);
    if (n) memcpy(c->dict.data + c->dict.len + 4, p, n);
    c->doff[c->ndict] = (uint32_t)(c->dict.len + 4);
    c->dlen[c->ndict] = (uint32_t)n;
    c->dict.len += 4 + n;
    *id = dict_add(c, hv, h);
    *added = true;
    return TS_OK;
}

/* The current page's indices back into PLAIN values (used when the first
 * page shows the column is not worth a dictionary). */
static ts_status dict_page_to_plain(colw *c, ts_error *err)
{
    ts_buf_clear(&c->plain);
    size_t need = 0;
    if (c->type == TS_TYPE_STRING) {
        for (size_t i = 0; i < c->page_vals; i++) need += 4 + c->dlen[c->idx[i]];
    } else {
        need = c->page_vals * 8;
    }
    ts_status st = ts_buf_reserve(&c->plain, need);
    if (st != TS_OK) return buf_fail(st, err, "a data page");
    uint8_t *o = c->plain.data;
    for (size_t i = 0; i < c->page_vals; i++) {
        uint32_t e = c->idx[i];
        if (c->type == TS_TYPE_STRING) {
            memcpy(o, c->dict.data + c->doff[e] - 4, 4 + (size_t)c->dlen[e]);
            o += 4 + (size_t)c->dlen[e];
        } else {
            pq_put_le64(o, c->dkey[e]);
            o += 8;
        }
    }
    c->plain.len = need;
    return TS_OK;
}

/* ---------------- pages ---------------- */

/* Compresses body, builds the header (with CRC) and appends both to dst
 * (or writes them to the output when dst is NULL). */
static ts_status emit_page(pq_writer *w, pq_page_header *h, const uint8_t *body, size_t n, ts_buf *dst,
                           int64_t *unc, int64_t *comp, ts_error *err)
{
    const uint8_t *cb = body;
    size_t cn = n;
    if (w->o.codec != PQ_CODEC_UNCOMPRESSED) {
        ts_buf_clear(&w->cbody);
        TS_TRY(pq_compress_ctx(w->cctx, w->o.codec, w->o.level, body, n, &w->cbody, err));
        cb = w->cbody.data;
        cn = w->cbody.len;
    }
    if (n > INT32_MAX || cn > INT32_MAX)
        return ts_err_set(err, TS_ERR_LIMIT, "parquet writer: a page of %zu bytes is too large", n);
    h->uncompressed_page_size = (int32_t)n;
    h->compressed_page_size = (int32_t)cn;
    h->has_crc = true;
    h->crc = ts_crc32(0, cb, cn);
    ts_buf_clear(&w->hdr);
    TS_TRY(pq_page_header_encode(h, &w->hdr, err));
    if (dst) {
        ts_status st = ts_buf_append(dst, w->hdr.data, w->hdr.len);
        if (st == TS_OK) st = ts_buf_append(dst, cb, cn);
        if (st != TS_OK) return buf_fail(st, err, "a column chunk");
    } else {
        TS_TRY(out_write(w, w->hdr.data, w->hdr.len, err));
        TS_TRY(out_write(w, cb, cn, err));
    }
    *unc += (int64_t)(w->hdr.len + n);
    *comp += (int64_t)(w->hdr.len + cn);
    return TS_OK;
}

static ts_status flush_page(pq_writer *w, colw *c, ts_error *err)
{
    if (c->page_rows == 0) return TS_OK;
    if (c->page_dict && !c->dict_used && c->ndict > 64 && c->ndict * 2 > c->page_vals) {
        /* Mostly distinct values: a dictionary costs more than it saves. */
        TS_TRY(dict_page_to_plain(c, err));
        c->page_dict = false;
        c->dict_on = false;
        dict_reset(c);
    }
    /* Only NULLs so far: a PLAIN page with no values, rather than an empty
     * dictionary that some readers might trip over. */
    if (c->page_dict && c->ndict == 0) c->page_dict = false;
    ts_buf *b = &w->body;
    ts_buf_clear(b);
    ts_status st = TS_OK;
    if (c->optional) {
        st = ts_buf_reserve(b, 4);
        if (st == TS_OK) {
            b->len = 4;
            st = pq_rle_encode_u8(c->def, c->page_rows, 1, b);
        }
        if (st == TS_OK) pq_put_le32(b->data, (uint32_t)(b->len - 4));
    }
    if (st == TS_OK) {
        if (c->page_dict) {
            int bw = c->ndict > 1 ? pq_bit_width(c->ndict - 1) : 1;
            st = ts_buf_append_byte(b, (uint8_t)bw);
            if (st == TS_OK) st = pq_rle_encode(c->idx, c->page_vals, bw, b);
        } else {
            st = ts_buf_append(b, c->plain.data, c->plain.len);
        }
    }
    if (st != TS_OK) return buf_fail(st, err, "a data page");
    pq_page_header h = {0};
    h.type = PQ_PAGE_DATA;
    h.has_data_page = true;
    h.data_page.num_values = (int32_t)c->page_rows;
    h.data_page.encoding = c->page_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
    h.data_page.definition_level_encoding = PQ_ENC_RLE;
    h.data_page.repetition_level_encoding = PQ_ENC_RLE;
    TS_TRY(emit_page(w, &h, b->data, b->len, &c->chunk, &c->chunk_unc, &c->chunk_comp, err));
    if (c->page_dict) {
        c->dict_used = true;
        c->pages_dict++;
    } else {
        c->pages_plain++;
    }
    c->chunk_values += (int64_t)c->page_rows;
    c->page_rows = c->page_vals = 0;
    ts_buf_clear(&c->plain);
    c->page_dict = c->dict_on;
    return TS_OK;
}

static size_t page_estimate(const colw *c)
{
    size_t levels = c->optional ? c->page_rows / 8 : 0;
    if (c->page_dict) return levels + c->page_vals * (size_t)(pq_bit_width(c->ndict) + 1) / 8;
    return levels + c->plain.len;
}

/* ---------------- value encoders ----------------
 * Each encodes rows [r0, r1) of one batch column into the current page and
 * sets *next to the first row not consumed: r1, or earlier with *ev set
 * when the dictionary is full (flush, fall back, continue) or the page is. */

typedef struct enc_args {
    pq_writer *w;
    colw *c;
    const ts_column *col;
    uint64_t row0;       /* file row of batch row 0, for messages */
    size_t r0, r1;
    size_t next;
    int ev;
    ts_error *err;
} enc_args;

static ts_status null_in_required(enc_args *a, size_t r)
{
    return ts_err_set(a->err, TS_ERR_USAGE,
                      "column '%s' is not nullable but row %llu is NULL", a->c->name,
                      (unsigned long long)(a->row0 + r));
}

static ts_status lossy_time(enc_args *a, size_t r, int64_t ns)
{
    char t[TS_TIME_STR_MAX];
    ts_time_format(ns, t);
    const char *unit = a->c->div == 1000 ? "MICROS" : "MILLIS";
    return ts_err_set(a->err, TS_ERR_USAGE,
                      "column '%s', row %llu: timestamp %s has digits below TIMESTAMP(%s) "
                      "precision; write a finer time unit (e.g. NANOS) or ask for flooring explicitly",
                      a->c->name, (unsigned long long)(a->row0 + r), t, unit);
}

/* Level bookkeeping shared by every encoder: returns false for a NULL row
 * (recorded), true for a value to encode. */
#define HANDLE_NULL(a, c, valid, r)                                               \
    if (!((valid)[(r) >> 3] >> ((r) & 7) & 1)) {                                 \
        if (!(c)->optional) return null_in_required((a), (r));                   \
        (c)->def[(c)->page_rows++] = 0;                                          \
        (c)->nulls++;                                                            \
        continue;                                                                \
    }

/* After a value: counts it and marks its row as defined. */
static inline void value_done(colw *c)
{
    c->page_vals++;
    if (c->optional) c->def[c->page_rows] = 1;
    c->page_rows++;
}

/* Stops the encoder before row r (the caller flushes the page, or falls back
 * to PLAIN, and resumes there). */
static inline ts_status stop_at(enc_args *a, size_t r, int ev)
{
    a->next = r;
    a->ev = ev;
    return TS_OK;
}

/* The 8-byte types: INT64 and TIMESTAMP (scaled to the stored unit) as
 * integers, DOUBLE as its bits. One loop for both; always inlined with a
 * constant is_double, so each type gets its own branch-free copy. */
static inline __attribute__((always_inline)) ts_status enc_word(enc_args *a, bool is_double)
{
    colw *c = a->c;
    const int64_t *vi = a->col->v.i64;
    const double *vd = a->col->v.f64;
    const uint8_t *valid = a->col->validity;
    size_t dict_max = a->w->o.dict_max_bytes;
    if (!c->page_dict) {
        ts_status st = ts_buf_reserve(&c->plain, (a->r1 - a->r0) * 8);
        if (st != TS_OK) return buf_fail(st, a->err, "a data page");
    }
    for (size_t r = a->r0; r < a->r1; r++) {
        HANDLE_NULL(a, c, valid, r)
        int64_t x = 0;
        double d = 0;
        uint64_t bits;
        if (is_double) {
            d = vd[r];
            memcpy(&bits, &d, 8);
        } else {
            x = vi[r];
            if (c->div != 1) {
                int64_t q = x / c->div, m = x % c->div;
                if (m) {
                    if (!c->floor) return lossy_time(a, r, x);
                    if (m < 0) q--;
                }
                x = q;
            }
            bits = (uint64_t)x;
        }
        bool add_stat = true;
        if (c->page_dict) {
            uint32_t id = 0;
            bool full = false;
            TS_TRY(dict_find64(c, bits, dict_max, &id, &add_stat, &full, a->err));
            if (full) return stop_at(a, r, EV_DICT_FULL);
            c->idx[c->page_vals] = id;
        } else {
            pq_put_le64(c->plain.data + c->plain.len, bits);
            c->plain.len += 8;
        }
        if (add_stat) { /* a dictionary entry seen before is in the statistics already */
            if (is_double) stat_f64(c, d);
            else stat_i64(c, x);
        }
        value_done(c);
    }
    a->next = a->r1;
    return TS_OK;
}

static ts_status enc_i64(enc_args *a) { return enc_word(a, false); }
static ts_status enc_f64(enc_args *a) { return enc_word(a, true); }

static ts_status bad_utf8(enc_args *a, size_t r, size_t at)
{
    return ts_err_set(a->err, TS_ERR_CORRUPT,
                      "column '%s', row %llu: the string is not valid UTF-8 (byte %zu); Parquet "
                      "STRING columns must hold UTF-8",
                      a->c->name, (unsigned long long)(a->row0 + r), at);
}

static ts_status enc_str(enc_args *a)
{
    colw *c = a->c;
    const ts_str *v = a->col->v.str;
    const uint8_t *valid = a->col->validity;
    size_t dict_max = a->w->o.dict_max_bytes, page_max = a->w->o.page_bytes;
    for (size_t r = a->r0; r < a->r1; r++) {
        HANDLE_NULL(a, c, valid, r)
        const uint8_t *p = (const uint8_t *)v[r].ptr;
        size_t n = v[r].len;
        if (n > UINT32_MAX / 2)
            return ts_err_set(a->err, TS_ERR_LIMIT, "column '%s', row %llu: a string of %zu bytes is too long",
                              c->name, (unsigned long long)(a->row0 + r), n);
        if (c->page_dict) {
            uint32_t id = 0;
            bool added = false, full = false;
            TS_TRY(dict_find_str(c, p, n, dict_max, &id, &added, &full, a->err));
            if (full) return stop_at(a, r, EV_DICT_FULL);
            if (added) {
                size_t bad = utf8_check(p, n);
                if (bad != SIZE_MAX) return bad_utf8(a, r, bad);
                TS_TRY(stat_str(c, p, n, a->err));
            }
            c->idx[c->page_vals] = id;
        } else {
            size_t bad = utf8_check(p, n);
            if (bad != SIZE_MAX) return bad_utf8(a, r, bad);
            if (c->page_rows && c->plain.len + 4 + n > page_max) return stop_at(a, r, EV_PAGE_FULL);
            ts_status st = ts_buf_reserve(&c->plain, 4 + n);
            if (st != TS_OK) return buf_fail(st, a->err, "a data page");
            pq_put_le32(c->plain.data + c->plain.len, (uint32_t)n);
            if (n) memcpy(c->plain.data + c->plain.len + 4, p, n);
            c->plain.len += 4 + n;
            TS_TRY(stat_str(c, p, n, a->err));
        }
        value_done(c);
    }
    a->next = a->r1;
    return TS_OK;
}

static ts_status enc_bool(enc_args *a)
{
    colw *c = a->c;
    const uint8_t *v = a->col->v.b8;
    const uint8_t *valid = a->col->validity;
    size_t want = (c->page_vals + (a->r1 - a->r0) + 7) / 8;
    if (want > c->plain.len) {
        ts_status st = ts_buf_reserve(&c->plain, want - c->plain.len);
        if (st != TS_OK) return buf_fail(st, a->err, "a data page");
        memset(c->plain.data + c->plain.len, 0, want - c->plain.len);
    }
    for (size_t r = a->r0; r < a->r1; r++) {
        HANDLE_NULL(a, c, valid, r)
        int x = v[r] != 0;
        c->plain.data[c->page_vals >> 3] |= (uint8_t)(x << (c->page_vals & 7));
        stat_i64(c, x);
        value_done(c);
    }
    c->plain.len = (c->page_vals + 7) / 8;
    a->next = a->r1;
    return TS_OK;
}

static size_t plain_room(const pq_writer *w, const colw *c)
{
    size_t width = c->ptype == PQ_BOOLEAN ? 1 : 8;
    size_t room = w->o.page_bytes > c->plain.len ? (w->o.page_bytes - c->plain.len) / width : 0;
    return c->ptype == PQ_BOOLEAN ? room * 8 : room;
}

/* Page cuts depend only on the data, never on where batches begin or end:
 * size estimates are looked at when page_rows is a multiple of STEP_ROWS,
 * every other cut is decided value by value. So the same rows give the
 * same file whatever the batch sizes. */
static ts_status encode_column(pq_writer *w, colw *c, const ts_column *col, uint64_t row0, size_t r0,
                               size_t r1, ts_error *err)
{
    size_t r = r0;
    while (r < r1) {
        size_t lim = r1;
        size_t to_step = STEP_ROWS - c->page_rows % STEP_ROWS;
        if (lim - r > to_step) lim = r + to_step;
        if (lim - r > PAGE_MAX_ROWS - c->page_rows) lim = r + (PAGE_MAX_ROWS - c->page_rows);
        bool fixed_plain = c->ptype != PQ_BYTE_ARRAY && !c->page_dict;
        if (fixed_plain) {
            /* Fixed-width PLAIN: stop exactly at the page size. */
            size_t room = plain_room(w, c);
            if (room == 0) room = 1;
            if (lim - r > room) lim = r + room;
        }
        enc_args a = {.w = w, .c = c, .col = col, .row0 = row0, .r0 = r, .r1 = lim, .err = err};
        switch (c->type) {
        case TS_TYPE_TIMESTAMP:
        case TS_TYPE_INT64: TS_TRY(enc_i64(&a)); break;
        case TS_TYPE_DOUBLE: TS_TRY(enc_f64(&a)); break;
        case TS_TYPE_STRING: TS_TRY(enc_str(&a)); break;
        case TS_TYPE_BOOL: TS_TRY(enc_bool(&a)); break;
        }
        r = a.next;
        if (a.ev == EV_DICT_FULL) {
            TS_TRY(flush_page(w, c, err));
            if (c->page_rows == 0 && c->dict_on) {
                /* The dictionary is full: later pages of this chunk are PLAIN. */
                c->dict_on = false;
                c->page_dict = false;
            }
            continue;
        }
        bool full = a.ev == EV_PAGE_FULL || c->page_rows >= PAGE_MAX_ROWS ||
                    (fixed_plain && plain_room(w, c) == 0);
        if (!full && c->page_rows && c->page_rows % STEP_ROWS == 0) {
            if (c->page_dict && !c->dict_used && c->page_vals >= EARLY_CHECK_VALUES &&
                c->ndict * 4 > c->page_vals * 3) {
                /* Mostly distinct so far: stop building a dictionary now rather
                 * than at the end of the page (saves its memory and hashing). */
                TS_TRY(dict_page_to_plain(c, err));
                c->page_dict = false;
                c->dict_on = false;
                dict_reset(c);
            }
            full = page_estimate(c) >= w->o.page_bytes;
        }
        if (full) TS_TRY(flush_page(w, c, err));
    }
    return TS_OK;
}

/* ---------------- row groups ---------------- */

static size_t rg_bytes(const pq_writer *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->ncols; i++) {
        const colw *c = &w->cols[i];
        n += (size_t)c->chunk_unc + page_estimate(c) + c->dict.len;
    }
    return n;
}

static void *meta_dup(pq_writer *w, const void *p, size_t n)
{
    void *d = ts_arena_alloc(&w->meta, n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

static ts_status fill_stats(pq_writer *w, colw *c, pq_statistics *s, ts_error *err)
{
    memset(s, 0, sizeof *s);
    s->has_null_count = true;
    s->null_count = c->nulls;
    if (!c->has_mm) return TS_OK;
    uint8_t mn[8], mx[8];
    size_t len = 8;
    const uint8_t *pmin = mn, *pmax = mx;
    bool legacy = true; /* deprecated min/max too: signed order = type order here */
    switch (c->type) {
    case TS_TYPE_TIMESTAMP:
    case TS_TYPE_INT64:
        pq_put_le64(mn, (uint64_t)c->imin);
        pq_put_le64(mx, (uint64_t)c->imax);
        break;
    case TS_TYPE_DOUBLE: {
        double dmin = c->dmin == 0 ? -0.0 : c->dmin, dmax = c->dmax == 0 ? 0.0 : c->dmax;
        uint64_t b;
        memcpy(&b, &dmin, 8);
        pq_put_le64(mn, b);
        memcpy(&b, &dmax, 8);
        pq_put_le64(mx, b);
        break;
    }
    case TS_TYPE_BOOL:
        mn[0] = (uint8_t)c->imin;
        mx[0] = (uint8_t)c->imax;
        len = 1;
        break;
    case TS_TYPE_STRING:
        /* Long values would bloat the footer; omit rather than truncate. */
        if (c->smin.len > STAT_MAX_LEN || c->smax.len > STAT_MAX_LEN) return TS_OK;
        legacy = false; /* unsigned byte order: only min_value/max_value */
        pmin = c->smin.data;
        pmax = c->smax.data;
        break;
    }
    size_t nmin = c->type == TS_TYPE_STRING ? c->smin.len : len;
    size_t nmax = c->type == TS_TYPE_STRING ? c->smax.len : len;
    const uint8_t *dmin = meta_dup(w, pmin, nmin), *dmax = meta_dup(w, pmax, nmax);
    if (!dmin || !dmax) return nomem(err);
    s->min_value = (pq_bytes){dmin, nmin, true};
    s->max_value = (pq_bytes){dmax, nmax, true};
    if (legacy) {
        s->min = s->min_value;
        s->max = s->max_value;
    }
    return TS_OK;
}

static void reset_chunk(pq_writer *w, colw *c)
{
    ts_buf_clear(&c->chunk);
    c->chunk_values = c->chunk_unc = c->chunk_comp = 0;
    c->pages_dict = c->pages_plain = 0;
    c->nulls = 0;
    c->has_mm = false;
    dict_reset(c);
    c->dict_used = false;
    c->dict_on = w->o.dictionary && c->type != TS_TYPE_BOOL;
    c->page_dict = c->dict_on;
}

static ts_status flush_row_group(pq_writer *w, ts_error *err)
{
    if (w->rg_rows == 0) return TS_OK;
    for (size_t i = 0; i < w->ncols; i++) {
        ts_status st = flush_page(w, &w->cols[i], err);
        if (st != TS_OK) {
            ts_err_context(err, "column '%s'", w->cols[i].name);
            return st;
        }
    }
    if (w->nrgs == w->caprgs) {
        size_t ncap = w->caprgs ? w->caprgs * 2 : 8;
        pq_row_group *g = ts_realloc(w->rgs, ncap * sizeof *g);
        if (!g) return nomem(err);
        w->rgs = g;
        w->caprgs = ncap;
    }
    pq_row_group *rg = &w->rgs[w->nrgs];
    memset(rg, 0, sizeof *rg);
    rg->columns = ts_arena_alloc(&w->meta, w->ncols * sizeof *rg->columns);
    if (!rg->columns) return nomem(err);
    memset(rg->columns, 0, w->ncols * sizeof *rg->columns);
    rg->ncolumns = w->ncols;
    rg->num_rows = (int64_t)w->rg_rows;
    rg->has_file_offset = true;
    rg->file_offset = (int64_t)w->pos;
    rg->has_total_compressed_size = true;
    if (w->nrgs <= INT16_MAX) {
        rg->has_ordinal = true;
        rg->ordinal = (int16_t)w->nrgs;
    }
    for (size_t i = 0; i < w->ncols; i++) {
        colw *c = &w->cols[i];
        pq_column_chunk *cc = &rg->columns[i];
        pq_column_meta *m = &cc->meta;
        cc->has_meta = true;
        cc->file_offset = 0; /* deprecated field; 0 as current Arrow writes */
        m->type = c->ptype;
        m->codec = (int32_t)w->o.codec;
        int64_t unc = 0, comp = 0;
        if (c->dict_used) {
            m->has_dictionary_page_offset = true;
            m->dictionary_page_offset = (int64_t)w->pos;
            pq_page_header h = {0};
            h.type = PQ_PAGE_DICTIONARY;
            h.has_dict_page = true;
            h.dict_page.num_values = (int32_t)c->ndict;
            h.dict_page.encoding = PQ_ENC_PLAIN;
            TS_TRY(emit_page(w, &h, c->dict.data, c->dict.len, NULL, &unc, &comp, err));
        }
        m->data_page_offset = (int64_t)w->pos;
        TS_TRY(out_write(w, c->chunk.data, c->chunk.len, err));
        unc += c->chunk_unc;
        comp += c->chunk_comp;
        m->num_values = c->chunk_values;
        m->total_uncompressed_size = unc;
        m->total_compressed_size = comp;
        rg->total_byte_size += unc;
        rg->total_compressed_size += comp;

        pq_encoding encs[3];
        size_t ne = 0;
        if (c->dict_used || c->pages_plain) encs[ne++] = PQ_ENC_PLAIN;
        if (c->optional) encs[ne++] = PQ_ENC_RLE;
        if (c->pages_dict) encs[ne++] = PQ_ENC_RLE_DICTIONARY;
        m->encodings = meta_dup(w, encs, ne * sizeof *encs);
        m->nencodings = ne;
        pq_page_encoding_stats es[3];
        size_t nes = 0;
        if (c->dict_used) es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1};
        if (c->pages_dict) es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, c->pages_dict};
        if (c->pages_plain) es[nes++] = (pq_page_encoding_stats){PQ_PAGE_DATA, PQ_ENC_PLAIN, c->pages_plain};
        m->encoding_stats = meta_dup(w, es, nes * sizeof *es);
        m->nencoding_stats = nes;
        const char **path = ts_arena_alloc(&w->meta, sizeof *path);
        if (!m->encodings || !m->encoding_stats || !path) return nomem(err);
        path[0] = c->name; /* owned by the writer's schema copy */
        m->path = path;
        m->npath = 1;
        m->has_statistics = true;
        TS_TRY(fill_stats(w, c, &m->statistics, err));
        reset_chunk(w, c);
    }
    w->nrgs++;
    w->rg_rows = 0;
    return TS_OK;
}

/* ---------------- public ---------------- */

void pq_writer_free(pq_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->ncols; i++) {
        colw *c = &w->cols[i];
        ts_free(c->def);
        ts_free(c->idx);
        ts_buf_free(&c->plain);
        ts_free(c->slots);
        ts_free(c->dkey);
        ts_free(c->doff);
        ts_free(c->dlen);
        ts_buf_free(&c->dict);
        ts_buf_free(&c->chunk);
        ts_buf_free(&c->smin);
        ts_buf_free(&c->smax);
    }
    ts_free(w->cols);
    for (size_t i = 0; i < w->nkv; i++) {
        ts_free((char *)w->kv[i].key);
        ts_free((char *)w->kv[i].value);
    }
    ts_free(w->kv);
    ts_free(w->created_by);
    ts_free(w->rgs);
    ts_arena_free(&w->meta);
    ts_buf_free(&w->body);
    ts_buf_free(&w->cbody);
    ts_buf_free(&w->hdr);
    pq_codec_ctx_free(w->cctx);
    ts_schema_free(&w->schema);
    ts_free(w);
}

static ts_status init_column(pq_writer *w, size_t i, ts_error *err)
{
    colw *c = &w->cols[i];
    const ts_field *f = &w->schema.fields[i];
    c->name = f->name;
    c->type = f->type;
    c->optional = f->nullable;
    c->div = 1;
    switch (f->type) {
    case TS_TYPE_TIMESTAMP:
        c->ptype = PQ_INT64;
        c->div = w->o.time_unit == PQ_UNIT_NANOS ? 1 : w->o.time_unit == PQ_UNIT_MILLIS ? 1000000 : 1000;
        c->floor = w->o.time_floor_all || (w->o.time_floor && w->o.time_floor[i]);
        break;
    case TS_TYPE_INT64: c->ptype = PQ_INT64; break;
    case TS_TYPE_DOUBLE: c->ptype = PQ_DOUBLE; break;
    case TS_TYPE_STRING: c->ptype = PQ_BYTE_ARRAY; break;
    case TS_TYPE_BOOL: c->ptype = PQ_BOOLEAN; break;
    }
    ts_buf_init(&c->plain, TS_MAX_PQ_PAGE);
    ts_buf_init(&c->dict, TS_MAX_PQ_PAGE);
    ts_buf_init(&c->chunk, (size_t)1 << 40);
    ts_buf_init(&c->smin, TS_MAX_PQ_PAGE);
    ts_buf_init(&c->smax, TS_MAX_PQ_PAGE);
    if (c->optional && !(c->def = ts_malloc(PAGE_MAX_ROWS))) return nomem(err);
    if (c->type != TS_TYPE_BOOL && w->o.dictionary) {
        if (!(c->idx = ts_malloc(PAGE_MAX_ROWS * sizeof *c->idx))) return nomem(err);
        TS_TRY(dict_init(c, err));
    }
    reset_chunk(w, c);
    return TS_OK;
}

ts_status pq_writer_new(ts_output *out, const ts_schema *schema, const pq_writer_opts *opts,
                        pq_writer **wp, ts_error *err)
{
    *wp = NULL;
    pq_writer_opts def;
    if (!opts) {
        pq_writer_opts_default(&def);
        opts = &def;
    }
    if (!schema || schema->ncols == 0)
        return ts_err_set(err, TS_ERR_USAGE, "a parquet file needs at least one column");
    if (!pq_codec_can_write(opts->codec) || opts->codec == PQ_CODEC_LZ4 || opts->codec == PQ_CODEC_LZ4_RAW ||
        opts->codec == PQ_CODEC_BROTLI || opts->codec == PQ_CODEC_LZO)
        return ts_err_set(err, TS_ERR_USAGE,
                          "parquet writer: codec %s is not written (use zstd, snappy, gzip or none)",
                          pq_codec_name(opts->codec));
    pq_writer *w = ts_calloc(1, sizeof *w);
    if (!w) return nomem(err);
    w->out = out;
    w->o = *opts;
    w->o.kv = NULL;
    w->o.nkv = 0;
    w->o.created_by = NULL;
    w->o.time_floor = NULL;
    if (!w->o.row_group_bytes) w->o.row_group_bytes = DEFAULT_RG_BYTES;
    if (!w->o.row_group_rows) w->o.row_group_rows = DEFAULT_RG_ROWS;
    if (!w->o.page_bytes) w->o.page_bytes = DEFAULT_PAGE_BYTES;
    if (w->o.page_bytes > ((size_t)256 << 20)) w->o.page_bytes = (size_t)256 << 20;
    if (!w->o.dict_max_bytes) w->o.dict_max_bytes = DEFAULT_DICT_BYTES;
    if (w->o.dict_max_bytes > ((size_t)256 << 20)) w->o.dict_max_bytes = (size_t)256 << 20;
    if (w->o.time_unit != PQ_UNIT_MILLIS && w->o.time_unit != PQ_UNIT_NANOS) w->o.time_unit = PQ_UNIT_MICROS;
    ts_schema_init(&w->schema);
    ts_arena_init(&w->meta, 64 * 1024);
    ts_buf_init(&w->body, TS_MAX_PQ_PAGE);
    ts_buf_init(&w->cbody, TS_MAX_PQ_PAGE);
    ts_buf_init(&w->hdr, TS_MAX_PQ_FOOTER);
    ts_status st = ts_schema_copy(&w->schema, schema);
    if (st != TS_OK) {
        pq_writer_free(w);
        return nomem(err);
    }
    if (opts->created_by && !(w->created_by = ts_strdup(opts->created_by))) goto oom;
    if (opts->nkv) {
        w->kv = ts_calloc(opts->nkv, sizeof *w->kv);
        if (!w->kv) goto oom;
        w->nkv = opts->nkv;
        for (size_t i = 0; i < opts->nkv; i++) {
            if (!(w->kv[i].key = ts_strdup(opts->kv[i].key ? opts->kv[i].key : ""))) goto oom;
            if (opts->kv[i].value && !(w->kv[i].value = ts_strdup(opts->kv[i].value))) goto oom;
        }
    }
    w->ncols = w->schema.ncols;
    w->cols = ts_calloc(w->ncols, sizeof *w->cols);
    if (!w->cols) goto oom;
    /* time_floor is read now (per column), so the caller's array may go away. */
    w->o.time_floor = opts->time_floor;
    for (size_t i = 0; i < w->ncols; i++) {
        st = init_column(w, i, err);
        if (st != TS_OK) {
            pq_writer_free(w);
            return st;
        }
    }
    w->o.time_floor = NULL;
    if (w->o.codec != PQ_CODEC_UNCOMPRESSED) {
        st = pq_codec_ctx_new(&w->cctx, err);
        if (st != TS_OK) {
            pq_writer_free(w);
            return st;
        }
    }
    st = out_write(w, "PAR1", 4, err);
    if (st != TS_OK) {
        pq_writer_free(w);
        return st;
    }
    *wp = w;
    return TS_OK;
oom:
    pq_writer_free(w);
    return nomem(err);
}

ts_status pq_writer_write(pq_writer *w, const ts_batch *b, ts_error *err)
{
    if (w->failed || w->closed)
        return ts_err_set(err, TS_ERR_USAGE, "parquet writer: %s",
                          w->closed ? "write after close" : "write after an earlier failure");
    if (b->schema != &w->schema && !ts_schema_equal(b->schema, &w->schema)) {
        w->failed = true;
        return ts_err_set(err, TS_ERR_USAGE, "parquet writer: the batch's schema differs from the file's");
    }
    size_t r = 0;
    while (r < b->nrows) {
        size_t take = b->nrows - r;
        if (take > w->o.row_group_rows - w->rg_rows) take = w->o.row_group_rows - w->rg_rows;
        /* The row group's size is checked whenever it holds a multiple of
         * RG_CHECK_ROWS rows: often, and at the same rows whatever the batches. */
        if (take > RG_CHECK_ROWS - w->rg_rows % RG_CHECK_ROWS) take = RG_CHECK_ROWS - w->rg_rows % RG_CHECK_ROWS;
        for (size_t i = 0; i < w->ncols; i++) {
            ts_status st = encode_column(w, &w->cols[i], &b->cols[i], w->rows - r, r, r + take, err);
            if (st != TS_OK) {
                w->failed = true;
                return st;
            }
        }
        w->rg_rows += take;
        w->rows += take;
        r += take;
        if (w->rg_rows >= w->o.row_group_rows ||
            (w->rg_rows % RG_CHECK_ROWS == 0 && rg_bytes(w) >= w->o.row_group_bytes)) {
            ts_status st = flush_row_group(w, err);
            if (st != TS_OK) {
                w->failed = true;
                return st;
            }
        }
    }
    return TS_OK;
}

static ts_status write_footer(pq_writer *w, ts_error *err)
{
    pq_schema_element *se = ts_arena_alloc(&w->meta, (w->ncols + 1) * sizeof *se);
    pq_column_order *co = ts_arena_alloc(&w->meta, w->ncols * sizeof *co);
    if (!se || !co) return nomem(err);
    memset(se, 0, (w->ncols + 1) * sizeof *se);
    se[0].name = "schema";
    se[0].has_num_children = true;
    se[0].num_children = (int32_t)w->ncols;
    for (size_t i = 0; i < w->ncols; i++) {
        const colw *c = &w->cols[i];
        pq_schema_element *e = &se[i + 1];
        e->name = c->name;
        e->has_type = true;
        e->type = c->ptype;
        e->has_repetition = true;
        e->repetition = c->optional ? PQ_OPTIONAL : PQ_REQUIRED;
        if (c->type == TS_TYPE_TIMESTAMP) {
            e->logical = (pq_logical){.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = w->o.time_unit};
            if (w->o.time_unit != PQ_UNIT_NANOS) {
                e->has_converted_type = true;
                e->converted_type = w->o.time_unit == PQ_UNIT_MILLIS ? PQ_CT_TIMESTAMP_MILLIS : PQ_CT_TIMESTAMP_MICROS;
            }
        } else if (c->type == TS_TYPE_STRING) {
            e->logical.kind = PQ_LT_STRING;
            e->has_converted_type = true;
            e->converted_type = PQ_CT_UTF8;
        }
        co[i] = PQ_ORDER_TYPE;
    }
    pq_file_meta m = {0};
    m.version = 1;
    m.schema = se;
    m.nschema = w->ncols + 1;
    m.num_rows = (int64_t)w->rows;
    m.row_groups = w->rgs;
    m.nrow_groups = w->nrgs;
    m.kv = w->kv;
    m.nkv = w->nkv;
    m.created_by = w->created_by;
    m.column_orders = co;
    m.ncolumn_orders = w->ncols;
    ts_buf_clear(&w->hdr);
    TS_TRY(pq_meta_encode_file(&m, &w->hdr, err));
    if (w->hdr.len > UINT32_MAX) return ts_err_set(err, TS_ERR_LIMIT, "parquet footer too large");
    uint8_t tail[8];
    pq_put_le32(tail, (uint32_t)w->hdr.len);
    memcpy(tail + 4, "PAR1", 4);
    TS_TRY(out_write(w, w->hdr.data, w->hdr.len, err));
    return out_write(w, tail, 8, err);
}

ts_status pq_writer_close(pq_writer *w, ts_error *err)
{
    if (w->failed || w->closed)
        return ts_err_set(err, TS_ERR_USAGE, "parquet writer: %s",
                          w->closed ? "closed twice" : "close after an earlier failure");
    ts_status st = flush_row_group(w, err);
    if (st == TS_OK) st = write_footer(w, err);
    if (st != TS_OK) {
        w->failed = true;
        return st;
    }
    w->closed = true;
    return TS_OK;
}
