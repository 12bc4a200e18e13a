/* The export runner shared by the Timestream and InfluxDB sources: the
 * worker pool (each part once, workers opened and closed, the first failure
 * kept, cancel), the archive file writer (record, commit, discard on error)
 * and the column comparison that decides whether earlier files may stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "arc_test_util.h"

#include "archive/arc_export_int.h"
#include "archive/arc_manifest.h"
#include "archive/arc_storage.h"
#include "core/ts_alloc.h"

/* ---- a fake source: parts are ints, part 5 fails, workers count themselves ---- */

#define NPARTS 40

typedef struct fake_run {
    arc_export_core c; /* first, as the runner expects */
    int runs[NPARTS];
    bool failed[NPARTS];
    int opened, closed;
    int fail_part;
    ts_status fail_with;
} fake_run;

typedef struct fake_worker {
    fake_run *run;
    bool open;
} fake_worker;

static ts_status fake_open(arc_export_core *c, void *wv, ts_error *err)
{
    (void)err;
    fake_worker *w = wv;
    w->run = (fake_run *)c;
    w->open = true;
    pthread_mutex_lock(&c->mu);
    w->run->opened++;
    pthread_mutex_unlock(&c->mu);
    return TS_OK;
}

static void fake_close(void *wv)
{
    fake_worker *w = wv;
    pthread_mutex_lock(&w->run->c.mu);
    w->run->closed++;
    pthread_mutex_unlock(&w->run->c.mu);
    w->open = false;
}

static void *fake_next(arc_export_core *c)
{
    fake_run *run = (fake_run *)c;
    if (c->next_part >= NPARTS) return NULL;
    return &run->runs[c->next_part++];
}

static ts_status fake_do(void *wv, void *pv, ts_error *err)
{
    fake_worker *w = wv;
    int *p = pv;
    assert_true(w->open);
    pthread_mutex_lock(&w->run->c.mu);
    (*p)++;
    pthread_mutex_unlock(&w->run->c.mu);
    if (p - w->run->runs == w->run->fail_part)
        return ts_err_set(err, w->run->fail_with, "part %d failed", w->run->fail_part);
    return TS_OK;
}

static void fake_failed(void *pv, const ts_error *e)
{
    (void)pv;
    (void)e;
}

static const arc_export_source fake_source = {
    .worker_size = sizeof(fake_worker),
    .worker_open = fake_open,
    .worker_close = fake_close,
    .next_part = fake_next,
    .do_part = fake_do,
    .part_failed = fake_failed,
};

static void run_pool(fake_run *run, arc_export_opts *o, int jobs)
{
    memset(run, 0, sizeof *run);
    o->jobs = jobs;
    run->c.o = o;
    run->fail_part = -1;
    pthread_mutex_init(&run->c.mu, NULL);
    fake_worker w0;
    assert_int_equal(fake_open(&run->c, &w0, NULL), TS_OK);
    run->opened = 0;
    arc_export_pool_run(&run->c, &fake_source, &w0, NPARTS);
    pthread_mutex_destroy(&run->c.mu);
}

static void test_pool_runs_each_part_once(void **state)
{
    (void)state;
    for (int jobs = 1; jobs <= 4; jobs++) {
        arc_export_opts o = {0};
        fake_run run;
        run_pool(&run, &o, jobs);
        for (int i = 0; i < NPARTS; i++) {
            if (run.runs[i] != 1) printf("jobs %d: part %d ran %d times\n", jobs, i, run.runs[i]);
            assert_int_equal(run.runs[i], 1);
        }
        /* worker 0 is the caller's; the others are opened and closed here */
        assert_int_equal(run.opened, jobs - 1);
        assert_int_equal(run.closed, jobs - 1);
        assert_int_equal(run.c.first_st, TS_OK);
    }
}

static void test_pool_keeps_first_failure(void **state)
{
    (void)state;
    arc_export_opts o = {.jobs = 1};
    fake_run run;
    memset(&run, 0, sizeof run);
    run.c.o = &o;
    run.fail_part = 5;
    run.fail_with = TS_ERR_MISMATCH;
    pthread_mutex_init(&run.c.mu, NULL);
    fake_worker w0;
    fake_open(&run.c, &w0, NULL);
    arc_export_pool_run(&run.c, &fake_source, &w0, NPARTS);
    assert_int_equal(run.c.first_st, TS_ERR_MISMATCH);
    assert_non_null(strstr(run.c.first_err.msg, "part 5 failed"));
    /* a mismatch stops nothing else */
    for (int i = 0; i < NPARTS; i++) assert_int_equal(run.runs[i], 1);

    /* a cancelled part stops the run: nothing after it starts */
    memset(run.runs, 0, sizeof run.runs);
    run.c.first_st = TS_OK;
    run.fail_with = TS_ERR_CANCELLED;
    arc_export_pool_run(&run.c, &fake_source, &w0, NPARTS);
    assert_int_equal(run.c.first_st, TS_ERR_CANCELLED);
    for (int i = 0; i < NPARTS; i++) assert_int_equal(run.runs[i], i <= 5 ? 1 : 0);

    /* the cancel flag stops it before the first part */
    volatile sig_atomic_t cancel = 1;
    o.cancel = &cancel;
    memset(run.runs, 0, sizeof run.runs);
    run.c.first_st = TS_OK;
    arc_export_pool_run(&run.c, &fake_source, &w0, NPARTS);
    for (int i = 0; i < NPARTS; i++) assert_int_equal(run.runs[i], 0);
    pthread_mutex_destroy(&run.c.mu);
}

