/* aws_json_call: the awsJson1_0/1_1 protocol (Timestream, CloudWatch Logs):
 * POST / with X-Amz-Target, JSON in and out, errors named by __type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "core/ts_alloc.h"

/* "Timestream_20181101.Query" → "Query" */
static const char *op_name(const char *target)
{
    const char *d = strrchr(target, '.');
    return d ? d + 1 : target;
}

ts_status aws_error_fail(aws_client *c, const http_response *resp, aws_protocol proto,
                         const char *service, const char *op, const char *region, char *code_out,
                         ts_error *err)
{
    char code[AWS_ERR_CODE_MAX], msg[512];
    aws_error_parse(resp, proto, code, sizeof code, msg, sizeof msg);
    if (code_out) snprintf(code_out, AWS_ERR_CODE_MAX, "%s", code);
    ts_status st = aws_error_status(resp->status, code);
    if (st == TS_ERR_NOT_FOUND) st = TS_ERR_REMOTE; /* callers decide by code */
    const aws_config *cfg = aws_client_config(c);
    const char *src = cfg->cred_source ? cfg->cred_source : "the configured credentials";
    if (strncmp(code, "AccessDenied", 12) == 0 || strcmp(code, "NotAuthorized") == 0)
        return ts_err_set(err, st,
                          "%s %s: %s: %s (the identity from %s needs the IAM permission %s:%s)",
                          service, op, code, msg, src, aws_iam_action_prefix(service), op);
    if (st == TS_ERR_AUTH)
        return ts_err_set(err, st,
                          "%s %s: %s: %s (check the credentials from %s, the region%s%s and the "
                          "system clock)",
                          service, op, code, msg, src, region ? " " : "", region ? region : "");
    return ts_err_set(err, st, "%s %s: %s: %s", service, op, code, msg);
}

ts_status aws_json_call(aws_client *c, const char *endpoint_url, const char *signing_service,
                        const char *target, const char *content_type, json_t *body, json_t **out,
                        char *err_code_out, ts_error *err)
{
    *out = NULL;
    if (err_code_out) err_code_out[0] = '\0';
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !payload) return ts_err_set(err, TS_ERR_NOMEM, "cannot serialise the request");
    size_t ul = strlen(endpoint_url) + 2;
    char *url = ts_malloc(ul);
    if (!url) {
        free(payload); /* jansson's allocation */
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    /* POST / on every operation */
    size_t el = strlen(endpoint_url);
    snprintf(url, ul, "%s%s", endpoint_url, el && endpoint_url[el - 1] == '/' ? "" : "/");
    http_header hs[] = {{"Content-Type", content_type}, {"X-Amz-Target", target}};
    aws_request rq = {.method = "POST", .url = url, .signing_service = signing_service,
                      .headers = hs, .nheaders = 2,
                      .body = (const uint8_t *)(payload ? payload : "{}"),
                      .body_len = payload ? strlen(payload) : 2, .timeout_ms = 90000,
                      .protocol = AWS_PROTO_JSON};
    http_response resp;
    ts_status st = aws_send(c, &rq, &resp, err);
    const char *op = op_name(target);
    if (st != TS_OK) {
        ts_err_context(err, "%s %s", signing_service, op);
        goto done;
    }
    if (resp.status >= 200 && resp.status < 300) {
        if (resp.body.len == 0) {
            *out = json_object();
            if (!*out) st = ts_err_set(err, TS_ERR_NOMEM, "out of memory");
            goto done;
        }
        json_error_t je;
        *out = json_loadb((const char *)resp.body.data, resp.body.len, 0, &je);
        if (!*out)
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "%s %s: the response is not JSON (%s at byte %d of %zu)",
                            signing_service, op, je.text, je.position, resp.body.len);
        goto done;
    }
    st = aws_error_fail(c, &resp, AWS_PROTO_JSON, signing_service, op,
                        aws_client_config(c)->region, err_code_out, err);
done:
    http_response_free(&resp);
    free(payload);
    ts_free(url);
    return st;
}
