/* Page value decoders (PLAIN, dictionary indices, RLE booleans, DELTA_*,
 * BYTE_STREAM_SPLIT). Incremental: each read hands out the next n values and
 * checks every byte it touches is inside the page. */
#include "parquet/pq_decode.h"

#include <string.h>

#include "core/ts_alloc.h"
#include "parquet/pq_le.h"

/* Hard caps on DELTA_BINARY_PACKED headers: real writers use 128/4; these
 * keep the miniblock scratch small whatever a header claims. */
#define DBP_MAX_BLOCK 32768u
#define DBP_MAX_MINIBLOCKS 1024u

size_t pq_dec_elem_size(pq_type type, bool dict)
{
    if (dict) return sizeof(uint32_t);
    switch (type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: return 4;
    case PQ_INT64: return 8;
    case PQ_FLOAT: return 4;
    case PQ_DOUBLE: return 8;
    default: return sizeof(ts_str);
    }
}

/* ULEB128 into *v; false when it runs past end or beyond 64 bits. */
static bool uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end) return false;
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e)) return false;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *v = r;
            return true;
        }
    }
    return false;
}

/* ---- DELTA_BINARY_PACKED ---- */

ts_status pq_dbp_init(pq_dbp *s, const uint8_t *p, size_t n, bool is32, ts_buf *scratch,
                      ts_error *err)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->end = p + n;
    s->is32 = is32;
    uint64_t first;
    if (!uvarint(&s->p, s->end, &s->block_size) || !uvarint(&s->p, s->end, &s->nmb) ||
        !uvarint(&s->p, s->end, &s->total) || !uvarint(&s->p, s->end, &first))
        return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: truncated header");
    if (s->block_size == 0 || s->block_size > DBP_MAX_BLOCK || s->block_size % 8 || s->nmb == 0 ||
        s->nmb > DBP_MAX_MINIBLOCKS || s->block_size % s->nmb ||
        (s->block_size / s->nmb) % 8)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "DELTA_BINARY_PACKED: bad block size %llu / %llu miniblocks",
                          (unsigned long long)s->block_size, (unsigned long long)s->nmb);
    s->per_mb = s->block_size / s->nmb;
    s->last = (first >> 1) ^ (0 - (first & 1));
    s->left = s->total;
    s->first_pending = s->total > 0;
    s->mb = s->nmb; /* no block loaded yet */
    TS_TRY(ts_buf_reserve(scratch, s->per_mb * sizeof(uint64_t) + 16));
    s->buf = (uint64_t *)(void *)scratch->data;
    return TS_OK;
}

/* Loads the next miniblock into s->buf. */
static ts_status dbp_next_mb(pq_dbp *s, ts_error *err)
{
    if (s->mb >= s->nmb) {
        uint64_t md;
        if (!uvarint(&s->p, s->end, &md))
            return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: truncated block header");
        s->min_delta = (md >> 1) ^ (0 - (md & 1));
        if ((uint64_t)(s->end - s->p) < s->nmb)
            return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: truncated bit widths");
        s->widths = s->p;
        s->p += s->nmb;
        s->mb = 0;
    }
    unsigned w = s->widths[s->mb++];
    if (w > (s->is32 ? 32u : 64u))
        return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: bit width %u too large", w);
    size_t need = (size_t)(s->per_mb * w / 8);
    size_t avail = (size_t)(s->end - s->p);
    /* Values still wanted from this miniblock; a short final miniblock is
     * accepted when it holds them all (some writers drop the padding). */
    uint64_t want = s->left < s->per_mb ? s->left : s->per_mb;
    size_t must = (size_t)((want * w + 7) / 8);
    if (avail < must)
        return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: miniblock overruns the page");
    size_t take = avail < need ? avail : need;
    if (pq_unpack64(s->p, take, (int)w, s->buf, (size_t)want) < want)
        return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: miniblock overruns the page");
    s->p += take;
    s->buf_pos = 0;
    s->buf_len = (size_t)want;
    return TS_OK;
}

