/* aws_config_load: credentials, region, endpoints and retry settings from
 * the environment and the shared files, in the SDKs' order. The one place
 * in the library that reads the environment. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/aws.h"
#include "core/ts_alloc.h"
#include "core/ts_buf.h"

#define AWS_MAX_CONFIG_FILE ((size_t)1 << 20)

const char *const aws_service_ids[AWS_SERVICE_COUNT] = {
    "S3", "IAM", "STS", "LAMBDA", "CLOUDWATCH_LOGS", "CLOUDWATCH", "TIMESTREAM_QUERY",
    "TIMESTREAM_WRITE"};
/* public host prefix and SigV4 signing name, index as aws_service_ids */
static const char *const host_prefix[AWS_SERVICE_COUNT] = {
    "s3", "iam", "sts", "lambda", "logs", "monitoring", "query.timestream", "ingest.timestream"};
static const char *const signing_name[AWS_SERVICE_COUNT] = {
    "s3", "iam", "sts", "lambda", "logs", "monitoring", "timestream", "timestream"};

static int service_index(const char *id)
{
    for (int i = 0; i < AWS_SERVICE_COUNT; i++)
        if (strcasecmp(id, aws_service_ids[i]) == 0) return i;
    return -1;
}

const char *aws_signing_name(const char *service_id)
{
    int i = service_index(service_id);
    return i < 0 ? NULL : signing_name[i];
}

const char *aws_iam_action_prefix(const char *signing_service)
{
    if (strcmp(signing_service, "monitoring") == 0) return "cloudwatch";
    return signing_service;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void aws_config_free(aws_config *cfg)
{
    if (!cfg) return;
    ts_free(cfg->cred.access_key_id);
    if (cfg->cred.secret_access_key) {
        /* scrub the secret before handing the memory back */
        volatile char *p = cfg->cred.secret_access_key;
        while (*p) *p++ = 0;
    }
    ts_free(cfg->cred.secret_access_key);
    ts_free(cfg->cred.session_token);
    ts_free(cfg->region);
    ts_free(cfg->profile);
    ts_free(cfg->cred_source);
    ts_free(cfg->endpoint_url);
    for (int i = 0; i < AWS_SERVICE_COUNT; i++) ts_free(cfg->service_endpoint[i]);
    ts_free(cfg->ca_bundle);
    memset(cfg, 0, sizeof *cfg);
}

/* Settings of one profile found in the shared files. */
typedef struct profile_vals {
    char *key_id, *secret, *token, *region, *endpoint_url;
    char unsupported[64]; /* first key naming a provider we do not implement */
    bool found;
} profile_vals;

static void profile_vals_free(profile_vals *p)
{
    ts_free(p->key_id);
    ts_free(p->secret);
    ts_free(p->token);
    ts_free(p->region);
    ts_free(p->endpoint_url);
    memset(p, 0, sizeof *p);
}

static ts_status read_file(const char *path, ts_buf *b, bool *exists, ts_error *err)
{
    *exists = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return TS_OK;
        return ts_err_errno(err, TS_ERR_IO, errno, "cannot open %s", path);
    }
    *exists = true;
    char tmp[8192];
    size_t n;
    ts_status st = TS_OK;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if ((st = ts_buf_append(b, tmp, n)) != TS_OK) {
            st = ts_err_set(err, st, "%s is larger than %zu bytes", path, b->max);
            break;
        }
    }
    if (st == TS_OK && ferror(f)) st = ts_err_errno(err, TS_ERR_IO, errno, "cannot read %s", path);
    fclose(f);
    if (st == TS_OK) st = ts_buf_nul(b);
    return st;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    *e = '\0';
    return s;
}

static ts_status set_val(char **dst, const char *v, ts_error *err)
{
    if (*dst) return TS_OK; /* first file that sets it wins */
    *dst = ts_strdup(v);
    return *dst ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
}

/* Reads the section for `profile` of one INI file. In the config file a
 * section is "[profile NAME]" (or "[default]"); in the credentials file it
 * is "[NAME]". Indented lines belong to a nested block (s3 = ...): skipped. */
