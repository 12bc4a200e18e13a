/* ts_pump_threaded against ts_pump: the sink sees the same batches in the
 * same order (values, NULLs, strings, tables, schema changes), source and
 * sink errors come out as from ts_pump, and a cancel flag stops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/ts_buf.h"
#include "core/ts_pipe.h"

/* ---- a source of nb batches; the schema changes every 7th, the table every 5th ---- */

typedef struct mock_src {
    ts_source base;
    ts_schema s1, s2;
    ts_batch b1, b2;
    char strs[4][8]; /* reused pointers, as a dictionary decoder gives */
    char table[16];
    size_t i, nb, fail_at, empty_every;
} mock_src;

static ts_status ms_next(ts_source *s, const ts_batch **out, ts_error *err)
{
    mock_src *m = (mock_src *)s;
    *out = NULL;
    if (m->i == m->fail_at) return ts_err_set(err, TS_ERR_CORRUPT, "broken at batch %zu", m->i);
    if (m->i >= m->nb) return TS_OK;
    size_t i = m->i++;
    bool second = (i / 7) % 2 == 1;
    ts_batch *b = second ? &m->b2 : &m->b1;
    ts_batch_reset(b);
    snprintf(m->table, sizeof m->table, "t%zu", i / 5); /* same buffer, new content */
    b->table = m->table;
    size_t n = (m->empty_every && i % m->empty_every == 0) ? 0 : 100 + i * 37 % 900;
    for (size_t r = 0; r < n; r++) {
        ts_batch_set_i64(b, 0, r, (int64_t)(i * 100000 + r));
        if ((r + i) % 11 == 0)
            ts_batch_set_null(b, 1, r);
        else
            ts_batch_set_str_ref(b, 1, r, m->strs[(r + i) % 4], strlen(m->strs[(r + i) % 4]));
        if (second) {
            if (r % 3 == 0)
                ts_batch_set_null(b, 2, r);
            else
                ts_batch_set_f64(b, 2, r, (double)r / 7.0);
        }
    }
    b->nrows = n;
    /* scribble over the previous batch's strings: copies must not share them */
    for (int k = 0; k < 4; k++) m->strs[k][0] = (char)('a' + (i + (size_t)k) % 26);
    *out = b;
    return TS_OK;
}

static void ms_close(ts_source *s) { (void)s; }
static const ts_source_ops ms_ops = {.kind = "mock", .next = ms_next, .close = ms_close};

static void ms_init(mock_src *m, size_t nb)
{
    memset(m, 0, sizeof *m);
    m->base.ops = &ms_ops;
    m->nb = nb;
    m->fail_at = SIZE_MAX;
    ts_schema_init(&m->s1);
    ts_schema_init(&m->s2);
    assert_int_equal(ts_schema_add(&m->s1, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&m->s1, "tag", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&m->s2, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&m->s2, "tag", TS_TYPE_STRING, TS_ROLE_DIMENSION, true), TS_OK);
    assert_int_equal(ts_schema_add(&m->s2, "v", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true), TS_OK);
    assert_int_equal(ts_batch_init(&m->b1, &m->s1, 1000), TS_OK);
    assert_int_equal(ts_batch_init(&m->b2, &m->s2, 1000), TS_OK);
    for (int k = 0; k < 4; k++) snprintf(m->strs[k], sizeof m->strs[k], "s%dxyz", k);
}

static void ms_free(mock_src *m)
{
    ts_batch_free(&m->b1);
    ts_batch_free(&m->b2);
    ts_schema_free(&m->s1);
    ts_schema_free(&m->s2);
}

/* ---- a sink that prints every batch into text ---- */

typedef struct text_sink {
    ts_sink base;
    ts_buf text;
    size_t writes, fail_at, cancel_at;
    volatile sig_atomic_t *cancel; /* set at write cancel_at, as a signal handler would */
    bool finished;
} text_sink;

static ts_status tx_write(ts_sink *s, const ts_batch *b, ts_error *err)
{
    text_sink *t = (text_sink *)s;
    if (t->writes == t->cancel_at) *t->cancel = 1;
    if (t->writes++ == t->fail_at) return ts_err_set(err, TS_ERR_IO, "disk full at write %zu", t->fail_at);
    ts_buf_printf(&t->text, "[%s %zu cols %zu rows]\n", b->table ? b->table : "-", b->schema->ncols, b->nrows);
    for (size_t r = 0; r < b->nrows; r++) {
        for (size_t c = 0; c < b->schema->ncols; c++) {
            if (!ts_batch_valid(b, c, r)) {
                ts_buf_append_str(&t->text, "NULL ");
                continue;
            }
            switch (b->schema->fields[c].type) {
            case TS_TYPE_TIMESTAMP:
            case TS_TYPE_INT64: ts_buf_printf(&t->text, "%lld ", (long long)b->cols[c].v.i64[r]); break;
            case TS_TYPE_DOUBLE: ts_buf_printf(&t->text, "%.17g ", b->cols[c].v.f64[r]); break;
            case TS_TYPE_STRING:
                ts_buf_printf(&t->text, "%.*s ", (int)b->cols[c].v.str[r].len, b->cols[c].v.str[r].ptr);
                break;
            case TS_TYPE_BOOL: ts_buf_printf(&t->text, "%d ", b->cols[c].v.b8[r]); break;
            }
        }
        ts_buf_append_byte(&t->text, '\n');
    }
    return TS_OK;
}

