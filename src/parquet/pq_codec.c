/* Page codecs: thin, bounded wrappers around zstd, snappy, zlib, lz4 and
 * brotli. Decompression never writes past the size the page header gives
 * and insists on producing exactly that many bytes. */
#include "parquet/pq_codec.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif
#ifdef HAVE_BROTLI
#include <brotli/decode.h>
#endif

#include "core/ts_alloc.h"

struct pq_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream def; /* gzip writer stream, set up lazily */
    bool def_ready;
    int def_level;
};

ts_status pq_codec_ctx_new(pq_codec_ctx **out, ts_error *err)
{
    *out = ts_calloc(1, sizeof **out);
    if (!*out) return ts_err_set(err, TS_ERR_NOMEM, "out of memory for a codec context");
    return TS_OK;
}

void pq_codec_ctx_free(pq_codec_ctx *ctx)
{
    if (!ctx) return;
    ZSTD_freeCCtx(ctx->zc);
    ZSTD_freeDCtx(ctx->zd);
    if (ctx->def_ready) deflateEnd(&ctx->def);
    ts_free(ctx);
}

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};

const char *pq_codec_name(pq_codec c)
{
    if ((unsigned)c < sizeof codec_names / sizeof codec_names[0]) return codec_names[c];
    return "UNKNOWN";
}

bool pq_codec_parse(const char *name, pq_codec *out)
{
    if (!name) return false;
    if (strcasecmp(name, "none") == 0) {
        *out = PQ_CODEC_UNCOMPRESSED;
        return true;
    }
    for (unsigned i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++) {
        if (strcasecmp(name, codec_names[i]) == 0) {
            *out = (pq_codec)i;
            return true;
        }
    }
    return false;
}

bool pq_codec_can_write(pq_codec c)
{
    return c == PQ_CODEC_UNCOMPRESSED || c == PQ_CODEC_SNAPPY || c == PQ_CODEC_GZIP ||
           c == PQ_CODEC_ZSTD;
}

/* ---- compression ---- */