ts_status pq_dbp_read(pq_dbp *s, int64_t *out, size_t n, ts_error *err)
{
    if (n > s->left)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "DELTA_BINARY_PACKED: %zu values wanted but only %llu left", n,
                          (unsigned long long)s->left);
    size_t i = 0;
    if (n && s->first_pending) {
        out[i++] = s->is32 ? (int64_t)(int32_t)(uint32_t)s->last : (int64_t)s->last;
        s->first_pending = false;
        s->left--;
    }
    while (i < n) {
        if (s->buf_pos == s->buf_len) TS_TRY(dbp_next_mb(s, err));
        size_t take = s->buf_len - s->buf_pos;
        if (take > n - i) take = n - i;
        uint64_t last = s->last, md = s->min_delta;
        const uint64_t *b = s->buf + s->buf_pos;
        if (s->is32) {
            for (size_t k = 0; k < take; k++) {
                last += md + b[k];
                out[i + k] = (int64_t)(int32_t)(uint32_t)last;
            }
        } else {
            for (size_t k = 0; k < take; k++) {
                last += md + b[k];
                out[i + k] = (int64_t)last;
            }
        }
        s->last = last;
        s->buf_pos += take;
        s->left -= take;
        i += take;
    }
    return TS_OK;
}

ts_status pq_dbp_end(const pq_dbp *s0, const uint8_t **end, ts_error *err)
{
    /* Walk block headers and miniblock sizes from the current position
     * without unpacking. Only valid before any value was read past the first. */
    const uint8_t *p = s0->p;
    uint64_t left = s0->left - (s0->first_pending ? 1 : 0);
    left -= (uint64_t)(s0->buf_len - s0->buf_pos);
    uint64_t mb = s0->mb;
    const uint8_t *widths = s0->widths;
    while (left > 0) {
        if (mb >= s0->nmb) {
            uint64_t md;
            if (!uvarint(&p, s0->end, &md))
                return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: truncated block header");
            if ((uint64_t)(s0->end - p) < s0->nmb)
                return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: truncated bit widths");
            widths = p;
            p += s0->nmb;
            mb = 0;
        }
        unsigned w = widths[mb++];
        if (w > 64)
            return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: bit width %u too large", w);
        uint64_t want = left < s0->per_mb ? left : s0->per_mb;
        size_t need = (size_t)(s0->per_mb * w / 8), avail = (size_t)(s0->end - p);
        size_t must = (size_t)((want * w + 7) / 8);
        if (avail < must)
            return ts_err_set(err, TS_ERR_CORRUPT, "DELTA_BINARY_PACKED: miniblock overruns the page");
        p += avail < need ? avail : need;
        left -= want;
    }
    *end = p;
    return TS_OK;
}

/* ---- setup ---- */

static ts_status bad_encoding(pq_encoding enc, pq_type type, ts_error *err)
{
    return ts_err_set(err, TS_ERR_UNSUPPORTED, "encoding %s is not supported for %s values",
                      pq_encoding_name(enc), pq_type_name(type));
}

