/* RLE / bit-packed hybrid encoder and bounded decoder; LSB-first bit
 * packing for 0..64-bit values. */
#include "pq_rle.h"

#include <string.h>

#include "pq_le.h"

int pq_bit_width(uint64_t max)
{
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* ---------------- bit packing ---------------- */

/* Value number `idx` of width bw (1..64) from in[0..in_len); the caller
 * guarantees its bits lie inside the input. */
static inline uint64_t get_bits(const uint8_t *in, size_t in_len, int bw, uint64_t idx)
{
    uint64_t bit = idx * (uint64_t)bw;
    size_t byte = (size_t)(bit >> 3);
    unsigned shift = (unsigned)(bit & 7);
    uint64_t lo;
    if (byte + 8 <= in_len) {
        lo = pq_le64(in + byte);
    } else {
        lo = 0;
        for (size_t k = 0; byte + k < in_len && k < 8; k++) lo |= (uint64_t)in[byte + k] << (8 * k);
    }
    uint64_t v = lo >> shift;
    if (shift + (unsigned)bw > 64) v |= (uint64_t)in[byte + 8] << (64 - shift);
    return bw == 64 ? v : v & ((UINT64_C(1) << bw) - 1);
}

static size_t avail_values(size_t in_len, int bw)
{
    if (bw == 0) return SIZE_MAX;
    if (in_len > SIZE_MAX / 8) return SIZE_MAX; /* cannot be reached by real buffers */
    return in_len * 8 / (size_t)bw;
}

size_t pq_unpack64(const uint8_t *in, size_t in_len, int bit_width, uint64_t *out, size_t count)
{
    if (bit_width < 0 || bit_width > 64) return 0;
    size_t n = avail_values(in_len, bit_width);
    if (n > count) n = count;
    if (bit_width == 0) {
        memset(out, 0, count * sizeof *out);
        return count;
    }
    for (size_t i = 0; i < n; i++) out[i] = get_bits(in, in_len, bit_width, i);
    if (n < count) memset(out + n, 0, (count - n) * sizeof *out);
    return n;
}

/* Unpacks values first..first+count-1 of a packed run (widths 1..32),
 * which the caller has checked are inside the input. */
static void unpack32_at(const uint8_t *in, size_t in_len, int bw, uint64_t first, uint32_t *out,
                        size_t count)
{
    if (bw == 0) {
        memset(out, 0, count * sizeof *out);
        return;
    }
    uint64_t mask = (UINT64_C(1) << bw) - 1;
    uint64_t bit = first * (uint64_t)bw;
    size_t i = 0;
    /* Fast path: an 8-byte load always covers a value of ≤ 32 bits at any shift. */
    for (; i < count; i++, bit += (uint64_t)bw) {
        size_t byte = (size_t)(bit >> 3);
        if (byte + 8 > in_len) break;
        out[i] = (uint32_t)((pq_le64(in + byte) >> (bit & 7)) & mask);
    }
    for (; i < count; i++) out[i] = (uint32_t)get_bits(in, in_len, bw, first + i);
}

size_t pq_unpack32(const uint8_t *in, size_t in_len, int bit_width, uint32_t *out, size_t count)
{
    if (bit_width < 0 || bit_width > 32) return 0;
    size_t n = avail_values(in_len, bit_width);
    if (n > count) n = count;
    if (bit_width == 0) n = count;
    unpack32_at(in, in_len, bit_width, 0, out, n);
    if (n < count) memset(out + n, 0, (count - n) * sizeof *out);
    return n;
}

/* LSB-first packing of count values from in32 or in64 (the other NULL);
 * always inlined with one of them a constant NULL, so each public entry point
 * gets its own loop with no per-value test. */
static inline __attribute__((always_inline)) void pack_bits(const uint32_t *in32, const uint64_t *in64,
                                                            size_t count, int bw, uint8_t *out)
{
    if (bw <= 0) return;
    uint64_t mask = bw == 64 ? UINT64_MAX : (UINT64_C(1) << bw) - 1;
    uint64_t acc = 0;
    int nbits = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = (in64 ? in64[i] : in32[i]) & mask;
        acc |= v << nbits;
        nbits += bw;
        if (nbits >= 64) {
            pq_put_le64(out, acc);
            out += 8;
            nbits -= 64;
            acc = nbits ? v >> (bw - nbits) : 0;
        }
    }
    for (int k = 0; k < nbits; k += 8) *out++ = (uint8_t)(acc >> k);
}

