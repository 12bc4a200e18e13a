/* RLE / bit-packed hybrid and bit packing: spec vectors, every width
 * round-trips, malicious inputs stay in bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "parquet/pq_rle.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_spec_vectors(void **state)
{
    (void)state;
    ts_error e;
    ts_err_clear(&e);
    /* values 0..7 width 3: 03 88 c6 fa */
    static const uint8_t bp[] = {0x03, 0x88, 0xc6, 0xfa};
    uint32_t out[8];
    assert_int_equal(pq_rle_decode(bp, sizeof bp, 3, out, 8, NULL, &e), TS_OK);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(out[i], i);
    uint32_t in[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    assert_int_equal(pq_rle_encode(in, 8, 3, &b), TS_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, bp, 4);
    /* 5 ones width 1: 0a 01 */
    uint8_t ones[5] = {1, 1, 1, 1, 1};
    ts_buf_clear(&b);
    assert_int_equal(pq_rle_encode_u8(ones, 5, 1, &b), TS_OK);
    /* 5 < 8 so our encoder bit-packs: 03 1f */
    assert_int_equal(b.len, 2);
    assert_int_equal(b.data[0], 0x03);
    assert_int_equal(b.data[1], 0x1f);
    static const uint8_t rle5[] = {0x0a, 0x01};
    assert_int_equal(pq_rle_decode(rle5, 2, 1, out, 5, NULL, &e), TS_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], 1);
    /* 1000 nulls: d0 0f 00 */
    uint8_t zeros[1000] = {0};
    ts_buf_clear(&b);
    assert_int_equal(pq_rle_encode_u8(zeros, 1000, 1, &b), TS_OK);
    static const uint8_t want[] = {0xd0, 0x0f, 0x00};
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, want, 3);
    ts_buf_free(&b);
}

static void round_trip(const uint32_t *v, size_t n, int bw)
{
    ts_buf b;
    ts_buf_init(&b, (size_t)1 << 30);
    assert_int_equal(pq_rle_encode(v, n, bw, &b), TS_OK);
    assert_true(b.len <= pq_rle_max_size(n, bw));
    uint32_t *out = ts_malloc((n + 1) * sizeof *out);
    ts_error e;
    ts_err_clear(&e);
    size_t got = 0;
    assert_int_equal(pq_rle_decode(b.data, b.len, bw, out, n, &got, &e), TS_OK);
    if (got != n) fprintf(stderr, "bw %d n %zu: decoded %zu\n", bw, n, got);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        if (out[i] != v[i]) {
            fprintf(stderr, "bw %d n %zu: value %zu: got %u want %u\n", bw, n, i, out[i], v[i]);
            fail();
        }
    }
    /* streaming in odd chunk sizes gives the same values */
    pq_rle_dec d;
    assert_int_equal(pq_rle_dec_init(&d, b.data, b.len, bw, &e), TS_OK);
    size_t pos = 0, chunk = 1;
    while (pos < n) {
        size_t want = chunk < n - pos ? chunk : n - pos;
        assert_int_equal(pq_rle_dec_next(&d, out + pos, want, &got, &e), TS_OK);
        assert_int_equal(got, want);
        pos += got;
        chunk = chunk * 3 + 1;
    }
    for (size_t i = 0; i < n; i++) assert_int_equal(out[i], v[i]);
    ts_free(out);
    ts_buf_free(&b);
}

static void test_all_widths_round_trip(void **state)
{
    (void)state;
    size_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 503, 504, 505, 1000, 4099};
    uint32_t *v = ts_malloc(5000 * sizeof *v);
    for (int bw = 0; bw <= 32; bw++) {
        uint64_t mask = bw == 32 ? 0xffffffffu : ((UINT64_C(1) << bw) - 1);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li];
            for (int pattern = 0; pattern < 4; pattern++) {
                for (size_t i = 0; i < n; i++) {
                    switch (pattern) {
                    case 0: v[i] = (uint32_t)(rnd() & mask); break;                 /* random */
                    case 1: v[i] = (uint32_t)((i / 13) & mask); break;              /* runs of 13 */
                    case 2: v[i] = (uint32_t)(((rnd() % 5) ? 0 : rnd()) & mask); break; /* mostly 0 */
                    default: v[i] = (uint32_t)((i % 9 < 8 ? mask : 0) & mask); break;   /* runs of 8 */
                    }
                }
                round_trip(v, n, bw);
            }
        }
    }
    ts_free(v);
}