ts_status pq_dec_init(pq_dec *d, pq_encoding enc, pq_type type, int32_t type_len,
                      const uint8_t *p, size_t n, ts_buf *scratch, ts_error *err)
{
    memset(d, 0, sizeof *d);
    d->enc = enc;
    d->type = type;
    d->type_len = type_len;
    d->p = d->start = p;
    d->end = p + n;
    d->scratch = scratch;
    ts_buf_init(&d->prev, TS_MAX_PQ_PAGE);
    if (type == PQ_FIXED_LEN_BYTE_ARRAY && type_len <= 0)
        return ts_err_set(err, TS_ERR_CORRUPT, "FIXED_LEN_BYTE_ARRAY without a positive type_length");
    switch (enc) {
    case PQ_ENC_PLAIN:
        return TS_OK;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: {
        if (n < 1) return ts_err_set(err, TS_ERR_CORRUPT, "dictionary indices: empty page");
        unsigned w = p[0];
        if (w > 32)
            return ts_err_set(err, TS_ERR_CORRUPT, "dictionary indices: bit width %u exceeds 32", w);
        return pq_rle_dec_init(&d->rle, p + 1, n - 1, (int)w, err);
    }
    case PQ_ENC_RLE:
        if (type != PQ_BOOLEAN) return bad_encoding(enc, type, err);
        if (n < 4) return ts_err_set(err, TS_ERR_CORRUPT, "RLE booleans: missing length prefix");
        {
            uint32_t len = pq_le32(p);
            if (len > n - 4)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "RLE booleans: length %u overruns the page (%zu bytes left)",
                                  len, n - 4);
            return pq_rle_dec_init(&d->rle, p + 4, len, 1, err);
        }
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (type != PQ_INT32 && type != PQ_INT64) return bad_encoding(enc, type, err);
        return pq_dbp_init(&d->a, p, n, type == PQ_INT32, scratch, err);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
        if (type != PQ_BYTE_ARRAY) return bad_encoding(enc, type, err);
        TS_TRY(pq_dbp_init(&d->a, p, n, true, scratch, err));
        const uint8_t *data;
        TS_TRY(pq_dbp_end(&d->a, &data, err));
        d->p = data;
        return TS_OK;
    }
    case PQ_ENC_DELTA_BYTE_ARRAY: {
        if (type != PQ_BYTE_ARRAY && type != PQ_FIXED_LEN_BYTE_ARRAY)
            return bad_encoding(enc, type, err);
        /* Two DBP streams share the scratch: give each its own half. */
        TS_TRY(ts_buf_reserve(scratch, 2 * (DBP_MAX_BLOCK * sizeof(uint64_t) + 16)));
        TS_TRY(pq_dbp_init(&d->a, p, n, true, scratch, err));
        const uint8_t *sfx;
        TS_TRY(pq_dbp_end(&d->a, &sfx, err));
        TS_TRY(pq_dbp_init(&d->b, sfx, (size_t)(d->end - sfx), true, scratch, err));
        d->b.buf = (uint64_t *)(void *)(scratch->data + DBP_MAX_BLOCK * sizeof(uint64_t) + 16);
        if (d->a.total != d->b.total)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "DELTA_BYTE_ARRAY: %llu prefix lengths but %llu suffixes",
                              (unsigned long long)d->a.total, (unsigned long long)d->b.total);
        const uint8_t *data;
        TS_TRY(pq_dbp_end(&d->b, &data, err));
        d->p = data;
        return TS_OK;
    }
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t k;
        switch (type) {
        case PQ_INT32: case PQ_FLOAT: k = 4; break;
        case PQ_INT64: case PQ_DOUBLE: k = 8; break;
        case PQ_FIXED_LEN_BYTE_ARRAY: k = (size_t)type_len; break;
        default: return bad_encoding(enc, type, err);
        }
        if (n % k)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "BYTE_STREAM_SPLIT: %zu bytes is not a multiple of the %zu-byte value",
                              n, k);
        d->nvals = n / k;
        return TS_OK;
    }
    default:
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported encoding %s (%d)",
                          pq_encoding_name(enc), (int)enc);
    }
}

void pq_dec_free(pq_dec *d)
{
    if (d) ts_buf_free(&d->prev);
}

/* ---- reads ---- */

static ts_status short_page(pq_dec *d, size_t n, ts_error *err)
{
    return ts_err_set(err, TS_ERR_CORRUPT, "%s %s values: page ends before %zu more values",
                      pq_encoding_name(d->enc), pq_type_name(d->type), n);
}

