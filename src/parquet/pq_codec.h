/* Parquet page compression codecs over the Debian libraries (zstd, snappy,
 * zlib, lz4, brotli): compress for the writer, bounded decompress for the
 * reader (the page header fixes the output size; anything else is corrupt). */
#ifndef PQ_CODEC_H
#define PQ_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"

/* Values are the thrift CompressionCodec enum. */
typedef enum pq_codec {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4,
    PQ_CODEC_LZ4 = 5, /* deprecated Hadoop framing; read only */
    PQ_CODEC_ZSTD = 6,
    PQ_CODEC_LZ4_RAW = 7
} pq_codec;

/* Reusable compression state (zstd contexts, a zlib stream), so a writer or
 * reader does not set one up per page. Not thread-safe; one per thread.
 * pq_codec_ctx_free(NULL) is a no-op. */
typedef struct pq_codec_ctx pq_codec_ctx;
ts_status pq_codec_ctx_new(pq_codec_ctx **out, ts_error *err);
void pq_codec_ctx_free(pq_codec_ctx *ctx);

/* Appends the compressed form of src[0..n) to dst. `level` <= 0 means the
 * codec's default (zstd 3, gzip 6); it is ignored by SNAPPY/UNCOMPRESSED.
 * Only UNCOMPRESSED, SNAPPY, GZIP (one gzip member) and ZSTD (one frame) can
 * be written; others give TS_ERR_UNSUPPORTED. ctx may be NULL (slower). */
ts_status pq_compress_ctx(pq_codec_ctx *ctx, pq_codec c, int level, const uint8_t *src, size_t n,
                          ts_buf *dst, ts_error *err);
ts_status pq_compress(pq_codec c, int level, const uint8_t *src, size_t n, ts_buf *dst,
                      ts_error *err);

/* Decompresses src[0..n) into dst, which must come out exactly dst_len
 * bytes long (from the page header); a different size or a damaged stream
 * is TS_ERR_CORRUPT, LZO (and BROTLI/LZ4 when built without them) are
 * TS_ERR_UNSUPPORTED. GZIP accepts gzip (also several members), zlib and
 * raw deflate streams. LZ4 accepts Hadoop framing (one or more
 * [BE32 raw size][BE32 compressed size][block] frames) and falls back to a
 * raw LZ4 block. ctx may be NULL. */
ts_status pq_decompress_ctx(pq_codec_ctx *ctx, pq_codec c, const uint8_t *src, size_t n,
                            uint8_t *dst, size_t dst_len, ts_error *err);
ts_status pq_decompress(pq_codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                        ts_error *err);

/* Largest output src[0..n) can decompress to under codec c, so a reader
 * can refuse a page header that claims more before allocating (zip bombs):
 * exact for SNAPPY, ZSTD's frame bound, deflate's 1032:1, LZ4's 255:1;
 * SIZE_MAX when unknown (BROTLI) or the stream is unreadable (the
 * decompressor then reports it). */
size_t pq_decompress_bound(pq_codec c, const uint8_t *src, size_t n);

/* Upper-case Parquet name ("SNAPPY"), or "UNKNOWN(n)"-style "UNKNOWN". */
const char *pq_codec_name(pq_codec c);
/* Case-insensitive: none/uncompressed, snappy, gzip, lzo, brotli, lz4,
 * zstd, lz4_raw. */
bool pq_codec_parse(const char *name, pq_codec *out);
/* True when pq_compress can produce the codec. */
bool pq_codec_can_write(pq_codec c);

#endif
