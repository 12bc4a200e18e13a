/* What the cleanup services (Lambda, IAM, Logs, CloudWatch, Timestream
 * admin) have in common: the per-call outcome record (error code, denied IAM
 * action, "already gone"), the restJson1 call (Lambda) and the helpers that
 * turn a failed call into that record. */
#ifndef AWS_AWS_SVC_H
#define AWS_AWS_SVC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws/aws.h"
#include "aws/aws_query.h"

#define AWS_SVC_ACTION_MAX 128

/* The outcome of one service call beyond its ts_status. Every service call
 * of aws_lambda_, aws_iam_, aws_logs_, aws_cw_ and aws_tsa_ takes an
 * optional (NULL = not wanted) aws_svc_info *info and fills it in full:
 *  - code: the service's sanitised error code ("NoSuchEntity",
 *    "AccessDeniedException", "DeleteConflict", ...) when the call failed
 *    with a service error, else "" (success, network or local failure);
 *  - action: when the code is AccessDenied*, the IAM action that was denied
 *    ("lambda:DeleteFunction"): taken from the service's message ("... is
 *    not authorized to perform: iam:DeleteRole on resource ...") when it
 *    names one, else derived from the operation; "" otherwise;
 *  - already_gone: a delete/detach/remove found nothing to act on
 *    (ResourceNotFoundException / NoSuchEntity): the call returns
 *    TS_OK and the caller counts the resource as done. For a list call it is
 *    set when the parent resource (function, role, policy, layer) does not
 *    exist: the list is then empty and the call returns TS_OK.
 *    Only the services' own codes count (aws_svc_code_is_not_found): a bare
 *    404 from a wrong endpoint or a proxy is an error.
 * Failures return TS_ERR_REMOTE (or TS_ERR_AUTH for denied/refused
 * credentials, TS_ERR_NETWORK after the retries, TS_ERR_CORRUPT for an
 * unreadable answer) with err->msg "service Operation: Code: message" (and,
 * for AccessDenied, "(... needs the IAM permission <action>)"). */
typedef struct aws_svc_info {
    char code[AWS_ERR_CODE_MAX];
    char action[AWS_SVC_ACTION_MAX];
    bool already_gone;
} aws_svc_info;

/* Clears info (NULL allowed). */
void aws_svc_info_clear(aws_svc_info *info);

/* true for the codes these services send for "no such resource"
 * (ResourceNotFoundException, ResourceNotFound, NoSuchEntity); a bare 404
 * without one of them is an error, never "already gone". */
bool aws_svc_code_is_not_found(const char *code);

/* Fills info after a failed call (already_gone false): copies code, and for AccessDenied* sets
 * action from msg ("perform: svc:Op") or else "<iam prefix of
 * signing_service>:<op>". NULL info is a no-op. */
void aws_svc_info_set_error(aws_svc_info *info, const char *code, const char *msg,
                            const char *signing_service, const char *op);

/* After a call through aws_json_call, aws_query_call or aws_ts_call that
 * wrote the service's error code into code ("" = none): clears info, and on a
 * service error fills it (aws_svc_info_set_error with err's message) and
 * turns the not-found codes into TS_ERR_NOT_FOUND so that callers decide.
 * Returns the status to report (st otherwise). */
ts_status aws_svc_outcome(ts_status st, const char *code, const char *signing_service,
                          const char *op, aws_svc_info *info, const ts_error *err);

/* The end of a delete/detach/remove whose call filled *local: not-found
 * (TS_ERR_NOT_FOUND) means done: err and info cleared, info->already_gone
 * set, TS_OK. Anything else: info = *local, st returned. */
ts_status aws_svc_delete_outcome(ts_status st, const aws_svc_info *local, aws_svc_info *info,
                                 ts_error *err);

/* An awsQuery service as the cleanup calls it. */
typedef struct aws_svc_query {
    const char *service_id;      /* endpoint: "IAM", "CLOUDWATCH" */
    const char *signing_service; /* "iam", "monitoring" */
    const char *version;         /* "2010-05-08" */
} aws_svc_query;

/* One awsQuery action on s's endpoint (signing_region NULL = the configured
 * one); *doc as aws_query_call gives it; the outcome as aws_svc_outcome. */
ts_status aws_svc_query_call(aws_client *c, const aws_svc_query *s, const char *signing_region,
                             const char *action, const aws_param *params, size_t nparams,
                             aws_xml_node **doc, aws_svc_info *info, ts_error *err);

/* restJson1 (Lambda): method + path_query (already percent-encoded, starting
 * with '/') on the endpoint of service_id ("LAMBDA"), signed for
 * signing_service, retried by the client's policy (429/
 * TooManyRequestsException, 5xx, network; Retry-After honoured). body NULL =
 * no body. *out: the parsed JSON answer ({} for an empty 2xx body; caller
 * decrefs), NULL on failure. op names the operation in messages and in the
 * derived IAM action. A not-found error returns TS_ERR_NOT_FOUND (info->code
 * set), so that callers decide whether it means "already gone"; other
 * errors as described for aws_svc_info. */
ts_status aws_rest_json_call(aws_client *c, const char *service_id, const char *signing_service,
                             const char *op, const char *method, const char *path_query,
                             json_t *body, json_t **out, aws_svc_info *info, ts_error *err);

/* Percent-encodes one path segment or query value (RFC 3986 unreserved kept)
 * into a new string (ts_free), or NULL when out of memory. */
char *aws_svc_uri_encode(const char *s);

/* A growable array of owned strings, for the *_names list results:
 * frees names[0..n) and the array (NULL allowed). */
void aws_svc_names_free(char **names, size_t n);

#endif
