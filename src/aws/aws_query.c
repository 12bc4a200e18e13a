/* aws_query_call: the awsQuery protocol (IAM, CloudWatch, STS). */
#include "aws/aws_query.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "net/sigv4.h"

#define AWS_QUERY_MAX_BODY ((size_t)1 << 20)

static ts_status form_add(ts_buf *b, const char *name, const char *value)
{
    if (b->len) TS_TRY(ts_buf_append_byte(b, '&'));
    TS_TRY(sigv4_uri_encode(b, name, strlen(name), false));
    TS_TRY(ts_buf_append_byte(b, '='));
    return sigv4_uri_encode(b, value ? value : "", value ? strlen(value) : 0, false);
}

const aws_xml_node *aws_query_result(const aws_xml_node *doc, const char *action)
{
    char name[128];
    snprintf(name, sizeof name, "%sResult", action);
    return doc ? aws_xml_child(doc, name) : NULL;
}

ts_status aws_query_call(aws_client *c, const char *endpoint_url, const char *signing_service,
                         const char *signing_region, const char *action, const char *version,
                         const aws_param *params, size_t nparams, aws_xml_node **out,
                         char *err_code_out, ts_error *err)
{
    *out = NULL;
    if (err_code_out) err_code_out[0] = '\0';
    ts_buf body;
    ts_buf_init(&body, AWS_QUERY_MAX_BODY);
    ts_status st = form_add(&body, "Action", action);
    if (st == TS_OK) st = form_add(&body, "Version", version);
    for (size_t i = 0; i < nparams && st == TS_OK; i++)
        st = form_add(&body, params[i].name, params[i].value);
    if (st != TS_OK) {
        ts_buf_free(&body);
        return ts_err_set(err, st, "%s %s: request larger than %zu bytes", signing_service, action,
                          AWS_QUERY_MAX_BODY);
    }
    size_t ul = strlen(endpoint_url) + 2;
    char *url = ts_malloc(ul);
    if (!url) {
        ts_buf_free(&body);
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    size_t el = strlen(endpoint_url);
    snprintf(url, ul, "%s%s", endpoint_url, el && endpoint_url[el - 1] == '/' ? "" : "/");
    http_header hs[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    aws_request rq = {.method = "POST", .url = url, .signing_service = signing_service,
                      .signing_region = signing_region, .headers = hs, .nheaders = 1,
                      .body = body.data, .body_len = body.len, .timeout_ms = 90000,
                      .protocol = AWS_PROTO_XML};
    http_response resp;
    st = aws_send(c, &rq, &resp, err);
    if (st != TS_OK) {
        ts_err_context(err, "%s %s", signing_service, action);
    } else if (resp.status >= 200 && resp.status < 300) {
        st = aws_xml_parse(resp.body.data ? (const char *)resp.body.data : "", resp.body.len, out,
                           err);
        if (st != TS_OK) ts_err_context(err, "%s %s: response", signing_service, action);
    } else {
        /* the region unnamed: it is the signing region, not necessarily the configured one */
        st = aws_error_fail(c, &resp, AWS_PROTO_XML, signing_service, action, NULL, err_code_out,
                            err);
    }
    http_response_free(&resp);
    ts_buf_free(&body);
    ts_free(url);
    return st;
}
