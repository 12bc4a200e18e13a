/* Shared pieces of the cleanup services: the call-outcome record, the
 * denied-action reading, and the restJson1 call Lambda speaks. */
#include "aws/aws_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "net/sigv4.h"

#define AWS_REST_MAX_URL ((size_t)16 << 10)

void aws_svc_info_clear(aws_svc_info *info)
{
    if (info) memset(info, 0, sizeof *info);
}

/* Only the codes these services send for a missing resource: a bare 404
 * (a wrong endpoint, a proxy) must never count as "already deleted". */
static const char *const not_found_codes[] = {"ResourceNotFoundException", "ResourceNotFound",
                                              "NoSuchEntity", "NoSuchEntityException"};

bool aws_svc_code_is_not_found(const char *code)
{
    if (!code) return false;
    for (size_t i = 0; i < sizeof not_found_codes / sizeof *not_found_codes; i++)
        if (strcmp(code, not_found_codes[i]) == 0) return true;
    return false;
}

static bool is_action_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == ':' || ch == '-' || ch == '_' || ch == '*';
}

/* "...not authorized to perform: iam:DeleteRole on resource: ..." →
 * "iam:DeleteRole"; false when the message names no action. */
static bool action_from_message(const char *msg, char *out, size_t out_sz)
{
    if (!msg) return false;
    const char *p = strstr(msg, "perform: ");
    if (p)
        p += 9;
    else if ((p = strstr(msg, "perform ")))
        p += 8;
    else
        return false;
    size_t k = 0;
    bool colon = false;
    for (; is_action_char(*p) && k + 1 < out_sz; p++) {
        if (*p == ':') colon = true;
        out[k++] = *p;
    }
    out[k] = '\0';
    /* "svc:Action" and nothing else */
    if (!colon || k < 3 || out[0] == ':' || out[k - 1] == ':') {
        out[0] = '\0';
        return false;
    }
    return true;
}

void aws_svc_info_set_error(aws_svc_info *info, const char *code, const char *msg,
                            const char *signing_service, const char *op)
{
    if (!info) return;
    snprintf(info->code, sizeof info->code, "%s", code ? code : "");
    info->action[0] = '\0';
    info->already_gone = false;
    if (code && (strncmp(code, "AccessDenied", 12) == 0 || strcmp(code, "NotAuthorized") == 0)) {
        const char *prefix = aws_iam_action_prefix(signing_service);
        char named[AWS_SVC_ACTION_MAX];
        size_t sl = strlen(signing_service);
        if (!action_from_message(msg, named, sizeof named))
            snprintf(info->action, sizeof info->action, "%s:%s", prefix, op);
        else if (strcmp(prefix, signing_service) != 0 &&
                 strncmp(named, signing_service, sl) == 0 && named[sl] == ':')
            /* "monitoring:DeleteAlarms" (the signing name) is cloudwatch:DeleteAlarms in IAM */
            snprintf(info->action, sizeof info->action, "%s%s", prefix, named + sl);
        else
            snprintf(info->action, sizeof info->action, "%s", named);
    }
}

ts_status aws_svc_outcome(ts_status st, const char *code, const char *signing_service,
                          const char *op, aws_svc_info *info, const ts_error *err)
{
    aws_svc_info_clear(info);
    if (st != TS_OK && code[0]) {
        aws_svc_info_set_error(info, code, err->msg, signing_service, op);
        if (aws_svc_code_is_not_found(code)) st = TS_ERR_NOT_FOUND;
    }
    return st;
}

ts_status aws_svc_delete_outcome(ts_status st, const aws_svc_info *local, aws_svc_info *info,
                                 ts_error *err)
{
    if (st == TS_ERR_NOT_FOUND) {
        ts_err_clear(err);
        aws_svc_info_clear(info);
        if (info) info->already_gone = true;
        return TS_OK;
    }
    if (info) *info = *local;
    return st;
}

ts_status aws_svc_query_call(aws_client *c, const aws_svc_query *s, const char *signing_region,
                             const char *action, const aws_param *params, size_t nparams,
                             aws_xml_node **doc, aws_svc_info *info, ts_error *err)
{
    char *ep = NULL;
    char code[AWS_ERR_CODE_MAX] = "";
    ts_status st = aws_endpoint(aws_client_config(c), s->service_id, &ep, NULL, err);
    if (st == TS_OK)
        st = aws_query_call(c, ep, s->signing_service, signing_region, action, s->version, params,
                            nparams, doc, code, err);
    ts_free(ep);
    return aws_svc_outcome(st, code, s->signing_service, action, info, err);
}

