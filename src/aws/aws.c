/* aws_client: signs, sends and retries requests; reads service errors. */
#include "aws/aws.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/aws_xml.h"
#include "core/ts_alloc.h"
#include "core/ts_arena.h"
#include "core/ts_time.h"

struct aws_client {
    aws_config cfg;
    http_client *http;
    retry_policy retry;
    int64_t fixed_now_s;
    uint64_t retries;
};

static ts_status dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src) return TS_OK;
    *dst = ts_strdup(src);
    return *dst ? TS_OK : TS_ERR_NOMEM;
}

static ts_status config_copy(aws_config *d, const aws_config *s)
{
    memset(d, 0, sizeof *d);
    d->max_attempts = s->max_attempts;
    d->retry_base_ms = s->retry_base_ms;
    d->retry_cap_ms = s->retry_cap_ms;
    d->s3_part_size = s->s3_part_size;
    TS_TRY(dup_str(&d->cred.access_key_id, s->cred.access_key_id));
    TS_TRY(dup_str(&d->cred.secret_access_key, s->cred.secret_access_key));
    TS_TRY(dup_str(&d->cred.session_token, s->cred.session_token));
    TS_TRY(dup_str(&d->region, s->region));
    TS_TRY(dup_str(&d->profile, s->profile));
    TS_TRY(dup_str(&d->cred_source, s->cred_source));
    TS_TRY(dup_str(&d->endpoint_url, s->endpoint_url));
    for (int i = 0; i < AWS_SERVICE_COUNT; i++)
        TS_TRY(dup_str(&d->service_endpoint[i], s->service_endpoint[i]));
    TS_TRY(dup_str(&d->ca_bundle, s->ca_bundle));
    return TS_OK;
}

ts_status aws_client_new(const aws_config *cfg, aws_client **out, ts_error *err)
{
    *out = NULL;
    aws_client *c = ts_calloc(1, sizeof *c);
    if (!c) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    if (config_copy(&c->cfg, cfg) != TS_OK) {
        aws_client_free(c);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    ts_status st = http_client_new(&c->http, err);
    if (st == TS_OK) st = http_client_set_ca_bundle(c->http, c->cfg.ca_bundle, err);
    if (st != TS_OK) {
        aws_client_free(c);
        return st;
    }
    retry_policy_default(&c->retry);
    if (cfg->max_attempts > 0) c->retry.max_attempts = cfg->max_attempts;
    if (cfg->retry_base_ms > 0) c->retry.base_ms = cfg->retry_base_ms;
    if (cfg->retry_cap_ms > 0) c->retry.cap_ms = cfg->retry_cap_ms;
    c->retry.seed = (uint64_t)ts_mono_ns() ^ (uint64_t)(uintptr_t)c;
    *out = c;
    return TS_OK;
}

void aws_client_free(aws_client *c)
{
    if (!c) return;
    http_client_free(c->http);
    aws_config_free(&c->cfg);
    ts_free(c);
}

const aws_config *aws_client_config(const aws_client *c) { return &c->cfg; }
http_client *aws_client_http(aws_client *c) { return c->http; }
const retry_policy *aws_client_retry(const aws_client *c) { return &c->retry; }
void aws_client_set_clock(aws_client *c, int64_t fixed_now_s) { c->fixed_now_s = fixed_now_s; }
uint64_t aws_client_retries(const aws_client *c) { return c->retries; }

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void aws_error_code_sanitise(const char *in, char *out, size_t out_sz)
{
    if (!out_sz) return;
    out[0] = '\0';
    if (!in) return;
    const char *h = strrchr(in, '#');
    if (h) in = h + 1;
    size_t n = strcspn(in, ":");
    /* codes are identifiers; anything else is dropped */
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < out_sz; i++) {
        char ch = in[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '_' || ch == '-')
            out[k++] = ch;
    }
    out[k] = '\0';
}