/* ---- the archive file writer ---- */

static char dir[256];

static int setup(void **state)
{
    (void)state;
    arc_test_mkdtemp(dir, sizeof dir, "exprun");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arc_test_rmtree(dir);
    return 0;
}

static void test_writer_commits_and_records(void **state)
{
    (void)state;
    ts_error e;
    ts_err_clear(&e);
    arc_storage *s = NULL;
    assert_int_equal(arc_storage_open(dir, NULL, &s, &e), TS_OK);
    ts_schema sc;
    ts_schema_init(&sc);
    assert_int_equal(ts_schema_add(&sc, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false), TS_OK);
    assert_int_equal(ts_schema_add(&sc, "v", TS_TYPE_INT64, TS_ROLE_MEASURE, true), TS_OK);
    ts_batch b;
    assert_int_equal(ts_batch_init(&b, &sc, 4), TS_OK);
    const int64_t times[] = {3000, 1000, 5000};
    for (size_t r = 0; r < 3; r++) {
        ts_batch_set_i64(&b, 0, r, times[r]);
        ts_batch_set_i64(&b, 1, r, (int64_t)r);
    }
    b.nrows = 3;
    arc_export_writer_opts wo = {.codec = PQ_CODEC_UNCOMPRESSED, .time_unit = ARC_TIME_NS,
                                 .columns_kv = "{}"};

    arc_export_writer w;
    assert_int_equal(arc_export_writer_open(&w, s, "db/t.parquet", &sc, &wo, &e), TS_OK);
    assert_int_equal(arc_export_writer_write(&w, &b, &e), TS_OK);
    assert_int_equal(arc_export_writer_write(&w, &b, &e), TS_OK);
    arc_file rec;
    assert_int_equal(arc_export_writer_finish(&w, TS_OK, "t.parquet", &rec, &e), TS_OK);
    assert_string_equal(rec.path, "t.parquet");
    assert_int_equal(rec.records, 6);
    assert_int_equal(rec.min_time, 1000);
    assert_int_equal(rec.max_time, 5000);
    char path[400];
    snprintf(path, sizeof path, "%s/db/t.parquet", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, rec.size);
    assert_true(arc_object_matches(s, "db/t.parquet", &rec));

    /* a failed file is discarded: nothing at its key */
    assert_int_equal(arc_export_writer_open(&w, s, "db/u.parquet", &sc, &wo, &e), TS_OK);
    assert_int_equal(arc_export_writer_write(&w, &b, &e), TS_OK);
    assert_int_equal(arc_export_writer_finish(&w, TS_ERR_MISMATCH, "u.parquet", &rec, &e),
                     TS_ERR_MISMATCH);
    snprintf(path, sizeof path, "%s/db/u.parquet", dir);
    assert_int_not_equal(stat(path, &st), 0);

    ts_batch_free(&b);
    ts_schema_free(&sc);
    arc_storage_free(s);
}

static void test_same_columns(void **state)
{
    (void)state;
    arc_column cols[2] = {
        {.name = "time", .source_type = "TIMESTAMP", .role = ARC_ROLE_TIME, .type = TS_TYPE_TIMESTAMP},
        {.name = "v", .source_type = "BIGINT", .role = ARC_ROLE_MEASURE, .type = TS_TYPE_INT64}};
    arc_table p = {.cols = cols, .ncols = 2, .time_unit = "us", .time_ns = false};
    assert_true(arc_export_same_columns(&p, cols, 2, "us", false));
    assert_false(arc_export_same_columns(&p, cols, 2, "ns", false));
    assert_false(arc_export_same_columns(&p, cols, 2, "us", true));
    assert_false(arc_export_same_columns(&p, cols, 1, "us", false));
    arc_column other[2] = {cols[0], cols[1]};
    other[1].source_type = "DOUBLE";
    assert_false(arc_export_same_columns(&p, other, 2, "us", false));
    p.time_unit = NULL; /* an earlier manifest without one: never the same */
    assert_false(arc_export_same_columns(&p, cols, 2, "us", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_each_part_once),
        cmocka_unit_test(test_pool_keeps_first_failure),
        cmocka_unit_test_setup_teardown(test_writer_commits_and_records, setup, teardown),
        cmocka_unit_test(test_same_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
