/* Parquet codecs: round trips, exact-size decompression, framing variants
 * (gzip members, zlib/raw deflate, Hadoop LZ4), refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>
#ifdef HAVE_LZ4
#include <lz4.h>
#endif

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "parquet/pq_codec.h"

/* Compressible but not trivial: a repeating pattern with a counter. */
static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i % 97) ^ (i / 1000));
}

static void roundtrip(pq_codec c, pq_codec_ctx *ctx, size_t n)
{
    uint8_t *src = ts_malloc(n ? n : 1), *back = ts_malloc(n ? n : 1);
    fill(src, n);
    ts_buf b;
    ts_buf_init(&b, TS_MAX_PQ_PAGE);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_compress_ctx(ctx, c, 0, src, n, &b, &e), TS_OK);
    ts_status st = pq_decompress_ctx(ctx, c, b.data, b.len, back, n, &e);
    if (st != TS_OK) print_error("codec %s n=%zu: %s\n", pq_codec_name(c), n, e.msg);
    assert_int_equal(st, TS_OK);
    assert_memory_equal(src, back, n);
    /* One byte more or less than the header says is corrupt. */
    ts_err_clear(&e);
    if (n > 0) {
        assert_int_equal(pq_decompress_ctx(ctx, c, b.data, b.len, back, n - 1, &e),
                         TS_ERR_CORRUPT);
    }
    uint8_t *big = ts_malloc(n + 1);
    ts_err_clear(&e);
    assert_int_equal(pq_decompress_ctx(ctx, c, b.data, b.len, big, n + 1, &e), TS_ERR_CORRUPT);
    ts_free(big);
    ts_buf_free(&b);
    ts_free(src);
    ts_free(back);
}

static void test_roundtrips(void **state)
{
    (void)state;
    pq_codec_ctx *ctx;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_codec_ctx_new(&ctx, &e), TS_OK);
    const pq_codec cs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    const size_t sizes[] = {0, 1, 100, 70000};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++) {
            roundtrip(cs[i], ctx, sizes[j]);
            roundtrip(cs[i], NULL, sizes[j]);
        }
    pq_codec_ctx_free(ctx);
    pq_codec_ctx_free(NULL);
}

static void test_names(void **state)
{
    (void)state;
    pq_codec c;
    assert_true(pq_codec_parse("zstd", &c));
    assert_int_equal(c, PQ_CODEC_ZSTD);
    assert_true(pq_codec_parse("NONE", &c));
    assert_int_equal(c, PQ_CODEC_UNCOMPRESSED);
    assert_true(pq_codec_parse("lz4_raw", &c));
    assert_int_equal(c, PQ_CODEC_LZ4_RAW);
    assert_false(pq_codec_parse("zip", &c));
    assert_string_equal(pq_codec_name(PQ_CODEC_SNAPPY), "SNAPPY");
    assert_string_equal(pq_codec_name((pq_codec)42), "UNKNOWN");
    assert_true(pq_codec_can_write(PQ_CODEC_GZIP));
    assert_false(pq_codec_can_write(PQ_CODEC_LZ4));
}

static void test_refusals(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    ts_error e;
    uint8_t x[4] = {1, 2, 3, 4}, out[4];
    ts_err_clear(&e);
    assert_int_equal(pq_compress(PQ_CODEC_LZ4, 0, x, 4, &b, &e), TS_ERR_UNSUPPORTED);
    ts_err_clear(&e);
    assert_int_equal(pq_compress(PQ_CODEC_LZ4_RAW, 0, x, 4, &b, &e), TS_ERR_UNSUPPORTED);
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_LZO, x, 4, out, 4, &e), TS_ERR_UNSUPPORTED);
    assert_string_equal(e.msg, "unsupported codec LZO");
    ts_err_clear(&e);
    assert_int_equal(pq_decompress((pq_codec)9, x, 4, out, 4, &e), TS_ERR_UNSUPPORTED);
    /* zip-bomb guard: the page header may not ask for more than the cap. */
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_ZSTD, x, 4, out, TS_MAX_PQ_PAGE + 1, &e),
                     TS_ERR_LIMIT);
    ts_buf_free(&b);
}

static void test_bounds(void **state)
{
    (void)state;
    static uint8_t zeros[1 << 20];
    const pq_codec cs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    for (size_t i = 0; i < 4; i++) {
        ts_buf b;
        ts_buf_init(&b, 4 << 20);
        ts_error e;
        ts_err_clear(&e);
        assert_int_equal(pq_compress(cs[i], 0, zeros, sizeof zeros, &b, &e), TS_OK);
        size_t bound = pq_decompress_bound(cs[i], b.data, b.len);
        /* never below the truth; tight where the format says the size */
        assert_true(bound >= sizeof zeros);
        if (cs[i] == PQ_CODEC_SNAPPY || cs[i] == PQ_CODEC_UNCOMPRESSED) assert_int_equal(bound, sizeof zeros);
        /* a 1 GiB claim for these few bytes is refused up front */
        assert_true(bound < ((size_t)1 << 30));
        ts_buf_free(&b);
    }
}

