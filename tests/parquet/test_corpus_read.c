/* The shared Parquet corpus read in-process through pq_reader, asserting the
 * outcomes of tests/parquet/corpus_expect.tsv; built as a unit test so it also
 * runs under ASan/UBSan (make test-asan). Skips when the corpus is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_io.h"
#include "parquet/pq_reader.h"

static char corpus[4096], expect_path[4096];

static bool find_paths(void)
{
    const char *src = getenv("TSARCHIVE_SRC");
    if (!src) src = ".";
    snprintf(expect_path, sizeof expect_path, "%s/tests/parquet/corpus_expect.tsv", src);
    /* PARQUET_TESTING_DIR, else $TSARCHIVE_SHARED/parquet-testing (docs/testing.md), else
     * ../shared beside the repository (CI), else two levels up (a worktree under wt/). */
    const char *dir = getenv("PARQUET_TESTING_DIR"), *sh = getenv("TSARCHIVE_SHARED");
    char cand[4][2100] = {"", "", "", ""};
    if (dir) snprintf(cand[0], sizeof cand[0], "%s", dir);
    if (sh) snprintf(cand[1], sizeof cand[1], "%s/parquet-testing", sh);
    snprintf(cand[2], sizeof cand[2], "%s/../shared/parquet-testing", src);
    snprintf(cand[3], sizeof cand[3], "%s/../../shared/parquet-testing", src);
    for (int i = 0; i < 4; i++) {
        if (!cand[i][0]) continue;
        snprintf(corpus, sizeof corpus, "%s", cand[i]);
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/MANIFEST.tsv", corpus);
        FILE *f = fopen(probe, "r");
        if (!f) continue;
        fclose(f);
        return true;
    }
    return false;
}

/* Reads the file; returns status and fills rows / message. */
static ts_status read_file(const char *path, bool skip_nested, uint64_t *rows, char *msg, size_t msgsz)
{
    ts_error err;
    ts_err_clear(&err);
    ts_input *in = NULL;
    pq_reader *r = NULL;
    *rows = 0;
    msg[0] = 0;
    pq_reader_opts o;
    pq_reader_opts_default(&o);
    o.flat_only_projection = skip_nested;
    ts_status st = ts_input_file(path, &in, &err);
    if (st == TS_OK) st = pq_reader_open(in, &o, &r, &err);
    while (st == TS_OK) {
        const ts_batch *b;
        st = pq_reader_next(r, &b, &err);
        if (st != TS_OK || !b) break;
        *rows += b->nrows;
        /* touch every string so ASan sees any dangling reference */
        for (size_t c = 0; c < b->schema->ncols; c++) {
            if (b->schema->fields[c].type != TS_TYPE_STRING) continue;
            volatile unsigned sum = 0;
            for (size_t i = 0; i < b->nrows; i++)
                if (ts_batch_valid(b, c, i))
                    for (size_t k = 0; k < b->cols[c].v.str[i].len; k++)
                        sum += (unsigned char)b->cols[c].v.str[i].ptr[k];
            (void)sum;
        }
    }
    if (st == TS_OK && r) {
        /* the reader's own accounting agrees */
        assert_true(pq_reader_rows_read(r) == *rows);
    }
    if (st != TS_OK) ts_err_format(&err, msg, msgsz);
    pq_reader_free(r);
    ts_input_close(in);
    return st;
}

static void check(const char *rel, const char *want, bool skip_nested)
{
    char path[8300], msg[2048];
    snprintf(path, sizeof path, "%s/%s", corpus, rel);
    uint64_t rows;
    ts_status st = read_file(path, skip_nested, &rows, msg, sizeof msg);
    if (strncmp(want, "error:", 6) == 0 || strncmp(want, "unsupported:", 12) == 0) {
        const char *sub = strchr(want, ':') + 1;
        if (st == TS_OK) print_error("%s: expected failure '%s', read %llu rows\n", rel, sub, (unsigned long long)rows);
        assert_int_not_equal(st, TS_OK);
        if (!strstr(msg, sub)) print_error("%s: error '%s' lacks '%s'\n", rel, msg, sub);
        assert_non_null(strstr(msg, sub));
        if (want[0] == 'u') assert_int_equal(st, TS_ERR_UNSUPPORTED);
    } else {
        if (st != TS_OK) print_error("%s: %s\n", rel, msg);
        assert_int_equal(st, TS_OK);
        unsigned long long w = strtoull(want, NULL, 10);
        if (rows != w) print_error("%s: %llu rows, expected %llu\n", rel, (unsigned long long)rows, w);
        assert_true(rows == w);
    }
}

static void test_corpus(void **state)
{
    (void)state;
    if (!find_paths()) {
        print_message("corpus not found at %s: skipped\n", corpus);
        skip();
    }
    FILE *f = fopen(expect_path, "r");
    assert_non_null(f);
    char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *fields[4] = {0};
        char *p = line;
        for (int i = 0; i < 4 && p; i++) {
            fields[i] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        assert_non_null(fields[1]);
        check(fields[0], fields[1], false);
        if (fields[2] && strcmp(fields[2], "-") != 0 && fields[2][0]) check(fields[0], fields[2], true);
        n++;
    }
    fclose(f);
    assert_true(n >= 80);
    assert_int_equal(ts_alloc_current(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