static ts_status tx_finish(ts_sink *s, ts_error *err)
{
    (void)err;
    ((text_sink *)s)->finished = true;
    return TS_OK;
}
static void tx_close(ts_sink *s) { (void)s; }
static const ts_sink_ops tx_ops = {.kind = "text", .write = tx_write, .finish = tx_finish, .close = tx_close};

static void tx_init(text_sink *t)
{
    memset(t, 0, sizeof *t);
    t->base.ops = &tx_ops;
    t->fail_at = SIZE_MAX;
    t->cancel_at = SIZE_MAX;
    ts_buf_init(&t->text, (size_t)1 << 30);
}

static void test_same_batches_as_ts_pump(void **state)
{
    (void)state;
    mock_src a, b;
    text_sink x, y;
    ms_init(&a, 60);
    ms_init(&b, 60);
    a.empty_every = b.empty_every = 13;
    tx_init(&x);
    tx_init(&y);
    ts_error e1, e2;
    ts_err_clear(&e1);
    ts_err_clear(&e2);
    ts_pump_stats s1, s2;
    assert_int_equal(ts_pump(&a.base, &x.base, NULL, NULL, NULL, &s1, &e1), TS_OK);
    assert_int_equal(ts_pump_threaded(&b.base, &y.base, NULL, NULL, NULL, &s2, &e2), TS_OK);
    assert_true(x.finished && y.finished);
    assert_int_equal(s1.rows, s2.rows);
    assert_int_equal(s1.batches, s2.batches);
    assert_int_equal(x.text.len, y.text.len);
    if (memcmp(x.text.data, y.text.data, x.text.len) != 0) {
        size_t i = 0;
        while (x.text.data[i] == y.text.data[i]) i++;
        fprintf(stderr, "differ at byte %zu: '%.60s' vs '%.60s'\n", i, (char *)x.text.data + i,
                (char *)y.text.data + i);
        fail();
    }
    ms_free(&a);
    ms_free(&b);
    ts_buf_free(&x.text);
    ts_buf_free(&y.text);
}

/* A source error after 9 batches: those 9 are written, then the error, no finish. */
static void test_source_error(void **state)
{
    (void)state;
    mock_src a;
    text_sink x;
    ms_init(&a, 60);
    a.fail_at = 9;
    tx_init(&x);
    ts_error e;
    ts_err_clear(&e);
    ts_pump_stats st;
    assert_int_equal(ts_pump_threaded(&a.base, &x.base, NULL, NULL, NULL, &st, &e), TS_ERR_CORRUPT);
    assert_string_equal(e.msg, "broken at batch 9");
    assert_int_equal(st.batches, 9);
    assert_int_equal(x.writes, 9);
    assert_false(x.finished);
    ms_free(&a);
    ts_buf_free(&x.text);
}

/* A sink error stops the reader: its message, no finish, the source not read to the end. */
static void test_sink_error(void **state)
{
    (void)state;
    mock_src a;
    text_sink x;
    ms_init(&a, 1000);
    tx_init(&x);
    x.fail_at = 4;
    ts_error e;
    ts_err_clear(&e);
    ts_pump_stats st;
    assert_int_equal(ts_pump_threaded(&a.base, &x.base, NULL, NULL, NULL, &st, &e), TS_ERR_IO);
    assert_string_equal(e.msg, "disk full at write 4");
    assert_int_equal(st.batches, 4);
    assert_false(x.finished);
    assert_true(a.i <= 4 + 4); /* read ahead by the queue's depth at most */
    ms_free(&a);
    ts_buf_free(&x.text);
}

static void test_cancel(void **state)
{
    (void)state;
    volatile sig_atomic_t flag = 0;
    mock_src a;
    text_sink x;
    ms_init(&a, 100000);
    tx_init(&x);
    x.cancel_at = 20;
    x.cancel = &flag;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(ts_pump_threaded(&a.base, &x.base, &flag, NULL, NULL, NULL, &e), TS_ERR_CANCELLED);
    assert_non_null(strstr(e.msg, "interrupted after"));
    assert_false(x.finished);
    assert_int_equal(x.writes, 21);
    assert_true(a.i <= 21 + 4);
    ms_free(&a);
    ts_buf_free(&x.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_batches_as_ts_pump),
        cmocka_unit_test(test_source_error),
        cmocka_unit_test(test_sink_error),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