void pq_pack64(const uint64_t *in, size_t count, int bw, uint8_t *out)
{
    pack_bits(NULL, in, count, bw, out);
}

void pq_pack32(const uint32_t *in, size_t count, int bw, uint8_t *out)
{
    pack_bits(in, NULL, count, bw, out);
}

/* ---------------- decoder ---------------- */

ts_status pq_rle_dec_init(pq_rle_dec *d, const uint8_t *p, size_t n, int bit_width, ts_error *err)
{
    memset(d, 0, sizeof *d);
    if (bit_width < 0 || bit_width > 32)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "RLE/bit-packed data: bit width %d is outside 0..32", bit_width);
    d->p = d->base = p;
    d->end = p + n;
    d->bw = bit_width;
    return TS_OK;
}

static ts_status dec_fail(const pq_rle_dec *d, ts_error *err, const char *what)
{
    return ts_err_set(err, TS_ERR_CORRUPT, "RLE/bit-packed data: %s at byte %zu of %zu", what,
                      (size_t)(d->p - d->base), (size_t)(d->end - d->base));
}

/* Reads the next run header; false at a clean end of input. */
static ts_status next_run(pq_rle_dec *d, bool *more, ts_error *err)
{
    *more = false;
    while (d->p < d->end) {
        uint64_t h = 0;
        int i = 0;
        for (;; i++) {
            if (i == 10) return dec_fail(d, err, "run header longer than 10 bytes");
            if (d->p >= d->end) return dec_fail(d, err, "truncated run header");
            uint8_t b = *d->p++;
            h |= (uint64_t)(b & 0x7F) << (7 * i);
            if (!(b & 0x80)) break;
        }
        if (h & 1) {
            uint64_t groups = h >> 1;
            if (groups > (UINT64_C(1) << 56)) return dec_fail(d, err, "bit-packed run too long");
            uint64_t values = groups * 8;
            size_t left_bytes = (size_t)(d->end - d->p);
            uint64_t need = groups * (uint64_t)d->bw;
            size_t take = need < left_bytes ? (size_t)need : left_bytes;
            d->packed = true;
            d->bp = d->p;
            d->bp_pos = 0;
            d->bp_avail = d->bw ? (uint64_t)take * 8 / (uint64_t)d->bw : values;
            d->left = values < d->bp_avail ? values : d->bp_avail;
            d->p += take;
        } else {
            uint64_t len = h >> 1;
            int nbytes = (d->bw + 7) / 8;
            if ((size_t)(d->end - d->p) < (size_t)nbytes) return dec_fail(d, err, "truncated repeat value");
            uint32_t v = 0;
            for (int k = 0; k < nbytes; k++) v |= (uint32_t)d->p[k] << (8 * k);
            d->p += nbytes;
            if (d->bw < 32 && (v >> d->bw)) return dec_fail(d, err, "repeat value wider than the bit width");
            d->packed = false;
            d->rep_value = v;
            d->left = len;
        }
        if (d->left) {
            *more = true;
            return TS_OK;
        }
        /* An empty run: legal enough to tolerate; it consumed bytes, so we progress. */
    }
    return TS_OK;
}

ts_status pq_rle_dec_next(pq_rle_dec *d, uint32_t *out, size_t count, size_t *got, ts_error *err)
{
    size_t n = 0;
    while (n < count) {
        if (d->left == 0) {
            bool more;
            TS_TRY(next_run(d, &more, err));
            if (!more) break;
        }
        size_t take = count - n;
        if (take > d->left) take = (size_t)d->left;
        if (d->packed) {
            size_t blen = (size_t)(d->p - d->bp);
            unpack32_at(d->bp, blen, d->bw, d->bp_pos, out + n, take);
            d->bp_pos += take;
        } else {
            uint32_t v = d->rep_value;
            for (size_t k = 0; k < take; k++) out[n + k] = v;
        }
        d->left -= take;
        n += take;
    }
    *got = n;
    return TS_OK;
}