static ts_status gzip_compress(pq_codec_ctx *ctx, int level, const uint8_t *src, size_t n,
                               ts_buf *dst, ts_error *err)
{
    if (level <= 0) level = 6;
    if (level > 9) level = 9;
    if (ctx->def_ready && ctx->def_level != level) {
        deflateEnd(&ctx->def);
        ctx->def_ready = false;
    }
    if (!ctx->def_ready) {
        memset(&ctx->def, 0, sizeof ctx->def);
        /* windowBits 15 + 16: gzip framing, as the Parquet spec requires. */
        if (deflateInit2(&ctx->def, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return ts_err_set(err, TS_ERR_NOMEM, "gzip: cannot initialise the compressor");
        ctx->def_ready = true;
        ctx->def_level = level;
    } else if (deflateReset(&ctx->def) != Z_OK) {
        return ts_err_set(err, TS_ERR_INTERNAL, "gzip: cannot reset the compressor");
    }
    if (n > UINT_MAX) return ts_err_set(err, TS_ERR_LIMIT, "gzip: page of %zu bytes too large", n);
    size_t bound = deflateBound(&ctx->def, (uLong)n);
    TS_TRY(ts_buf_reserve(dst, bound));
    ctx->def.next_in = (Bytef *)(uintptr_t)src;
    ctx->def.avail_in = (uInt)n;
    ctx->def.next_out = dst->data + dst->len;
    ctx->def.avail_out = (uInt)bound;
    int rc = deflate(&ctx->def, Z_FINISH);
    if (rc != Z_STREAM_END)
        return ts_err_set(err, TS_ERR_INTERNAL, "gzip: compression did not finish (%d)", rc);
    dst->len += bound - ctx->def.avail_out;
    return TS_OK;
}

ts_status pq_compress_ctx(pq_codec_ctx *ctx, pq_codec c, int level, const uint8_t *src, size_t n,
                          ts_buf *dst, ts_error *err)
{
    switch (c) {
    case PQ_CODEC_UNCOMPRESSED:
        return ts_buf_append(dst, src, n);
    case PQ_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        TS_TRY(ts_buf_reserve(dst, bound));
        size_t outlen = bound;
        if (snappy_compress((const char *)src, n, (char *)dst->data + dst->len, &outlen) !=
            SNAPPY_OK)
            return ts_err_set(err, TS_ERR_INTERNAL, "snappy: compression failed");
        dst->len += outlen;
        return TS_OK;
    }
    case PQ_CODEC_GZIP: {
        if (ctx) return gzip_compress(ctx, level, src, n, dst, err);
        pq_codec_ctx tmp;
        memset(&tmp, 0, sizeof tmp);
        ts_status st = gzip_compress(&tmp, level, src, n, dst, err);
        if (tmp.def_ready) deflateEnd(&tmp.def);
        return st;
    }
    case PQ_CODEC_ZSTD: {
        if (level <= 0) level = 3;
        if (level > ZSTD_maxCLevel()) level = ZSTD_maxCLevel();
        size_t bound = ZSTD_compressBound(n);
        TS_TRY(ts_buf_reserve(dst, bound));
        size_t r;
        if (ctx) {
            if (!ctx->zc && !(ctx->zc = ZSTD_createCCtx()))
                return ts_err_set(err, TS_ERR_NOMEM, "zstd: cannot create a context");
            r = ZSTD_compressCCtx(ctx->zc, dst->data + dst->len, bound, src, n, level);
        } else {
            r = ZSTD_compress(dst->data + dst->len, bound, src, n, level);
        }
        if (ZSTD_isError(r))
            return ts_err_set(err, TS_ERR_INTERNAL, "zstd: %s", ZSTD_getErrorName(r));
        dst->len += r;
        return TS_OK;
    }
    default:
        return ts_err_set(err, TS_ERR_UNSUPPORTED,
                          "cannot write codec %s: choose zstd, snappy, gzip or none",
                          pq_codec_name(c));
    }
}

ts_status pq_compress(pq_codec c, int level, const uint8_t *src, size_t n, ts_buf *dst,
                      ts_error *err)
{
    return pq_compress_ctx(NULL, c, level, src, n, dst, err);
}

/* ---- decompression ---- */

static ts_status size_mismatch(ts_error *err, const char *codec, size_t got, size_t want)
{
    return ts_err_set(err, TS_ERR_CORRUPT,
                      "%s: page decompressed to %zu bytes but its header says %zu", codec, got,
                      want);
}

/* Picks the zlib window bits from the first bytes: gzip magic, a valid
 * zlib header, or else raw deflate (what some writers emit). */
static int gzip_window_bits(const uint8_t *src, size_t n)
{
    if (n >= 2 && src[0] == 0x1f && src[1] == 0x8b) return 15 + 16;
    if (n >= 2 && (src[0] & 0x0f) == 8 && (src[0] >> 4) <= 7 &&
        ((unsigned)src[0] * 256u + src[1]) % 31u == 0)
        return 15;
    return -15;
}

static ts_status gzip_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                                 ts_error *err)
{
    if (n > UINT_MAX || dst_len > UINT_MAX)
        return ts_err_set(err, TS_ERR_LIMIT, "gzip: page too large");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int wbits = gzip_window_bits(src, n);
    if (inflateInit2(&zs, wbits) != Z_OK)
        return ts_err_set(err, TS_ERR_NOMEM, "gzip: cannot initialise the decompressor");
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)dst_len;
    ts_status st = TS_OK;
    /* Bounded: each round either consumes a member or stops. */
    for (;;) {
        int rc = inflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated members are legal). */
            if (wbits == 15 + 16 && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
                zs.next_in[1] == 0x8b && zs.avail_out > 0) {
                if (inflateReset(&zs) != Z_OK) {
                    st = ts_err_set(err, TS_ERR_CORRUPT, "gzip: cannot continue after a member");
                    break;
                }
                continue;
            }
            if (zs.avail_out != 0) st = size_mismatch(err, "gzip", dst_len - zs.avail_out, dst_len);
            break;
        }
        if ((rc == Z_BUF_ERROR || rc == Z_OK) && zs.avail_out == 0) {
            /* Output full but the stream goes on: is there more data? */
            uint8_t extra;
            zs.next_out = &extra;
            zs.avail_out = 1;
            rc = inflate(&zs, Z_FINISH);
            if (rc == Z_STREAM_END && zs.avail_out == 1) break; /* ended exactly */
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "gzip: page decompresses to more than the %zu bytes its header says",
                            dst_len);
            break;
        }
        st = ts_err_set(err, TS_ERR_CORRUPT, "gzip: damaged stream (%s)",
                        zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "truncated" : "error"));
        break;
    }
    inflateEnd(&zs);
    return st;
}

#ifdef HAVE_LZ4
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop framing: [BE32 raw][BE32 compressed][block] repeated. Returns false
 * when the bytes do not follow it exactly (the caller then tries raw). */
static bool lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t in = 0, out = 0;
    if (n < 8) return false;
    while (n - in >= 8) {
        uint32_t raw = be32(src + in), comp = be32(src + in + 4);
        in += 8;
        if (comp > n - in || raw > dst_len - out || comp > INT_MAX || raw > INT_MAX) return false;
        int r = LZ4_decompress_safe((const char *)src + in, (char *)dst + out, (int)comp, (int)raw);
        if (r < 0 || (uint32_t)r != raw) return false;
        in += comp;
        out += raw;
    }
    return in == n && out == dst_len;
}
#endif

