/* aws_config_load: environment, shared files in a temp HOME, endpoint
 * precedence, retry settings, and that no secret reaches a message. */
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

#include "aws/aws.h"
#include "core/ts_alloc.h"

static char home[256];

static const char *const vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_TIMESTREAM_QUERY",
    "AWS_ENDPOINT_URL_TIMESTREAM_WRITE", "AWS_CA_BUNDLE", "SSL_CERT_FILE",
    "TSARCHIVE_MAX_ATTEMPTS", "TSARCHIVE_RETRY_BASE_MS", "TSARCHIVE_RETRY_CAP_MS",
    "TSARCHIVE_S3_PART_SIZE_MB"};

static void write_file(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", home, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
    snprintf(home, sizeof home, "/tmp/tsa-awscfg-XXXXXX");
    assert_non_null(mkdtemp(home));
    char d[300];
    snprintf(d, sizeof d, "%s/.aws", home);
    mkdir(d, 0700);
    setenv("HOME", home, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_env_credentials_and_region_order(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_string_equal(c.cred.access_key_id, "AKIDENV");
    assert_string_equal(c.cred.secret_access_key, "envsecret");
    assert_string_equal(c.cred.session_token, "envtoken");
    assert_string_equal(c.region, "eu-west-1");
    assert_non_null(strstr(c.cred_source, "environment"));
    assert_int_equal(c.max_attempts, 8);
    aws_config_free(&c);
    setenv("AWS_REGION", "eu-west-2", 1); /* AWS_REGION beats AWS_DEFAULT_REGION */
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_string_equal(c.region, "eu-west-2");
    aws_config_free(&c);
    assert_int_equal(aws_config_load(&c, "us-west-2", &e), TS_OK); /* the URL's region wins */
    assert_string_equal(c.region, "us-west-2");
    aws_config_free(&c);
}

static void test_default_profile_from_files(void **state)
{
    (void)state;
    write_file(".aws/credentials",
               "# comment\n[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x\n"
               "\n[default]\naws_access_key_id = AKIDFILE\r\naws_secret_access_key = filesecret \n");
    write_file(".aws/config", "[default]\nregion = ap-southeast-2\ns3 =\n  region = nope-1\n");
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_string_equal(c.cred.access_key_id, "AKIDFILE");
    assert_string_equal(c.cred.secret_access_key, "filesecret");
    assert_null(c.cred.session_token);
    assert_string_equal(c.region, "ap-southeast-2");
    assert_string_equal(c.profile, "default");
    assert_non_null(strstr(c.cred_source, "profile 'default'"));
    aws_config_free(&c);
}

static void test_named_profile_in_config_and_file_overrides(void **state)
{
    (void)state;
    char cfgp[400];
    snprintf(cfgp, sizeof cfgp, "%s/myconfig", home);
    write_file("myconfig", "[default]\nregion = us-east-2\n[profile dev]\nregion = eu-central-1\n"
                           "aws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n"
                           "aws_session_token = devtoken\n");
    setenv("AWS_CONFIG_FILE", cfgp, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    setenv("AWS_PROFILE", "dev", 1);
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_string_equal(c.cred.access_key_id, "AKIDDEV");
    assert_string_equal(c.cred.session_token, "devtoken");
    assert_string_equal(c.region, "eu-central-1");
    assert_string_equal(c.profile, "dev");
    aws_config_free(&c);

    setenv("AWS_PROFILE", "missing", 1);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_AUTH);
    assert_non_null(strstr(e.msg, "AWS_PROFILE=missing"));
    aws_config_free(&c);
}

static void test_unsupported_provider_and_missing(void **state)
{
    (void)state;
    write_file(".aws/config", "[profile sso]\nsso_session = corp\nregion = us-east-1\n");
    setenv("AWS_PROFILE", "sso", 1);
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "export-credentials"));
    aws_config_free(&c);
    unsetenv("AWS_PROFILE");
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_AUTH);
    assert_non_null(strstr(e.msg, "AWS_ACCESS_KEY_ID"));
    aws_config_free(&c);
}

