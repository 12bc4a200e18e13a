/* Thrift compact protocol: writer bytes, reader round trips, skipping and
 * malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "parquet/pq_thrift.h"

static void assert_bytes(const uint8_t *got, size_t gn, const uint8_t *want, size_t wn)
{
    if (gn != wn || memcmp(got, want, wn) != 0) {
        fprintf(stderr, "got  (%zu):", gn);
        for (size_t i = 0; i < gn; i++) fprintf(stderr, " %02x", got[i]);
        fprintf(stderr, "\nwant (%zu):", wn);
        for (size_t i = 0; i < wn; i++) fprintf(stderr, " %02x", want[i]);
        fprintf(stderr, "\n");
        fail();
    }
}

/* The worked PageHeader example of the reference (with field 4 absent). */
static void test_writer_page_header_bytes(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    pq_tw w;
    pq_tw_init(&w, &b);
    pq_tw_i32(&w, 1, 0);
    pq_tw_i32(&w, 2, 412);
    pq_tw_i32(&w, 3, 300);
    pq_tw_struct_begin(&w, 5);
    pq_tw_i32(&w, 1, 100);
    pq_tw_i32(&w, 2, 0);
    pq_tw_i32(&w, 3, 3);
    pq_tw_i32(&w, 4, 3);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_status(&w), TS_OK);
    static const uint8_t want[] = {0x15, 0x00, 0x15, 0xb8, 0x06, 0x15, 0xd8, 0x04, 0x2c, 0x15, 0xc8,
                                   0x01, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00};
    assert_bytes(b.data, b.len, want, sizeof want);
    ts_buf_free(&b);
}

static void test_writer_long_forms(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    pq_tw w;
    pq_tw_init(&w, &b);
    pq_tw_i64(&w, 20, -1);          /* delta 20 > 15: long form 06 28 01 */
    pq_tw_bool(&w, 21, true);       /* delta 1, type 1: 11 */
    pq_tw_bool(&w, 19, false);      /* negative delta: long form 02 26 */
    pq_tw_list_begin(&w, 20, PQ_TT_I32, 15); /* 19 f5 0f */
    for (int i = 0; i < 15; i++) pq_tw_elem_i32(&w, i);
    pq_tw_list_begin(&w, 21, PQ_TT_TRUE, 2); /* 19 21 01 02 */
    pq_tw_elem_bool(&w, true);
    pq_tw_elem_bool(&w, false);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_status(&w), TS_OK);
    uint8_t want[64];
    size_t n = 0;
    want[n++] = 0x06; want[n++] = 0x28; want[n++] = 0x01;
    want[n++] = 0x11;
    want[n++] = 0x02; want[n++] = 0x26;
    want[n++] = 0x19; want[n++] = 0xf5; want[n++] = 0x0f;
    for (int i = 0; i < 15; i++) want[n++] = (uint8_t)(i * 2);
    want[n++] = 0x19; want[n++] = 0x21; want[n++] = 0x01; want[n++] = 0x02;
    want[n++] = 0x00;
    assert_bytes(b.data, b.len, want, n);
    ts_buf_free(&b);
}

static void test_varint_zigzag(void **state)
{
    (void)state;
    int64_t vals[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t buf[10];
        size_t n = pq_varint_put(buf, pq_zigzag64(vals[i]));
        pq_tr r;
        pq_tr_init(&r, buf, n, 0);
        int64_t got;
        ts_error e;
        ts_err_clear(&e);
        assert_int_equal(pq_tr_i64(&r, &got, &e), TS_OK);
        assert_true(got == vals[i]);
        assert_int_equal(pq_tr_left(&r), 0);
    }
}

static void test_round_trip_and_skip(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    pq_tw w;
    pq_tw_init(&w, &b);
    pq_tw_i32(&w, 1, -7);
    pq_tw_double(&w, 2, 2.5);
    pq_tw_struct_begin(&w, 3); /* unknown to the reader: skipped */
    pq_tw_string(&w, 1, "nested");
    pq_tw_list_begin(&w, 2, PQ_TT_STRUCT, 20);
    for (int i = 0; i < 20; i++) {
        pq_tw_elem_struct_begin(&w);
        pq_tw_i64(&w, 1, i);
        pq_tw_bool(&w, 2, i & 1);
        pq_tw_struct_end(&w);
    }
    pq_tw_struct_end(&w);
    pq_tw_binary(&w, 32767, "ext", 3);
    pq_tw_string(&w, 4, "after");
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_status(&w), TS_OK);

    pq_tr r;
    pq_tr_init(&r, b.data, b.len, 0);
    ts_error e;
    ts_err_clear(&e);
    int32_t i32 = 0;
    double d = 0;
    const uint8_t *s = NULL;
    size_t sn = 0;
    for (;;) {
        int16_t id;
        pq_ttype t;
        assert_int_equal(pq_tr_field(&r, &id, &t, &e), TS_OK);
        if (t == PQ_TT_STOP) break;
        if (id == 1) assert_int_equal(pq_tr_i32(&r, &i32, &e), TS_OK);
        else if (id == 2) assert_int_equal(pq_tr_double(&r, &d, &e), TS_OK);
        else if (id == 4) assert_int_equal(pq_tr_binary(&r, &s, &sn, &e), TS_OK);
        else assert_int_equal(pq_tr_skip(&r, t, &e), TS_OK);
    }
    assert_int_equal(i32, -7);
    assert_true(d == 2.5);
    assert_int_equal(sn, 5);
    assert_memory_equal(s, "after", 5);
    assert_int_equal(pq_tr_left(&r), 0);
    ts_buf_free(&b);
}

