/* InfluxDB target URLs: every form (v2, v1, https, env defaults), the write
 * and query URLs built from them, auth headers, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "influx/influx.h"

static void expect_url(const influx_target *t, const char *want)
{
    ts_buf b;
    ts_buf_init(&b, 4096);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(influx_write_url(t, &b, &e), TS_OK);
    assert_string_equal((const char *)b.data, want);
    ts_buf_free(&b);
}

static void expect_auth(const influx_target *t, const char *want)
{
    ts_buf b;
    ts_buf_init(&b, 4096);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(influx_auth_header(t, &b, &e), TS_OK);
    assert_string_equal(b.data ? (const char *)b.data : "", want);
    ts_buf_free(&b);
}

static void test_v2(void **state)
{
    (void)state;
    influx_target t;
    ts_error e;
    ts_err_clear(&e);
    influx_env env = {.token = "s3cret", .org = "envorg"};
    assert_int_equal(influx_target_parse("influx://127.0.0.1:8086?org=my%20org&bucket=b1", &env,
                                         &t, &e), TS_OK);
    assert_int_equal(t.api, INFLUX_API_V2);
    assert_false(t.tls);
    assert_string_equal(t.base, "http://127.0.0.1:8086");
    assert_string_equal(t.org, "my org");
    assert_string_equal(t.bucket, "b1");
    assert_string_equal(t.token, "s3cret");
    expect_url(&t, "http://127.0.0.1:8086/api/v2/write?org=my%20org&bucket=b1&precision=ns");
    expect_auth(&t, "Token s3cret");
    ts_buf d;
    ts_buf_init(&d, 4096);
    assert_int_equal(influx_target_describe(&t, &d), TS_OK);
    assert_null(strstr((const char *)d.data, "s3cret"));
    ts_buf_free(&d);
    influx_target_free(&t);

    /* org from the environment; https by scheme and by tls=1 */
    assert_int_equal(influx_target_parse("influxs://db.example.com?bucket=x", &env, &t, &e), TS_OK);
    assert_true(t.tls);
    assert_string_equal(t.base, "https://db.example.com");
    assert_string_equal(t.org, "envorg");
    influx_target_free(&t);
    assert_int_equal(influx_target_parse("influx://h:8086?bucket=x&tls=1", NULL, &t, &e), TS_OK);
    assert_string_equal(t.base, "https://h:8086");
    assert_null(t.token);
    expect_auth(&t, "");
    influx_target_free(&t);

    /* host from INFLUX_HOST */
    influx_env env2 = {.host = "https://influx.internal:8086/"};
    assert_int_equal(influx_target_parse("influx://?bucket=x", &env2, &t, &e), TS_OK);
    assert_string_equal(t.base, "https://influx.internal:8086");
    influx_target_free(&t);
}

static void test_v1(void **state)
{
    (void)state;
    influx_target t;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(influx_target_parse("influx1://127.0.0.1:8086/demo", NULL, &t, &e), TS_OK);
    assert_int_equal(t.api, INFLUX_API_V1);
    assert_string_equal(t.db, "demo");
    assert_null(t.rp);
    expect_url(&t, "http://127.0.0.1:8086/write?db=demo&precision=n");
    expect_auth(&t, "");
    influx_target_free(&t);

    assert_int_equal(influx_target_parse("influx1s://u%40x:p%3Aw@h:9/my%2Ddb?rp=seven_years",
                                         NULL, &t, &e), TS_OK);
    assert_true(t.tls);
    assert_string_equal(t.username, "u@x");
    assert_string_equal(t.password, "p:w");
    assert_string_equal(t.db, "my-db");
    assert_string_equal(t.rp, "seven_years");
    expect_url(&t, "https://h:9/write?db=my-db&rp=seven_years&precision=n");
    expect_auth(&t, "Basic dUB4OnA6dw=="); /* base64("u@x:p:w") */
    ts_buf q;
    ts_buf_init(&q, 4096);
    assert_int_equal(influx_query_url(&t, "SELECT count(*) FROM \"m\"", &q, &e), TS_OK);
    assert_string_equal((const char *)q.data,
                        "https://h:9/query?db=my-db&rp=seven_years&epoch=ns&q=SELECT%20count%28%2A%29"
                        "%20FROM%20%22m%22");
    ts_buf_free(&q);
    influx_target_free(&t);

    influx_env env = {.username = "admin", .password = "pw"};
    assert_int_equal(influx_target_parse("influx1://h:8086/db", &env, &t, &e), TS_OK);
    assert_string_equal(t.username, "admin");
    expect_auth(&t, "Basic YWRtaW46cHc=");
    influx_target_free(&t);
}

static void test_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http://h:8086",                    /* not our scheme */
        "influx://h:8086",                  /* no bucket */
        "influx://h:8086/db?bucket=x",      /* path on v2 */
        "influx1://h:8086",                 /* no db */
        "influx1://h:8086/",                /* empty db */
        "influx1://h:8086/db?bucket=x",     /* v2 parameter on v1 */
        "influx://h:8086?bucket=x&org",     /* no '=' */
        "influx://h:8086?bucket=x&foo=1",   /* unknown parameter */
        "influx://h:99999999?bucket=x",     /* port too long */
        "influx://h o:8086?bucket=x",       /* space in host */
        "influx://u:p@h:8086?bucket=x",     /* userinfo on v2 */
        "influx://?bucket=x",               /* no host, no INFLUX_HOST */
        "influx://h?bucket=%zz",            /* bad escape */
        "influx://h?bucket=a%00b",          /* NUL */
        "influxs://h?bucket=x&tls=0",       /* contradiction */
        "influx1://h/a/b",                  /* slash in db */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        influx_target t;
        ts_error e;
        ts_err_clear(&e);
        ts_status st = influx_target_parse(bad[i], NULL, &t, &e);
        if (st != TS_ERR_USAGE) print_error("accepted or wrong status %d: %s\n", st, bad[i]);
        assert_int_equal(st, TS_ERR_USAGE);
        assert_true(e.msg[0] != '\0');
    }
}

/* A refused URL is named in the message without its secrets: the password of
 * user:password@ and the value of an unknown query item (a pasted token). */
static void test_refusal_hides_secrets(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "influx1://u:s3cret@127.0.0.1:9/db?token=t0ken",
        "influx1://u:s3cret@127.0.0.1:9/db?rp=a&p=t0ken#frag",
        "influx1://u:s3cret@127.0.0.1:9/db?rp=a&tls=7",
        "influx1://u:s3cret@bad host:9/db",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        influx_target t;
        ts_error e;
        ts_err_clear(&e);
        assert_int_equal(influx_target_parse(urls[i], NULL, &t, &e), TS_ERR_USAGE);
        influx_target_free(&t);
        if (strstr(e.msg, "s3cret") || strstr(e.msg, "t0ken")) print_error("secret shown: %s\n", e.msg);
        assert_null(strstr(e.msg, "s3cret"));
        assert_null(strstr(e.msg, "t0ken"));
        assert_non_null(strstr(e.msg, "influx1://u:***@"));
    }
}

static void test_ql_ident(void **state)
{
    (void)state;
    ts_buf b;
    ts_buf_init(&b, 256);
    assert_int_equal(influx_ql_ident(&b, "a\"b\\c"), TS_OK);
    assert_int_equal(ts_buf_nul(&b), TS_OK);
    assert_string_equal((const char *)b.data, "\"a\\\"b\\\\c\"");
    ts_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refusal_hides_secrets),
        cmocka_unit_test(test_ql_ident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
