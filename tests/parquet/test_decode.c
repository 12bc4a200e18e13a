/* Page value decoders with hand-made vectors: PLAIN of every type,
 * dictionary indices, RLE booleans, DELTA_BINARY_PACKED (all widths),
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT; and the
 * refusals (truncation, bad widths, bad prefixes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_arena.h"
#include "core/ts_buf.h"
#include "parquet/pq_decode.h"
#include "parquet/pq_rle.h"

static ts_buf scratch;
static ts_arena arena;

static int setup(void **state)
{
    (void)state;
    ts_buf_init(&scratch, 64 << 20);
    ts_arena_init(&arena, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_buf_free(&scratch);
    ts_arena_free(&arena);
    return 0;
}

static ts_status dec(pq_encoding enc, pq_type t, int32_t tl, const uint8_t *p, size_t n, void *out,
                     size_t count)
{
    pq_dec d;
    ts_error e;
    ts_err_clear(&e);
    ts_status st = pq_dec_init(&d, enc, t, tl, p, n, &scratch, &e);
    if (st == TS_OK) st = pq_dec_read(&d, out, count, &arena, &e);
    pq_dec_free(&d);
    return st;
}

static void test_plain_fixed(void **state)
{
    (void)state;
    const uint8_t i32[] = {1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 3, 0, 0, 0};
    int32_t o32[3];
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_INT32, 0, i32, sizeof i32, o32, 3), TS_OK);
    assert_int_equal(o32[0], 1);
    assert_int_equal(o32[1], -2);
    assert_int_equal(o32[2], 3);
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_INT32, 0, i32, sizeof i32 - 1, o32, 3), TS_ERR_CORRUPT);

    const uint8_t i64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    int64_t o64;
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_INT64, 0, i64, 8, &o64, 1), TS_OK);
    assert_true(o64 == INT64_MAX);

    const uint8_t dbl[] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f}; /* 1.5 */
    double od;
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_DOUBLE, 0, dbl, 8, &od, 1), TS_OK);
    assert_true(od == 1.5);
    const uint8_t flt[] = {0, 0, 0x20, 0xc0}; /* -2.5f */
    float of;
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_FLOAT, 0, flt, 4, &of, 1), TS_OK);
    assert_true(of == -2.5f);

    const uint8_t bools[] = {0x05, 0x01};
    uint8_t ob[9];
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BOOLEAN, 0, bools, 2, ob, 9), TS_OK);
    const uint8_t want_b[9] = {1, 0, 1, 0, 0, 0, 0, 0, 1};
    assert_memory_equal(ob, want_b, 9);
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BOOLEAN, 0, bools, 2, ob, 17), TS_ERR_CORRUPT);

    const uint8_t i96[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    ts_str os;
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_INT96, 0, i96, 12, &os, 1), TS_OK);
    assert_int_equal(os.len, 12);
    assert_memory_equal(os.ptr, i96, 12);

    const uint8_t flba[] = {'a', 'b', 'c', 'd', 'e', 'f'};
    ts_str of2[3];
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_FIXED_LEN_BYTE_ARRAY, 2, flba, 6, of2, 3), TS_OK);
    assert_int_equal(of2[2].len, 2);
    assert_memory_equal(of2[2].ptr, "ef", 2);
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_FIXED_LEN_BYTE_ARRAY, 4, flba, 6, of2, 2), TS_ERR_CORRUPT);
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_FIXED_LEN_BYTE_ARRAY, 0, flba, 6, of2, 1), TS_ERR_CORRUPT);
}

static void test_plain_byte_array(void **state)
{
    (void)state;
    const uint8_t p[] = {3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0, 2, 0, 0, 0, 'x', 'y'};
    ts_str o[3];
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, p, sizeof p, o, 3), TS_OK);
    assert_int_equal(o[0].len, 3);
    assert_memory_equal(o[0].ptr, "abc", 3);
    assert_int_equal(o[1].len, 0);
    assert_int_equal(o[2].len, 2);
    assert_memory_equal(o[2].ptr, "xy", 2);
    /* a length that runs past the page */
    const uint8_t bad[] = {9, 0, 0, 0, 'a', 'b'};
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, bad, sizeof bad, o, 1), TS_ERR_CORRUPT);
    const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a'};
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, huge, sizeof huge, o, 1), TS_ERR_CORRUPT);
    /* a truncated length prefix */
    assert_int_equal(dec(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, p, 2, o, 1), TS_ERR_CORRUPT);
}