static ts_status skip_all(const uint8_t *p, size_t n, ts_error *e)
{
    pq_tr r;
    pq_tr_init(&r, p, n, 100);
    return pq_tr_skip(&r, PQ_TT_STRUCT, e);
}

static void test_malformed(void **state)
{
    (void)state;
    ts_error e;
    /* truncated: field i32 without value */
    static const uint8_t t1[] = {0x15};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t1, sizeof t1, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "byte offset 101"));
    /* no stop byte */
    static const uint8_t t2[] = {0x15, 0x02};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t2, sizeof t2, &e), TS_ERR_CORRUPT);
    /* varint longer than 10 bytes */
    static const uint8_t t3[] = {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t3, sizeof t3, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "10 bytes"));
    /* binary longer than the buffer */
    static const uint8_t t4[] = {0x18, 0x7f, 'a', 0x00};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t4, sizeof t4, &e), TS_ERR_CORRUPT);
    /* list claiming 2^31 elements */
    static const uint8_t t5[] = {0x19, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t5, sizeof t5, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "list size"));
    /* invalid type nibble */
    static const uint8_t t6[] = {0x1e, 0x00};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t6, sizeof t6, &e), TS_ERR_CORRUPT);
    /* nesting bomb: 200 nested structs */
    uint8_t bomb[201];
    for (int i = 0; i < 200; i++) bomb[i] = 0x1c;
    bomb[200] = 0;
    ts_err_clear(&e);
    assert_int_equal(skip_all(bomb, sizeof bomb, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "nesting"));
    /* nested lists bomb */
    uint8_t lbomb[402];
    lbomb[0] = 0x19;
    for (int i = 1; i < 401; i++) lbomb[i] = 0x19;
    lbomb[401] = 0;
    ts_err_clear(&e);
    assert_int_equal(skip_all(lbomb, sizeof lbomb, &e), TS_ERR_CORRUPT);
    /* negative field id in long form */
    static const uint8_t t7[] = {0x05, 0x01, 0x00, 0x00};
    ts_err_clear(&e);
    assert_int_equal(skip_all(t7, sizeof t7, &e), TS_ERR_CORRUPT);
    /* i32 out of range */
    static const uint8_t t8[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    pq_tr r;
    pq_tr_init(&r, t8, sizeof t8, 0);
    int16_t id;
    pq_ttype t;
    int32_t v;
    ts_err_clear(&e);
    assert_int_equal(pq_tr_field(&r, &id, &t, &e), TS_OK);
    assert_int_equal(pq_tr_i32(&r, &v, &e), TS_ERR_CORRUPT);
}

static void test_bool_list_conventions(void **state)
{
    (void)state;
    /* elem type 2 with 0/1 bytes (Go writers) and elem type 1 with 1/2 */
    static const uint8_t a[] = {0x32, 0x01, 0x00, 0x01};
    static const uint8_t b[] = {0x31, 0x01, 0x02, 0x01};
    const uint8_t *in[] = {a, b};
    for (int k = 0; k < 2; k++) {
        pq_tr r;
        pq_tr_init(&r, in[k], 4, 0);
        ts_error e;
        ts_err_clear(&e);
        pq_ttype et;
        size_t n;
        assert_int_equal(pq_tr_list(&r, &et, &n, &e), TS_OK);
        assert_int_equal(n, 3);
        bool v[3];
        for (int i = 0; i < 3; i++) assert_int_equal(pq_tr_elem_bool(&r, &v[i], &e), TS_OK);
        assert_true(v[0]);
        assert_false(v[1]);
        assert_true(v[2]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_page_header_bytes),
        cmocka_unit_test(test_writer_long_forms),
        cmocka_unit_test(test_varint_zigzag),
        cmocka_unit_test(test_round_trip_and_skip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bool_list_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