char *aws_svc_uri_encode(const char *s)
{
    ts_buf b;
    ts_buf_init(&b, AWS_REST_MAX_URL);
    if (sigv4_uri_encode(&b, s, strlen(s), false) != TS_OK || ts_buf_append_byte(&b, 0) != TS_OK) {
        ts_buf_free(&b);
        return NULL;
    }
    char *r = ts_strdup((const char *)b.data);
    ts_buf_free(&b);
    return r;
}

void aws_svc_names_free(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) ts_free(names[i]);
    ts_free(names);
}

ts_status aws_rest_json_call(aws_client *c, const char *service_id, const char *signing_service,
                             const char *op, const char *method, const char *path_query,
                             json_t *body, json_t **out, aws_svc_info *info, ts_error *err)
{
    *out = NULL;
    aws_svc_info_clear(info);
    char *ep = NULL;
    TS_TRY(aws_endpoint(aws_client_config(c), service_id, &ep, NULL, err));
    size_t el = strlen(ep);
    while (el && ep[el - 1] == '/') ep[--el] = '\0';
    size_t ul = el + strlen(path_query) + 1;
    char *url = ts_malloc(ul);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!url || (body && !payload)) {
        ts_free(ep);
        ts_free(url);
        free(payload); /* jansson's allocation */
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    }
    snprintf(url, ul, "%s%s", ep, path_query);
    http_header hs[] = {{"Content-Type", "application/json"}};
    aws_request rq = {.method = method, .url = url, .signing_service = signing_service,
                      .headers = hs, .nheaders = payload ? 1 : 0,
                      .body = (const uint8_t *)payload, .body_len = payload ? strlen(payload) : 0,
                      .timeout_ms = 90000, .protocol = AWS_PROTO_REST_JSON};
    http_response resp;
    ts_status st = aws_send(c, &rq, &resp, err);
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
        if (!*out || !json_is_object(*out)) {
            bool parsed = *out != NULL;
            json_decref(*out);
            *out = NULL;
            st = ts_err_set(err, TS_ERR_CORRUPT,
                            "%s %s: the response is not a JSON object (%s at byte %d of %zu)",
                            signing_service, op, parsed ? "another JSON value" : je.text,
                            parsed ? 0 : je.position, resp.body.len);
        }
        goto done;
    }
    char code[AWS_ERR_CODE_MAX], msg[512];
    aws_error_parse(&resp, AWS_PROTO_REST_JSON, code, sizeof code, msg, sizeof msg);
    /* restJson1: the header names the error when the body does not */
    aws_svc_info_set_error(info, code, msg, signing_service, op);
    st = aws_error_status(resp.status, code);
    if (aws_svc_code_is_not_found(code))
        st = TS_ERR_NOT_FOUND;
    else if (st == TS_ERR_NOT_FOUND)
        st = TS_ERR_REMOTE;
    const aws_config *cfg = aws_client_config(c);
    const char *src = cfg->cred_source ? cfg->cred_source : "the configured credentials";
    if (strncmp(code, "AccessDenied", 12) == 0 || strcmp(code, "NotAuthorized") == 0) {
        char action[AWS_SVC_ACTION_MAX];
        aws_svc_info tmp;
        aws_svc_info_set_error(&tmp, code, msg, signing_service, op);
        snprintf(action, sizeof action, "%s", tmp.action);
        ts_err_set(err, st, "%s %s: %s: %s (the identity from %s needs the IAM permission %s)",
                   signing_service, op, code, msg, src, action);
    } else if (st == TS_ERR_AUTH) {
        ts_err_set(err, st,
                   "%s %s: %s: %s (check the credentials from %s, the region %s and the system "
                   "clock)",
                   signing_service, op, code, msg, src, cfg->region ? cfg->region : "(none)");
    } else {
        ts_err_set(err, st, "%s %s: %s: %s", signing_service, op, code, msg);
    }
done:
    http_response_free(&resp);
    free(payload);
    ts_free(url);
    ts_free(ep);
    return st;
}
