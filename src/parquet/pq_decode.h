/* Value decoders for Parquet pages: PLAIN for every physical type,
 * dictionary indices, RLE booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. A decoder is set up over one page's
 * value section and hands out values incrementally, so memory follows the
 * caller's batch, never a count read from the file. Every length is checked
 * against the bytes that are left; damage is TS_ERR_CORRUPT. */
#ifndef PQ_DECODE_H
#define PQ_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_arena.h"
#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "core/ts_error.h"
#include "parquet/pq_meta.h"
#include "parquet/pq_rle.h"

/* DELTA_BINARY_PACKED stream state (also the length streams of the two
 * DELTA_*_BYTE_ARRAY encodings). */
typedef struct pq_dbp {
    const uint8_t *p, *end;
    uint64_t block_size, nmb, per_mb; /* values per block, miniblocks, values per miniblock */
    uint64_t total, left;             /* values in the stream, values not yet handed out */
    uint64_t last;                    /* previous value (wrapping arithmetic) */
    uint64_t min_delta;
    const uint8_t *widths;            /* bit widths of the current block */
    uint64_t mb;                      /* next miniblock in the block */
    bool first_pending, is32;
    uint64_t *buf;                    /* current miniblock's deltas (borrowed scratch) */
    size_t buf_pos, buf_len;
} pq_dbp;

typedef struct pq_dec {
    pq_encoding enc;
    pq_type type;
    int32_t type_len;                 /* FIXED_LEN_BYTE_ARRAY width */
    const uint8_t *p, *end, *start;   /* the value section */
    uint64_t pos;                     /* values handed out (BSS, PLAIN bool bit) */
    uint64_t nvals;                   /* BSS: values in the stream */
    pq_rle_dec rle;                   /* dictionary indices, RLE booleans */
    pq_dbp a, b;                      /* DBP values / DLBA lengths / DBA prefixes, DBA suffixes */
    ts_buf *scratch;                  /* borrowed: miniblock buffers */
    ts_buf prev;                      /* DELTA_BYTE_ARRAY: the previous value */
} pq_dec;

/* Sets d up over the value section p[0..n) of a page. `type_len` is the
 * FIXED_LEN_BYTE_ARRAY width (ignored otherwise). `scratch` is a buffer the
 * caller keeps for the decoder's lifetime (reused across pages).
 * Dictionary-encoded pages (PLAIN_DICTIONARY, RLE_DICTIONARY) yield indices.
 * TS_ERR_UNSUPPORTED when the encoding does not apply to the type,
 * TS_ERR_CORRUPT for a damaged header. */
ts_status pq_dec_init(pq_dec *d, pq_encoding enc, pq_type type, int32_t type_len,
                      const uint8_t *p, size_t n, ts_buf *scratch, ts_error *err);
void pq_dec_free(pq_dec *d);

/* Next n values into out, whose element type follows the physical type:
 * BOOLEAN uint8_t (0/1), INT32 int32_t, INT64 int64_t, FLOAT float,
 * DOUBLE double, INT96/BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY ts_str; for
 * dictionary encodings uint32_t indices. ts_str values point into the page
 * (valid while it is) or, for DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT of
 * FIXED_LEN_BYTE_ARRAY, into `arena`. Running out is TS_ERR_CORRUPT. */
ts_status pq_dec_read(pq_dec *d, void *out, size_t n, ts_arena *arena, ts_error *err);

/* True when the decoder yields dictionary indices. */
static inline bool pq_dec_is_dict(const pq_dec *d)
{
    return d->enc == PQ_ENC_PLAIN_DICTIONARY || d->enc == PQ_ENC_RLE_DICTIONARY;
}

/* Size in bytes of one out element of pq_dec_read for a type. */
size_t pq_dec_elem_size(pq_type type, bool dict);

/* DELTA_BINARY_PACKED on its own (exposed for tests and the writer's
 * round-trip checks): header at p, values as int64 (INT32 streams wrap at
 * 32 bits). pq_dbp_end gives where the stream ends without decoding it. */
ts_status pq_dbp_init(pq_dbp *s, const uint8_t *p, size_t n, bool is32, ts_buf *scratch,
                      ts_error *err);
ts_status pq_dbp_read(pq_dbp *s, int64_t *out, size_t n, ts_error *err);
ts_status pq_dbp_end(const pq_dbp *s, const uint8_t **end, ts_error *err);

#endif