ts_status pq_decompress_ctx(pq_codec_ctx *ctx, pq_codec c, const uint8_t *src, size_t n,
                            uint8_t *dst, size_t dst_len, ts_error *err)
{
    if (dst_len > TS_MAX_PQ_PAGE)
        return ts_err_set(err, TS_ERR_LIMIT,
                          "page says it decompresses to %zu bytes, above the %zu-byte limit",
                          dst_len, (size_t)TS_MAX_PQ_PAGE);
    switch (c) {
    case PQ_CODEC_UNCOMPRESSED:
        if (n != dst_len) return size_mismatch(err, "uncompressed page", n, dst_len);
        if (n) memcpy(dst, src, n);
        return TS_OK;
    case PQ_CODEC_SNAPPY: {
        size_t len = 0;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK)
            return ts_err_set(err, TS_ERR_CORRUPT, "snappy: damaged block header");
        if (len != dst_len) return size_mismatch(err, "snappy", len, dst_len);
        if (dst_len == 0) return TS_OK;
        size_t outlen = dst_len;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &outlen) != SNAPPY_OK ||
            outlen != dst_len)
            return ts_err_set(err, TS_ERR_CORRUPT, "snappy: damaged block");
        return TS_OK;
    }
    case PQ_CODEC_GZIP:
        return gzip_decompress(src, n, dst, dst_len, err);
    case PQ_CODEC_ZSTD: {
        size_t r;
        if (ctx) {
            if (!ctx->zd && !(ctx->zd = ZSTD_createDCtx()))
                return ts_err_set(err, TS_ERR_NOMEM, "zstd: cannot create a context");
            r = ZSTD_decompressDCtx(ctx->zd, dst, dst_len, src, n);
        } else {
            r = ZSTD_decompress(dst, dst_len, src, n);
        }
        if (ZSTD_isError(r))
            return ts_err_set(err, TS_ERR_CORRUPT, "zstd: %s (page says %zu bytes)",
                              ZSTD_getErrorName(r), dst_len);
        if (r != dst_len) return size_mismatch(err, "zstd", r, dst_len);
        return TS_OK;
    }
#ifdef HAVE_LZ4
    case PQ_CODEC_LZ4_RAW:
    case PQ_CODEC_LZ4: {
        if (c == PQ_CODEC_LZ4 && lz4_hadoop(src, n, dst, dst_len)) return TS_OK;
        if (n > INT_MAX || dst_len > INT_MAX)
            return ts_err_set(err, TS_ERR_LIMIT, "lz4: page too large");
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
        if (r < 0) return ts_err_set(err, TS_ERR_CORRUPT, "lz4: damaged block");
        if ((size_t)r != dst_len) return size_mismatch(err, "lz4", (size_t)r, dst_len);
        return TS_OK;
    }
#endif
#ifdef HAVE_BROTLI
    case PQ_CODEC_BROTLI: {
        size_t outlen = dst_len;
        BrotliDecoderResult r = BrotliDecoderDecompress(n, src, &outlen, dst);
        if (r != BROTLI_DECODER_RESULT_SUCCESS)
            return ts_err_set(err, TS_ERR_CORRUPT,
                              "brotli: damaged stream or larger than the %zu bytes the page says",
                              dst_len);
        if (outlen != dst_len) return size_mismatch(err, "brotli", outlen, dst_len);
        return TS_OK;
    }
#endif
    default:
        if ((unsigned)c > PQ_CODEC_LZ4_RAW)
            return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported codec %d (unknown)", (int)c);
        return ts_err_set(err, TS_ERR_UNSUPPORTED, "unsupported codec %s", pq_codec_name(c));
    }
}

size_t pq_decompress_bound(pq_codec c, const uint8_t *src, size_t n)
{
    switch (c) {
    case PQ_CODEC_UNCOMPRESSED:
        return n;
    case PQ_CODEC_SNAPPY: {
        size_t len = 0;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK) return SIZE_MAX;
        return len;
    }
    case PQ_CODEC_GZIP:
        return n > SIZE_MAX / 1100 ? SIZE_MAX : n * 1032 + 1024;
    case PQ_CODEC_ZSTD: {
        /* Sum of the frames' declared content sizes; unknown when a frame
         * does not declare it (decompression is still bounded then). */
        size_t total = 0;
        for (int frames = 0; n > 0 && frames < 4096; frames++) {
            unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
            if (fcs == ZSTD_CONTENTSIZE_UNKNOWN || fcs == ZSTD_CONTENTSIZE_ERROR || fcs > SIZE_MAX - total)
                return SIZE_MAX;
            size_t fsz = ZSTD_findFrameCompressedSize(src, n);
            if (ZSTD_isError(fsz) || fsz == 0 || fsz > n) return SIZE_MAX;
            total += (size_t)fcs;
            src += fsz;
            n -= fsz;
        }
        return n == 0 ? total : SIZE_MAX;
    }
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZ4_RAW:
        return n > SIZE_MAX / 300 ? SIZE_MAX : n * 257 + 64;
    default:
        return SIZE_MAX;
    }
}

ts_status pq_decompress(pq_codec c, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len,
                        ts_error *err)
{
    return pq_decompress_ctx(NULL, c, src, n, dst, dst_len, err);
}