static void test_secrets_not_in_messages(void **state)
{
    (void)state;
    setenv("AWS_SECRET_ACCESS_KEY", "TOPSECRETvalue123", 1); /* id missing */
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_AUTH);
    assert_null(strstr(e.msg, "TOPSECRET"));
    assert_non_null(strstr(e.msg, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
    aws_config_free(&c);

    /* a failed call reports where and why, never the secret or the token */
    setenv("AWS_ACCESS_KEY_ID", "AKIDLEAKTEST", 1);
    setenv("AWS_SESSION_TOKEN", "TOKENsecret456", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
    setenv("TSARCHIVE_MAX_ATTEMPTS", "2", 1);
    setenv("TSARCHIVE_RETRY_BASE_MS", "1", 1);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_string_equal(c.region, "us-east-1"); /* custom endpoint, no region: us-east-1 */
    assert_int_equal(c.max_attempts, 2);
    aws_client *cl;
    assert_int_equal(aws_client_new(&c, &cl, &e), TS_OK);
    char *ep;
    bool custom;
    assert_int_equal(aws_endpoint(&c, "TIMESTREAM_QUERY", &ep, &custom, &e), TS_OK);
    json_t *out = NULL;
    char code[AWS_ERR_CODE_MAX];
    assert_int_equal(aws_json_call(cl, ep, "timestream", "Timestream_20181101.Query",
                                   "application/x-amz-json-1.0", NULL, &out, code, &e),
                     TS_ERR_NETWORK);
    char msg[2048];
    ts_err_format(&e, msg, sizeof msg);
    printf("message: %s\n", msg);
    assert_non_null(strstr(msg, "after 2 attempts"));
    assert_non_null(strstr(msg, "127.0.0.1:1"));
    assert_null(strstr(msg, "TOPSECRET"));
    assert_null(strstr(msg, "TOKENsecret"));
    assert_int_equal(aws_client_retries(cl), 1);
    ts_free(ep);
    aws_client_free(cl);
    aws_config_free(&c);
}

static void test_endpoints(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "a", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "b", 1);
    setenv("AWS_REGION", "eu-west-2", 1);
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    struct {
        const char *id, *url;
    } pub[] = {{"S3", "https://s3.eu-west-2.amazonaws.com"},
               {"IAM", "https://iam.amazonaws.com"},
               {"STS", "https://sts.eu-west-2.amazonaws.com"},
               {"LAMBDA", "https://lambda.eu-west-2.amazonaws.com"},
               {"CLOUDWATCH_LOGS", "https://logs.eu-west-2.amazonaws.com"},
               {"CLOUDWATCH", "https://monitoring.eu-west-2.amazonaws.com"},
               {"TIMESTREAM_QUERY", "https://query.timestream.eu-west-2.amazonaws.com"},
               {"TIMESTREAM_WRITE", "https://ingest.timestream.eu-west-2.amazonaws.com"}};
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++) {
        char *u;
        bool custom = true;
        assert_int_equal(aws_endpoint(&c, pub[i].id, &u, &custom, &e), TS_OK);
        assert_string_equal(u, pub[i].url);
        assert_false(custom);
        ts_free(u);
    }
    assert_string_equal(aws_signing_name("TIMESTREAM_WRITE"), "timestream");
    assert_string_equal(aws_signing_name("CLOUDWATCH_LOGS"), "logs");
    aws_config_free(&c);

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
    setenv("AWS_ENDPOINT_URL_TIMESTREAM_QUERY", "http://127.0.0.1:7000", 1);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    char *u;
    bool custom = false;
    assert_int_equal(aws_endpoint(&c, "TIMESTREAM_QUERY", &u, &custom, &e), TS_OK);
    assert_string_equal(u, "http://127.0.0.1:7000");
    assert_true(custom);
    ts_free(u);
    assert_int_equal(aws_endpoint(&c, "S3", &u, &custom, &e), TS_OK);
    assert_string_equal(u, "http://127.0.0.1:5000"); /* trailing '/' dropped */
    assert_true(custom);
    ts_free(u);
    aws_config_free(&c);

    setenv("AWS_ENDPOINT_URL_S3", "localhost:5000", 1);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "AWS_ENDPOINT_URL_S3"));
    aws_config_free(&c);
}

static void test_region_and_retry_settings(void **state)
{
    (void)state;
    setenv("AWS_ACCESS_KEY_ID", "a", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "b", 1);
    aws_config c;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "AWS_REGION"));
    aws_config_free(&c);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, "Not A Region", &e), TS_ERR_USAGE);
    aws_config_free(&c);
    setenv("AWS_REGION", "cn-north-1", 1);
    setenv("TSARCHIVE_MAX_ATTEMPTS", "3", 1);
    setenv("TSARCHIVE_S3_PART_SIZE_MB", "5", 1);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_OK);
    assert_int_equal(c.max_attempts, 3);
    assert_int_equal(c.s3_part_size, 5u << 20);
    char *u;
    assert_int_equal(aws_endpoint(&c, "S3", &u, NULL, &e), TS_OK);
    assert_string_equal(u, "https://s3.cn-north-1.amazonaws.com.cn");
    ts_free(u);
    aws_config_free(&c);
    setenv("TSARCHIVE_MAX_ATTEMPTS", "lots", 1);
    ts_err_clear(&e);
    assert_int_equal(aws_config_load(&c, NULL, &e), TS_ERR_USAGE);
    assert_non_null(strstr(e.msg, "TSARCHIVE_MAX_ATTEMPTS"));
    aws_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_credentials_and_region_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_profile_from_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_profile_in_config_and_file_overrides, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_provider_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_not_in_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_and_retry_settings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