static void test_dictionary_indices(void **state)
{
    (void)state;
    /* width 2; RLE run of 4 × value 1; then bit-packed group of 8: 0,1,2,3,0,1,2,3 */
    const uint8_t p[] = {2, 0x08, 0x01, 0x03, 0xe4, 0xe4};
    uint32_t o[12];
    assert_int_equal(dec(PQ_ENC_RLE_DICTIONARY, PQ_BYTE_ARRAY, 0, p, sizeof p, o, 12), TS_OK);
    const uint32_t want[12] = {1, 1, 1, 1, 0, 1, 2, 3, 0, 1, 2, 3};
    assert_memory_equal(o, want, sizeof want);
    /* PLAIN_DICTIONARY is the same thing */
    assert_int_equal(dec(PQ_ENC_PLAIN_DICTIONARY, PQ_INT64, 0, p, sizeof p, o, 12), TS_OK);
    assert_memory_equal(o, want, sizeof want);
    /* asking for more than the page holds */
    assert_int_equal(dec(PQ_ENC_RLE_DICTIONARY, PQ_INT64, 0, p, sizeof p, o, 13), TS_ERR_CORRUPT);
    /* bit width 0 is legal: every index is 0 */
    const uint8_t z[] = {0, 0x0a};
    uint32_t oz[5] = {9, 9, 9, 9, 9};
    assert_int_equal(dec(PQ_ENC_RLE_DICTIONARY, PQ_INT32, 0, z, sizeof z, oz, 5), TS_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(oz[i], 0);
    /* bit width above 32 */
    const uint8_t w[] = {33, 0x02, 0, 0, 0, 0, 0};
    assert_int_equal(dec(PQ_ENC_RLE_DICTIONARY, PQ_INT32, 0, w, sizeof w, o, 1), TS_ERR_CORRUPT);
    assert_int_equal(dec(PQ_ENC_RLE_DICTIONARY, PQ_INT32, 0, w, 0, o, 1), TS_ERR_CORRUPT);
}

static void test_rle_booleans(void **state)
{
    (void)state;
    /* 4-byte length 4: RLE run of 3 trues, bit-packed group: 1,0,1,1,0,0,0,0 */
    const uint8_t p[] = {4, 0, 0, 0, 0x06, 0x01, 0x03, 0x0d};
    uint8_t o[11];
    assert_int_equal(dec(PQ_ENC_RLE, PQ_BOOLEAN, 0, p, sizeof p, o, 11), TS_OK);
    const uint8_t want[11] = {1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0};
    assert_memory_equal(o, want, 11);
    const uint8_t bad[] = {9, 0, 0, 0, 0x06, 0x01};
    assert_int_equal(dec(PQ_ENC_RLE, PQ_BOOLEAN, 0, bad, sizeof bad, o, 1), TS_ERR_CORRUPT);
    assert_int_equal(dec(PQ_ENC_RLE, PQ_INT32, 0, p, sizeof p, o, 1), TS_ERR_UNSUPPORTED);
}

/* ---- a small DELTA_BINARY_PACKED encoder for the tests (128/4x32) ---- */
static void put_uvarint(ts_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        ts_buf_append_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    ts_buf_append_byte(b, (uint8_t)v);
}

static void put_zigzag(ts_buf *b, int64_t v)
{
    put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void dbp_encode(const int64_t *v, size_t n, bool is32, ts_buf *out)
{
    put_uvarint(out, 128);
    put_uvarint(out, 4);
    put_uvarint(out, n);
    put_zigzag(out, n ? v[0] : 0);
    for (size_t s = 1; s < n; s += 128) {
        size_t cnt = n - s < 128 ? n - s : 128;
        uint64_t d[128] = {0};
        uint64_t mask = is32 ? 0xffffffffu : UINT64_MAX;
        int64_t mn = INT64_MAX;
        for (size_t i = 0; i < cnt; i++) {
            d[i] = ((uint64_t)v[s + i] - (uint64_t)v[s + i - 1]) & mask;
            int64_t sd = is32 ? (int64_t)(int32_t)(uint32_t)d[i] : (int64_t)d[i];
            if (sd < mn) mn = sd;
        }
        put_zigzag(out, mn);
        uint8_t widths[4] = {0};
        for (size_t i = 0; i < cnt; i++) {
            d[i] = (d[i] - (uint64_t)mn) & mask;
            int w = pq_bit_width(d[i]);
            if (w > widths[i / 32]) widths[i / 32] = (uint8_t)w;
        }
        ts_buf_append(out, widths, 4);
        for (size_t m = 0; m * 32 < cnt; m++) {
            uint8_t packed[32 * 8];
            pq_pack64(d + m * 32, 32, widths[m], packed);
            ts_buf_append(out, packed, 32u * widths[m] / 8);
        }
    }
}

static void test_dbp_spec_examples(void **state)
{
    (void)state;
    /* 1..5: min delta 1, all widths 0 */
    const uint8_t a[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    int64_t o[8];
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT64, 0, a, sizeof a, o, 5), TS_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(o[i], i + 1);
    /* 7,5,3,1,2,3,4,5: min delta -2, width 2 */
    uint8_t b[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0};
    int32_t o32[8];
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, b, sizeof b, o32, 8), TS_OK);
    const int32_t want[8] = {7, 5, 3, 1, 2, 3, 4, 5};
    assert_memory_equal(o32, want, sizeof want);
    /* more values than the header's count */
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, b, sizeof b, o32, 9), TS_ERR_CORRUPT);
    /* the miniblock cut short */
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, b, 11, o32, 8), TS_ERR_CORRUPT);
    /* a block size that is not a multiple of 8, and a width above 32 for INT32 */
    const uint8_t bs[] = {0x03, 0x01, 0x02, 0x00};
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, bs, sizeof bs, o32, 1), TS_ERR_CORRUPT);
    b[6] = 33;
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, b, sizeof b, o32, 8), TS_ERR_CORRUPT);
    /* not for doubles */
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_DOUBLE, 0, a, sizeof a, o, 1), TS_ERR_UNSUPPORTED);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_dbp_all_widths(void **state)
{
    (void)state;
    /* For every width 0..64, values whose deltas need it; wrap-around included. */
    for (int w = 0; w <= 64; w++) {
        int64_t v[300];
        v[0] = (int64_t)rng();
        for (int i = 1; i < 300; i++) {
            uint64_t delta = w == 0 ? 7 : w == 64 ? rng() : (rng() & ((UINT64_C(1) << w) - 1));
            v[i] = (int64_t)((uint64_t)v[i - 1] + delta);
        }
        ts_buf enc;
        ts_buf_init(&enc, 1 << 20);
        dbp_encode(v, 300, false, &enc);
        int64_t o[300];
        /* read in uneven pieces to cross miniblock and block edges */
        pq_dec d;
        ts_error e;
        ts_err_clear(&e);
        assert_int_equal(pq_dec_init(&d, PQ_ENC_DELTA_BINARY_PACKED, PQ_INT64, 0, enc.data, enc.len,
                                     &scratch, &e), TS_OK);
        size_t done = 0, step = 1;
        while (done < 300) {
            size_t m = 300 - done < step ? 300 - done : step;
            ts_status st = pq_dec_read(&d, o + done, m, &arena, &e);
            if (st != TS_OK) print_error("width %d: %s\n", w, e.msg);
            assert_int_equal(st, TS_OK);
            done += m;
            step = step * 3 + 1;
        }
        pq_dec_free(&d);
        for (int i = 0; i < 300; i++) {
            if (o[i] != v[i]) print_error("width %d value %d: %lld != %lld\n", w, i, (long long)o[i], (long long)v[i]);
            assert_true(o[i] == v[i]);
        }
        ts_buf_free(&enc);
    }
    /* INT32 streams wrap at 32 bits */
    int64_t v32[5] = {INT32_MAX, INT32_MIN, 0, -1, INT32_MAX};
    ts_buf enc;
    ts_buf_init(&enc, 1 << 20);
    dbp_encode(v32, 5, true, &enc);
    int32_t o32[5];
    assert_int_equal(dec(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, enc.data, enc.len, o32, 5), TS_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(o32[i], (int32_t)v32[i]);
    ts_buf_free(&enc);
}

static void test_delta_length_byte_array(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    const int64_t lens[3] = {3, 0, 2};
    dbp_encode(lens, 3, true, &b);
    ts_buf_append(&b, "abcxy", 5);
    ts_str o[3];
    assert_int_equal(dec(PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len, o, 3), TS_OK);
    assert_int_equal(o[0].len, 3);
    assert_memory_equal(o[0].ptr, "abc", 3);
    assert_int_equal(o[1].len, 0);
    assert_memory_equal(o[2].ptr, "xy", 2);
    /* data shorter than the lengths say */
    assert_int_equal(dec(PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len - 1, o, 3),
                     TS_ERR_CORRUPT);
    /* negative length */
    ts_buf_clear(&b);
    const int64_t neg[2] = {1, -5};
    dbp_encode(neg, 2, true, &b);
    ts_buf_append(&b, "abcdefgh", 8);
    assert_int_equal(dec(PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len, o, 2),
                     TS_ERR_CORRUPT);
    ts_buf_free(&b);
}

static void test_delta_byte_array(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    const int64_t pre[3] = {0, 2, 3}, suf[3] = {3, 1, 2};
    dbp_encode(pre, 3, true, &b);
    dbp_encode(suf, 3, true, &b);
    ts_buf_append(&b, "abcdef", 6);
    ts_str o[3];
    assert_int_equal(dec(PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len, o, 3), TS_OK);
    assert_int_equal(o[0].len, 3);
    assert_memory_equal(o[0].ptr, "abc", 3);
    assert_int_equal(o[1].len, 3);
    assert_memory_equal(o[1].ptr, "abd", 3);
    assert_int_equal(o[2].len, 5);
    assert_memory_equal(o[2].ptr, "abdef", 5);
    /* a prefix longer than the previous value */
    ts_buf_clear(&b);
    const int64_t bad_pre[2] = {0, 4}, bad_suf[2] = {3, 1};
    dbp_encode(bad_pre, 2, true, &b);
    dbp_encode(bad_suf, 2, true, &b);
    ts_buf_append(&b, "abcd", 4);
    assert_int_equal(dec(PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len, o, 2), TS_ERR_CORRUPT);
    /* prefix and suffix counts differ */
    ts_buf_clear(&b);
    dbp_encode(pre, 3, true, &b);
    dbp_encode(bad_suf, 2, true, &b);
    ts_buf_append(&b, "abcd", 4);
    assert_int_equal(dec(PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, b.data, b.len, o, 2), TS_ERR_CORRUPT);
    ts_buf_free(&b);
}

static void test_byte_stream_split(void **state)
{
    (void)state;
    /* 1.0f = 00 00 80 3f, 2.0f = 00 00 00 40 */
    const uint8_t f[] = {0, 0, 0, 0, 0x80, 0x00, 0x3f, 0x40};
    float of[2];
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, 8, of, 2), TS_OK);
    assert_true(of[0] == 1.0f && of[1] == 2.0f);
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, 7, of, 1), TS_ERR_CORRUPT);
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, 8, of, 3), TS_ERR_CORRUPT);
    /* INT32 0x04030201 and 0x08070605 */
    const uint8_t i[] = {1, 5, 2, 6, 3, 7, 4, 8};
    int32_t oi[2];
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_INT32, 0, i, 8, oi, 2), TS_OK);
    assert_int_equal(oi[0], 0x04030201);
    assert_int_equal(oi[1], 0x08070605);
    /* INT64 and DOUBLE: 8 streams */
    const uint8_t l[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
    int64_t ol[2];
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_INT64, 0, l, 16, ol, 2), TS_OK);
    assert_true(ol[0] == 1 && ol[1] == INT64_MIN);
    /* FLBA(3): "abc", "xyz" */
    const uint8_t fl[] = {'a', 'x', 'b', 'y', 'c', 'z'};
    ts_str os[2];
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FIXED_LEN_BYTE_ARRAY, 3, fl, 6, os, 2), TS_OK);
    assert_memory_equal(os[0].ptr, "abc", 3);
    assert_memory_equal(os[1].ptr, "xyz", 3);
    assert_int_equal(dec(PQ_ENC_BYTE_STREAM_SPLIT, PQ_BYTE_ARRAY, 0, fl, 6, os, 1), TS_ERR_UNSUPPORTED);
}

static void test_unknown_encoding(void **state)
{
    (void)state;
    const uint8_t p[4] = {0};
    int32_t o;
    assert_int_equal(dec((pq_encoding)10, PQ_INT32, 0, p, 4, &o, 1), TS_ERR_UNSUPPORTED);
    assert_int_equal(dec(PQ_ENC_BIT_PACKED, PQ_INT32, 0, p, 4, &o, 1), TS_ERR_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_fixed),
        cmocka_unit_test(test_plain_byte_array),
        cmocka_unit_test(test_dictionary_indices),
        cmocka_unit_test(test_rle_booleans),
        cmocka_unit_test(test_dbp_spec_examples),
        cmocka_unit_test(test_dbp_all_widths),
        cmocka_unit_test(test_delta_length_byte_array),
        cmocka_unit_test(test_delta_byte_array),
        cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_unknown_encoding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