static void copy_clean(char *dst, size_t sz, const char *src)
{
    if (!sz) return;
    size_t k = 0;
    for (; src && *src && k + 1 < sz; src++) {
        unsigned char ch = (unsigned char)*src;
        dst[k++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    dst[k] = '\0';
}

void aws_error_parse(const http_response *resp, aws_protocol proto, char *code, size_t code_sz,
                     char *msg, size_t msg_sz)
{
    if (code_sz) code[0] = '\0';
    if (msg_sz) msg[0] = '\0';
    const char *body = resp->body.data ? (const char *)resp->body.data : "";
    size_t blen = resp->body.len;
    /* the body's first byte decides: proxies and emulators answer a JSON
     * protocol with XML errors (and the reverse) */
    size_t lead = 0;
    while (lead < blen && (body[lead] == ' ' || body[lead] == '\n' || body[lead] == '\r' ||
                           body[lead] == '\t'))
        lead++;
    bool looks_xml = lead < blen && body[lead] == '<';
    bool looks_json = lead < blen && body[lead] == '{';
    if (looks_json || (blen && proto != AWS_PROTO_XML && !looks_xml)) {
        json_error_t je;
        json_t *j = json_loadb(body, blen, 0, &je);
        if (j && json_is_object(j)) {
            const char *t = json_string_value(json_object_get(j, "__type"));
            if (!t) t = json_string_value(json_object_get(j, "code"));
            if (!t) t = json_string_value(json_object_get(j, "Code"));
            if (t) aws_error_code_sanitise(t, code, code_sz);
            const char *m = json_string_value(json_object_get(j, "message"));
            if (!m) m = json_string_value(json_object_get(j, "Message"));
            if (!m) m = json_string_value(json_object_get(j, "errorMessage"));
            if (m) copy_clean(msg, msg_sz, m);
        }
        json_decref(j);
    } else if (blen) {
        aws_xml_node *root = NULL;
        ts_error xe;
        ts_err_clear(&xe);
        if (aws_xml_parse(body, blen, &root, &xe) == TS_OK) {
            const aws_xml_node *e = root;
            if (strcmp(root->name, "ErrorResponse") == 0 || strcmp(root->name, "Response") == 0) {
                e = aws_xml_child(root, "Error");
                if (!e) e = aws_xml_child(aws_xml_child(root, "Errors"), "Error");
            }
            const char *c = aws_xml_child_text(e, "Code");
            const char *m = aws_xml_child_text(e, "Message");
            if (c) aws_error_code_sanitise(c, code, code_sz);
            if (m) copy_clean(msg, msg_sz, m);
        }
        aws_xml_free(root);
    }
    if (code_sz && !code[0]) {
        const char *h = http_response_header(resp, "x-amzn-ErrorType");
        if (h) aws_error_code_sanitise(h, code, code_sz);
    }
    if (code_sz && !code[0]) {
        /* HEAD responses carry no body */
        const char *c = resp->status == 404   ? "NotFound"
                        : resp->status == 403 ? "AccessDenied"
                        : resp->status == 400 ? "BadRequest"
                        : resp->status == 301 ? "PermanentRedirect"
                        : resp->status == 503 ? "ServiceUnavailable"
                        : resp->status >= 500 ? "InternalError"
                                              : "HTTPError";
        snprintf(code, code_sz, "%s", c);
    }
    if (msg_sz && !msg[0]) {
        if (blen && blen < 200 && !looks_xml && !looks_json)
            copy_clean(msg, msg_sz, body);
        else
            snprintf(msg, msg_sz, "HTTP %ld", resp->status);
    }
}

static const char *const auth_codes[] = {
    "AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
    "InvalidSignatureException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "IncompleteSignature",
    "IncompleteSignatureException", "MissingAuthenticationToken",
    "MissingAuthenticationTokenException", "AuthFailure", "InvalidToken", "TokenRefreshRequired",
    "NotAuthorized", "UnauthorizedOperation", "AuthorizationHeaderMalformed",
    "RequestTimeTooSkewed"};

static const char *const notfound_codes[] = {
    "NoSuchKey", "NoSuchBucket", "NotFound", "ResourceNotFoundException", "NoSuchEntity",
    "NoSuchUpload", "NoSuchEntityException", "ResourceNotFound"};

ts_status aws_error_status(long http_status, const char *code)
{
    for (size_t i = 0; i < sizeof auth_codes / sizeof *auth_codes; i++)
        if (strcmp(code, auth_codes[i]) == 0) return TS_ERR_AUTH;
    for (size_t i = 0; i < sizeof notfound_codes / sizeof *notfound_codes; i++)
        if (strcmp(code, notfound_codes[i]) == 0) return TS_ERR_NOT_FOUND;
    if (http_status == 401 || http_status == 403) return TS_ERR_AUTH;
    return TS_ERR_REMOTE;
}

ts_status aws_send(aws_client *c, const aws_request *req, http_response *resp, ts_error *err)
{
    memset(resp, 0, sizeof *resp);
    const char *region = req->signing_region ? req->signing_region : c->cfg.region;
    int max = c->retry.max_attempts > 0 ? c->retry.max_attempts : 1;
    ts_arena arena;
    ts_arena_init(&arena, 4096);
    ts_status st = TS_OK;
    for (int attempt = 1;; attempt++) {
        ts_arena_reset(&arena);
        http_response_free(resp);
        int64_t now = c->fixed_now_s ? c->fixed_now_s : ts_now_ns() / TS_NS_PER_SEC;
        http_header *hs;
        size_t nh;
        st = sigv4_sign(&c->cfg.cred, region, req->signing_service, now, req->method, req->url,
                        req->headers, req->nheaders, req->body, req->body_len,
                        req->unsigned_payload, &hs, &nh, &arena, err);
        if (st != TS_OK) break;
        http_request hr = {.method = req->method, .url = req->url, .headers = hs, .nheaders = nh,
                           .body = req->body, .body_len = req->body_len,
                           .timeout_ms = req->timeout_ms, .sink = req->sink};
        ts_error local;
        ts_err_clear(&local);
        st = http_send(c->http, &hr, resp, &local);
        retry_class rc;
        const char *retry_after = NULL;
        char code[AWS_ERR_CODE_MAX] = "";
        if (st == TS_ERR_NETWORK) {
            rc = retry_classify(true, resp->net_transient, 0, NULL);
        } else if (st != TS_OK) {
            *err = local; /* sink or memory failure: not the network's fault */
            break;
        } else if (resp->status >= 200 && resp->status < 300) {
            break;
        } else {
            aws_error_parse(resp, req->protocol, code, sizeof code, NULL, 0);
            rc = retry_classify(false, false, resp->status, code);
            retry_after = http_response_header(resp, "Retry-After");
        }
        bool can = rc != RETRY_NO && attempt < max && resp->sink_bytes == 0;
        int64_t delay = can ? retry_delay_ms(&c->retry, attempt, retry_after) : -1;
        if (delay < 0) {
            if (st == TS_ERR_NETWORK) {
                ts_err_set(err, TS_ERR_NETWORK, "%s (after %d attempt%s)", local.msg, attempt,
                           attempt == 1 ? "" : "s");
            }
            st = st == TS_ERR_NETWORK ? TS_ERR_NETWORK : TS_OK;
            break;
        }
        c->retries++;
        sleep_ms(delay);
    }
    ts_arena_free(&arena);
    return st;
}