static ts_status parse_profile(const char *path, const char *profile, bool config_file,
                               profile_vals *pv, ts_error *err)
{
    if (!path) return TS_OK;
    ts_buf b;
    ts_buf_init(&b, AWS_MAX_CONFIG_FILE);
    bool exists;
    ts_status st = read_file(path, &b, &exists, err);
    if (st != TS_OK || !exists || !b.data) {
        ts_buf_free(&b);
        return st;
    }
    bool in = false;
    for (char *line = (char *)b.data, *nl; line; line = nl) {
        nl = strchr(line, '\n');
        if (nl) *nl++ = '\0';
        bool indented = line[0] == ' ' || line[0] == '\t';
        char *l = trim(line);
        if (!*l || *l == '#' || *l == ';') continue;
        if (*l == '[') {
            char *e = strchr(l, ']');
            if (!e) continue;
            *e = '\0';
            char *name = trim(l + 1);
            if (config_file && strncmp(name, "profile", 7) == 0 && (name[7] == ' ' || name[7] == '\t'))
                name = trim(name + 8);
            else if (config_file && strcmp(name, "default") != 0)
                name = NULL; /* [sso-session x], [services x] */
            in = name && strcmp(name, profile) == 0;
            if (in) pv->found = true;
            continue;
        }
        if (!in || indented) continue;
        char *eq = strchr(l, '=');
        if (!eq) continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (!*v) continue;
        if (strcasecmp(k, "aws_access_key_id") == 0) st = set_val(&pv->key_id, v, err);
        else if (strcasecmp(k, "aws_secret_access_key") == 0) st = set_val(&pv->secret, v, err);
        else if (strcasecmp(k, "aws_session_token") == 0) st = set_val(&pv->token, v, err);
        else if (strcasecmp(k, "region") == 0) st = set_val(&pv->region, v, err);
        else if (strcasecmp(k, "endpoint_url") == 0) st = set_val(&pv->endpoint_url, v, err);
        else if (!pv->unsupported[0] &&
                 (strcasecmp(k, "role_arn") == 0 || strcasecmp(k, "credential_process") == 0 ||
                  strcasecmp(k, "sso_session") == 0 || strcasecmp(k, "sso_start_url") == 0 ||
                  strcasecmp(k, "web_identity_token_file") == 0 ||
                  strcasecmp(k, "credential_source") == 0))
            snprintf(pv->unsupported, sizeof pv->unsupported, "%s", k);
        if (st != TS_OK) break;
    }
    ts_buf_free(&b);
    return st;
}

static char *home_path(const char *rel)
{
    const char *home = env("HOME");
    if (!home) return NULL;
    size_t n = strlen(home) + strlen(rel) + 2;
    char *p = ts_malloc(n);
    if (p) snprintf(p, n, "%s/%s", home, rel);
    return p;
}

static ts_status dup_to(char **dst, const char *v, ts_error *err)
{
    if (!v) return TS_OK;
    *dst = ts_strdup(v);
    return *dst ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
}

/* A URL we can send to: http(s)://host..., stored without trailing '/'. */
static ts_status endpoint_dup(char **dst, const char *var, const char *v, ts_error *err)
{
    if (!v) return TS_OK;
    if (strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0)
        return ts_err_set(err, TS_ERR_USAGE,
                          "%s=%s is not an http:// or https:// URL (example: http://127.0.0.1:5000)",
                          var, v);
    size_t n = strlen(v);
    while (n > 8 && v[n - 1] == '/') n--;
    *dst = ts_strndup(v, n);
    return *dst ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
}

static ts_status env_long(const char *name, long lo, long hi, long *out, ts_error *err)
{
    const char *v = env(name);
    if (!v) return TS_OK;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return ts_err_set(err, TS_ERR_USAGE, "%s=%s: expected a whole number from %ld to %ld", name,
                          v, lo, hi);
    *out = x;
    return TS_OK;
}

static bool region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n < 2 || n > 40) return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)r[i]) && !isdigit((unsigned char)r[i]) && r[i] != '-')
            return false;
    return true;
}