static void test_pack64_all_widths(void **state)
{
    (void)state;
    uint64_t in[133], out[133];
    uint8_t packed[133 * 8 + 8];
    for (int bw = 0; bw <= 64; bw++) {
        uint64_t mask = bw == 64 ? UINT64_MAX : ((UINT64_C(1) << bw) - 1);
        for (size_t n = 0; n <= 133; n += (n < 10 ? 1 : 41)) {
            for (size_t i = 0; i < n; i++) in[i] = i % 3 == 0 ? mask : rnd() & mask;
            size_t bytes = (n * (size_t)bw + 7) / 8;
            memset(packed, 0xAA, sizeof packed);
            pq_pack64(in, n, bw, packed);
            assert_int_equal(packed[bytes], bw == 0 ? 0xAA : 0xAA); /* nothing written past */
            assert_int_equal(pq_unpack64(packed, bytes, bw, out, n), n);
            for (size_t i = 0; i < n; i++) {
                if (out[i] != in[i]) {
                    fprintf(stderr, "bw %d n %zu i %zu: %llx != %llx\n", bw, n, i,
                            (unsigned long long)out[i], (unsigned long long)in[i]);
                    fail();
                }
            }
            if (bw > 0 && n > 0) {
                /* one byte short: the last value is incomplete */
                size_t got = pq_unpack64(packed, bytes - 1, bw, out, n);
                assert_true(got < n);
                assert_int_equal(out[n - 1], 0);
            }
        }
    }
    assert_int_equal(pq_unpack64(packed, 8, 65, out, 1), 0);
}

static void test_malicious(void **state)
{
    (void)state;
    ts_error e;
    uint32_t out[64];
    size_t got;
    /* bit width 33 */
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode((const uint8_t *)"\x02\x01", 2, 33, out, 1, &got, &e), TS_ERR_CORRUPT);
    /* huge repeat run: output capped at count */
    static const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01};
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode(huge, sizeof huge, 1, out, 64, &got, &e), TS_OK);
    assert_int_equal(got, 64);
    /* huge bit-packed run with 2 bytes of data: only 16 values come out */
    static const uint8_t hbp[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff};
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode(hbp, sizeof hbp, 1, out, 64, &got, &e), TS_OK);
    assert_int_equal(got, 16);
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode(hbp, sizeof hbp, 1, out, 64, NULL, &e), TS_ERR_CORRUPT);
    /* truncated repeat value (width 16 needs 2 bytes) */
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode((const uint8_t *)"\x04\x01", 2, 16, out, 2, &got, &e), TS_ERR_CORRUPT);
    /* repeat value wider than the width */
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode((const uint8_t *)"\x04\x02", 2, 1, out, 2, &got, &e), TS_ERR_CORRUPT);
    /* run header never ends */
    static const uint8_t unterminated[] = {0x80, 0x80, 0x80};
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode(unterminated, 3, 1, out, 2, &got, &e), TS_ERR_CORRUPT);
    /* 11-byte varint */
    static const uint8_t longv[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    ts_err_clear(&e);
    assert_int_equal(pq_rle_decode(longv, sizeof longv, 1, out, 2, &got, &e), TS_ERR_CORRUPT);
    /* every byte string of length 1..3 decodes or fails without crashing (ASan checks bounds) */
    uint8_t buf[3];
    for (int bw = 0; bw <= 32; bw += 4) {
        for (unsigned a = 0; a < 256; a += 3) {
            for (unsigned c = 0; c < 256; c += 17) {
                buf[0] = (uint8_t)a;
                buf[1] = (uint8_t)c;
                buf[2] = (uint8_t)(a ^ c);
                for (size_t len = 1; len <= 3; len++) {
                    ts_err_clear(&e);
                    (void)pq_rle_decode(buf, len, bw, out, 64, &got, &e);
                }
            }
        }
    }
}

static void test_bit_width(void **state)
{
    (void)state;
    assert_int_equal(pq_bit_width(0), 0);
    assert_int_equal(pq_bit_width(1), 1);
    assert_int_equal(pq_bit_width(2), 2);
    assert_int_equal(pq_bit_width(255), 8);
    assert_int_equal(pq_bit_width(256), 9);
    assert_int_equal(pq_bit_width(UINT64_MAX), 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vectors),
        cmocka_unit_test(test_all_widths_round_trip),
        cmocka_unit_test(test_pack64_all_widths),
        cmocka_unit_test(test_malicious),
        cmocka_unit_test(test_bit_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