static ts_status read_plain(pq_dec *d, void *out, size_t n, ts_error *err)
{
    size_t left = (size_t)(d->end - d->p);
    switch (d->type) {
    case PQ_BOOLEAN: {
        uint64_t bits_left = (uint64_t)(d->end - d->start) * 8 - d->pos;
        if (n > bits_left) return short_page(d, n, err);
        uint8_t *o = out;
        for (size_t i = 0; i < n; i++, d->pos++) o[i] = (d->start[d->pos >> 3] >> (d->pos & 7)) & 1;
        return TS_OK;
    }
    case PQ_INT32:
    case PQ_FLOAT:
        if (n > left / 4) return short_page(d, n, err);
        memcpy(out, d->p, n * 4);
        d->p += n * 4;
        return TS_OK;
    case PQ_INT64:
    case PQ_DOUBLE:
        if (n > left / 8) return short_page(d, n, err);
        memcpy(out, d->p, n * 8);
        d->p += n * 8;
        return TS_OK;
    case PQ_INT96:
    case PQ_FIXED_LEN_BYTE_ARRAY: {
        size_t k = d->type == PQ_INT96 ? 12 : (size_t)d->type_len;
        if (n > left / k) return short_page(d, n, err);
        ts_str *o = out;
        for (size_t i = 0; i < n; i++) {
            o[i].ptr = (const char *)d->p;
            o[i].len = k;
            d->p += k;
        }
        return TS_OK;
    }
    case PQ_BYTE_ARRAY: {
        ts_str *o = out;
        const uint8_t *p = d->p, *end = d->end;
        for (size_t i = 0; i < n; i++) {
            if (end - p < 4) return short_page(d, n - i, err);
            uint32_t len = pq_le32(p);
            p += 4;
            if (len > (size_t)(end - p))
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "PLAIN BYTE_ARRAY: value length %u overruns the page (%zu bytes left)",
                                  len, (size_t)(end - p));
            o[i].ptr = (const char *)p;
            o[i].len = len;
            p += len;
        }
        d->p = p;
        return TS_OK;
    }
    }
    return ts_err_set(err, TS_ERR_CORRUPT, "unknown physical type %d", (int)d->type);
}

static ts_status read_bss(pq_dec *d, void *out, size_t n, ts_arena *arena, ts_error *err)
{
    if (n > d->nvals - d->pos) return short_page(d, n, err);
    size_t k = d->type == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)d->type_len
               : (d->type == PQ_INT32 || d->type == PQ_FLOAT) ? 4 : 8;
    const uint8_t *s = d->start;
    size_t N = (size_t)d->nvals, pos = (size_t)d->pos;
    if (d->type == PQ_FIXED_LEN_BYTE_ARRAY) {
        ts_str *o = out;
        for (size_t i = 0; i < n; i++) {
            uint8_t *v = ts_arena_alloc(arena, k);
            if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory decoding BYTE_STREAM_SPLIT");
            for (size_t j = 0; j < k; j++) v[j] = s[j * N + pos + i];
            o[i].ptr = (const char *)v;
            o[i].len = k;
        }
    } else {
        uint8_t *o = out;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) o[i * k + j] = s[j * N + pos + i];
    }
    d->pos += n;
    return TS_OK;
}

/* Lengths come in chunks through a small stack buffer. */
#define LEN_CHUNK 256

static ts_status read_dlba(pq_dec *d, ts_str *o, size_t n, ts_error *err)
{
    int64_t lens[LEN_CHUNK];
    for (size_t i = 0; i < n;) {
        size_t m = n - i < LEN_CHUNK ? n - i : LEN_CHUNK;
        TS_TRY(pq_dbp_read(&d->a, lens, m, err));
        for (size_t k = 0; k < m; k++) {
            int64_t len = lens[k];
            if (len < 0 || (uint64_t)len > (uint64_t)(d->end - d->p))
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "DELTA_LENGTH_BYTE_ARRAY: value length %lld overruns the page",
                                  (long long)len);
            o[i + k].ptr = (const char *)d->p;
            o[i + k].len = (size_t)len;
            d->p += len;
        }
        i += m;
    }
    return TS_OK;
}