ts_status aws_config_load(aws_config *cfg, const char *region_override, ts_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_attempts = RETRY_DEFAULT_MAX_ATTEMPTS;
    cfg->retry_base_ms = RETRY_DEFAULT_BASE_MS;
    cfg->retry_cap_ms = RETRY_DEFAULT_CAP_MS;
    cfg->s3_part_size = (size_t)16 << 20;

    long v = cfg->max_attempts;
    TS_TRY(env_long("TSARCHIVE_MAX_ATTEMPTS", 1, 100, &v, err));
    cfg->max_attempts = (int)v;
    v = (long)cfg->retry_base_ms;
    TS_TRY(env_long("TSARCHIVE_RETRY_BASE_MS", 1, 60000, &v, err));
    cfg->retry_base_ms = v;
    v = (long)cfg->retry_cap_ms;
    TS_TRY(env_long("TSARCHIVE_RETRY_CAP_MS", 1, 600000, &v, err));
    cfg->retry_cap_ms = v;
    v = (long)(cfg->s3_part_size >> 20);
    TS_TRY(env_long("TSARCHIVE_S3_PART_SIZE_MB", 5, 5120, &v, err));
    cfg->s3_part_size = (size_t)v << 20;

    const char *profile = env("AWS_PROFILE");
    if (!profile) profile = env("AWS_DEFAULT_PROFILE");
    bool profile_explicit = profile != NULL;
    if (!profile) profile = "default";
    TS_TRY(dup_to(&cfg->profile, profile, err));

    /* shared files: credentials first (it wins for keys), then config */
    char *cred_file = env("AWS_SHARED_CREDENTIALS_FILE") ? ts_strdup(env("AWS_SHARED_CREDENTIALS_FILE"))
                                                         : home_path(".aws/credentials");
    char *conf_file = env("AWS_CONFIG_FILE") ? ts_strdup(env("AWS_CONFIG_FILE"))
                                             : home_path(".aws/config");
    profile_vals pv = {0};
    ts_status st = parse_profile(cred_file, profile, false, &pv, err);
    bool from_cred_file = pv.key_id != NULL;
    if (st == TS_OK) st = parse_profile(conf_file, profile, true, &pv, err);
    if (st != TS_OK) goto done;

    const char *ek = env("AWS_ACCESS_KEY_ID"), *es = env("AWS_SECRET_ACCESS_KEY");
    if (ek || es) {
        if (!ek || !es) {
            st = ts_err_set(err, TS_ERR_AUTH,
                            "%s is set but %s is not: set both, or neither to use profile '%s'",
                            ek ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            ek ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID", profile);
            goto done;
        }
        if ((st = dup_to(&cfg->cred.access_key_id, ek, err)) != TS_OK ||
            (st = dup_to(&cfg->cred.secret_access_key, es, err)) != TS_OK ||
            (st = dup_to(&cfg->cred.session_token, env("AWS_SESSION_TOKEN"), err)) != TS_OK ||
            (st = dup_to(&cfg->cred_source, "environment (AWS_ACCESS_KEY_ID)", err)) != TS_OK)
            goto done;
    } else if (pv.key_id && pv.secret) {
        cfg->cred.access_key_id = pv.key_id;
        cfg->cred.secret_access_key = pv.secret;
        cfg->cred.session_token = pv.token;
        pv.key_id = pv.secret = pv.token = NULL;
        const char *file = from_cred_file ? cred_file : conf_file;
        size_t n = strlen(profile) + strlen(file ? file : "") + 32;
        cfg->cred_source = ts_malloc(n);
        if (!cfg->cred_source) {
            st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        snprintf(cfg->cred_source, n, "profile '%s' in %s", profile, file ? file : "?");
    } else if (pv.unsupported[0]) {
        st = ts_err_set(err, TS_ERR_UNSUPPORTED,
                        "profile '%s' gets its credentials through '%s', which tsarchive does not "
                        "support; run `eval \"$(aws configure export-credentials --profile %s "
                        "--format env)\"` first, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                        profile, pv.unsupported, profile);
        goto done;
    } else if (profile_explicit && !pv.found) {
        st = ts_err_set(err, TS_ERR_AUTH, "AWS_PROFILE=%s: no such profile in %s or %s", profile,
                        cred_file ? cred_file : "(no HOME)", conf_file ? conf_file : "(no HOME)");
        goto done;
    } else {
        st = ts_err_set(err, TS_ERR_AUTH,
                        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                        "(and AWS_SESSION_TOKEN for temporary ones), or aws_access_key_id/"
                        "aws_secret_access_key for profile '%s' in %s",
                        profile, cred_file ? cred_file : "~/.aws/credentials");
        goto done;
    }

    /* endpoints */
    if ((st = endpoint_dup(&cfg->endpoint_url, "AWS_ENDPOINT_URL", env("AWS_ENDPOINT_URL"), err)) !=
        TS_OK)
        goto done;
    if (!cfg->endpoint_url &&
        (st = endpoint_dup(&cfg->endpoint_url, "endpoint_url", pv.endpoint_url, err)) != TS_OK)
        goto done;
    for (int i = 0; i < AWS_SERVICE_COUNT; i++) {
        char var[64];
        snprintf(var, sizeof var, "AWS_ENDPOINT_URL_%s", aws_service_ids[i]);
        if ((st = endpoint_dup(&cfg->service_endpoint[i], var, env(var), err)) != TS_OK) goto done;
    }
    const char *ca = env("AWS_CA_BUNDLE");
    if (!ca) ca = env("SSL_CERT_FILE");
    if ((st = dup_to(&cfg->ca_bundle, ca, err)) != TS_OK) goto done;

    /* region */
    const char *region = region_override && *region_override ? region_override : NULL;
    if (!region) region = env("AWS_REGION");
    if (!region) region = env("AWS_DEFAULT_REGION");
    if (!region) region = pv.region;
    bool any_custom = cfg->endpoint_url != NULL;
    for (int i = 0; i < AWS_SERVICE_COUNT; i++) any_custom |= cfg->service_endpoint[i] != NULL;
    if (!region && any_custom) region = "us-east-1"; /* emulators accept any region */
    if (!region) {
        st = ts_err_set(err, TS_ERR_USAGE,
                        "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), 'region' for "
                        "profile '%s' in %s, or name it in the URL (timestream://us-east-1)",
                        profile, conf_file ? conf_file : "~/.aws/config");
        goto done;
    }
    if (!region_valid(region)) {
        st = ts_err_set(err, TS_ERR_USAGE,
                        "'%s' is not an AWS region name (expected something like eu-west-2)",
                        region);
        goto done;
    }
    st = dup_to(&cfg->region, region, err);
done:
    profile_vals_free(&pv);
    ts_free(cred_file);
    ts_free(conf_file);
    return st;
}

ts_status aws_endpoint(const aws_config *cfg, const char *service_id, char **url_out,
                       bool *is_custom, ts_error *err)
{
    *url_out = NULL;
    int i = service_index(service_id);
    if (i < 0) return ts_err_set(err, TS_ERR_INTERNAL, "unknown AWS service id '%s'", service_id);
    const char *custom = cfg->service_endpoint[i] ? cfg->service_endpoint[i] : cfg->endpoint_url;
    if (is_custom) *is_custom = custom != NULL;
    if (custom) {
        *url_out = ts_strdup(custom);
        return *url_out ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    if (!cfg->region) return ts_err_set(err, TS_ERR_USAGE, "no AWS region configured");
    const char *suffix = strncmp(cfg->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    char buf[256];
    if (i == 1 && strncmp(cfg->region, "cn-", 3) != 0 && strncmp(cfg->region, "us-gov-", 7) != 0)
        snprintf(buf, sizeof buf, "https://iam.amazonaws.com"); /* IAM is global */
    else
        snprintf(buf, sizeof buf, "https://%s.%s.%s", host_prefix[i], cfg->region, suffix);
    *url_out = ts_strdup(buf);
    return *url_out ? TS_OK : ts_err_set(err, TS_ERR_NOMEM, "out of memory");
}
