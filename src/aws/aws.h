/* AWS configuration as the SDKs do it (credentials, region, endpoints), and
 * the aws_client that signs, sends and retries calls: awsJson1_0/1_1 here,
 * S3 in aws_s3.h. The only place that reads the environment. */
#ifndef AWS_AWS_H
#define AWS_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ts_error.h"
#include "net/http.h"
#include "net/retry.h"
#include "net/sigv4.h"

/* Service ids as the SDKs spell them (AWS_ENDPOINT_URL_<ID>). */
#define AWS_SERVICE_COUNT 8
extern const char *const aws_service_ids[AWS_SERVICE_COUNT];

typedef struct aws_config {
    aws_credentials cred;
    char *region;
    char *profile;         /* the profile name used (AWS_PROFILE or "default") */
    char *cred_source;     /* "environment" or "profile NAME in FILE" (no secrets) */
    char *endpoint_url;    /* AWS_ENDPOINT_URL or the profile's endpoint_url, or NULL */
    char *service_endpoint[AWS_SERVICE_COUNT]; /* AWS_ENDPOINT_URL_<ID>, index as aws_service_ids */
    char *ca_bundle;       /* AWS_CA_BUNDLE, else SSL_CERT_FILE, or NULL */
    int max_attempts;      /* TSARCHIVE_MAX_ATTEMPTS (default 8) */
    int64_t retry_base_ms; /* TSARCHIVE_RETRY_BASE_MS (default 100) */
    int64_t retry_cap_ms;  /* TSARCHIVE_RETRY_CAP_MS (default 20000) */
    size_t s3_part_size;   /* TSARCHIVE_S3_PART_SIZE_MB (default 16 MiB; 5 MiB..5 GiB) */
} aws_config;

/* Loads credentials, region, endpoints and retry settings:
 * credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
 * else profile AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials) then AWS_CONFIG_FILE (~/.aws/config, "[profile x]");
 * region from region_override (e.g. timestream://REGION), AWS_REGION,
 * AWS_DEFAULT_REGION, the profile's region; with a custom endpoint and no
 * region, us-east-1. Missing credentials → TS_ERR_AUTH, missing region →
 * TS_ERR_USAGE, each saying what to set. cfg is zeroed first; free it with
 * aws_config_free even on failure. */
ts_status aws_config_load(aws_config *cfg, const char *region_override, ts_error *err);
void aws_config_free(aws_config *cfg);

/* Endpoint for a service id: AWS_ENDPOINT_URL_<ID> > AWS_ENDPOINT_URL >
 * public (https://<prefix>.<region>.amazonaws.com[.cn]). *url_out is
 * allocated (ts_free), without a trailing '/'. is_custom is true when set by
 * variable (then S3 uses path-style and Timestream skips discovery). */
ts_status aws_endpoint(const aws_config *cfg, const char *service_id, char **url_out,
                       bool *is_custom, ts_error *err);
/* SigV4 signing name of a service id ("s3", "iam", "timestream", "logs",
 * "monitoring", ...), or NULL for an unknown id. */
const char *aws_signing_name(const char *service_id);

/* IAM action prefix for a signing name ("monitoring" → "cloudwatch"), for
 * hints such as "needs the IAM permission cloudwatch:DescribeAlarms". */
const char *aws_iam_action_prefix(const char *signing_service);

typedef struct aws_client aws_client;

/* config (deep-copied) + one http client + the retry policy. */
ts_status aws_client_new(const aws_config *cfg, aws_client **out, ts_error *err);
void aws_client_free(aws_client *c);
const aws_config *aws_client_config(const aws_client *c);
http_client *aws_client_http(aws_client *c);
const retry_policy *aws_client_retry(const aws_client *c);
/* Test hook: replaces the wall clock used for signing (0 = real clock). */
void aws_client_set_clock(aws_client *c, int64_t fixed_now_s);
/* Number of retries made since the client was created (tests, progress). */
uint64_t aws_client_retries(const aws_client *c);

/* Error body formats, for aws_send. */
typedef enum aws_protocol { AWS_PROTO_JSON, AWS_PROTO_XML, AWS_PROTO_REST_JSON } aws_protocol;

/* A signed request with the retry policy applied: throttling, 5xx, 408/429
 * and transient network failures are retried with backoff (Retry-After
 * honoured); a request that streams to a sink is retried only while nothing
 * has been written to it. Returns TS_OK with the final response whatever its
 * status (the caller interprets non-2xx, see aws_error_parse), or
 * TS_ERR_NETWORK after the last attempt. signing_region NULL = cfg region. */
typedef struct aws_request {
    const char *method;
    const char *url;
    const char *signing_service;
    const char *signing_region;
    const http_header *headers;
    size_t nheaders;
    const uint8_t *body;
    size_t body_len;
    bool unsigned_payload;
    long timeout_ms;
    ts_output *sink;
    aws_protocol protocol; /* how to read an error code for the classifier */
} aws_request;

ts_status aws_send(aws_client *c, const aws_request *req, http_response *resp, ts_error *err);

/* Reads an error response: code (sanitised: no "ns#", no ":suffix"; from the
 * body, else x-amzn-ErrorType, else the status) and message into caller
 * buffers (always NUL-terminated). */
void aws_error_parse(const http_response *resp, aws_protocol proto, char *code, size_t code_sz,
                     char *msg, size_t msg_sz);
/* "ns#Code:extra" → "Code". */
void aws_error_code_sanitise(const char *in, char *out, size_t out_sz);
/* TS_ERR_AUTH for AccessDenied / UnrecognizedClient / InvalidSignature /
 * expired-token family, else TS_ERR_REMOTE (NOT_FOUND for 404 codes ending
 * in NotFound/NoSuchKey/NoSuchBucket/ResourceNotFoundException). */
ts_status aws_error_status(long http_status, const char *code);
/* A non-2xx answer of `service` `op` (aws_json.c, shared with awsQuery): sets
 * err to "Service Op: Code: message" plus what to check (the IAM permission
 * when denied; the credentials' source, the region — named when `region` is
 * not NULL — and the clock when authentication failed), copies the code to
 * code_out (AWS_ERR_CODE_MAX bytes) when not NULL, and returns the status
 * (TS_ERR_REMOTE for not-found codes: callers decide by code). */
ts_status aws_error_fail(aws_client *c, const http_response *resp, aws_protocol proto,
                         const char *service, const char *op, const char *region, char *code_out,
                         ts_error *err);

/* awsJson1_0/1_1 call: POST / to endpoint_url with X-Amz-Target and the
 * content type, signed for signing_service, retried, errors parsed into
 * "Service Operation: Code: message" (+ a hint for denied IAM actions) as
 * TS_ERR_REMOTE or TS_ERR_AUTH. body is borrowed (NULL = {}); *out is the
 * parsed response (caller decrefs; {} for an empty body). err_code_out
 * (optional, AWS_ERR_CODE_MAX bytes) receives the sanitised error code or "". */
#define AWS_ERR_CODE_MAX 64
ts_status aws_json_call(aws_client *c, const char *endpoint_url, const char *signing_service,
                        const char *target, const char *content_type, json_t *body, json_t **out,
                        char *err_code_out, ts_error *err);

#endif