static ts_status read_dba(pq_dec *d, ts_str *o, size_t n, ts_arena *arena, ts_error *err)
{
    int64_t pre[LEN_CHUNK], suf[LEN_CHUNK];
    for (size_t i = 0; i < n;) {
        size_t m = n - i < LEN_CHUNK ? n - i : LEN_CHUNK;
        TS_TRY(pq_dbp_read(&d->a, pre, m, err));
        TS_TRY(pq_dbp_read(&d->b, suf, m, err));
        for (size_t k = 0; k < m; k++) {
            if (pre[k] < 0 || (size_t)pre[k] > d->prev.len)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "DELTA_BYTE_ARRAY: prefix length %lld exceeds the previous value (%zu bytes)",
                                  (long long)pre[k], d->prev.len);
            if (suf[k] < 0 || (uint64_t)suf[k] > (uint64_t)(d->end - d->p))
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "DELTA_BYTE_ARRAY: suffix length %lld overruns the page",
                                  (long long)suf[k]);
            size_t plen = (size_t)pre[k], slen = (size_t)suf[k];
            if (d->type == PQ_FIXED_LEN_BYTE_ARRAY && plen + slen != (size_t)d->type_len)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "DELTA_BYTE_ARRAY: value of %zu bytes in a FIXED_LEN_BYTE_ARRAY(%d)",
                                  plen + slen, (int)d->type_len);
            d->prev.len = plen;
            TS_TRY(ts_buf_append(&d->prev, d->p, slen));
            d->p += slen;
            char *v = ts_arena_alloc(arena, d->prev.len ? d->prev.len : 1);
            if (!v) return ts_err_set(err, TS_ERR_NOMEM, "out of memory decoding DELTA_BYTE_ARRAY");
            if (d->prev.len) memcpy(v, d->prev.data, d->prev.len);
            o[i + k].ptr = v;
            o[i + k].len = d->prev.len;
        }
        i += m;
    }
    return TS_OK;
}

ts_status pq_dec_read(pq_dec *d, void *out, size_t n, ts_arena *arena, ts_error *err)
{
    if (n == 0) return TS_OK;
    switch (d->enc) {
    case PQ_ENC_PLAIN:
        return read_plain(d, out, n, err);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
    {
        size_t got = 0;
        TS_TRY(pq_rle_dec_next(&d->rle, out, n, &got, err));
        if (got != n)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "dictionary indices: page ends %zu indices early", n - got);
        return TS_OK;
    }
    case PQ_ENC_RLE: {
        uint32_t tmp[LEN_CHUNK];
        uint8_t *o = out;
        for (size_t i = 0; i < n;) {
            size_t m = n - i < LEN_CHUNK ? n - i : LEN_CHUNK;
            size_t got = 0;
            TS_TRY(pq_rle_dec_next(&d->rle, tmp, m, &got, err));
            if (got != m)
                return ts_err_set(err, TS_ERR_CORRUPT,
                                  "RLE booleans: page ends before %zu more values", n - i);
            for (size_t k = 0; k < m; k++) o[i + k] = (uint8_t)(tmp[k] & 1);
            i += m;
        }
        return TS_OK;
    }
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (d->type == PQ_INT64) return pq_dbp_read(&d->a, out, n, err);
        {
            int64_t tmp[LEN_CHUNK];
            int32_t *o = out;
            for (size_t i = 0; i < n;) {
                size_t m = n - i < LEN_CHUNK ? n - i : LEN_CHUNK;
                TS_TRY(pq_dbp_read(&d->a, tmp, m, err));
                for (size_t k = 0; k < m; k++) o[i + k] = (int32_t)tmp[k];
                i += m;
            }
        }
        return TS_OK;
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        return read_dlba(d, out, n, err);
    case PQ_ENC_DELTA_BYTE_ARRAY:
        return read_dba(d, out, n, arena, err);
    case PQ_ENC_BYTE_STREAM_SPLIT:
        return read_bss(d, out, n, arena, err);
    default:
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported encoding %d", (int)d->enc);
    }
}
