/* Archive storage, local directory backend, and the key rules shared with
 * the S3 backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arc_test_util.h"

#include "archive/arc_storage.h"
#include "aws/aws.h"
#include "core/ts_alloc.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    arc_test_mkdtemp(dir, sizeof dir, "arcst");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arc_test_rmtree(dir);
    return 0;
}

static void test_key_rules(void **state)
{
    (void)state;
    const char *good[] = {"a", "timestream-archive/db/t/year=2024/month=01/t_20240101_20240131.parquet",
                          "x/export_metadata.json", "_audit/20240101T000000Z_export_ab12.jsonl",
                          "a+b@c~d,e"};
    const char *bad[] = {"", "/abs", "a/../b", "..", "a/./b", "a//b", "a/", "a b", "a\\b",
                         "a\nb", "caf\xc3\xa9", "a?b", "a%2Fb", "a#b", "a:b", "a*b"};
    ts_error e;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        ts_err_clear(&e);
        if (arc_key_validate(good[i], &e) != TS_OK) printf("refused %s: %s\n", good[i], e.msg);
        assert_int_equal(arc_key_validate(good[i], &e), TS_OK);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ts_err_clear(&e);
        if (arc_key_validate(bad[i], &e) != TS_ERR_USAGE) printf("accepted '%s'\n", bad[i]);
        assert_int_equal(arc_key_validate(bad[i], &e), TS_ERR_USAGE);
        assert_true(e.msg[0] != '\0');
    }
    char longk[1100];
    memset(longk, 'a', sizeof longk - 1);
    longk[sizeof longk - 1] = '\0';
    ts_err_clear(&e);
    assert_int_equal(arc_key_validate(longk, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_prefix_validate("", &e), TS_OK);
    assert_int_equal(arc_prefix_validate("timestream-archive/", &e), TS_OK);
    assert_int_equal(arc_prefix_validate("../", &e), TS_ERR_USAGE);
}

static void put(arc_storage *s, const char *key, const char *text)
{
    ts_output *o;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_storage_create(s, key, &o, &e), TS_OK);
    assert_int_equal(ts_output_write(o, text, strlen(text), &e), TS_OK);
    assert_int_equal(ts_output_commit(o, &e), TS_OK);
    ts_output_close(o);
}

typedef struct seen {
    char keys[16][256];
    uint64_t sizes[16];
    int n;
} seen;

static ts_status collect(void *user, const char *key, uint64_t size, ts_error *err)
{
    (void)err;
    seen *s = user;
    if (s->n < 16) {
        snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
        s->sizes[s->n] = size;
        s->n++;
    }
    return TS_OK;
}

static void test_local_roundtrip(void **state)
{
    (void)state;
    char root[300];
    snprintf(root, sizeof root, "%s/arch", dir);
    arc_storage *s;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open(root, NULL, &s, &e), TS_OK);
    struct stat sb;
    assert_int_not_equal(stat(root, &sb), 0); /* not created by opening */
    seen empty = {0};
    assert_int_equal(arc_storage_list(s, "", collect, &empty, &e), TS_OK);
    assert_int_equal(empty.n, 0);
    assert_string_equal(strcmp(s->ops->scheme, "file") == 0 ? "file" : "?", "file");
    put(s, "ta/db/t/year=2024/month=02/t_20240201_20240229.parquet", "feb");
    put(s, "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet", "january");
    put(s, "ta/db/export_metadata.json", "{}");
    put(s, "other.txt", "x");

    /* an aborted write leaves nothing, an open one is not listed */
    ts_output *o;
    assert_int_equal(arc_storage_create(s, "ta/db/aborted.parquet", &o, &e), TS_OK);
    assert_int_equal(ts_output_write(o, "zz", 2, &e), TS_OK);
    ts_output_abort(o);
    ts_output_close(o);
    ts_output *pending;
    assert_int_equal(arc_storage_create(s, "ta/db/pending.parquet", &pending, &e), TS_OK);
    assert_int_equal(ts_output_write(pending, "p", 1, &e), TS_OK);

    seen sn = {0};
    assert_int_equal(arc_storage_list(s, "ta/", collect, &sn, &e), TS_OK);
    assert_int_equal(sn.n, 3);
    assert_string_equal(sn.keys[0], "ta/db/export_metadata.json");
    assert_string_equal(sn.keys[1], "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet");
    assert_string_equal(sn.keys[2], "ta/db/t/year=2024/month=02/t_20240201_20240229.parquet");
    assert_int_equal(sn.sizes[1], 7);
    ts_output_close(pending); /* closes = aborts */

    seen all = {0};
    assert_int_equal(arc_storage_list(s, "", collect, &all, &e), TS_OK);
    assert_int_equal(all.n, 4);
    seen none = {0};
    assert_int_equal(arc_storage_list(s, "nothing/here/", collect, &none, &e), TS_OK);
    assert_int_equal(none.n, 0);

    arc_object_info info;
    assert_int_equal(arc_storage_head(s, "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet",
                                      &info, &e), TS_OK);
    assert_int_equal(info.size, 7);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_head(s, "ta/missing", &info, &e), TS_ERR_NOT_FOUND);

    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_read_all(s, "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet",
                                          &b, 100, &e), TS_OK);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "january", 7);
    ts_buf_clear(&b);
    assert_int_equal(arc_storage_get_range(s, "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet",
                                           2, 3, &b, &e), TS_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "nua", 3);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_read_all(s, "ta/db/t/year=2024/month=01/t_20240101_20240131.parquet",
                                          &b, 3, &e), TS_ERR_LIMIT);
    ts_err_clear(&e);
    ts_buf_clear(&b);
    assert_int_equal(arc_storage_get_range(s, "other.txt", 0, 5, &b, &e), TS_ERR_CORRUPT);
    ts_buf_free(&b);

    ts_input *in;
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open_input(s, "ta/db/export_metadata.json", &in, &e), TS_OK);
    assert_int_equal(in->size, 2);
    char two[2];
    assert_int_equal(ts_input_read_at(in, 0, two, 2, &e), TS_OK);
    assert_memory_equal(two, "{}", 2);
    ts_input_close(in);

    assert_int_equal(arc_storage_delete(s, "other.txt", &e), TS_OK);
    assert_int_equal(arc_storage_delete(s, "other.txt", &e), TS_OK); /* absent is fine */
    ts_err_clear(&e);
    assert_int_equal(arc_storage_head(s, "other.txt", &info, &e), TS_ERR_NOT_FOUND);
    /* keys are checked before any file system call */
    ts_err_clear(&e);
    assert_int_equal(arc_storage_delete(s, "../escape", &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_create(s, "/etc/passwd", &o, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_set_object_lock(s, "COMPLIANCE", "2032-01-01T00:00:00Z", &e),
                     TS_ERR_UNSUPPORTED);
    char url[512];
    arc_storage_key_url(s, "k", url, sizeof url);
    assert_non_null(strstr(url, "/arch/k"));
    arc_storage_free(s);
}

static void test_open_refusals(void **state)
{
    (void)state;
    arc_storage *s;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("s3://bucket", NULL, &s, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("gs://bucket", NULL, &s, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("", NULL, &s, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("/dev/null", NULL, &s, &e), TS_ERR_USAGE);

    aws_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cred.access_key_id = "a";
    cfg.cred.secret_access_key = "b";
    cfg.region = "us-east-1";
    cfg.s3_part_size = 5u << 20;
    aws_client *c;
    assert_int_equal(aws_client_new(&cfg, &c, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("s3://Bad_Bucket/x", c, &s, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("s3://good-bucket/a/../b", c, &s, &e), TS_ERR_USAGE);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_open("s3://good-bucket/archive/", c, &s, &e), TS_OK);
    assert_string_equal(arc_storage_describe(s), "s3://good-bucket/archive/");
    assert_int_equal(arc_storage_set_object_lock(s, "COMPLIANCE", "2032-01-01T00:00:00Z", &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(arc_storage_set_object_lock(s, "FOREVER", "2032-01-01T00:00:00Z", &e),
                     TS_ERR_USAGE);
    arc_storage_free(s);
    aws_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_rules),
        cmocka_unit_test_setup_teardown(test_local_roundtrip, setup, teardown),
        cmocka_unit_test(test_open_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