ts_status pq_rle_decode(const uint8_t *p, size_t n, int bit_width, uint32_t *out, size_t count,
                        size_t *decoded, ts_error *err)
{
    pq_rle_dec d;
    TS_TRY(pq_rle_dec_init(&d, p, n, bit_width, err));
    size_t got;
    TS_TRY(pq_rle_dec_next(&d, out, count, &got, err));
    if (decoded) {
        *decoded = got;
        return TS_OK;
    }
    if (got < count)
        return ts_err_set(err, TS_ERR_CORRUPT,
                          "RLE/bit-packed data ends after %zu of %zu values", got, count);
    return TS_OK;
}

/* ---------------- encoder ---------------- */

size_t pq_rle_max_size(size_t n, int bit_width)
{
    return (n / 8 + 2) * ((size_t)bit_width + 11);
}

#define BP_MAX_GROUPS 63

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

static uint8_t *put_repeat(uint8_t *o, uint32_t v, size_t len, int bw)
{
    o = put_varint(o, (uint64_t)len << 1);
    for (int k = 0; k < (bw + 7) / 8; k++) *o++ = (uint8_t)(v >> (8 * k));
    return o;
}

/* Bit-packed runs for tmp-copied values (zero-padded to whole groups). */
#define DEFINE_PUT_PACKED(NAME, T)                                                    \
    static uint8_t *NAME(uint8_t *o, const T *v, size_t cnt, int bw)                  \
    {                                                                                 \
        uint32_t tmp[BP_MAX_GROUPS * 8];                                              \
        while (cnt) {                                                                 \
            size_t chunk = cnt < BP_MAX_GROUPS * 8 ? cnt : BP_MAX_GROUPS * 8;         \
            size_t groups = (chunk + 7) / 8;                                          \
            for (size_t k = 0; k < chunk; k++) tmp[k] = v[k];                         \
            for (size_t k = chunk; k < groups * 8; k++) tmp[k] = 0;                   \
            *o++ = (uint8_t)((groups << 1) | 1);                                      \
            pq_pack32(tmp, groups * 8, bw, o);                                        \
            o += groups * (size_t)bw;                                                 \
            v += chunk;                                                               \
            cnt -= chunk;                                                             \
        }                                                                             \
        return o;                                                                     \
    }

DEFINE_PUT_PACKED(put_packed32, uint32_t)
DEFINE_PUT_PACKED(put_packed8, uint8_t)

/* Run detection: a run of ≥ 8 equal values becomes a repeat run, after
 * topping the pending bit-packed values up to a whole group from the run's
 * head (a bit-packed run can only end on a group boundary). */
#define DEFINE_ENCODE(NAME, T, PUT_PACKED)                                            \
    static ts_status NAME(const T *v, size_t n, int bw, ts_buf *out)                  \
    {                                                                                 \
        if (bw < 0 || bw > 32) return TS_ERR_INTERNAL;                                \
        TS_TRY(ts_buf_reserve(out, pq_rle_max_size(n, bw)));                          \
        uint8_t *o = out->data + out->len;                                            \
        size_t i = 0, bp_start = 0;                                                   \
        while (i < n) {                                                               \
            T x = v[i];                                                               \
            size_t j = i + 1;                                                         \
            while (j < n && v[j] == x) j++;                                           \
            size_t r = j - i;                                                         \
            if (r >= 8) {                                                             \
                size_t pend = i - bp_start;                                           \
                size_t fill = pend % 8 ? 8 - pend % 8 : 0;                            \
                if (r - fill >= 8) {                                                  \
                    i += fill;                                                        \
                    r -= fill;                                                        \
                    o = PUT_PACKED(o, v + bp_start, i - bp_start, bw);                \
                    o = put_repeat(o, (uint32_t)x, r, bw);                            \
                    i += r;                                                           \
                    bp_start = i;                                                     \
                    continue;                                                         \
                }                                                                     \
            }                                                                         \
            i = j;                                                                    \
        }                                                                             \
        o = PUT_PACKED(o, v + bp_start, n - bp_start, bw);                            \
        out->len = (size_t)(o - out->data);                                           \
        return TS_OK;                                                                 \
    }

DEFINE_ENCODE(encode32, uint32_t, put_packed32)
DEFINE_ENCODE(encode8, uint8_t, put_packed8)

ts_status pq_rle_encode(const uint32_t *v, size_t n, int bit_width, ts_buf *out)
{
    return encode32(v, n, bit_width, out);
}

ts_status pq_rle_encode_u8(const uint8_t *v, size_t n, int bit_width, ts_buf *out)
{
    return encode8(v, n, bit_width, out);
}
