/* The RLE / bit-packed hybrid encoding (Parquet encoding RLE = 3) used for
 * definition levels, dictionary indices and RLE booleans, plus LSB-first
 * bit packing of 1..64-bit values (DELTA_BINARY_PACKED miniblocks). Decoders
 * never read past their input nor write past their output. */
#ifndef PQ_RLE_H
#define PQ_RLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"

/* Bits needed for values 0..max (0 for max 0). */
int pq_bit_width(uint64_t max);

/* ---- streaming decoder (bit widths 0..32) ---- */
typedef struct pq_rle_dec {
    const uint8_t *p, *end, *base;
    int bw;
    /* current run */
    bool packed;          /* bit-packed run (else repeat run) */
    uint64_t left;        /* values left in the run */
    uint32_t rep_value;   /* repeat run value */
    const uint8_t *bp;    /* bit-packed: start of the run's data */
    uint64_t bp_pos;      /* bit-packed: index of the next value in the run */
    uint64_t bp_avail;    /* bit-packed: values whose bits are inside the input */
} pq_rle_dec;

/* Starts decoding p[0..n) with values of bit_width bits. TS_ERR_CORRUPT
 * if bit_width is outside 0..32. */
ts_status pq_rle_dec_init(pq_rle_dec *d, const uint8_t *p, size_t n, int bit_width, ts_error *err);
/* Decodes up to `count` values into out; *got = values produced. *got <
 * count only when the input ends cleanly (between runs, or inside a last
 * bit-packed group that writers may leave short); malformed run headers,
 * zero-length runs and truncated repeat values are TS_ERR_CORRUPT with the
 * byte offset. */
ts_status pq_rle_dec_next(pq_rle_dec *d, uint32_t *out, size_t count, size_t *got, ts_error *err);

/* One-shot: decodes exactly `count` values from p[0..n). With decoded !=
 * NULL, running out of input early is not an error (*decoded says how many);
 * with decoded == NULL it is TS_ERR_CORRUPT. */
ts_status pq_rle_decode(const uint8_t *p, size_t n, int bit_width, uint32_t *out, size_t count,
                        size_t *decoded, ts_error *err);

/* Unpacks `count` LSB-first values of bit_width (0..64) bits from in[0..in_len)
 * into out. Returns the number of values whose bits were all inside the
 * input (values past that are set to 0); returns 0 for bit_width > 64. */
size_t pq_unpack64(const uint8_t *in, size_t in_len, int bit_width, uint64_t *out, size_t count);
/* Same into uint32 for widths 0..32. */
size_t pq_unpack32(const uint8_t *in, size_t in_len, int bit_width, uint32_t *out, size_t count);

/* Packs `count` values LSB-first with bit_width (0..64) bits each into
 * out, which must hold (count * bit_width + 7) / 8 bytes; the last byte's
 * unused bits are zero. Values must fit in bit_width bits. */
void pq_pack64(const uint64_t *in, size_t count, int bit_width, uint8_t *out);
void pq_pack32(const uint32_t *in, size_t count, int bit_width, uint8_t *out);

/* Appends the hybrid encoding of v[0..n) (values < 2^bit_width, bit_width
 * 0..32) to out, without length prefix or bit-width byte: runs of 8 or more
 * equal values become repeat runs, the rest bit-packed groups of 8 (the last
 * group zero-padded), at most 63 groups per bit-packed run header. */
ts_status pq_rle_encode(const uint32_t *v, size_t n, int bit_width, ts_buf *out);
/* The same for levels held as bytes (0/1 definition levels). */
ts_status pq_rle_encode_u8(const uint8_t *v, size_t n, int bit_width, ts_buf *out);
/* Worst-case encoded size of n values (for reserving). */
size_t pq_rle_max_size(size_t n, int bit_width);

#endif