static void test_damaged(void **state)
{
    (void)state;
    uint8_t src[5000], out[5000];
    fill(src, sizeof src);
    const pq_codec cs[] = {PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    for (size_t i = 0; i < 3; i++) {
        ts_buf b;
        ts_buf_init(&b, 1 << 20);
        ts_error e;
        ts_err_clear(&e);
        assert_int_equal(pq_compress(cs[i], 0, src, sizeof src, &b, &e), TS_OK);
        /* Truncations at every length never succeed and never crash. */
        for (size_t cut = 0; cut < b.len; cut++) {
            ts_err_clear(&e);
            assert_int_not_equal(pq_decompress(cs[i], b.data, cut, out, sizeof out, &e), TS_OK);
        }
        /* Flipped bytes: must not crash (result may be either). */
        for (size_t k = 0; k < b.len; k += 7) {
            b.data[k] ^= 0x5a;
            ts_err_clear(&e);
            (void)pq_decompress(cs[i], b.data, b.len, out, sizeof out, &e);
            b.data[k] ^= 0x5a;
        }
        ts_buf_free(&b);
    }
}

/* zlib with explicit window bits: 15 = zlib header, -15 = raw, 31 = gzip. */
static size_t zlib_make(int wbits, const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_gzip_variants(void **state)
{
    (void)state;
    uint8_t src[3000], out[3000], comp[8000];
    fill(src, sizeof src);
    ts_error e;
    const int wb[] = {15, -15, 31};
    for (int i = 0; i < 3; i++) {
        size_t len = zlib_make(wb[i], src, sizeof src, comp, sizeof comp);
        ts_err_clear(&e);
        assert_int_equal(pq_decompress(PQ_CODEC_GZIP, comp, len, out, sizeof out, &e), TS_OK);
        assert_memory_equal(src, out, sizeof out);
    }
    /* Two gzip members back to back: first 1000 bytes, then 2000. */
    size_t l1 = zlib_make(31, src, 1000, comp, sizeof comp);
    size_t l2 = zlib_make(31, src + 1000, 2000, comp + l1, sizeof comp - l1);
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_GZIP, comp, l1 + l2, out, sizeof out, &e), TS_OK);
    assert_memory_equal(src, out, sizeof out);
}

#ifdef HAVE_LZ4
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_lz4(void **state)
{
    (void)state;
    uint8_t src[4000], out[4000], comp[10000];
    fill(src, sizeof src);
    ts_error e;
    /* LZ4_RAW: one block. */
    int l = LZ4_compress_default((const char *)src, (char *)comp, sizeof src, sizeof comp);
    assert_true(l > 0);
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_LZ4_RAW, comp, (size_t)l, out, sizeof out, &e), TS_OK);
    assert_memory_equal(src, out, sizeof out);
    /* LZ4 (5) given a raw block falls back to raw. */
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_LZ4, comp, (size_t)l, out, sizeof out, &e), TS_OK);
    assert_memory_equal(src, out, sizeof out);
    /* Hadoop framing, two frames of 1500 and 2500 bytes. */
    size_t pos = 0;
    const size_t parts[2][2] = {{0, 1500}, {1500, 2500}};
    for (int f = 0; f < 2; f++) {
        int c = LZ4_compress_default((const char *)src + parts[f][0], (char *)comp + pos + 8,
                                     (int)parts[f][1], (int)(sizeof comp - pos - 8));
        assert_true(c > 0);
        put_be32(comp + pos, (uint32_t)parts[f][1]);
        put_be32(comp + pos + 4, (uint32_t)c);
        pos += 8 + (size_t)c;
    }
    memset(out, 0, sizeof out);
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_LZ4, comp, pos, out, sizeof out, &e), TS_OK);
    assert_memory_equal(src, out, sizeof out);
    /* Truncated framing fails cleanly. */
    ts_err_clear(&e);
    assert_int_equal(pq_decompress(PQ_CODEC_LZ4, comp, pos - 3, out, sizeof out, &e),
                     TS_ERR_CORRUPT);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrips), cmocka_unit_test(test_names),
        cmocka_unit_test(test_refusals),   cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_gzip_variants), cmocka_unit_test(test_bounds),
#ifdef HAVE_LZ4
        cmocka_unit_test(test_lz4),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
